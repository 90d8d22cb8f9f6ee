// SPDX-License-Identifier: GPL-2.0
// Per-NUMA-node flow statistics: see flow_stats.h for the design.
#include "flow_table/flow_stats.h"

namespace ovsdp {

namespace flow_stats_detail {

inline void add(FlowNodeStats* s, be16 tcp_flags, u32 len, unsigned long now)
{
    // `used` first: the release on `packets` publishes it to read().
    if (read_once(s->used) != now)
        write_once(s->used, now);
    __atomic_fetch_add(&s->bytes, static_cast<u64>(len), __ATOMIC_RELAXED);
    __atomic_fetch_add(&s->packets, u64(1), __ATOMIC_RELEASE);
    u32 flags = tcp_flags;
    if (flags && (read_once(s->tcp_flags) & flags) != flags)
        __atomic_fetch_or(&s->tcp_flags, flags, __ATOMIC_RELAXED);
}

// Folds one instance into a reading; `any` tracks whether `out->used` holds a
// real time yet (0 is a valid jiffies value, so it cannot be the marker).
inline void fold(const FlowNodeStats* s, FlowStatsReading* out, bool* any)
{
    u64 packets = __atomic_load_n(&s->packets, __ATOMIC_ACQUIRE);
    if (!packets)
        return;
    unsigned long used = read_once(s->used);
    out->packets += packets;
    out->bytes += read_once(s->bytes);
    out->tcp_flags = static_cast<be16>(out->tcp_flags | read_once(s->tcp_flags));
    if (!*any || jiffies_after(used, out->used))
        out->used = used;
    *any = true;
}

} // namespace flow_stats_detail

bool FlowStats::init(u32 n_nodes)
{
    n_nodes_ = n_nodes ? n_nodes : 1;
    alloc_failed_ = 0;
    alloc_fail_jiffies_ = 0;
    for (u32 i = 0; i < n_nodes_; i++)
        node_[i] = nullptr;
    int node0 = ovsdp_node_online(0) ? 0 : -1;
    node_[0] = static_cast<FlowNodeStats*>(
        ovsdp_kmalloc_node(sizeof(FlowNodeStats), OVSDP_GFP_KERNEL | OVSDP_GFP_ZERO, node0));
    return node_[0] != nullptr;
}

void FlowStats::destroy()
{
    for (u32 i = 0; i < n_nodes_; i++) {
        ovsdp_kfree(node_[i]);
        node_[i] = nullptr;
    }
}

bool FlowStats::has_node(int node) const
{
    return node >= 0 && static_cast<u32>(node) < n_nodes_ && rcu_deref(node_[node]) != nullptr;
}

// Allocate `node`'s instance, already counting this update. nullptr when the
// allocation failed (or was skipped this jiffy): the caller falls back.
OVSDP_NOINLINE FlowNodeStats* FlowStats::alloc_node(int node, be16 tcp_flags, u32 len, unsigned long now)
{
    if (read_once(alloc_failed_) && read_once(alloc_fail_jiffies_) == now)
        return nullptr;
    auto* s = static_cast<FlowNodeStats*>(ovsdp_kmalloc_node(
        sizeof(FlowNodeStats), OVSDP_GFP_NOWAIT | OVSDP_GFP_THISNODE | OVSDP_GFP_ZERO, node));
    if (!s) {
        write_once(alloc_fail_jiffies_, now);
        write_once(alloc_failed_, 1u);
        return nullptr;
    }
    s->used = now;
    s->bytes = len;
    s->tcp_flags = tcp_flags;
    s->packets = 1;
    FlowNodeStats* expected = nullptr;
    if (__atomic_compare_exchange_n(&node_[node], &expected, s, false, __ATOMIC_RELEASE, __ATOMIC_ACQUIRE))
        return s;
    // Another CPU of this node won the race: count into its instance.
    ovsdp_kfree(s);
    flow_stats_detail::add(expected, tcp_flags, len, now);
    return expected;
}

void FlowStats::update(be16 tcp_flags, u32 len)
{
    unsigned long now = ovsdp_jiffies();
    int node = ovsdp_numa_node_id();
    FlowNodeStats* s;
    if (OVSDP_LIKELY(node == 0) || OVSDP_UNLIKELY(node < 0 || static_cast<u32>(node) >= n_nodes_)) {
        s = node_[0];
    } else {
        s = rcu_deref(node_[node]);
        if (OVSDP_UNLIKELY(!s)) {
            if (alloc_node(node, tcp_flags, len, now))
                return; // counted in the new (or concurrently created) instance
            s = node_[0];
        }
    }
    flow_stats_detail::add(s, tcp_flags, len, now);
}

void FlowStats::read(FlowStatsReading* out) const
{
    *out = {};
    bool any = false;
    for (u32 i = 0; i < n_nodes_; i++)
        if (const FlowNodeStats* s = rcu_deref(node_[i]))
            flow_stats_detail::fold(s, out, &any);
}

bool FlowStats::read_node(int node, FlowStatsReading* out) const
{
    *out = {};
    if (node < 0 || static_cast<u32>(node) >= n_nodes_)
        return false;
    const FlowNodeStats* s = rcu_deref(node_[node]);
    if (!s)
        return false;
    bool any = false;
    flow_stats_detail::fold(s, out, &any);
    return true;
}

void FlowStats::clear()
{
    for (u32 i = 0; i < n_nodes_; i++) {
        FlowNodeStats* s = rcu_deref(node_[i]);
        if (!s)
            continue;
        // packets first: a reader seeing 0 ignores the rest.
        __atomic_store_n(&s->packets, u64(0), __ATOMIC_RELEASE);
        write_once(s->bytes, u64(0));
        write_once(s->used, 0ul);
        write_once(s->tcp_flags, 0u);
    }
}

} // namespace ovsdp
