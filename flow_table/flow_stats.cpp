// SPDX-License-Identifier: GPL-2.0
// Per-NUMA-node flow statistics with per-CPU combining: see flow_stats.h.
#include "flow_table/flow_stats.h"

namespace ovsdp {

namespace flow_stats_detail {

// Move `used` forward only (wrap-safe): folds of different CPUs may arrive
// out of jiffy order.
inline void advance_used(FlowNodeStats* s, unsigned long now, bool first)
{
    unsigned long cur = read_once(s->used);
    while (cur != now && (first || jiffies_after(now, cur))) {
        if (__atomic_compare_exchange_n(&s->used, &cur, now, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            return;
        first = false;
    }
}

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

inline void add_n(FlowNodeStats* s, be16 tcp_flags, u64 packets, u64 bytes, unsigned long now)
{
    advance_used(s, now, __atomic_load_n(&s->packets, __ATOMIC_RELAXED) == 0);
    __atomic_fetch_add(&s->bytes, bytes, __ATOMIC_RELAXED);
    __atomic_fetch_add(&s->packets, packets, __ATOMIC_RELEASE);
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

// Allocate `node`'s instance, already counting these packets. nullptr when
// the allocation failed (or was skipped this jiffy): the caller falls back.
OVSDP_NOINLINE FlowNodeStats* FlowStats::alloc_node(int node, be16 tcp_flags, u64 packets, u64 bytes,
                                                    unsigned long now)
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
    s->bytes = bytes;
    s->tcp_flags = tcp_flags;
    s->packets = packets;
    FlowNodeStats* expected = nullptr;
    if (__atomic_compare_exchange_n(&node_[node], &expected, s, false, __ATOMIC_RELEASE, __ATOMIC_ACQUIRE))
        return s;
    // Another CPU of this node won the race: count into its instance.
    ovsdp_kfree(s);
    flow_stats_detail::add_n(expected, tcp_flags, packets, bytes, now);
    return expected;
}

// The instance that counts for `node`; *counted when allocating it already
// counted the packets.
OVSDP_ALWAYS_INLINE FlowNodeStats* FlowStats::instance_for(int node, be16 tcp_flags, u64 packets, u64 bytes,
                                                          unsigned long now, bool* counted)
{
    *counted = false;
    if (OVSDP_LIKELY(node == 0) || OVSDP_UNLIKELY(node < 0 || static_cast<u32>(node) >= n_nodes_))
        return node_[0];
    FlowNodeStats* s = rcu_deref(node_[node]);
    if (OVSDP_LIKELY(s))
        return s;
    if (alloc_node(node, tcp_flags, packets, bytes, now)) {
        *counted = true;
        return nullptr;
    }
    return node_[0];
}

void FlowStats::update_direct(be16 tcp_flags, u32 len)
{
    unsigned long now = ovsdp_jiffies();
    bool counted;
    FlowNodeStats* s = instance_for(ovsdp_numa_node_id(), tcp_flags, 1, len, now, &counted);
    if (!counted)
        flow_stats_detail::add(s, tcp_flags, len, now);
}

void FlowStats::add(int node, be16 tcp_flags, u64 packets, u64 bytes, unsigned long used)
{
    bool counted;
    FlowNodeStats* s = instance_for(node, tcp_flags, packets, bytes, used, &counted);
    if (!counted)
        flow_stats_detail::add_n(s, tcp_flags, packets, bytes, used);
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

// ---- Per-CPU combining ----------------------------------------------------------------

namespace {

struct StatsCache {
    StatsCpu* cpus; // per-CPU area
    ovsdp_cpu_timers* timers;
    ovsdp_work* reap;
    ovsdp_spinlock zombie_lock;
    ovsdp_rcu_head* zombies; // singly linked through ->next, under zombie_lock
    unsigned long flush_jiffies;
};

constinit StatsCache* g_cache = nullptr;

void fold_slot(StatsCpu* c, StatsSlot* s)
{
    s->stats->add(c->node, static_cast<be16>(s->tcp_flags), s->packets, s->bytes, c->stamp);
    s->stats = nullptr;
    s->packets = 0;
    s->bytes = 0;
    s->tcp_flags = 0;
    // Release: a reaper that reads the count it leaves (cpu_busy) sees the
    // fold done; if that is 0 it frees flows this slot may have named.
    __atomic_store_n(&c->n_used, c->n_used - 1, __ATOMIC_RELEASE);
    c->folds++;
}

// On the CPU owning `c` (BH disabled) or for an offline CPU.
void fold_cpu(StatsCpu* c)
{
    for (u32 i = 0; i < kStatsSlots && c->n_used; i++)
        if (c->slot[i].stats)
            fold_slot(c, &c->slot[i]);
}

OVSDP_NOINLINE void new_jiffy(StatsCpu* c, unsigned long now)
{
    fold_cpu(c);
    c->stamp = now;
}

OVSDP_NOINLINE void first_slot(StatsCache* cache, StatsCpu* c)
{
    if (!c->timer_armed) {
        c->timer_armed = 1;
        ovsdp_cpu_timer_arm(cache->timers, cache->flush_jiffies);
    }
}

void timer_fn(int cpu, void* arg)
{
    auto* cache = static_cast<StatsCache*>(arg);
    StatsCpu* c = static_cast<StatsCpu*>(ovsdp_per_cpu_ptr(cache->cpus, cpu));
    c->timer_armed = 0;
    fold_cpu(c);
}

int cpu_busy(int cpu, void* arg)
{
    auto* cache = static_cast<StatsCache*>(arg);
    // Acquire: pairs with fold_slot's release. A CPU read as idle here has
    // folded every slot it had; after a grace period none can name a flow
    // queued for the reaper, and none can be added for it.
    return __atomic_load_n(&static_cast<StatsCpu*>(ovsdp_per_cpu_ptr(cache->cpus, cpu))->n_used, __ATOMIC_ACQUIRE) != 0;
}

bool any_cpu_busy(StatsCache* cache)
{
    for (int cpu = 0; cpu < ovsdp_nr_cpu_ids(); cpu++)
        if (cpu_busy(cpu, cache))
            return true;
    return false;
}

void flush_cpu(int cpu, void* arg)
{
    auto* cache = static_cast<StatsCache*>(arg);
    fold_cpu(static_cast<StatsCpu*>(ovsdp_per_cpu_ptr(cache->cpus, cpu)));
}

void flush_all(StatsCache* cache) { ovsdp_on_each_cpu_bh(cpu_busy, flush_cpu, cache); }

// The reaper: objects whose grace period ended wait here for one flush of
// every busy CPU (after the grace period no CPU can add a slot for them, and
// the flush removes the slots that remain), then are freed.
void reap_fn(void* arg)
{
    auto* cache = static_cast<StatsCache*>(arg);
    ovsdp_spin_lock_bh(&cache->zombie_lock);
    ovsdp_rcu_head* list = cache->zombies;
    cache->zombies = nullptr;
    ovsdp_spin_unlock_bh(&cache->zombie_lock);
    if (!list)
        return;
    flush_all(cache);
    while (list) {
        ovsdp_rcu_head* next = static_cast<ovsdp_rcu_head*>(list->next);
        list->func(list);
        list = next;
    }
}

} // namespace

namespace flow_stats_detail {

constinit StatsCpu* g_stats_cpus = nullptr;

void fold_full_slot(StatsCpu* c, StatsSlot* s) { fold_slot(c, s); }

} // namespace flow_stats_detail

void FlowStats::update_slot(StatsCpu* c, StatsSlot* s, unsigned long now, be16 tcp_flags, u32 len)
{
    if (c->stamp != now)
        new_jiffy(c, now);
    if (s->stats != this) {
        if (s->stats)
            fold_slot(c, s);
        else if (!c->n_used)
            first_slot(g_cache, c);
        s->stats = this;
        write_once(c->n_used, c->n_used + 1);
    }
    s->bytes += len;
    s->tcp_flags |= tcp_flags;
    if (++s->packets >= kStatsFoldPackets)
        fold_slot(c, s);
}

Status flow_stats_cache_init()
{
    if (g_cache)
        return {};
    auto* cache = static_cast<StatsCache*>(ovsdp_kmalloc(sizeof(StatsCache), OVSDP_GFP_KERNEL | OVSDP_GFP_ZERO));
    if (!cache)
        return make_error(err::NOMEM, nullptr);
    ovsdp_spin_lock_init(&cache->zombie_lock);
    unsigned long j = ovsdp_msecs_to_jiffies(kStatsFlushMs);
    cache->flush_jiffies = j ? j : 1;
    cache->cpus = static_cast<StatsCpu*>(ovsdp_alloc_percpu(sizeof(StatsCpu), alignof(StatsCpu)));
    cache->timers = ovsdp_cpu_timers_create(timer_fn, cache);
    cache->reap = ovsdp_work_create(reap_fn, cache);
    if (!cache->cpus || !cache->timers || !cache->reap) {
        ovsdp_work_destroy(cache->reap);
        ovsdp_cpu_timers_destroy(cache->timers);
        ovsdp_free_percpu(cache->cpus);
        ovsdp_kfree(cache);
        return make_error(err::NOMEM, nullptr);
    }
    unsigned long now = ovsdp_jiffies();
    for (int cpu = 0; cpu < ovsdp_nr_cpu_ids(); cpu++) {
        auto* c = static_cast<StatsCpu*>(ovsdp_per_cpu_ptr(cache->cpus, cpu));
        c->node = ovsdp_cpu_to_node(cpu);
        c->stamp = now;
    }
    g_cache = cache;
    rcu_assign(flow_stats_detail::g_stats_cpus, cache->cpus);
    return {};
}

void flow_stats_cache_exit()
{
    StatsCache* cache = g_cache;
    if (!cache)
        return;
    ovsdp_rcu_barrier(); // every flow_free_rcu() callback queued its flow
    ovsdp_work_destroy(cache->reap); // runs a pending reap: flushes, frees them
    reap_fn(cache); // in case the last callback came after the work started
    flush_all(cache); // nothing should remain; counts nowhere else to go
    ovsdp_cpu_timers_destroy(cache->timers);
    write_once(flow_stats_detail::g_stats_cpus, static_cast<StatsCpu*>(nullptr));
    write_once(g_cache, static_cast<StatsCache*>(nullptr));
    ovsdp_free_percpu(cache->cpus);
    ovsdp_kfree(cache);
}

bool flow_stats_cache_enabled() { return read_once(g_cache) != nullptr; }

void flow_stats_flush_all()
{
    if (StatsCache* cache = read_once(g_cache))
        flush_all(cache);
}

void flow_stats_free_after_flush(ovsdp_rcu_head* head)
{
    StatsCache* cache = read_once(g_cache);
    if (!cache || !any_cpu_busy(cache)) {
        // No CPU holds a slot (each read as idle has folded every slot it had,
        // cpu_busy), and after the grace period none can add one for this
        // object: free it now, without the reaper's round trip.
        head->func(head);
        return;
    }
    ovsdp_spin_lock_bh(&cache->zombie_lock);
    head->next = cache->zombies;
    cache->zombies = head;
    ovsdp_spin_unlock_bh(&cache->zombie_lock);
    ovsdp_work_schedule(cache->reap);
}

StatsCpu* flow_stats_cpu(int cpu)
{
    StatsCache* cache = read_once(g_cache);
    return cache ? static_cast<StatsCpu*>(ovsdp_per_cpu_ptr(cache->cpus, cpu)) : nullptr;
}

unsigned long flow_stats_flush_jiffies()
{
    StatsCache* cache = read_once(g_cache);
    return cache ? cache->flush_jiffies : 0;
}

} // namespace ovsdp
