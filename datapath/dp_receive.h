// SPDX-License-Identifier: GPL-2.0
// The receive path shared by every packet source (netdev rx_handler, internal
// device transmit): key extraction, then the datapath's processing. A template
// over the packet type: the kernel passes an SkbPacket, tests a BufferPacket.
//
// Context: softirq or BH disabled, under rcu_read_lock. Returns false when the
// packet could not be keyed; the caller then frees it.
#pragma once

#include "datapath/datapath.h"
#include "flow/flow_extract.h"

namespace ovsdp {

// `skb_hash` is the packet's flow hash (skb_get_hash()), which selects the
// mask cache entry.
template <Packet P>
bool dp_receive(Vport* vport, P& pkt, const FlowKeyMetadata& md, u32 skb_hash)
{
    Datapath* dp = vport->dp;
    FlowKey key;
    if (OVSDP_UNLIKELY(key_extract_with_metadata(pkt, md, key).is_error()))
        return false;

    u32 n_mask_hit = 0;
    u32 n_cache_hit = 0;
    Flow* flow = dp->table.lookup(key, skb_hash, &n_mask_hit, &n_cache_hit);
    auto* stats = static_cast<DpPerCpuStats*>(ovsdp_this_cpu_ptr(dp->stats_percpu));
    if (flow) {
        flow->stats.update(key.tp.flags, static_cast<u32>(pkt.len()));
        write_once(stats->n_hit, stats->n_hit + 1);
    } else {
        // With no upcall channel yet every miss is lost, as upstream counts a
        // miss it could not queue.
        write_once(stats->n_missed, stats->n_missed + 1);
        write_once(stats->n_lost, stats->n_lost + 1);
    }
    write_once(stats->n_mask_hit, stats->n_mask_hit + n_mask_hit);
    write_once(stats->n_cache_hit, stats->n_cache_hit + n_cache_hit);
    return true;
}

} // namespace ovsdp
