// SPDX-License-Identifier: GPL-2.0
// The kernel's entry into the receive path: an skb arrives on a vport (upstream
// ovs_vport_receive). Included into kmod/core.cpp.
#include "kmod/dp_env.h"

extern "C" void ovsdp_vport_receive(void* v, void* skb)
{
    using namespace ovsdp;
    auto* vport = static_cast<Vport*>(v);
    SkbPacket pkt(skb);
    FlowKeyMetadata md;
    md.in_port = static_cast<u16>(vport->port_no);
    md.priority = pkt.priority_at_load();
    md.skb_mark = pkt.mark_at_load();
    FlowKey key;
    if (OVSDP_UNLIKELY(key_extract_with_metadata(pkt, md, key).is_error())) {
        ovsdp_skb_free(pkt.release());
        return;
    }
    dp_process_packet(vport->dp, move(pkt), key);
}

extern "C" int ovsdp_core_init(void)
{
    using namespace ovsdp;
    g_action_state = static_cast<ActionState<SkbPacket>*>(
        ovsdp_alloc_percpu(sizeof(ActionState<SkbPacket>), alignof(ActionState<SkbPacket>)));
    if (!g_action_state)
        return -err::NOMEM;
    // Per-CPU combining of flow statistics updates (flow_table/flow_stats.h).
    if (auto st = flow_stats_cache_init(); st.is_error()) {
        ovsdp_free_percpu(g_action_state);
        g_action_state = nullptr;
        return st.error().negative();
    }
    return 0;
}

extern "C" void ovsdp_core_exit(void)
{
    // After rcu_barrier(): frees the flows still waiting for a flush.
    ovsdp::flow_stats_cache_exit();
    ovsdp_free_percpu(ovsdp::g_action_state);
    ovsdp::g_action_state = nullptr;
}
