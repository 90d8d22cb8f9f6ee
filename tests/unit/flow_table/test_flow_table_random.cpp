// SPDX-License-Identifier: GPL-2.0
// Randomised agreement with a reference model: a plain list of (mask, masked
// key) searched linearly over whole keys. Thousands of inserts, removes and
// lookups over random masks and keys, with rehashes, rebalances, cache
// resizes and flushes mixed in. Three modes: the default (mask prefilter on,
// realistic masks), upstream (prefilter off), and arbitrary (prefilter on,
// masks with random bits anywhere in the non-tunnel key, the mask pool
// churning, prefilter rebuilds and on/off switches), each with its prefilter
// invariant checked directly against the model's flows.
#include "ft_test_util.h"

#include <algorithm>
#include <set>
#include <string>

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

enum class Mode { Default, Upstream, Arbitrary };

struct Param {
    u32 seed;
    Mode mode;
};

std::string param_name(const ::testing::TestParamInfo<Param>& info)
{
    static const char* const names[] = { "Default", "Upstream", "Arbitrary" };
    return std::string(names[static_cast<int>(info.param.mode)]) + std::to_string(info.param.seed);
}

// Metadata fields random_key() leaves alone; arbitrary keys take small domains there.
struct ExtraField {
    usize offset, size;
};
const ExtraField kExtra[] = {
    { OVSDP_OFFSETOF(FlowKey, priority), 4 },
    { OVSDP_OFFSETOF(FlowKey, dp_hash), 4 },
    { OVSDP_OFFSETOF(FlowKey, eth) + OVSDP_OFFSETOF(FlowKeyEth, vlan), 4 },
};

// random_mask() plus random bits in the extra fields and, sparsely, anywhere
// in the first 96 bytes of the non-tunnel key (including ttl, where packets
// carry noise).
TestMask arbitrary_mask(std::mt19937& rng, bool tunnel)
{
    TestMask m = random_mask(rng, tunnel);
    FlowKeyWriter w(m.key, m.range);
    for (const ExtraField& f : kExtra)
        if (rng() % 2)
            for (usize i = 0; i < f.size; i++) {
                m.key.bytes()[f.offset + i] = static_cast<u8>(rng() & rng());
                w.mark(m.key.bytes() + f.offset + i, 1);
            }
    for (usize off = kFlowKeyNonTunnelStart; off < kFlowKeyNonTunnelStart + 96; off++)
        if (rng() % 24 == 0) {
            m.key.bytes()[off] |= static_cast<u8>(1u << (rng() % 8));
            w.mark(m.key.bytes() + off, 1);
        }
    return m;
}

void arbitrary_key(std::mt19937& rng, const KeyDomain& dom, FlowKey* k, bool tunnel)
{
    dom.random_key(rng, k, tunnel);
    for (const ExtraField& f : kExtra) {
        u32 v = rng() % 3 == 0 ? 0u : (rng() % 2 ? 0x5a5a5a5au : 0xa5c3f00fu);
        std::memcpy(k->bytes() + f.offset, &v, f.size);
    }
}

// The prefilter invariant (flow_table.h): every flow's mask slot is set in the
// row of any key the flow matches (here: its unmasked key), or always probed.
void check_prefilter(const FlowTable& t, const Model& model)
{
    const MaskPrefilter* pf = t.prefilter();
    if (!pf)
        return;
    for (const ModelFlow& mf : model.flows) {
        u32 slot = 0;
        while (t.mask_at(slot) && t.mask_at(slot) != mf.flow->mask)
            slot++;
        ASSERT_NE(t.mask_at(slot), nullptr);
        u32 v = 0;
        for (u32 i = 0; i < pf->n_bits; i++)
            v |= ((mf.unmasked.bytes()[pf->plan[i].byte] >> pf->plan[i].shift) & 1u) << i;
        u64 w = pf->rows[usize(v) * pf->words + slot / 64] | pf->always[slot / 64];
        ASSERT_TRUE((w >> (slot % 64)) & 1) << "prefilter lost the slot of a flow's mask";
    }
}

class FlowTableRandom : public ::testing::TestWithParam<Param> {};

} // namespace

TEST_P(FlowTableRandom, AgreesWithLinearModel)
{
    const Param prm = GetParam();
    const bool arbitrary = prm.mode == Mode::Arbitrary;
    std::mt19937 rng(prm.seed);
    KeyDomain dom(rng);
    auto new_mask = [&](bool tunnel) { return arbitrary ? arbitrary_mask(rng, tunnel) : random_mask(rng, tunnel); };
    std::vector<TestMask> pool;
    std::vector<bool> pool_tunnel;
    for (int i = 0; i < 48; i++) {
        bool tunnel = rng() % 4 == 0;
        pool.push_back(new_mask(tunnel));
        pool_tunnel.push_back(tunnel);
    }

    TableFixture fx(prm.seed % 2 ? 256 : 0);
    FlowTable& t = fx.table;
    if (prm.mode == Mode::Upstream)
        t.set_prefilter_locked(false);
    int pf_lookups = 0, pf_fewer = 0;
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
        if (t.prefilter()) {
            pf_lookups++;
            pf_fewer += n_mask < t.n_masks();
        }
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
            if (arbitrary)
                arbitrary_key(rng, dom, &k, pool_tunnel[mi]);
            else
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
        } else if (r < 736) {
            if (prm.mode != Mode::Upstream)
                t.prefilter_rebuild_locked();
        } else if (r < 740 && arbitrary) {
            t.set_prefilter_locked(!t.prefilter_enabled());
        } else if (r < 780 && arbitrary) {
            // Mask churn: a pool slot gets a fresh mask.
            usize mi = rng() % pool.size();
            pool_tunnel[mi] = rng() % 4 == 0;
            pool[mi] = new_mask(pool_tunnel[mi]);
        }
        if (op % 10 == 0) {
            check_prefilter(t, model);
            if (::testing::Test::HasFatalFailure())
                return;
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
            } else if (arbitrary) {
                arbitrary_key(rng, dom, &k, rng() % 4 == 0);
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
            while (Flow* f = t.dump_next(cursor)) {
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
    EXPECT_GT(hits, arbitrary ? lookups / 5 : lookups / 3);
    EXPECT_LT(hits, lookups);
    if (prm.mode == Mode::Upstream) {
        EXPECT_EQ(pf_lookups, 0);
    } else {
        // The prefilter existed for most lookups and let many skip masks.
        EXPECT_GT(pf_lookups, lookups / (arbitrary ? 4 : 2));
        EXPECT_GT(pf_fewer, pf_lookups / 4);
    }
    RecordProperty("lookups", lookups);
    RecordProperty("prefilter_lookups", pf_lookups);
}

INSTANTIATE_TEST_SUITE_P(Seeds, FlowTableRandom,
                         ::testing::Values(Param { 1, Mode::Default }, Param { 2, Mode::Default }, Param { 3, Mode::Default },
                                           Param { 1, Mode::Upstream }, Param { 4, Mode::Arbitrary },
                                           Param { 5, Mode::Arbitrary }, Param { 6, Mode::Arbitrary }),
                         param_name);
