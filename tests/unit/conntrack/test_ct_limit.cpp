// SPDX-License-Identifier: GPL-2.0
// Connection limits (conntrack/ct_limit.cpp): the ovs_ct_limit commands
// through the command table against the fake kernel, as upstream answers
// them: SET/DEL/GET of the default and per-zone limits, entries with zones
// out of range skipped, trailing and cut-short bytes, SET and DEL without
// limits refused (errno + extack), GET's order (upstream's hash buckets),
// counts from the host's tracker, a reply too large, and the table freed
// with the namespace.
#include "conntrack/ct_limit.h"
#include "datapath/datapath.h"
#include "platform/user/conntrack_user.h"
#include "platform/user/dispatch.h"
#include "platform/user/fake_kernel.h"
#include "platform/user/user_platform.h"

#include <gtest/gtest.h>
#include <cstring>
#include <vector>

using namespace ovsdp;
using namespace ovsdp::user;
using fake::Net;
using fake::Request;

namespace {

constexpr int E(int e) { return -e; }
using ZL = uapi::OvsZoneLimit;

class CtLimitTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        fake::k = &kernel;
        baseline = live_allocations();
        ct_flush();
    }
    void TearDown() override
    {
        ct_limit_net_exit();
        ovsdp_rcu_barrier();
        ct_flush();
        EXPECT_EQ(live_allocations(), baseline) << "leaked allocations";
        fake::k = nullptr;
    }
    // One request of cmd with `zones` as OVS_CT_LIMIT_ATTR_ZONE_LIMIT
    // (`raw`: its bytes as given; neither: no attribute).
    int run(int (*c)(ovsdp_request*), const std::vector<ZL>* zones, const std::vector<u8>* raw = nullptr)
    {
        Request r(&net, uapi::kCtLimitAttrMax, 77, 1);
        std::vector<u8> bytes;
        if (zones) {
            bytes.resize(zones->size() * sizeof(ZL));
            if (!bytes.empty())
                std::memcpy(bytes.data(), zones->data(), bytes.size());
        } else if (raw) {
            bytes = *raw;
        }
        static const u8 kNothing = 0;
        if (zones || raw)
            r.put(uapi::OVS_CT_LIMIT_ATTR_ZONE_LIMIT, bytes.empty() ? &kNothing : bytes.data(), bytes.size());
        kernel.reset();
        int rc = c(r.finish());
        last_msg = r.req.extack_msg;
        return rc;
    }
    int set(std::vector<ZL> z) { return run(cmd::ct_limit_set, &z); }
    int del(std::vector<ZL> z) { return run(cmd::ct_limit_del, &z); }
    // GET's reply array (with `zones`, or all without).
    std::vector<ZL> get(const std::vector<ZL>* zones = nullptr)
    {
        EXPECT_EQ(run(cmd::ct_limit_get, zones), 0) << last_msg;
        return reply_zones(uapi::OVS_CT_LIMIT_CMD_GET);
    }
    std::vector<ZL> reply_zones(u8 cmd)
    {
        std::vector<ZL> out;
        EXPECT_EQ(kernel.sent.size(), 1u);
        if (kernel.sent.empty())
            return out;
        const fake::Message& m = kernel.sent.back();
        EXPECT_EQ(m.family, OVSDP_FAMILY_CT_LIMIT);
        EXPECT_EQ(m.cmd, cmd);
        EXPECT_EQ(m.dp_ifindex, 77);
        EXPECT_FALSE(m.notify);
        const NlAttr* a = m.attr(uapi::OVS_CT_LIMIT_ATTR_ZONE_LIMIT);
        if (cmd != uapi::OVS_CT_LIMIT_CMD_GET) {
            EXPECT_TRUE(m.attrs.empty()) << "SET and DEL replies are empty";
            return out;
        }
        EXPECT_NE(a, nullptr) << "GET always carries the array";
        if (!a)
            return out;
        EXPECT_EQ(a->len() % sizeof(ZL), 0u);
        out.resize(a->len() / sizeof(ZL));
        if (!out.empty())
            std::memcpy(out.data(), a->data(), out.size() * sizeof(ZL));
        return out;
    }
    static bool same(const ZL& a, s32 zone, u32 limit, u32 count)
    {
        return a.zone_id == zone && a.limit == limit && a.count == count;
    }

    fake::Kernel kernel;
    Net net;
    long baseline = 0;
    const char* last_msg = nullptr;
};

TEST_F(CtLimitTest, GetWithoutLimitsIsTheDefaultUnlimited)
{
    std::vector<ZL> z = get();
    ASSERT_EQ(z.size(), 1u);
    EXPECT_TRUE(same(z[0], -1, 0, 0));
    // A listed zone without a table: the default (0) and its count.
    std::vector<ZL> q { { 3, 0, 0 } };
    z = get(&q);
    ASSERT_EQ(z.size(), 1u);
    EXPECT_TRUE(same(z[0], 3, 0, 0));
}

TEST_F(CtLimitTest, SetGetDelDefaultAndZones)
{
    ASSERT_EQ(set({ { -1, 10, 0 }, { 1, 3, 0 }, { 2, 5, 99 } }), 0) << last_msg;
    reply_zones(uapi::OVS_CT_LIMIT_CMD_SET);
    std::vector<ZL> z = get();
    ASSERT_EQ(z.size(), 3u);
    EXPECT_TRUE(same(z[0], -1, 10, 0));
    EXPECT_TRUE(same(z[1], 1, 3, 0));
    EXPECT_TRUE(same(z[2], 2, 5, 0)); // the request's count is ignored
    // Listed zones: their own limit, else the default; the default entry's
    // count is 0; in the request's order, duplicates included.
    std::vector<ZL> q { { 2, 0, 0 }, { 7, 0, 0 }, { -1, 0, 0 }, { 2, 0, 0 } };
    z = get(&q);
    ASSERT_EQ(z.size(), 4u);
    EXPECT_TRUE(same(z[0], 2, 5, 0));
    EXPECT_TRUE(same(z[1], 7, 10, 0));
    EXPECT_TRUE(same(z[2], -1, 10, 0));
    EXPECT_TRUE(same(z[3], 2, 5, 0));

    // Replace zone 1, delete zone 2 and the default (back to unlimited);
    // deleting a zone without a limit is no error.
    ASSERT_EQ(set({ { 1, 4, 0 } }), 0);
    ASSERT_EQ(del({ { 2, 0, 0 }, { -1, 0, 0 }, { 9, 0, 0 } }), 0) << last_msg;
    reply_zones(uapi::OVS_CT_LIMIT_CMD_DEL);
    z = get();
    ASSERT_EQ(z.size(), 2u);
    EXPECT_TRUE(same(z[0], -1, 0, 0));
    EXPECT_TRUE(same(z[1], 1, 4, 0));
    EXPECT_EQ(ct_limit_lookup(static_cast<const CtLimitTable*>(*ovsdp_ct_limit_slot(&net)), 1), 4u);
}

TEST_F(CtLimitTest, DeletingTheLastLimitFreesTheTable)
{
    // With no zone limit and the default unlimited, the namespace holds no
    // memory: deleting every limit leaves what was there before the first
    // SET, so a namespace's table does not outlive its limits.
    ovsdp_rcu_barrier();
    long before = live_allocations();
    ASSERT_EQ(set({ { -1, 10, 0 }, { 5, 3, 0 } }), 0) << last_msg;
    EXPECT_NE(*ovsdp_ct_limit_slot(&net), nullptr);
    ASSERT_EQ(del({ { 5, 0, 0 } }), 0) << last_msg;
    EXPECT_NE(*ovsdp_ct_limit_slot(&net), nullptr) << "the default limit is still set";
    ASSERT_EQ(del({ { -1, 0, 0 } }), 0) << last_msg;
    EXPECT_EQ(*ovsdp_ct_limit_slot(&net), nullptr);
    ovsdp_rcu_barrier();
    EXPECT_EQ(live_allocations(), before);
    std::vector<ZL> z = get();
    ASSERT_EQ(z.size(), 1u);
    EXPECT_TRUE(same(z[0], -1, 0, 0));
    // Setting the default to 0 (unlimited) alone keeps no table either.
    ASSERT_EQ(set({ { -1, 0, 0 } }), 0) << last_msg;
    EXPECT_EQ(*ovsdp_ct_limit_slot(&net), nullptr);
}

TEST_F(CtLimitTest, GetAllListsZonesInUpstreamsHashOrder)
{
    // Buckets are zone % 512; within one, the zone set first comes last
    // (hlist_add_head), and a replaced zone keeps its place.
    ASSERT_EQ(set({ { 513, 1, 0 }, { 3, 1, 0 }, { 1, 1, 0 }, { 1025, 1, 0 }, { 0, 1, 0 } }), 0);
    ASSERT_EQ(set({ { 513, 2, 0 } }), 0);
    std::vector<ZL> z = get();
    std::vector<s32> order;
    for (const ZL& e : z)
        order.push_back(e.zone_id);
    EXPECT_EQ(order, (std::vector<s32> { -1, 0, 1025, 1, 513, 3 }));
    EXPECT_EQ(z[4].limit, 2u);
}

TEST_F(CtLimitTest, BadInputIsSkippedOrRefusedAsUpstream)
{
    // No array: EINVAL with a message, for SET and DEL; GET lists all.
    EXPECT_EQ(run(cmd::ct_limit_set, nullptr), E(err::INVAL));
    EXPECT_NE(last_msg, nullptr);
    EXPECT_TRUE(kernel.sent.empty());
    EXPECT_EQ(run(cmd::ct_limit_del, nullptr), E(err::INVAL));
    EXPECT_NE(last_msg, nullptr);

    // Zones outside 0..65535 are skipped; the rest applies.
    ASSERT_EQ(set({ { 65536, 1, 0 }, { -2, 1, 0 }, { 65535, 2, 0 } }), 0);
    std::vector<ZL> z = get();
    ASSERT_EQ(z.size(), 2u);
    EXPECT_TRUE(same(z[1], 65535, 2, 0));

    // An empty array does nothing; trailing bytes (fewer than an entry after
    // alignment) are ignored; an entry cut short within the aligned length
    // reads its missing bytes as zero (upstream reads the padding).
    ASSERT_EQ(set({}), 0);
    std::vector<u8> raw(sizeof(ZL) + 3, 0);
    ZL one { 4, 9, 0 };
    std::memcpy(raw.data(), &one, sizeof(one));
    ASSERT_EQ(run(cmd::ct_limit_set, nullptr, &raw), 0);
    std::vector<u8> cut(10, 0); // zone 6, limit's low two bytes 0x0101
    cut[0] = 6;
    cut[4] = 1;
    cut[5] = 1;
    ASSERT_EQ(run(cmd::ct_limit_set, nullptr, &cut), 0);
    std::vector<ZL> q { { 4, 0, 0 }, { 6, 0, 0 } };
    z = get(&q);
    ASSERT_EQ(z.size(), 2u);
    EXPECT_TRUE(same(z[0], 4, 9, 0));
    EXPECT_TRUE(same(z[1], 6, 0x101, 0));
}

TEST_F(CtLimitTest, GetCountsTheZonesConnections)
{
    ASSERT_EQ(set({ { 5, 3, 0 } }), 0);
    FlowKey key {};
    key.eth.type = htons(0x0800);
    key.ip.proto = 17;
    ovsdp_ct_action act {};
    act.zone = 5;
    act.family = 2;
    act.flags = OVSDP_CT_F_COMMIT;
    for (u16 port = 1; port <= 4; port++) {
        u8 frame[64] = {};
        UserPacket pkt(frame, sizeof(frame));
        FlowKey k = key;
        k.tp.src = htons(port);
        // The fourth new connection exceeds the limit of 3: ENOMEM (dropped).
        EXPECT_EQ(ct_execute(pkt, k, act), port <= 3 ? 0 : E(err::NOMEM)) << port;
    }
    std::vector<ZL> q { { 5, 0, 0 } };
    std::vector<ZL> z = get(&q);
    ASSERT_EQ(z.size(), 1u);
    EXPECT_TRUE(same(z[0], 5, 3, 3));
    // Another zone has no limit.
    act.zone = 6;
    for (u16 port = 1; port <= 4; port++) {
        u8 frame[64] = {};
        UserPacket pkt(frame, sizeof(frame));
        FlowKey k = key;
        k.tp.src = htons(port);
        EXPECT_EQ(ct_execute(pkt, k, act), 0);
    }
}

TEST_F(CtLimitTest, TooManyZonesForOneReplyIsEmsgsize)
{
    std::vector<ZL> many;
    for (s32 i = 0; i < 700; i++)
        many.push_back({ i, 1, 0 });
    ASSERT_EQ(set(many), 0);
    EXPECT_EQ(run(cmd::ct_limit_get, nullptr), E(err::MSGSIZE));
    EXPECT_TRUE(kernel.sent.empty());
    // 652 zones and the default fit (upstream's 8 KiB reply), 653 do not.
    ASSERT_EQ(del(std::vector<ZL>(many.begin() + 653, many.end())), 0);
    EXPECT_EQ(run(cmd::ct_limit_get, nullptr), E(err::MSGSIZE));
    ASSERT_EQ(del({ { 652, 0, 0 } }), 0);
    EXPECT_EQ(get().size(), 653u);
}

} // namespace

namespace {

// Not a limit: the userspace tracker's answer to a packet back from
// userspace (EXECUTE) whose key says ct already ran in the action's zone:
// it finds its confirmed connection and keeps the key's state, as
// upstream's ovs_ct_find_existing() (no second pass through conntrack).
TEST_F(CtLimitTest, ExecutedPacketFindsItsConnectionAndKeepsItsState)
{
    FlowKey a {};
    a.eth.type = htons(0x0800);
    a.ip.proto = 17;
    a.ipv4.src = htonl(0x0a000001);
    a.ipv4.dst = htonl(0x0a000002);
    a.tp.src = htons(1000);
    a.tp.dst = htons(53);
    FlowKey b = a;
    std::swap(b.ipv4.src, b.ipv4.dst);
    std::swap(b.tp.src, b.tp.dst);
    ovsdp_ct_action act {};
    act.zone = 3;
    act.family = 2;
    u8 frame[64] = {};
    {
        UserPacket p(frame, sizeof(frame));
        FlowKey k = a;
        act.flags = OVSDP_CT_F_COMMIT;
        ASSERT_EQ(ct_execute(p, k, act), 0);
        act.flags = 0;
        UserPacket r(frame, sizeof(frame));
        FlowKey kr = b;
        ASSERT_EQ(ct_execute(r, kr, act), 0);
        EXPECT_EQ(kr.ct.state, uapi::kCtStateTracked | uapi::kCtStateEstablished | uapi::kCtStateReplyDir);
    }
    // Back from userspace saying +trk+new in zone 3: kept.
    UserPacket p(frame, sizeof(frame));
    FlowKey k = a;
    k.ct.state = uapi::kCtStateTracked | uapi::kCtStateNew;
    k.ct.zone = 3;
    ASSERT_EQ(ct_execute(p, k, act), 0);
    EXPECT_EQ(k.ct.state, uapi::kCtStateTracked | uapi::kCtStateNew);
    EXPECT_NE(p.ct(), 0u) << "the connection is attached";
    // In another zone than the action's: looked up afresh (+est).
    UserPacket q(frame, sizeof(frame));
    k = a;
    k.ct.state = uapi::kCtStateTracked | uapi::kCtStateNew;
    k.ct.zone = 4;
    ASSERT_EQ(ct_execute(q, k, act), 0);
    EXPECT_EQ(k.ct.state, uapi::kCtStateTracked | uapi::kCtStateEstablished);
}

} // namespace
