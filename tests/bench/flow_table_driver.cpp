// SPDX-License-Identifier: GPL-2.0
// flow_table_driver [--upstream] <masks> <flows-per-mask> <traffic> <n>:
// builds the benchmark table, warms it with two passes of the traffic, then
// does n lookups in measure_lookups(), which callgrind counts alone
// (--toggle-collect=measure_lookups; see callgrind-flow-table.sh).
// traffic: hit-uncached, hit-cached or miss. --upstream: prefilter off.
// Also: [--upstream] w <masks> <n> (the W(M) workload), stats <node> <n>,
// churn <masks> <flows> (insert/remove cost, see measure_insert/remove).
#include "flow_table_bench_setup.h"

#include <ctime>

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

namespace {

void report(const char* what, u32 masks, usize flows, u64 n, const LookupTotals& totals, bool upstream)
{
    std::printf("%s%u masks, %zu flows, %s: %llu lookups, %.1f%% found, %.2f masks/lookup, %.1f%% cache hits\n",
                upstream ? "upstream: " : "", masks, flows, what, static_cast<unsigned long long>(n),
                100.0 * totals.found / n, static_cast<double>(totals.masks) / n, 100.0 * totals.cache_hits / n);
}

template <typename W>
void run(W& w, const std::vector<Packet>& pkts, u64 n, LookupTotals* totals, bool upstream)
{
    if (upstream) {
        OvsLock ovsl;
        w.table().set_prefilter_locked(false);
    }
    user::set_cpu(0);
    LookupTotals warm;
    RcuReadGuard rcu;
    lookup_packets(w.table(), pkts.data(), pkts.size(), pkts.size() * 2, &warm);
    measure_lookups(&w.table(), pkts.data(), pkts.size(), n, totals);
}

} // namespace

extern "C" OVSDP_NOINLINE void measure_insert(FlowTable* t, Flow** flows, const FlowKey* masks, const FlowKeyRange* ranges, u32 n)
{
    OvsLock ovsl;
    for (u32 i = 0; i < n; i++)
        if (t->insert_locked(flows[i], masks[i], ranges[i]).is_error())
            std::exit(1);
}

extern "C" OVSDP_NOINLINE void measure_remove(FlowTable* t, Flow** flows, u32 n)
{
    OvsLock ovsl;
    for (u32 i = 0; i < n; i++)
        t->remove_locked(flows[i]);
}

int main(int argc, char** argv)
{
    bool upstream = argc > 1 && std::strcmp(argv[1], "--upstream") == 0;
    if (upstream) {
        argc--;
        argv++;
    }
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
    if (argc == 4 && std::strcmp(argv[1], "w") == 0) {
        u32 masks = static_cast<u32>(std::atoi(argv[2]));
        u64 n = std::strtoull(argv[3], nullptr, 0);
        WWorkload w(masks);
        LookupTotals totals;
        run(w, w.packets(kWPackets), n, &totals, upstream);
        const MaskPrefilter* pf = w.table().prefilter();
        report("W", masks, w.n_flows(), n, totals, upstream);
        std::printf("prefilter: %u bits\n", pf ? pf->n_bits : 0);
        return totals.found == n ? 0 : 1;
    }
    if ((argc == 4 || argc == 5) && std::strcmp(argv[1], "churn") == 0) {
        // Insert then remove `flows` flows spread evenly over `masks`
        // ClassBench-like masks; measure_insert/measure_remove count one pass
        // each. Default: the masks stay installed (with the benchmark's 16
        // flows each, on other ports). "fresh": the table starts empty, so the inserts create every
        // mask (and the prefilter's bits get chosen at 4, 8, 16... masks) and
        // the removals delete them all again.
        u32 masks = static_cast<u32>(std::atoi(argv[2]));
        u32 n = static_cast<u32>(std::atoi(argv[3]));
        bool fresh = argc == 5 && std::strcmp(argv[4], "fresh") == 0;
        Workload w(masks, 16); // the lookup benchmark's masks
        std::vector<FlowKey> mk(masks);
        std::vector<FlowKeyRange> mr(masks);
        for (u32 i = 0; i < masks; i++) {
            const FlowMask* m = w.table().mask_at(i);
            mk[i] = m->key;
            mr[i] = m->range;
        }
        {
            OvsLock ovsl;
            if (fresh && w.table().flush_locked().is_error())
                return 1;
            if (upstream)
                w.table().set_prefilter_locked(false);
        }
        std::mt19937 rng(5);
        std::vector<Flow*> flows(n);
        std::vector<FlowKey> fm(n);
        std::vector<FlowKeyRange> fr(n);
        for (u32 i = 0; i < n; i++) {
            FlowKey k;
            random_packet(rng, &k);
            k.in_port = 100; // none of the Workload's flows
            // (Flows may repeat a masked key where a mask covers little: the
            // table takes them; the caller would reject such duplicates.)
            u32 m = i % masks;
            fm[i] = mk[m];
            fr[i] = mr[m];
            flows[i] = flow_alloc().release_value();
            flow_mask_key(&flows[i]->key, k, fm[i], fr[i], true);
            if (flow_set_unmasked_key(flows[i], k).is_error())
                return 1;
        }
        measure_insert(&w.table(), flows.data(), fm.data(), fr.data(), n);
        u32 in_table = w.table().n_flows(), n_masks = w.table().n_masks();
        // What the periodic rebalance costs when it re-chooses the bits (the
        // datapath lock is held meanwhile): CPU time of a full rebuild.
        std::clock_t c0 = std::clock();
        {
            OvsLock ovsl;
            w.table().prefilter_rebuild_locked();
        }
        double rebuild_ms = 1000.0 * static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
        const MaskPrefilter* pf = w.table().prefilter();
        u32 bits = pf ? pf->n_bits : 0;
        measure_remove(&w.table(), flows.data(), n);
        for (Flow* f : flows)
            flow_free_rcu(f);
        std::printf("%schurn: %u flows over %u masks inserted (table: %u flows, %u masks, prefilter %u bits, "
                    "rebuild %.1f ms), removed\n", upstream ? "upstream: " : "", n, masks, in_table, n_masks, bits, rebuild_ms);
        return 0;
    }
    if (argc != 5) {
        std::fprintf(stderr, "usage: %s [--upstream] <masks> <flows-per-mask> hit-uncached|hit-cached|miss <n>\n"
                             "       %s [--upstream] w <masks> <n>\n"
                             "       %s [--upstream] churn <masks> <flows> [fresh]\n"
                             "       %s stats <node> <n>\n", argv[0], argv[0], argv[0], argv[0]);
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
    LookupTotals totals;
    run(w, traffic(w, t), n, &totals, upstream);
    report(traffic_name(t), masks, w.n_flows(), n, totals, upstream);
    return 0;
}
