// SPDX-License-Identifier: GPL-2.0
// flow_table_driver <masks> <flows-per-mask> <traffic> <n>: builds the
// benchmark table, warms it with two passes of the traffic, then does n
// lookups in measure_lookups(), which callgrind counts alone
// (--toggle-collect=measure_lookups; see callgrind-flow-table.sh).
// traffic: hit-uncached, hit-cached or miss. Also: stats <node> <n>.
#include "flow_table_bench_setup.h"

using namespace ovsdp;
using namespace ovsdp::bench;

extern "C" OVSDP_NOINLINE void measure_lookups(FlowTable* t, const Packet* pkts, usize n_pkts, u64 n, LookupTotals* out)
{
    lookup_packets(*t, pkts, n_pkts, n, out);
}

extern "C" OVSDP_NOINLINE void measure_stats(Flow* flow, u64 n)
{
    for (u64 i = 0; i < n; i++)
        flow->stats.update(htons(0x10), 64);
}

int main(int argc, char** argv)
{
    if (argc == 4 && std::strcmp(argv[1], "stats") == 0) {
        user::set_topology(2, 2);
        int node = std::atoi(argv[2]);
        user::set_cpu(node);
        user::set_node(node);
        user::set_jiffies(1000); // the kernel reads jiffies with one load
        Flow* flow = flow_alloc().release_value();
        RcuReadGuard rcu;
        flow->stats.update(0, 64); // allocates node 1's instance if needed
        measure_stats(flow, std::strtoull(argv[3], nullptr, 0));
        FlowStatsReading r;
        flow->stats.read(&r);
        std::printf("stats node %d packets %llu\n", node, static_cast<unsigned long long>(r.packets));
        return 0;
    }
    if (argc != 5) {
        std::fprintf(stderr, "usage: %s <masks> <flows-per-mask> hit-uncached|hit-cached|miss <n>\n"
                             "       %s stats <node> <n>\n", argv[0], argv[0]);
        return 2;
    }
    u32 masks = static_cast<u32>(std::atoi(argv[1]));
    u32 fpm = static_cast<u32>(std::atoi(argv[2]));
    Traffic t;
    if (std::strcmp(argv[3], "hit-uncached") == 0)
        t = Traffic::HitUncached;
    else if (std::strcmp(argv[3], "hit-cached") == 0)
        t = Traffic::HitCached;
    else if (std::strcmp(argv[3], "miss") == 0)
        t = Traffic::Miss;
    else
        return 2;
    u64 n = std::strtoull(argv[4], nullptr, 0);
    Workload w(masks, fpm);
    std::vector<Packet> pkts = traffic(w, t);
    user::set_cpu(0);
    LookupTotals warm, totals;
    {
        RcuReadGuard rcu;
        lookup_packets(w.table(), pkts.data(), pkts.size(), pkts.size() * 2, &warm);
        measure_lookups(&w.table(), pkts.data(), pkts.size(), n, &totals);
    }
    std::printf("%u masks, %zu flows, %s: %llu lookups, %.1f%% found, %.2f masks/lookup, %.1f%% cache hits\n",
                masks, w.n_flows(), traffic_name(t), static_cast<unsigned long long>(n),
                100.0 * totals.found / n, static_cast<double>(totals.masks) / n, 100.0 * totals.cache_hits / n);
    return 0;
}
