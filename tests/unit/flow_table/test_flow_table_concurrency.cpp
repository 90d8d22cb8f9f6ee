// SPDX-License-Identifier: GPL-2.0
// Lockless readers against a writer: readers look up stable flows (and count
// them in per-node stats) while the writer inserts and removes other flows,
// grows the key and UFID tables, rehashes, re-ranks masks, resizes the mask
// cache, rebuilds and switches the mask prefilter. A stable flow must never
// be missed, nor another flow returned.
#include "ft_test_util.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <unordered_map>

using namespace ovsdp;
using namespace ovsdp::test;

namespace {

struct Stable {
    FlowKey pkt;
    Flow* flow;
    FlowUfid ufid;
};

} // namespace

TEST(FlowTableConcurrency, ReadersNeverMissStableFlows)
{
    user::set_topology(4, 2);
    user::set_cpu(3);
    std::mt19937 rng(99);
    KeyDomain dom(rng, 6);
    TableFixture fx;
    FlowTable& t = fx.table;

    // Stable flows: in_port 1 (every generated mask matches in_port exactly).
    std::vector<TestMask> stable_masks;
    for (int i = 0; i < 12; i++)
        stable_masks.push_back(random_mask(rng, i % 4 == 0));
    Model model;
    std::vector<Stable> stable;
    u32 next_ufid = 1;
    while (stable.size() < 200) {
        usize mi = rng() % stable_masks.size();
        const TestMask& m = stable_masks[mi];
        FlowKey k;
        dom.random_key(rng, &k, m.key.tun_key.ip_family != 0);
        k.in_port = 1;
        ModelFlow mf {};
        flow_mask_key(&mf.masked, k, m.key, m.range, true);
        mf.mask = m.key;
        // Keep only flows that no other stable flow overlaps on this packet
        // and that do not capture an earlier stable packet.
        if (!model.lookup(k).empty())
            continue;
        bool captures = false;
        for (const Stable& s : stable)
            captures |= Model::matches(mf, s.pkt);
        if (captures)
            continue;
        Stable s {};
        s.pkt = k;
        s.ufid.len = 16;
        u32 id = next_ufid++;
        std::memcpy(s.ufid.data, &id, sizeof(id));
        s.flow = make_flow(k, m, &s.ufid);
        ASSERT_TRUE(t.insert_locked(s.flow, m.key, m.range).ok());
        mf.flow = s.flow;
        model.flows.push_back(mf);
        stable.push_back(s);
    }

    std::atomic<bool> stop { false };
    std::atomic<long> misses { 0 }, wrong { 0 }, total { 0 }, skipped { 0 };
    std::atomic<long> progress { 0 }; // lookups so far, in steps of 100
    auto reader = [&](int cpu) {
        user::set_cpu(cpu);
        user::set_node(cpu % 2);
        std::mt19937 r(cpu);
        long n = 0;
        while (!stop.load(std::memory_order_relaxed)) {
            usize i = r() % stable.size();
            const Stable& s = stable[i];
            u32 skb_hash = (i % 5 == 0) ? 0 : static_cast<u32>(i * 2654435761u) | 1;
            RcuReadGuard g;
            u32 nm, nc;
            Flow* f = t.lookup(s.pkt, skb_hash, &nm, &nc);
            if (nm < t.n_masks())
                skipped++; // masks the prefilter let it skip (a racy count)
            if (!f)
                misses++;
            else if (f != s.flow)
                wrong++;
            else
                f->stats.update(0, 64);
            if (t.lookup_ufid(s.ufid) != s.flow)
                misses++;
            if (++n % 100 == 0)
                progress.fetch_add(100, std::memory_order_relaxed);
        }
        total += n;
        user::set_node(-1);
        user::set_cpu(-1);
    };
    std::vector<std::thread> readers;
    for (int cpu = 0; cpu < 3; cpu++)
        readers.emplace_back(reader, cpu);

    // The writer (this thread holds the "datapath lock").
    std::vector<TestMask> churn_masks;
    for (int i = 0; i < 40; i++)
        churn_masks.push_back(random_mask(rng, i % 5 == 0));
    std::vector<Flow*> churn;
    u32 grows = 0, rehashes = 0, cycles = 0;
    u32 last_buckets = t.n_buckets();
    // 60,000 operations or 2 s; past that, on a loaded machine, on until the
    // readers made their lookups and the table grew (bounded at 120 s).
    auto start = std::chrono::steady_clock::now();
    auto deadline = start + std::chrono::seconds(2);
    auto limit = start + std::chrono::seconds(120);
    auto more = [&](int op) {
        auto now = std::chrono::steady_clock::now();
        if (op < 60000 && now < deadline)
            return true;
        return now < limit && (progress.load() <= 1000 || grows < 1);
    };
    for (int op = 0; more(op); op++) {
        bool filling = (cycles % 2) == 0;
        if (filling || churn.empty()) {
            // Sometimes a brand-new mask, so that masks come and go.
            TestMask m = rng() % 8 ? churn_masks[rng() % churn_masks.size()] : random_mask(rng, false);
            FlowKey k;
            dom.random_key(rng, &k, m.key.tun_key.ip_family != 0);
            k.in_port = 2;
            k.tp.src = static_cast<be16>(op); // mostly distinct
            FlowUfid u {};
            u.len = 12;
            u32 id = next_ufid++;
            std::memcpy(u.data, &id, sizeof(id));
            Flow* f = make_flow(k, m, &u);
            ASSERT_TRUE(t.insert_locked(f, m.key, m.range).ok());
            churn.push_back(f);
            if (churn.size() >= 2500)
                cycles++;
        } else {
            usize i = rng() % churn.size();
            t.remove_locked(churn[i]);
            flow_free_rcu(churn[i]);
            churn[i] = churn.back();
            churn.pop_back();
            if (churn.empty())
                cycles++;
        }
        if (!filling && rng() % 2 && !churn.empty()) {
            usize i = rng() % churn.size();
            t.remove_locked(churn[i]);
            flow_free_rcu(churn[i]);
            churn[i] = churn.back();
            churn.pop_back();
        }
        if (t.n_buckets() != last_buckets) {
            grows++;
            last_buckets = t.n_buckets();
        }
        if (op % 250 == 0) {
            ASSERT_TRUE(t.rehash_locked().ok());
            rehashes++;
        }
        if (op % 400 == 0)
            t.masks_rebalance_locked();
        if (op % 600 == 300)
            t.prefilter_rebuild_locked();
        if (op % 5000 == 4000)
            t.set_prefilter_locked(false); // upstream mode for a while
        if (op % 5000 == 4600)
            t.set_prefilter_locked(true);
        if (op % 900 == 0) {
            static const u32 sizes[] = { 0, 16, 256, 4096 };
            ASSERT_TRUE(t.set_masks_cache_size_locked(sizes[(op / 900) % 4]).ok());
        }
        if (op % 1000 == 0) {
            FlowStatsReading rd;
            stable[op % stable.size()].flow->stats.read(&rd);
        }
    }
    stop = true;
    for (auto& th : readers)
        th.join();
    user::set_cpu(-1);

    EXPECT_EQ(misses.load(), 0) << "a stable flow was missed";
    EXPECT_EQ(wrong.load(), 0) << "another flow was returned for a stable packet";
    EXPECT_GT(total.load(), 1000);
    EXPECT_GT(skipped.load(), total.load() / 4) << "the prefilter should have been in use";
    EXPECT_GE(grows, 1u) << "the key table must have grown during the run";
    EXPECT_GE(rehashes, 2u);
    u64 packets = 0;
    for (const Stable& s : stable) {
        FlowStatsReading rd;
        s.flow->stats.read(&rd);
        packets += rd.packets;
    }
    EXPECT_GT(packets, 0u);
    RecordProperty("reader_lookups", static_cast<int>(total.load()));
    RecordProperty("grows", static_cast<int>(grows));
    RecordProperty("cycles", static_cast<int>(cycles));
    RecordProperty("prefilter_skips", static_cast<int>(skipped.load()));
}

// Dumps under RCU only (as flow dump runs, OVSDP_CTX_RCU) against the writer:
// each reader walks the dump index a few flows per read-side section, as a
// dump does one netlink message at a time, while the writer inserts and
// removes flows and the index grows. Every flow that stays in the table is
// returned exactly once per dump, and the keys of one dump only increase.
TEST(FlowTableConcurrency, DumpsReturnStableFlowsExactlyOnce)
{
    user::set_topology(4, 2);
    std::mt19937 rng(7);
    KeyDomain dom(rng, 6);
    TableFixture fx;
    FlowTable& t = fx.table;
    std::vector<TestMask> masks;
    for (int i = 0; i < 8; i++)
        masks.push_back(random_mask(rng, false));

    auto new_flow = [&](u32 in_port, u16 tag) {
        const TestMask& m = masks[rng() % masks.size()];
        FlowKey k;
        dom.random_key(rng, &k, false);
        k.in_port = in_port;
        k.tp.src = tag;
        Flow* f = make_flow(k, m);
        EXPECT_TRUE(t.insert_locked(f, m.key, m.range).ok());
        return f;
    };
    std::vector<Flow*> churn;
    // Stable flows interleaved with churn in dump order from the start.
    std::unordered_map<const Flow*, usize> stable;
    for (u16 i = 0; i < 300; i++) {
        stable.emplace(new_flow(1, i), stable.size());
        churn.push_back(new_flow(2, i));
    }

    std::atomic<bool> stop { false };
    std::atomic<long> dumps { 0 }, bad { 0 }, sections { 0 };
    auto reader = [&](int cpu) {
        user::set_cpu(cpu);
        std::mt19937 r(cpu);
        while (!stop.load(std::memory_order_relaxed)) {
            std::vector<int> seen(stable.size(), 0);
            u64 cursor = 0;
            bool more = true;
            while (more) {
                RcuReadGuard g;
                sections++;
                usize batch = 1 + r() % 40;
                for (usize i = 0; i < batch; i++) {
                    const Flow* f = t.dump_next(cursor);
                    if (!f) {
                        more = false;
                        break;
                    }
                    if (f->dump_key <= cursor)
                        bad++; // order broken
                    cursor = f->dump_key;
                    if (auto it = stable.find(f); it != stable.end())
                        seen[it->second]++;
                }
            }
            for (int n : seen)
                if (n != 1)
                    bad++;
            dumps++;
        }
        user::set_cpu(-1);
    };
    std::vector<std::thread> readers;
    for (int cpu = 0; cpu < 3; cpu++)
        readers.emplace_back(reader, cpu);

    // The writer: fills to a few thousand flows (the index grows several
    // times), drains, fills again.
    u32 grows = 0;
    u32 cap = 0;
    // At least 2 s, 20 dumps and 3 index size changes, however slowly a
    // loaded machine runs the writer (bounded at 120 s).
    auto start = std::chrono::steady_clock::now();
    auto deadline = start + std::chrono::seconds(2);
    auto limit = start + std::chrono::seconds(120);
    bool filling = true;
    for (u32 op = 0; std::chrono::steady_clock::now() < limit
         && (std::chrono::steady_clock::now() < deadline || dumps.load() < 20 || grows < 3);
         op++) {
        if (filling) {
            churn.push_back(new_flow(2, static_cast<u16>(op)));
            if (churn.size() >= 5000)
                filling = false;
        } else {
            usize i = rng() % churn.size();
            t.remove_locked(churn[i]);
            flow_free_rcu(churn[i]);
            churn[i] = churn.back();
            churn.pop_back();
            if (churn.size() < 100)
                filling = true;
        }
        if (u32 b = t.n_dump_buckets(); b != cap) {
            grows += cap != 0;
            cap = b;
        }
    }
    stop = true;
    for (auto& th : readers)
        th.join();
    EXPECT_EQ(bad.load(), 0) << "a stable flow was missed or returned twice, or order broke";
    EXPECT_GE(dumps.load(), 20);
    EXPECT_GE(grows, 3u) << "the dump index must have grown while dumps ran";
    for (Flow* f : churn) {
        t.remove_locked(f);
        flow_free_rcu(f);
    }
    RecordProperty("dumps", static_cast<int>(dumps.load()));
    RecordProperty("sections", static_cast<int>(sections.load()));
}
