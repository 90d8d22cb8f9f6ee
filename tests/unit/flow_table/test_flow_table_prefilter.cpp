// SPDX-License-Identifier: GPL-2.0
// The mask prefilter (flow_table.h, MaskPrefilter): when it exists, which
// masks it lets a lookup skip, and that every change of the mask array keeps
// it in step (growth and removal remap its columns, the in-place removal
// fallback drops it, rebuilds re-choose its bits).
#include "ft_test_util.h"

#include "base/byteorder.h"

#include <algorithm>

using namespace ovsdp;
using namespace ovsdp::test;

namespace {

// W(M)-like masks: in_port, eth_type exact, IPv4 destination 10.1.0.0/(16+k)
// with the k bits after /16 = i, two bits of the UDP source port; 4 flows
// per mask (the 4 values of those bits).
constexpr u32 kK = 6; // 64 masks

TestMask w_mask(u32 i)
{
    TestMask m;
    FlowKeyWriter w(m.key, m.range);
    w.put(m.key.in_port, u16(0xffff));
    w.put(m.key.eth.type, be16(0xffff));
    w.put(m.key.ipv4.dst, htonl(~u32(0) << (16 - kK)));
    w.put(m.key.tp.src, htons(static_cast<u16>((1u << (i % 16)) | (1u << ((i / 16 + i % 16 + 1) % 16)))));
    return m;
}

FlowKey w_pkt(u32 dst_low16, u16 sport)
{
    FlowKey k {};
    k.in_port = 1;
    k.eth.type = htons(kEthPIp);
    k.ip.proto = kIpProtoUdp;
    k.ip.ttl = 64;
    k.ipv4.src = htonl(0x0a000001);
    k.ipv4.dst = htonl(0x0a010000 | (dst_low16 & 0xffff));
    k.tp.src = htons(sport);
    k.tp.dst = htons(9);
    return k;
}

struct WTable {
    std::vector<std::vector<Flow*>> flows; // per mask i
};

void w_insert_mask(FlowTable& t, WTable* wt, u32 i)
{
    if (wt->flows.size() <= i)
        wt->flows.resize(i + 1);
    TestMask m = w_mask(i);
    u16 bits = ntohs(m.key.tp.src);
    u16 lo = bits & static_cast<u16>(-bits), hi = bits & static_cast<u16>(~lo);
    for (u32 q = 0; q < 4; q++) {
        FlowKey k = w_pkt(i << (16 - kK), static_cast<u16>((q & 1 ? lo : 0) | (q & 2 ? hi : 0)));
        Flow* f = make_flow(k, m);
        ASSERT_TRUE(t.insert_locked(f, m.key, m.range).ok());
        wt->flows[i].push_back(f);
    }
}

// The flow a W packet must hit, or nullptr if its mask is gone.
const Flow* w_expected(const WTable& wt, const FlowKey& k)
{
    u32 i = (ntohl(k.ipv4.dst) & 0xffff) >> (16 - kK);
    if (i >= wt.flows.size() || wt.flows[i].empty())
        return nullptr;
    for (const Flow* f : wt.flows[i])
        if (Model::matches(ModelFlow { nullptr, f->key, f->mask->key, {}, {} }, k))
            return f;
    return nullptr;
}

Flow* lookup(FlowTable& t, const FlowKey& k, u32 skb_hash, u32* masks)
{
    u32 c = 0;
    RcuReadGuard g;
    return t.lookup(k, skb_hash, masks, &c);
}

// n random W packets (new skb hashes): each finds its flow or, if its mask is
// not installed, nothing. Returns the masks probed per hit (over all hits).
double check_w_packets(FlowTable& t, const WTable& wt, std::mt19937& rng, int n)
{
    u64 probed = 0, hits = 0;
    for (int j = 0; j < n; j++) {
        FlowKey k = w_pkt(rng(), static_cast<u16>(rng()));
        u32 m = 0;
        Flow* f = lookup(t, k, rng() | 1, &m);
        const Flow* want = w_expected(wt, k);
        EXPECT_EQ(f, want);
        if (want) {
            hits++;
            probed += m;
        }
    }
    return hits ? static_cast<double>(probed) / hits : 0.0;
}

} // namespace

TEST(FlowTablePrefilter, NoneBelowMinMasksNoneWhenDisabled)
{
    TableFixture fx;
    FlowTable& t = fx.table;
    WTable wt;
    for (u32 i = 0; i + 1 < kPfMinMasks; i++)
        w_insert_mask(t, &wt, i);
    t.masks_rebalance_locked();
    EXPECT_EQ(t.prefilter(), nullptr);
    w_insert_mask(t, &wt, kPfMinMasks - 1);
    EXPECT_NE(t.prefilter(), nullptr) << "built when the mask count reaches kPfMinMasks";
    t.set_prefilter_locked(false);
    EXPECT_EQ(t.prefilter(), nullptr);
    t.masks_rebalance_locked();
    t.prefilter_rebuild_locked();
    EXPECT_EQ(t.prefilter(), nullptr);
    t.set_prefilter_locked(true);
    EXPECT_NE(t.prefilter(), nullptr);
}

TEST(FlowTablePrefilter, StructuredMasksProbeOneUpstreamModeProbesHalf)
{
    TableFixture fx;
    FlowTable& t = fx.table;
    WTable wt;
    for (u32 i = 0; i < (1u << kK); i++)
        w_insert_mask(t, &wt, i);
    const MaskPrefilter* pf = t.prefilter();
    ASSERT_NE(pf, nullptr);
    EXPECT_GE(pf->n_bits, kK);
    std::mt19937 rng(1);
    EXPECT_EQ(check_w_packets(t, wt, rng, 4000), 1.0) << "one probe per packet";
    t.set_prefilter_locked(false);
    EXPECT_GT(check_w_packets(t, wt, rng, 4000), 25.0) << "upstream probes (M+1)/2 on average";
    t.set_prefilter_locked(true);
    EXPECT_EQ(check_w_packets(t, wt, rng, 1000), 1.0);
}

TEST(FlowTablePrefilter, MaskRemovalAndGrowthRemapColumns)
{
    TableFixture fx(0);
    FlowTable& t = fx.table;
    WTable wt;
    std::mt19937 rng(2);
    // 16 masks: chosen at 4, 8, 16; then growth to 32 and 64 slots remaps.
    for (u32 i = 0; i < 16; i++)
        w_insert_mask(t, &wt, i);
    for (u32 i = 16; i < (1u << kK); i++) {
        w_insert_mask(t, &wt, i);
        if (::testing::Test::HasFailure())
            return;
        check_w_packets(t, wt, rng, 50);
    }
    ASSERT_NE(t.prefilter(), nullptr);
    t.prefilter_rebuild_locked();
    EXPECT_EQ(check_w_packets(t, wt, rng, 500), 1.0);
    // Remove whole masks in random order: every removal builds a smaller
    // array whose prefilter columns move down; lookups stay exact and still
    // probe one mask per hit.
    std::vector<u32> order;
    for (u32 i = 0; i < (1u << kK); i++)
        order.push_back(i);
    std::shuffle(order.begin(), order.end(), rng);
    for (usize n = 0; n < order.size(); n++) {
        u32 i = order[n];
        for (Flow* f : wt.flows[i]) {
            t.remove_locked(f);
            flow_free_rcu(f);
        }
        wt.flows[i].clear();
        u64 hits = 0, probed = 0;
        for (int j = 0; j < 40; j++) {
            FlowKey k = w_pkt(rng(), static_cast<u16>(rng()));
            u32 m = 0;
            Flow* f = lookup(t, k, 0, &m);
            const Flow* want = w_expected(wt, k);
            ASSERT_EQ(f, want);
            if (want) {
                hits++;
                probed += m;
            }
        }
        if (t.n_masks() >= kPfMinMasks) {
            ASSERT_NE(t.prefilter(), nullptr);
            EXPECT_EQ(probed, hits) << "after removing " << n + 1 << " masks";
        } else {
            EXPECT_EQ(t.prefilter(), nullptr);
        }
    }
    EXPECT_EQ(t.n_masks(), 0u);
}

TEST(FlowTablePrefilter, InPlaceRemovalFallbackDropsIt)
{
    TableFixture fx(0);
    FlowTable& t = fx.table;
    WTable wt;
    for (u32 i = 0; i < 12; i++)
        w_insert_mask(t, &wt, i);
    ASSERT_NE(t.prefilter(), nullptr);
    user::set_alloc_fail_hook([](size_t, unsigned, int) { return true; });
    for (Flow* f : wt.flows[3]) {
        t.remove_locked(f);
        flow_free_rcu(f);
    }
    user::set_alloc_fail_hook(nullptr);
    wt.flows[3].clear();
    EXPECT_EQ(t.prefilter(), nullptr) << "slots moved in place: the columns no longer match";
    std::mt19937 rng(3);
    check_w_packets(t, wt, rng, 500);
    t.masks_rebalance_locked(); // a new array: rebuilt
    EXPECT_NE(t.prefilter(), nullptr);
    EXPECT_EQ(check_w_packets(t, wt, rng, 500), 1.0);
}

// Tuple-space explosion (the benchmark's T(M), tests/vm/bench/wset.h): M
// masks, each a combination of prefix lengths (IPv4 source /a, UDP ports /b
// and /c) over an IPv4 destination /(16 + k) whose k bits after /16 pick the
// mask, one flow each. The array grows past 4,096 slots (per-CPU hit
// counters only for the first kMaskUsageSlots: a per-CPU area over 32 KiB
// fails, in the userspace platform as in the kernel), and the rows' memory
// follows the array (kPfMaxBytesPerSlot): the prefilter keeps 11 bits, so a
// packet probes a few masks, not the M / 2^b (32 at 8,192 masks with a
// 512 KiB cap) it would otherwise. A rebalance keeps every lookup right.
TEST(FlowTablePrefilter, WideArrayKeepsBitsUnderTupleSpaceExplosion)
{
    constexpr u32 kTk = 13; // 8,192 masks: a 128-word row, beyond the fixed cap
    constexpr u32 kM = 1u << kTk;
    EXPECT_EQ(flow_table_detail::pf_max_bits(kM / 64), 11u);
    EXPECT_EQ(flow_table_detail::pf_max_bits(16384 / 64), 11u);
    EXPECT_EQ(flow_table_detail::pf_max_bits(512 / 64), kPfMaxBits) << "narrow arrays: the fixed cap, unchanged";
    TableFixture fx;
    FlowTable& t = fx.table;
    auto pfx = [](u32 len, u32 width) { return len ? (~u32(0) << (32 - len)) >> (32 - width) : 0u; };
    std::vector<Flow*> flows(kM);
    for (u32 i = 0; i < kM; i++) {
        u32 a = i % 32 + 1, b = (i / 32) % 16 + 1, c = (i / 512) % 16 + 1;
        TestMask m;
        FlowKeyWriter w(m.key, m.range);
        w.put(m.key.in_port, u16(0xffff));
        w.put(m.key.eth.type, be16(0xffff));
        w.put(m.key.ipv4.src, htonl(pfx(a, 32)));
        w.put(m.key.ipv4.dst, htonl(~u32(0) << (16 - kTk)));
        w.put(m.key.tp.src, htons(static_cast<u16>(pfx(b, 16))));
        w.put(m.key.tp.dst, htons(static_cast<u16>(pfx(c, 16))));
        FlowKey k = w_pkt(i << (16 - kTk), 0x1234);
        flows[i] = make_flow(k, m);
        ASSERT_TRUE(t.insert_locked(flows[i], m.key, m.range).ok());
    }
    EXPECT_EQ(t.n_masks(), kM);
    const MaskPrefilter* pf = t.prefilter();
    ASSERT_NE(pf, nullptr);
    EXPECT_GE(pf->n_bits, 11u);
    std::mt19937 rng(7);
    u64 probed = 0;
    constexpr int kPkts = 4000;
    for (int j = 0; j < kPkts; j++) {
        u32 d = rng() & 0xffff;
        u32 m = 0;
        Flow* f = lookup(t, w_pkt(d, 0x1234), rng() | 1, &m);
        ASSERT_EQ(f, flows[d >> (16 - kTk)]);
        probed += m;
    }
    double per_pkt = static_cast<double>(probed) / kPkts;
    EXPECT_LE(per_pkt, 4.0) << "2^(13 - 11) = 4 candidates at most per packet";
    EXPECT_EQ(ovsdp_alloc_percpu(OVSDP_PERCPU_MAX_SIZE + 8, 8), nullptr) << "the kernel's per-CPU limit";
    t.masks_rebalance_locked(); // re-ranks by the hits above: counted slots first
    EXPECT_EQ(t.n_masks(), kM);
    for (int j = 0; j < 1000; j++) {
        u32 d = rng() & 0xffff;
        u32 m = 0;
        ASSERT_EQ(lookup(t, w_pkt(d, 0x1234), rng() | 1, &m), flows[d >> (16 - kTk)]);
        EXPECT_LE(m, 4u);
    }
    t.set_prefilter_locked(false);
    probed = 0;
    for (int j = 0; j < 200; j++) {
        u32 d = rng() & 0xffff;
        u32 m = 0;
        ASSERT_EQ(lookup(t, w_pkt(d, 0x1234), rng() | 1, &m), flows[d >> (16 - kTk)]);
        probed += m;
    }
    EXPECT_GT(static_cast<double>(probed) / 200, 1000.0) << "upstream mode probes about M/2";
}
