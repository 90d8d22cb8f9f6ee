// SPDX-License-Identifier: GPL-2.0
// The core lookup benchmark (DESIGN §6) and the per-packet cost of the flow
// statistics update. Instructions per lookup come from callgrind through
// flow_table_driver (callgrind-flow-table.sh); see flow_table/README.md.
//
//   BM_Lookup/<masks>/<flows per mask>/<traffic>/<upstream>   traffic: 0
//        hit-uncached, 1 hit-cached, 2 miss; upstream 1: prefilter off
//   BM_LookupW/<masks>/<upstream>                   W(M), new 5-tuples
//   BM_StatsUpdate*                                 one packet counted
#include "flow_table_bench_setup.h"

#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <memory>

using namespace ovsdp;
using namespace ovsdp::bench;

namespace {

// Tables are built once per (masks, flows per mask) and kept for all runs.
Workload& workload(u32 masks, u32 fpm)
{
    static std::map<std::pair<u32, u32>, std::unique_ptr<Workload>> cache;
    auto& w = cache[{ masks, fpm }];
    if (!w)
        w = std::make_unique<Workload>(masks, fpm);
    return *w;
}

WWorkload& w_workload(u32 masks)
{
    static std::map<u32, std::unique_ptr<WWorkload>> cache;
    auto& w = cache[masks];
    if (!w)
        w = std::make_unique<WWorkload>(masks);
    return *w;
}

// The A/B switch: prefilter on (ours) or off (upstream's ranked linear walk).
void set_mode(FlowTable& t, bool upstream)
{
    OvsLock ovsl;
    if (t.prefilter_enabled() == upstream)
        t.set_prefilter_locked(!upstream);
}

void run_lookups(benchmark::State& state, FlowTable& t, const std::vector<Packet>& pkts, usize n_flows)
{
    user::set_cpu(0);
    RcuReadGuard rcu;
    LookupTotals warm;
    lookup_packets(t, pkts.data(), pkts.size(), pkts.size() * 2, &warm);
    LookupTotals totals;
    constexpr u64 kBatch = 64;
    for (auto _ : state)
        lookup_packets(t, pkts.data(), pkts.size(), kBatch, &totals);
    u64 n = state.iterations() * kBatch;
    state.SetItemsProcessed(static_cast<int64_t>(n));
    state.counters["ns/lookup"] = benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
    state.counters["masks/lookup"] = static_cast<double>(totals.masks) / n;
    state.counters["cache_hit%"] = 100.0 * totals.cache_hits / n;
    state.counters["found%"] = 100.0 * totals.found / n;
    state.counters["flows"] = static_cast<double>(n_flows);
}

void BM_Lookup(benchmark::State& state)
{
    u32 masks = static_cast<u32>(state.range(0));
    u32 fpm = static_cast<u32>(state.range(1));
    auto t = static_cast<Traffic>(state.range(2));
    bool upstream = state.range(3) != 0;
    Workload& w = workload(masks, fpm);
    set_mode(w.table(), upstream);
    run_lookups(state, w.table(), traffic(w, t), w.n_flows());
    state.SetLabel(std::string(traffic_name(t)) + (upstream ? " upstream" : " ours"));
}

void lookup_args(benchmark::internal::Benchmark* b)
{
    for (int up : { 0, 1 }) {
        for (int m : { 1, 8, 32, 128, 512 })
            for (int t : { 0, 1, 2 })
                b->Args({ m, 16, t, up });
        // Sensitivity to the flow count (4x and 64x masks) at 128 masks.
        for (int fpm : { 4, 64 })
            for (int t : { 0, 1, 2 })
                b->Args({ 128, fpm, t, up });
    }
}
BENCHMARK(BM_Lookup)->Apply(lookup_args)->Unit(benchmark::kNanosecond);

// W(M): every packet a new 5-tuple (see WWorkload).
void BM_LookupW(benchmark::State& state)
{
    u32 masks = static_cast<u32>(state.range(0));
    bool upstream = state.range(1) != 0;
    WWorkload& w = w_workload(masks);
    set_mode(w.table(), upstream);
    run_lookups(state, w.table(), w.packets(kWPackets), w.n_flows());
    state.SetLabel(upstream ? "W upstream" : "W ours");
}
BENCHMARK(BM_LookupW)->ArgsProduct({ { 1, 8, 32, 128, 512 }, { 0, 1 } })->Unit(benchmark::kNanosecond);

// ---- Statistics update ------------------------------------------------------------

Flow* stats_flow()
{
    static Flow* flow = flow_alloc().release_value();
    return flow;
}

// One packet counted from node 0 (the preallocated instance) or node 1 (its
// lazily allocated instance), by 1 or 2 threads on the same node.
void BM_StatsUpdate(benchmark::State& state)
{
    int node = static_cast<int>(state.range(0));
    user::set_topology(4, 2);
    user::set_cpu(node + 2 * state.thread_index()); // cpu % 2 == node
    user::set_node(node);
    Flow* flow = stats_flow();
    // The kernel reads jiffies with one load; do not time clock_gettime().
    user::set_jiffies(1000);
    RcuReadGuard rcu;
    be16 flags = htons(0x10);
    for (auto _ : state)
        flow->stats.update(flags, 64);
    state.SetItemsProcessed(state.iterations());
    user::set_node(-1);
    user::unfreeze_jiffies();
}
BENCHMARK(BM_StatsUpdate)->Arg(0)->Arg(1)->Threads(1)->Threads(2)->UseRealTime();

// For comparison: upstream's 2014 design, one spinlock per node instance.
struct LockedStats {
    SpinLock lock;
    u64 packets = 0;
    u64 bytes = 0;
    unsigned long used = 0;
    u16 tcp_flags = 0;
};

void BM_StatsUpdateSpinlockReplica(benchmark::State& state)
{
    static LockedStats s;
    user::set_cpu(2 * state.thread_index());
    user::set_jiffies(1000);
    be16 flags = htons(0x10);
    for (auto _ : state) {
        unsigned long now = ovsdp_jiffies();
        s.lock.lock();
        s.used = now;
        s.packets++;
        s.bytes += 64;
        s.tcp_flags |= flags;
        s.lock.unlock();
    }
    benchmark::DoNotOptimize(s.packets);
    state.SetItemsProcessed(state.iterations());
    user::unfreeze_jiffies();
}
BENCHMARK(BM_StatsUpdateSpinlockReplica)->Threads(1)->Threads(2)->UseRealTime();

} // namespace

BENCHMARK_MAIN();
