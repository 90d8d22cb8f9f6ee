// SPDX-License-Identifier: GPL-2.0
// The action engine's environment in the kernel (actions/actions.h,
// ActionEnv): skb lifetime, output to vports, recirculation back into the
// datapath. Included into kmod/core.cpp through kmod/receive.cpp.
#pragma once

#include "actions/actions.h"
#include "datapath/datapath.h"
#include "kmod/skb_packet.h"
#include "platform/netdev.h"
#include "platform/skb_ops.h"

namespace ovsdp {

// Per-CPU engine state, allocated at module load (ovsdp_core_init).
constinit ActionState<SkbPacket>* g_action_state = nullptr;

void dp_process_packet(Datapath* dp, SkbPacket&& pkt, FlowKey& key);

class KernelEnv {
public:
    explicit KernelEnv(Datapath* dp) : dp_(dp) {}

    ActionState<SkbPacket>& action_state()
    {
        return *static_cast<ActionState<SkbPacket>*>(ovsdp_this_cpu_ptr(g_action_state));
    }
    bool clone(SkbPacket& pkt, void* storage)
    {
        void* c = ovsdp_skb_clone(pkt.skb());
        if (!c)
            return false;
        new (storage) SkbPacket(c);
        return true;
    }
    void consume(SkbPacket&& pkt) { ovsdp_skb_consume(pkt.release()); }
    void drop(SkbPacket&& pkt, int) { ovsdp_skb_free(pkt.release()); }
    void output(SkbPacket&& pkt, u32 port, const FlowKey& key)
    {
        Vport* vport = dp_lookup_vport(dp_, port);
        if (OVSDP_UNLIKELY(!vport || read_once(vport->detached))) {
            ovsdp_skb_free(pkt.release());
            return;
        }
        u32 cut = pkt.cutlen();
        if (cut != kNoCut) {
            if (cut < pkt.len() && !pkt.trim(cut)) {
                ovsdp_skb_free(pkt.release());
                return;
            }
            pkt.set_cutlen(kNoCut);
        }
        ovsdp_vport_send(vport->dev, vport->type, pkt.release(), act::key_mac_proto(key));
    }
    int upcall(SkbPacket&, const FlowKey&, const UpcallRequest&)
    {
        // OVS_PACKET_CMD_ACTION upcalls arrive with the upcall channel.
        return -err::NOTCONN;
    }
    void recirc(SkbPacket&& pkt, FlowKey& key) { dp_process_packet(dp_, move(pkt), key); }
    bool meter(SkbPacket&, const FlowKey&, u32) { return false; }
    int set_tunnel_info(SkbPacket&, ConstBytes) { return -err::OPNOTSUPP; }
    u32 random_u32() { return ovsdp_get_random_u32(); }

private:
    Datapath* dp_;
};

static_assert(ActionEnv<KernelEnv, SkbPacket>);

// Upstream's ovs_dp_process_packet: look the key up; a hit counts in the
// flow's per-NUMA stats and runs its actions, a miss goes to userspace.
void dp_process_packet(Datapath* dp, SkbPacket&& pkt, FlowKey& key)
{
    u32 n_mask_hit = 0;
    u32 n_cache_hit = 0;
    Flow* flow = dp->table.lookup(key, pkt.hash(), &n_mask_hit, &n_cache_hit);
    auto* stats = static_cast<DpPerCpuStats*>(ovsdp_this_cpu_ptr(dp->stats_percpu));
    write_once(stats->n_mask_hit, stats->n_mask_hit + n_mask_hit);
    write_once(stats->n_cache_hit, stats->n_cache_hit + n_cache_hit);
    if (OVSDP_UNLIKELY(!flow)) {
        // With no upcall channel yet every miss is lost, as upstream counts a
        // miss it could not queue.
        write_once(stats->n_missed, stats->n_missed + 1);
        write_once(stats->n_lost, stats->n_lost + 1);
        ovsdp_skb_free(pkt.release());
        return;
    }
    flow->stats.update(key.tp.flags, static_cast<u32>(pkt.len()));
    write_once(stats->n_hit, stats->n_hit + 1);
    const FlowActions* acts = flow_actions(flow);
    KernelEnv env(dp);
    execute_actions(env, move(pkt), key, acts->data, acts->len);
}

} // namespace ovsdp
