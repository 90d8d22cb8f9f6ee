// SPDX-License-Identifier: GPL-2.0
// The kernel's entry into the receive path: an skb arrives on a vport (upstream
// ovs_vport_receive, datapath/packet_path.h) over the kernel host, and the
// core's per-module state. Included into kmod/core.cpp.
#include "kmod/dp_env.h"
#include "kmod/entry.h"

extern "C" void ovsdp_vport_receive(void* vport, void* skb, const void* tun_info)
{
    ovsdp::KernelHost host;
    ovsdp::dp_vport_receive(host, static_cast<ovsdp::Vport*>(vport), ovsdp::SkbPacket(skb), tun_info);
}

// A shared skb on an Ethernet port (pktgen's, or any sender's that keeps a
// reference): keyed and looked up without the clone skb_share_check() makes
// (packet_path.h, dp_vport_receive_shared). 1: dropped by its flow without
// a copy, 2: copied and processed (the caller's reference is consumed either
// way); 0: nothing done, the caller unshares and calls ovsdp_vport_receive().
extern "C" int ovsdp_vport_receive_shared(void* vport, void* skb)
{
    ovsdp::SkbView view(skb);
    if (!view.usable())
        return 0;
    ovsdp::KernelHost host;
    return ovsdp::dp_vport_receive_shared(
        host, static_cast<ovsdp::Vport*>(vport), view,
        [skb](void* storage) {
            ovsdp_skb_state st;
            void* own = ovsdp_skb_unshare_load(skb, &st);
            if (!own)
                return false;
            new (storage) ovsdp::SkbPacket(own, st);
            return true;
        },
        [skb] { ovsdp_skb_consume(skb); });
}

extern "C" int ovsdp_core_init(void)
{
    using namespace ovsdp;
    g_action_state = static_cast<ActionState<SkbPacket>*>(
        ovsdp_alloc_percpu(sizeof(ActionState<SkbPacket>), alignof(ActionState<SkbPacket>)));
    if (!g_action_state)
        return -err::NOMEM;
    if (auto st = flow_cache_init(); st.is_error()) {
        ovsdp_free_percpu(g_action_state);
        g_action_state = nullptr;
        return st.error().negative();
    }
    // Per-CPU combining of flow statistics updates (flow_table/flow_stats.h).
    if (auto st = flow_stats_cache_init(); st.is_error()) {
        flow_cache_exit();
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
    ovsdp::flow_cache_exit();
    ovsdp_free_percpu(ovsdp::g_action_state);
    ovsdp::g_action_state = nullptr;
}
