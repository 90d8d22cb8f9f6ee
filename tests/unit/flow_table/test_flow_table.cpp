// SPDX-License-Identifier: GPL-2.0
// Flow table behaviour, one property per test.
#include "ft_test_util.h"

#include "base/byteorder.h"

#include <algorithm>
#include <map>
#include <set>

using namespace ovsdp;
using namespace ovsdp::test;

namespace {

// in_port + IPv4 destination /prefix; the simplest megaflow.
TestMask port_dst_mask(int prefix)
{
    TestMask m;
    FlowKeyWriter w(m.key, m.range);
    w.put(m.key.in_port, u16(0xffff));
    w.put(m.key.ipv4.dst, htonl(prefix ? ~u32(0) << (32 - prefix) : 0));
    return m;
}

FlowKey pkt(u16 port, u32 dst, u16 tp_src = 1000)
{
    FlowKey k {};
    k.in_port = port;
    k.eth.type = htons(kEthPIp);
    k.ip.proto = kIpProtoUdp;
    k.ip.ttl = 64;
    k.ipv4.src = htonl(0x0a000001);
    k.ipv4.dst = htonl(dst);
    k.tp.src = htons(tp_src);
    k.tp.dst = htons(53);
    return k;
}

Flow* insert(FlowTable& t, const FlowKey& key, const TestMask& m, const FlowUfid* ufid = nullptr)
{
    Flow* f = make_flow(key, m, ufid);
    EXPECT_NE(f, nullptr);
    Status s = t.insert_locked(f, m.key, m.range);
    EXPECT_TRUE(s.ok());
    return f;
}

void remove(FlowTable& t, Flow* f)
{
    t.remove_locked(f);
    flow_free_rcu(f);
}

Flow* lookup(FlowTable& t, const FlowKey& k, u32 skb_hash = 0, u32* masks = nullptr, u32* cache = nullptr)
{
    u32 m = 0, c = 0;
    RcuReadGuard g;
    Flow* f = t.lookup(k, skb_hash, &m, &c);
    if (masks)
        *masks = m;
    if (cache)
        *cache = c;
    return f;
}

FlowUfid ufid_of(u32 v, u32 len = 16)
{
    FlowUfid u {};
    u.len = len;
    for (u32 i = 0; i < len; i++)
        u.data[i] = static_cast<u8>(v >> (8 * (i % 4))) ^ static_cast<u8>(i);
    return u;
}

} // namespace

TEST(FlowTable, InsertLookupRemove)
{
    TableFixture fx;
    FlowTable& t = fx.table;
    Flow* f = insert(t, pkt(1, 0x0a000102), port_dst_mask(24));
    EXPECT_EQ(t.n_flows(), 1u);
    EXPECT_EQ(t.n_masks(), 1u);
    EXPECT_EQ(lookup(t, pkt(1, 0x0a0001ff)), f); // same /24
    EXPECT_EQ(lookup(t, pkt(1, 0x0a000201)), nullptr); // other /24
    EXPECT_EQ(lookup(t, pkt(2, 0x0a000102)), nullptr); // other port
    remove(t, f);
    EXPECT_EQ(t.n_flows(), 0u);
    EXPECT_EQ(t.n_masks(), 0u);
    EXPECT_EQ(lookup(t, pkt(1, 0x0a000102)), nullptr);
}

TEST(FlowTable, WildcardedFieldsDoNotMatter)
{
    TableFixture fx;
    Flow* f = insert(fx.table, pkt(1, 0x0a000102), port_dst_mask(32));
    FlowKey k = pkt(1, 0x0a000102, 4242);
    k.ip.ttl = 3;
    k.eth.src[0] = 0x42;
    EXPECT_EQ(lookup(fx.table, k), f);
}

TEST(FlowTable, MasksAreSharedAndRefcounted)
{
    TableFixture fx;
    FlowTable& t = fx.table;
    Flow* a = insert(t, pkt(1, 0x0a000001), port_dst_mask(24));
    Flow* b = insert(t, pkt(1, 0x0a000101), port_dst_mask(24));
    Flow* c = insert(t, pkt(1, 0x0b000001), port_dst_mask(16));
    EXPECT_EQ(t.n_masks(), 2u);
    EXPECT_EQ(a->mask, b->mask);
    EXPECT_EQ(a->mask->ref_count, 2);
    EXPECT_NE(a->mask, c->mask);
    remove(t, a);
    EXPECT_EQ(t.n_masks(), 2u);
    EXPECT_EQ(lookup(t, pkt(1, 0x0a000105)), b);
    remove(t, b);
    EXPECT_EQ(t.n_masks(), 1u);
    EXPECT_EQ(lookup(t, pkt(1, 0x0b00ffff)), c);
    remove(t, c);
    EXPECT_EQ(t.n_masks(), 0u);
}

TEST(FlowTable, HashIsSeedIndependentAndWordwise)
{
    TestMask m = port_dst_mask(20);
    FlowKey k = pkt(7, 0x0a0b0c0d);
    FlowKey masked;
    flow_mask_key(&masked, k, m.key, m.range, true);
    EXPECT_EQ(flow_hash(masked, m.range), flow_hash_masked(k, m.key, m.range));
    EXPECT_TRUE(flow_cmp_masked(masked, k, m.key, m.range));
    FlowKey k2 = pkt(7, 0x0a0b1c0d);
    EXPECT_FALSE(flow_cmp_masked(masked, k2, m.key, m.range));
    // Outside the range the masked key is zero.
    EXPECT_EQ(masked.ip.ttl, 0);
    EXPECT_EQ(m.range.start % sizeof(long), 0u);
    EXPECT_EQ(m.range.end % sizeof(long), 0u);
    EXPECT_GE(m.range.start, kFlowKeyNonTunnelStart);
}

TEST(FlowTable, RejectsBadRange)
{
    TableFixture fx;
    TestMask m = port_dst_mask(24);
    Flow* f = make_flow(pkt(1, 1), m);
    FlowKeyRange bad { 4, 16 };
    EXPECT_EQ(fx.table.insert_locked(f, m.key, bad).error().code, err::INVAL);
    FlowKeyRange past { 0, static_cast<u16>(kFlowKeySize + 8) };
    EXPECT_EQ(fx.table.insert_locked(f, m.key, past).error().code, err::INVAL);
    EXPECT_EQ(fx.table.n_flows(), 0u);
    flow_free(f);
}

TEST(FlowTable, MaskCacheRemembersTheMask)
{
    TableFixture fx;
    FlowTable& t = fx.table;
    // Eight masks; the packet's flow uses the last one.
    for (int p = 8; p < 15; p++)
        insert(t, pkt(1, 0xc0000000u + p), port_dst_mask(p));
    Flow* f = insert(t, pkt(1, 0x0a000001), port_dst_mask(32));
    ASSERT_EQ(t.n_masks(), 8u);
    u32 masks, cache;
    EXPECT_EQ(lookup(t, pkt(1, 0x0a000001), 0x1234567, &masks, &cache), f);
    EXPECT_EQ(masks, 8u);
    EXPECT_EQ(cache, 0u);
    EXPECT_EQ(lookup(t, pkt(1, 0x0a000001), 0x1234567, &masks, &cache), f);
    EXPECT_EQ(masks, 1u);
    EXPECT_EQ(cache, 1u);
    // No hash: linear probing, no cache.
    EXPECT_EQ(lookup(t, pkt(1, 0x0a000001), 0, &masks, &cache), f);
    EXPECT_EQ(masks, 8u);
    EXPECT_EQ(cache, 0u);
    // A cached hash whose flow is gone misses and clears the entry.
    remove(t, f);
    EXPECT_EQ(lookup(t, pkt(1, 0x0a000001), 0x1234567, &masks, &cache), nullptr);
    EXPECT_EQ(cache, 0u);
}

TEST(FlowTable, MaskCacheSizeZeroDisables)
{
    TableFixture fx(0);
    FlowTable& t = fx.table;
    EXPECT_EQ(t.masks_cache_size(), 0u);
    insert(t, pkt(1, 0xc0000000u), port_dst_mask(8));
    Flow* f = insert(t, pkt(1, 0x0a000001), port_dst_mask(32));
    u32 masks, cache;
    for (int i = 0; i < 3; i++) {
        EXPECT_EQ(lookup(t, pkt(1, 0x0a000001), 0xabc, &masks, &cache), f);
        EXPECT_EQ(masks, 2u);
        EXPECT_EQ(cache, 0u);
    }
    ASSERT_TRUE(t.set_masks_cache_size_locked(16).ok());
    lookup(t, pkt(1, 0x0a000001), 0xabc);
    EXPECT_EQ(lookup(t, pkt(1, 0x0a000001), 0xabc, &masks, &cache), f);
    EXPECT_EQ(cache, 1u);
}

TEST(FlowTable, MaskCacheSizeValidation)
{
    TableFixture fx;
    FlowTable& t = fx.table;
    EXPECT_EQ(t.masks_cache_size(), kMaskCacheDefaultSize);
    EXPECT_EQ(t.set_masks_cache_size_locked(3).error().code, err::INVAL);
    EXPECT_EQ(t.set_masks_cache_size_locked(8192).error().code, err::INVAL);
    EXPECT_EQ(t.masks_cache_size(), kMaskCacheDefaultSize);
    for (u32 s : { 0u, 1u, 4096u, 256u }) {
        EXPECT_TRUE(t.set_masks_cache_size_locked(s).ok());
        EXPECT_EQ(t.masks_cache_size(), s);
    }
    FlowTable bad;
    EXPECT_EQ(bad.init(100).error().code, err::INVAL);
}

TEST(FlowTable, RecircIdSeparatesCacheEntries)
{
    TableFixture fx;
    FlowTable& t = fx.table;
    TestMask m;
    FlowKeyWriter w(m.key, m.range);
    w.put(m.key.recirc_id, ~u32(0));
    w.put(m.key.in_port, u16(0xffff));
    TestMask m2 = m;
    FlowKeyWriter w2(m2.key, m2.range);
    w2.put(m2.key.ipv4.dst, ~u32(0));
    FlowKey k0 = pkt(1, 0x0a000001);
    FlowKey k1 = k0;
    k1.recirc_id = 5;
    Flow* f0 = insert(t, k0, m);
    Flow* f1 = insert(t, k1, m2);
    for (int i = 0; i < 3; i++) {
        EXPECT_EQ(lookup(t, k0, 0x77), f0);
        EXPECT_EQ(lookup(t, k1, 0x77), f1);
    }
    u32 masks, cache;
    EXPECT_EQ(lookup(t, k1, 0x77, &masks, &cache), f1);
    EXPECT_EQ(cache, 1u);
}

TEST(FlowTable, LookupExactByUnmaskedKey)
{
    TableFixture fx;
    FlowTable& t = fx.table;
    TestMask m = port_dst_mask(24);
    FlowKeyRange match_range = FlowKeyRange::non_tunnel();
    FlowKey k = pkt(1, 0x0a000102);
    Flow* f = insert(t, k, m);
    EXPECT_EQ(t.lookup_exact(k, match_range), f);
    // Same masked key, different unmasked key: not this flow.
    EXPECT_EQ(t.lookup_exact(pkt(1, 0x0a000103), match_range), nullptr);
    // UFID-identified flows are not found by key.
    FlowUfid u = ufid_of(1);
    FlowKey k2 = pkt(1, 0x0b000102);
    insert(t, k2, m, &u);
    EXPECT_EQ(t.lookup_exact(k2, match_range), nullptr);
    EXPECT_NE(t.lookup(k2), nullptr);
}

TEST(FlowTable, LookupExactTunnelKeysCompareMetadata)
{
    TableFixture fx;
    FlowTable& t = fx.table;
    TestMask m;
    FlowKeyWriter w(m.key, m.range);
    w.put(m.key.tun_key.tun_id, ~u64(0));
    w.put(m.key.in_port, u16(0xffff));
    FlowKey k = pkt(1, 0x0a000001);
    k.tun_key.ip_family = kAfInet;
    k.tun_key.tun_id = htonll(42);
    k.tun_key.ipv4.dst = htonl(0xc0a80001);
    Flow* f = insert(t, k, m);
    FlowKeyRange r = FlowKeyRange::full();
    EXPECT_EQ(t.lookup_exact(k, r), f);
    FlowKey other = k;
    other.tun_key.ipv4.dst = htonl(0xc0a80002); // wildcarded by the mask, not by the identifier
    EXPECT_EQ(t.lookup_exact(other, r), nullptr);
    EXPECT_EQ(t.lookup(other), f);
}

TEST(FlowTable, LookupByUfid)
{
    TableFixture fx;
    FlowTable& t = fx.table;
    FlowUfid u1 = ufid_of(1), u2 = ufid_of(2), short1 = ufid_of(1, 8);
    Flow* f1 = insert(t, pkt(1, 1), port_dst_mask(32), &u1);
    Flow* f2 = insert(t, pkt(1, 2), port_dst_mask(32), &u2);
    EXPECT_EQ(t.n_ufid_flows(), 2u);
    RcuReadGuard g;
    EXPECT_EQ(t.lookup_ufid(u1), f1);
    EXPECT_EQ(t.lookup_ufid(u2), f2);
    EXPECT_EQ(t.lookup_ufid(short1), nullptr);
    EXPECT_EQ(t.lookup_ufid(ufid_of(3)), nullptr);
    Flow* f = make_flow(pkt(1, 3), port_dst_mask(32));
    EXPECT_EQ(flow_set_ufid(f, u1.data, 0).error().code, err::INVAL);
    EXPECT_EQ(flow_set_ufid(f, u1.data, 17).error().code, err::INVAL);
    flow_free(f);
}

TEST(FlowTable, GrowsWithFlowCountAndRehashes)
{
    TableFixture fx;
    FlowTable& t = fx.table;
    EXPECT_EQ(t.n_buckets(), kTableMinBuckets);
    TestMask m = port_dst_mask(32);
    std::vector<Flow*> flows;
    for (u32 i = 0; i < 3000; i++) {
        FlowUfid u = ufid_of(i);
        flows.push_back(insert(t, pkt(1, i), m, &u));
    }
    EXPECT_EQ(t.n_buckets(), 4096u);
    EXPECT_EQ(t.n_flows(), 3000u);
    ASSERT_TRUE(t.rehash_locked().ok());
    EXPECT_EQ(t.n_buckets(), 4096u);
    RcuReadGuard g;
    for (u32 i = 0; i < 3000; i++) {
        ASSERT_EQ(lookup(t, pkt(1, i)), flows[i]);
        ASSERT_EQ(t.lookup_ufid(ufid_of(i)), flows[i]);
    }
}

TEST(FlowTable, PeriodicRehashOnInsert)
{
    TableFixture fx;
    FlowTable& t = fx.table;
    unsigned long j = static_cast<unsigned long>(-1000L); // just before a wrap
    user::set_jiffies(j);
    insert(t, pkt(1, 1), port_dst_mask(32));
    ASSERT_TRUE(t.rehash_locked().ok());
    EXPECT_EQ(t.last_rehash(), j);
    user::set_jiffies(j + 10);
    insert(t, pkt(1, 2), port_dst_mask(32));
    EXPECT_EQ(t.last_rehash(), j); // too early
    unsigned long later = j + ovsdp_msecs_to_jiffies(kRehashIntervalMs) + 1; // wraps past 0
    user::set_jiffies(later);
    Flow* f = insert(t, pkt(1, 3), port_dst_mask(32));
    EXPECT_EQ(t.last_rehash(), later);
    EXPECT_EQ(lookup(t, pkt(1, 3)), f);
    EXPECT_NE(lookup(t, pkt(1, 1)), nullptr);
    user::unfreeze_jiffies();
}

TEST(FlowTable, RebalanceRanksMasksByUse)
{
    TableFixture fx(0);
    FlowTable& t = fx.table;
    Flow* a = insert(t, pkt(1, 0x01000000), port_dst_mask(8));
    Flow* b = insert(t, pkt(1, 0x02020000), port_dst_mask(16));
    Flow* c = insert(t, pkt(1, 0x03030300), port_dst_mask(24));
    for (int i = 0; i < 30; i++)
        lookup(t, pkt(1, 0x03030301));
    for (int i = 0; i < 20; i++)
        lookup(t, pkt(1, 0x02020001));
    for (int i = 0; i < 10; i++)
        lookup(t, pkt(1, 0x01000001));
    EXPECT_EQ(t.mask_at(0), a->mask);
    t.masks_rebalance_locked();
    EXPECT_EQ(t.mask_at(0), c->mask);
    EXPECT_EQ(t.mask_at(1), b->mask);
    EXPECT_EQ(t.mask_at(2), a->mask);
    u32 masks;
    EXPECT_EQ(lookup(t, pkt(1, 0x03030301), 0, &masks), c);
    EXPECT_EQ(masks, 1u);
    // Counts since the last rebalance decide: now a is the hot one.
    for (int i = 0; i < 50; i++)
        lookup(t, pkt(1, 0x01000001));
    t.masks_rebalance_locked();
    EXPECT_EQ(t.mask_at(0), a->mask);
    EXPECT_EQ(t.n_masks(), 3u);
}

TEST(FlowTable, MaskArrayGrowsAndShrinksHoleFree)
{
    TableFixture fx;
    FlowTable& t = fx.table;
    struct Entry {
        Flow* flow;
        u16 port;
    };
    std::vector<Entry> flows;
    std::mt19937 rng(7);
    // 100 distinct masks: in_port + dst prefix + src prefix combinations;
    // one port per flow so that no two flows overlap.
    for (int i = 0; i < 100; i++) {
        TestMask m = port_dst_mask(1 + i % 32);
        FlowKeyWriter w(m.key, m.range);
        w.put(m.key.ipv4.src, htonl(~u32(0) << (i / 32)));
        u16 port = static_cast<u16>(i + 1);
        flows.push_back({ insert(t, pkt(port, 0x0a000000u + i), m), port });
    }
    EXPECT_EQ(t.n_masks(), 100u);
    EXPECT_EQ(t.mask_array_capacity(), 128u);
    std::shuffle(flows.begin(), flows.end(), rng);
    while (flows.size() > 10) {
        remove(t, flows.back().flow);
        flows.pop_back();
        for (u32 i = 0; i < t.n_masks(); i++)
            ASSERT_NE(t.mask_at(i), nullptr);
        ASSERT_EQ(t.n_masks(), flows.size());
    }
    EXPECT_LE(t.mask_array_capacity(), 32u);
    for (const Entry& e : flows)
        EXPECT_EQ(lookup(t, pkt(e.port, 0x0a000000u + e.port - 1)), e.flow);
}

TEST(FlowTable, FlushRemovesEverything)
{
    TableFixture fx;
    FlowTable& t = fx.table;
    for (u32 i = 0; i < 2000; i++) {
        FlowUfid u = ufid_of(i);
        insert(t, pkt(1, i), port_dst_mask(16 + i % 17), &u);
    }
    ASSERT_TRUE(t.flush_locked().ok());
    EXPECT_EQ(t.n_flows(), 0u);
    EXPECT_EQ(t.n_ufid_flows(), 0u);
    EXPECT_EQ(t.n_masks(), 0u);
    EXPECT_EQ(t.n_buckets(), kTableMinBuckets);
    EXPECT_EQ(lookup(t, pkt(1, 5)), nullptr);
    EXPECT_EQ(t.dump_next(0), nullptr);
    {
        RcuReadGuard g;
        EXPECT_EQ(t.lookup_ufid(ufid_of(5)), nullptr);
    }
    Flow* f = insert(t, pkt(1, 5), port_dst_mask(32));
    EXPECT_EQ(lookup(t, pkt(1, 5)), f);
}

TEST(FlowTable, ReplaceActionsFreesOldAfterGracePeriod)
{
    TableFixture fx;
    Flow* f = insert(fx.table, pkt(1, 1), port_dst_mask(32));
    auto a1 = flow_actions_alloc(16);
    ASSERT_TRUE(a1.ok());
    a1.value()->len = 4;
    flow_replace_actions_locked(f, a1.value());
    long live = user::live_allocations();
    auto a2 = flow_actions_alloc(32);
    ASSERT_TRUE(a2.ok());
    {
        RcuReadGuard g;
        const FlowActions* seen = flow_actions(f);
        flow_replace_actions_locked(f, a2.value());
        EXPECT_EQ(seen->len, 4u); // still readable inside the read section
    }
    ovsdp_rcu_barrier();
    EXPECT_EQ(user::live_allocations(), live); // a2 in, a1 out
    EXPECT_EQ(flow_actions(f), a2.value());
    EXPECT_EQ(flow_actions_alloc(kMaxActionsBufsize + 1).error().code, err::TOOBIG);
}

namespace {

std::vector<Flow*> dump_all(const FlowTable& t)
{
    std::vector<Flow*> out;
    u64 cursor = 0;
    while (Flow* f = t.dump_next(cursor)) {
        out.push_back(f);
        cursor = f->dump_key;
    }
    return out;
}

} // namespace

TEST(FlowTable, DumpReturnsEveryFlowOnce)
{
    TableFixture fx;
    FlowTable& t = fx.table;
    std::set<Flow*> all;
    for (u32 i = 0; i < 1500; i++)
        all.insert(insert(t, pkt(1, i), port_dst_mask(32)));
    std::vector<Flow*> seen = dump_all(t);
    EXPECT_EQ(seen.size(), all.size());
    EXPECT_EQ(std::set<Flow*>(seen.begin(), seen.end()), all);
}

TEST(FlowTable, DumpCursorSurvivesConcurrentChange)
{
    TableFixture fx;
    FlowTable& t = fx.table;
    std::mt19937 rng(11);
    std::vector<Flow*> live;
    u32 next = 0;
    for (; next < 600; next++)
        live.push_back(insert(t, pkt(1, next), port_dst_mask(32)));
    std::set<Flow*> stable(live.begin(), live.end());
    std::map<Flow*, int> seen;
    u64 cursor = 0;
    for (int step = 0;; step++) {
        // A "message" of up to 25 flows.
        Flow* f = nullptr;
        for (int i = 0; i < 25 && (f = t.dump_next(cursor)); i++) {
            seen[f]++;
            cursor = f->dump_key;
        }
        if (!f)
            break;
        // Between messages: remove some flows, add many (growing the table
        // and the dump index), rehash.
        for (int i = 0; i < 5 && !live.empty(); i++) {
            usize idx = rng() % live.size();
            Flow* victim = live[idx];
            live.erase(live.begin() + idx);
            stable.erase(victim);
            seen.erase(victim); // its address may be reused by a new flow
            remove(t, victim);
        }
        for (int i = 0; i < 40; i++, next++)
            live.push_back(insert(t, pkt(1, next), port_dst_mask(16 + next % 17)));
        if (step % 7 == 0) {
            ASSERT_TRUE(t.rehash_locked().ok());
        }
        ovsdp_rcu_barrier(); // let freed addresses be reused
    }
    EXPECT_GT(t.n_buckets(), kTableMinBuckets);
    for (Flow* f : stable)
        EXPECT_EQ(seen[f], 1) << "an unchanged flow must be dumped exactly once";
    for (auto& [f, n] : seen)
        EXPECT_EQ(n, 1);
}

TEST(FlowTable, InsertFailsCleanlyWithoutMemory)
{
    TableFixture fx;
    FlowTable& t = fx.table;
    Flow* f = make_flow(pkt(1, 1), port_dst_mask(32));
    user::set_alloc_fail_hook([](size_t, unsigned, int) { return true; });
    Status s = t.insert_locked(f, port_dst_mask(32).key, port_dst_mask(32).range);
    user::set_alloc_fail_hook(nullptr);
    EXPECT_EQ(s.error().code, err::NOMEM);
    EXPECT_EQ(t.n_flows(), 0u);
    EXPECT_EQ(t.n_masks(), 0u);
    flow_free(f);
}

TEST(FlowTable, MaskRemovalWithoutMemoryStaysHoleFree)
{
    TableFixture fx(0);
    FlowTable& t = fx.table;
    std::vector<Flow*> flows;
    for (int p = 1; p <= 12; p++)
        flows.push_back(insert(t, pkt(static_cast<u16>(p), 0x0a000000u + p), port_dst_mask(20 + p)));
    user::set_alloc_fail_hook([](size_t, unsigned, int) { return true; });
    remove(t, flows[2]);
    remove(t, flows[5]);
    user::set_alloc_fail_hook(nullptr);
    EXPECT_EQ(t.n_masks(), 10u);
    for (u32 i = 0; i < 10; i++)
        EXPECT_NE(t.mask_at(i), nullptr);
    for (usize i = 0; i < flows.size(); i++) {
        if (i != 2 && i != 5) {
            EXPECT_EQ(lookup(t, pkt(static_cast<u16>(i + 1), 0x0a000000u + i + 1)), flows[i]);
        }
    }
}
