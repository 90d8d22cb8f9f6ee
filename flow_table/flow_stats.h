// SPDX-License-Identifier: GPL-2.0
// Per-NUMA-node flow statistics (DESIGN §5 seeds 1 and 2), with per-CPU
// combining of updates.
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
//  - No per-CPU allocator is used for flow stats: nothing per flow is per CPU.
//
// Instance updates are lock-free: two relaxed atomic adds (bytes, then packets
// with release order so that a reader seeing the packet also sees its `used`),
// a `used` store only when it changes (a fold moves it forward only, with a
// compare-and-swap: folds of different CPUs may arrive out of jiffy order),
// an atomic OR only when new TCP
// flag bits appear. Different flows never share a line (an instance is padded
// to 64 bytes, which the kernel's kmalloc-64 aligns).
//
// Per-CPU combining (flow_stats_cache_init(); the module enables it at load,
// userspace tests and benchmarks opt in). Measured (docs/BENCHMARKS.md), a
// lock-free node instance still moves its cache line between the CPUs of a
// node on every packet, so a flow hit by 16 CPUs gets a fraction of per-CPU
// throughput. So updates are first added to a slot of a small direct-mapped
// table of the updating CPU, one table per CPU for the whole module (not per
// flow: its size does not depend on the number of flows). A slot is keyed by
// the FlowStats it counts for and holds packets, bytes and flags counted in
// one jiffy (the CPU's `stamp`); it is folded into the flow's instance of the
// CPU's node (same lazy allocation rules, `used` = the stamp) when:
//  - another flow needs the slot (eviction);
//  - the CPU counts a packet in a later jiffy (every slot of the CPU is folded
//    first, so a slot never holds two jiffies' packets);
//  - it holds kStatsFoldPackets packets (only matters with a stopped clock);
//  - the CPU's flush timer fires: armed when the CPU's table goes from empty to
//    non-empty, kStatsFlushMs later (rounded up to jiffies), so an idle CPU's
//    counts arrive too;
//  - a reader asks for it: flow_stats_flush_all() folds every CPU's slots (on
//    each CPU, BH disabled, through ovsdp_on_each_cpu_bh) and waits.
// What a reader sees: FlowStats::read() alone is exact up to the bound: it
// misses at most the packets counted in the last kStatsFlushMs (in jiffies,
// rounded up) + 1 jiffies, plus the timer softirq's latency. The datapath's GET, SET, DEL and
// each dump message call flow_stats_flush_all() first, so their replies count
// every update that completed before the request; CLEAR flushes first too, so
// counts from before the clear do not reappear after it. A packet still in
// flight on another CPU while a flow is deleted may be counted after the DEL
// reply and then lost, as upstream.
// Serialisation: a CPU's table is only touched by that CPU's packet path
// (softirq, BH disabled), its pinned timer (softirq) and per-CPU calls run on
// it with BH disabled; these never interleave on one CPU.
// Lifetime: a slot points to a flow's FlowStats, so a flow must outlive every
// slot naming it. With combining on, flow_free_rcu() waits for a grace period
// (after which no CPU can start counting for the flow); then, if no CPU holds
// any slot, the flow is freed at once, else it goes to a work item that folds
// every CPU's non-empty table (flow_stats_flush_all()) before freeing the batch
// (flow_stats_free_after_flush()).
// Costs (docs/BENCHMARKS.md): an update is plain stores to the CPU's own
// lines; folds touch the shared instance once per slot per jiffy; memory is
// kStatsSlots * 24 bytes + a header per CPU in all, nothing extra per flow.
// The trade-offs kept from before: a reader's packets and bytes are not one
// snapshot; clear() zeroes each field in turn (an update racing with it may be
// partly kept).
//
// `used` is wrap-safe: instances are compared with a signed difference
// (time_after), and an instance counts only once it has seen a packet, so a
// flow hit in the first five minutes after boot (jiffies start 5 minutes below
// the 32-bit wrap) or across any wrap reports the right time, and a flow never
// used reports 0.
#pragma once

#include "base/atomic.h"
#include "base/result.h"
#include "base/types.h"
#include "platform/platform.h"

namespace ovsdp {

class FlowStats;

// ---- Per-CPU combining (see the top of this file) --------------------------------

inline constexpr u32 kStatsSlots = 8; // per CPU, direct-mapped
inline constexpr u32 kStatsFoldPackets = 1u << 20;
inline constexpr unsigned kStatsFlushMs = 10; // idle CPUs' timer, rounded up to jiffies

struct StatsSlot {
    FlowStats* stats; // nullptr when empty
    u32 packets;
    u32 tcp_flags;
    u64 bytes;
};

// One CPU's combining table.
struct alignas(64) StatsCpu {
    unsigned long stamp; // jiffy in which the slots' packets were counted
    u32 n_used; // non-empty slots (other CPUs read it with acquire; see fold_slot)
    u32 timer_armed;
    int node; // cpu_to_node() of this CPU
    u32 pad;
    u64 folds; // slots folded, for tests and benchmarks
    StatsSlot slot[kStatsSlots];
};

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

    // Packet path: softirq (BH disabled), under rcu_read_lock. `tcp_flags` is
    // the key's FlowKeyTp::flags (be16), `len` the packet length. Counts in
    // this CPU's combining table when combining is on, else in the instance.
    void update(be16 tcp_flags, u32 len);
    // The same without combining (the node instance directly).
    void update_direct(be16 tcp_flags, u32 len);
    // Add counts gathered on a CPU of `node` in jiffy `used`.
    void add(int node, be16 tcp_flags, u64 packets, u64 bytes, unsigned long used);

    // Under rcu_read_lock or the datapath lock.
    void read(FlowStatsReading* out) const;
    // One node's instance; false (and a zero reading) if that node has none.
    bool read_node(int node, FlowStatsReading* out) const;
    // Datapath lock (or RCU): zero every instance.
    void clear();

    u32 n_nodes() const { return n_nodes_; }
    // The slow path of update(): a new jiffy, an empty or taken slot.
    void update_slot(StatsCpu* c, StatsSlot* s, unsigned long now, be16 tcp_flags, u32 len);
    bool has_node(int node) const;

    // Storage needed after the object for `n_nodes` pointers.
    static constexpr usize extra_size(u32 n_nodes) { return n_nodes * sizeof(FlowNodeStats*); }

private:
    FlowNodeStats* alloc_node(int node, be16 tcp_flags, u64 packets, u64 bytes, unsigned long now);
    FlowNodeStats* instance_for(int node, be16 tcp_flags, u64 packets, u64 bytes, unsigned long now, bool* counted);

    unsigned long alloc_fail_jiffies_; // when a node's allocation last failed
    u32 alloc_failed_; // nonzero once an allocation failed (alloc_fail_jiffies_ valid)
    u32 n_nodes_;
    FlowNodeStats* node_[]; // RCU; node_[0] is always set
};

// Process context. Turns combining on for every FlowStats::update() from now
// on (the caller must not be counting yet). NOMEM on failure (left off).
Status flow_stats_cache_init();
// Process context, after every flow was handed to flow_free_rcu() and nothing
// counts any more: frees the pending flows (waiting for a grace period), the
// timers and the tables; combining is off afterwards.
void flow_stats_cache_exit();
bool flow_stats_cache_enabled();
// Process context, may sleep, BH enabled: fold every CPU's slots into the
// flows' instances, each on its CPU with BH disabled, and wait. Nothing to do
// (returns at once) when combining is off.
void flow_stats_flush_all();
// Called after a grace period (an RCU callback) for an object holding a
// FlowStats that no CPU can start counting for any more: head->func(head)
// is called at once (in the callback's context) when no CPU holds a slot or
// combining is off, else from process context once every CPU's slots were
// folded. So func must be fit for both (as any RCU callback that frees).
void flow_stats_free_after_flush(ovsdp_rcu_head* head);
// Tests and benchmarks: one CPU's table (nullptr when off).
StatsCpu* flow_stats_cpu(int cpu);
// The timer delay in jiffies.
unsigned long flow_stats_flush_jiffies();

// Wrap-safe jiffies comparison (the kernel's time_after(a, b)).
inline constexpr bool jiffies_after(unsigned long a, unsigned long b) { return static_cast<long>(b - a) < 0; }

namespace flow_stats_detail {
// The per-CPU tables while combining is on, else nullptr.
extern StatsCpu* g_stats_cpus;
void fold_full_slot(StatsCpu* c, StatsSlot* s);

OVSDP_ALWAYS_INLINE u32 slot_index(const FlowStats* st)
{
    u64 h = static_cast<u64>(reinterpret_cast<usize>(st)) * 0x9e3779b97f4a7c15ull;
    return static_cast<u32>(h >> 61); // kStatsSlots == 8
}
static_assert(kStatsSlots == 8);
} // namespace flow_stats_detail

// The fast path: one slot of this CPU's table, plain stores.
OVSDP_ALWAYS_INLINE void FlowStats::update(be16 tcp_flags, u32 len)
{
    StatsCpu* cpus = read_once(flow_stats_detail::g_stats_cpus);
    if (OVSDP_UNLIKELY(!cpus)) {
        update_direct(tcp_flags, len);
        return;
    }
    unsigned long now = ovsdp_jiffies();
    auto* c = static_cast<StatsCpu*>(ovsdp_this_cpu_ptr(cpus));
    StatsSlot* s = &c->slot[flow_stats_detail::slot_index(this)];
    if (OVSDP_UNLIKELY(c->stamp != now || s->stats != this)) {
        update_slot(c, s, now, tcp_flags, len);
        return;
    }
    s->bytes += len;
    s->tcp_flags |= tcp_flags;
    if (OVSDP_UNLIKELY(++s->packets >= kStatsFoldPackets))
        flow_stats_detail::fold_full_slot(c, s);
}

} // namespace ovsdp
