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

template <Packet P>
bool dp_receive(Vport* vport, P& pkt, const FlowKeyMetadata& md)
{
    Datapath* dp = vport->dp;
    FlowKey key;
    if (OVSDP_UNLIKELY(key_extract_with_metadata(pkt, md, key).is_error()))
        return false;
    auto* stats = static_cast<DpPerCpuStats*>(ovsdp_this_cpu_ptr(dp->stats_percpu));
    // No flow table yet: every packet is a miss, and with no upcall channel
    // yet every miss is lost, as upstream counts a miss it could not queue.
    write_once(stats->n_missed, stats->n_missed + 1);
    write_once(stats->n_lost, stats->n_lost + 1);
    return true;
}

} // namespace ovsdp
