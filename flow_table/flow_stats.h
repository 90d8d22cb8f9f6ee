// SPDX-License-Identifier: GPL-2.0
// Per-NUMA-node flow statistics (DESIGN §5 seeds 1 and 2).
//
// A flow counts the packets it matched, their bytes, the time it was last
// used (jiffies) and the OR of their TCP flags, in one FlowNodeStats instance
// per NUMA node that has updated it:
//
//  - The node-0 instance is allocated with the flow (process context).
//  - Another node's instance is allocated on that node's first update, on that
//    node, without sleeping and without emergency pools
//    (OVSDP_GFP_NOWAIT | OVSDP_GFP_THISNODE). If that fails the update goes to
//    the node-0 instance, and the node tries again at most once per jiffy.
//  - Readers sum the instances, or read one node's; clearing zeroes them all.
//  - No per-CPU allocator is used for flow stats.
//
// Choice against the per-flow lock bottleneck. Upstream's per-node instances
// (2014) each had a spinlock; CPUs of one node hitting one flow serialised on
// it (lock hand-off + critical section per packet), which capped a hot flow at
// about 4 Mpps and made upstream move to per-CPU instances in 2016. Here an
// instance has no lock: an update is two relaxed atomic adds (bytes, then
// packets with release order so that a reader seeing the packet also sees its
// `used`), a `used` store only when jiffies changed since the last store, and
// an atomic OR only when new TCP flag bits appear. CPUs of one node still
// share the instance's cache line, so a single flow hit by every CPU of a node
// is bounded by cache-line transfers (one per packet, tens of ns), not by a
// lock hold time plus waiters; different flows never share a line (an
// instance is padded to 64 bytes, which the kernel's kmalloc-64 aligns).
// Trade-offs, accepted and documented:
//  - uncontended cost is two locked instructions instead of one lock/unlock
//    pair (measured in tests/bench/flow_table: see flow_table/README.md);
//  - a reader's packets and bytes are not one snapshot (a concurrent update
//    may be counted in bytes and not yet in packets);
//  - `used` is a plain last-writer-wins store: two CPUs updating in the same
//    instant may leave the older of two adjacent jiffies values;
//  - clear() zeroes each field in turn, so an update racing with it may be
//    partly kept.
// The alternative — per-CPU staging in a datapath-wide per-CPU area folded
// into the node instance later — would avoid the shared line but makes reads
// stale and needs every CPU's staging to be flushed before a flow is freed;
// not worth it before a measurement says so.
//
// `used` is wrap-safe: instances are compared with a signed difference
// (time_after), and an instance counts only once it has seen a packet, so a
// flow hit in the first five minutes after boot (jiffies start 5 minutes below
// the 32-bit wrap) or across any wrap reports the right time, and a flow never
// used reports 0.
#pragma once

#include "base/atomic.h"
#include "base/types.h"
#include "platform/platform.h"

namespace ovsdp {

// One node's counters. Updated lock-free from the packet path (softirq) of
// any CPU of that node, or of any node when it is the node-0 fallback.
struct FlowNodeStats {
    u64 packets;
    u64 bytes;
    unsigned long used; // jiffies of the last update; valid once packets != 0
    u32 tcp_flags; // OR of the be16 TCP flags seen, as in FlowKeyTp::flags
    u32 pad0;
    u8 pad[32]; // one cache line per instance (kmalloc-64 is 64-aligned)
};
static_assert(sizeof(FlowNodeStats) == 64);

// A summed or single-node reading.
struct FlowStatsReading {
    u64 packets = 0;
    u64 bytes = 0;
    unsigned long used = 0; // jiffies of the last use, 0 if never used
    be16 tcp_flags = 0;
};

// The per-node instances of one flow. Lives at the end of a Flow, whose
// allocation sizes `node[]` for the node count at creation.
class FlowStats {
public:
    // Process context. Allocates the node-0 instance; false on failure.
    bool init(u32 n_nodes);
    // Frees every instance. No reader or updater may remain (RCU callback or
    // never published).
    void destroy();

    // Packet path: softirq, under rcu_read_lock. `tcp_flags` is the key's
    // FlowKeyTp::flags (be16), `len` the packet length.
    void update(be16 tcp_flags, u32 len);

    // Under rcu_read_lock or the datapath lock.
    void read(FlowStatsReading* out) const;
    // One node's instance; false (and a zero reading) if that node has none.
    bool read_node(int node, FlowStatsReading* out) const;
    // Datapath lock (or RCU): zero every instance.
    void clear();

    u32 n_nodes() const { return n_nodes_; }
    bool has_node(int node) const;

    // Storage needed after the object for `n_nodes` pointers.
    static constexpr usize extra_size(u32 n_nodes) { return n_nodes * sizeof(FlowNodeStats*); }

private:
    FlowNodeStats* alloc_node(int node, be16 tcp_flags, u32 len, unsigned long now);

    unsigned long alloc_fail_jiffies_; // when a node's allocation last failed
    u32 alloc_failed_; // nonzero once an allocation failed (alloc_fail_jiffies_ valid)
    u32 n_nodes_;
    FlowNodeStats* node_[]; // RCU; node_[0] is always set
};

// Wrap-safe jiffies comparison (the kernel's time_after(a, b)).
inline constexpr bool jiffies_after(unsigned long a, unsigned long b) { return static_cast<long>(b - a) < 0; }

} // namespace ovsdp
