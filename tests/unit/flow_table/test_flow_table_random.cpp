// SPDX-License-Identifier: GPL-2.0
// Randomised agreement with a reference model: a plain list of (mask, masked
// key) searched linearly over whole keys. Thousands of inserts, removes and
// lookups over random masks and keys, with rehashes, rebalances, cache
// resizes and flushes mixed in.
#include "ft_test_util.h"

#include <algorithm>
#include <set>

using namespace ovsdp;
using namespace ovsdp::test;

namespace {

u32 key_skb_hash(const FlowKey& k)
{
    // Stands in for the RSS hash: a function of the packet's fields.
    u32 h = 2166136261u;
    for (usize i = kFlowKeyNonTunnelStart; i < sizeof(FlowKey); i++)
        h = (h ^ k.bytes()[i]) * 16777619u;
    return h;
}

class FlowTableRandom : public ::testing::TestWithParam<u32> {};

} // namespace

TEST_P(FlowTableRandom, AgreesWithLinearModel)
{
    std::mt19937 rng(GetParam());
    KeyDomain dom(rng);
    std::vector<TestMask> pool;
    std::vector<bool> pool_tunnel;
    for (int i = 0; i < 48; i++) {
        bool tunnel = rng() % 4 == 0;
        pool.push_back(random_mask(rng, tunnel));
        pool_tunnel.push_back(tunnel);
    }

    TableFixture fx(GetParam() % 2 ? 256 : 0);
    FlowTable& t = fx.table;
    Model model;
    u32 next_ufid = 1;
    int lookups = 0, hits = 0, inserts = 0, removes = 0;

    auto check_lookup = [&](const FlowKey& k) {
        std::vector<const Flow*> want = model.lookup(k);
        u32 skb_hash = rng() % 4 ? key_skb_hash(k) : 0;
        u32 n_mask = 0, n_cache = 0;
        Flow* got;
        {
            RcuReadGuard g;
            got = t.lookup(k, skb_hash, &n_mask, &n_cache);
        }
        lookups++;
        ASSERT_LE(n_mask, t.n_masks());
        ASSERT_LE(n_cache, 1u);
        if (want.empty()) {
            ASSERT_EQ(got, nullptr);
            ASSERT_EQ(t.lookup(k), nullptr);
        } else {
            hits++;
            ASSERT_NE(std::find(want.begin(), want.end(), got), want.end()) << "lookup returned a non-matching flow";
        }
    };

    for (int op = 0; op < 5000; op++) {
        u32 r = rng() % 1000;
        if (r < 450) {
            usize mi = rng() % pool.size();
            const TestMask& m = pool[mi];
            FlowKey k;
            dom.random_key(rng, &k, pool_tunnel[mi]);
            ModelFlow mf {};
            flow_mask_key(&mf.masked, k, m.key, m.range, true);
            mf.mask = m.key;
            mf.unmasked = k;
            if (model.find_same(mf.masked, mf.mask) >= 0)
                continue; // the caller (flow_netlink) rejects duplicates
            if (rng() % 2) {
                mf.ufid.len = 4 + rng() % (kMaxUfidLength - 3); // room for a unique id
                u32 id = next_ufid++;
                std::memcpy(mf.ufid.data, &id, sizeof(id));
            }
            mf.flow = make_flow(k, m, mf.ufid.len ? &mf.ufid : nullptr);
            ASSERT_NE(mf.flow, nullptr);
            ASSERT_TRUE(t.insert_locked(mf.flow, m.key, m.range).ok());
            model.flows.push_back(mf);
            inserts++;
        } else if (r < 700) {
            if (model.flows.empty())
                continue;
            usize i = rng() % model.flows.size();
            t.remove_locked(model.flows[i].flow);
            flow_free_rcu(model.flows[i].flow);
            model.flows[i] = model.flows.back();
            model.flows.pop_back();
            removes++;
        } else if (r < 702) {
            // Rare: a rehash right after another waits for a grace period.
            ASSERT_TRUE(t.rehash_locked().ok());
        } else if (r < 720) {
            t.masks_rebalance_locked();
        } else if (r < 725) {
            static const u32 sizes[] = { 0, 1, 8, 256, 4096 };
            ASSERT_TRUE(t.set_masks_cache_size_locked(sizes[rng() % 5]).ok());
        } else if (r < 726) {
            ASSERT_TRUE(t.flush_locked().ok());
            for (auto& mf : model.flows)
                (void)mf; // freed by the table
            model.flows.clear();
        }

        // Packets: half from installed flows (noise in wildcarded fields),
        // half at random.
        for (int l = 0; l < 4; l++) {
            FlowKey k;
            if (l % 2 == 0 && !model.flows.empty()) {
                const ModelFlow& mf = model.flows[rng() % model.flows.size()];
                k = mf.unmasked;
                k.ip.ttl = static_cast<u8>(rng());
                k.tp.flags = static_cast<be16>(rng());
            } else {
                dom.random_key(rng, &k, rng() % 4 == 0);
            }
            check_lookup(k);
            if (::testing::Test::HasFatalFailure())
                return;
        }

        if (op % 500 == 499) {
            // Whole-table checks: counts, identifiers, dump.
            ASSERT_EQ(t.n_flows(), model.flows.size());
            std::set<std::vector<u8>> masks;
            usize n_ufid = 0;
            for (const auto& mf : model.flows) {
                std::vector<u8> m(mf.mask.bytes(), mf.mask.bytes() + sizeof(FlowKey));
                masks.insert(m);
                if (mf.ufid.len) {
                    n_ufid++;
                    RcuReadGuard g;
                    ASSERT_EQ(t.lookup_ufid(mf.ufid), mf.flow);
                } else {
                    Flow* e = t.lookup_exact(mf.unmasked, FlowKeyRange::full());
                    ASSERT_NE(e, nullptr);
                    ASSERT_FALSE(flow_has_ufid(e));
                    ASSERT_TRUE(key_equal(*e->unmasked_key, mf.unmasked) || e == mf.flow);
                }
            }
            ASSERT_EQ(t.n_masks(), masks.size());
            ASSERT_EQ(t.n_ufid_flows(), n_ufid);
            std::set<Flow*> dumped;
            u64 cursor = 0;
            while (Flow* f = t.dump_next_locked(cursor)) {
                ASSERT_TRUE(dumped.insert(f).second);
                cursor = f->dump_key;
            }
            std::set<Flow*> want;
            for (const auto& mf : model.flows)
                want.insert(mf.flow);
            ASSERT_EQ(dumped, want);
        }
    }
    EXPECT_GT(inserts, 1500);
    EXPECT_GT(removes, 800);
    EXPECT_GT(hits, lookups / 3);
    EXPECT_LT(hits, lookups);
    RecordProperty("lookups", lookups);
}

INSTANTIATE_TEST_SUITE_P(Seeds, FlowTableRandom, ::testing::Values(1u, 2u, 3u));
