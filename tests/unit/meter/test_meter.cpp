// SPDX-License-Identifier: GPL-2.0
// Meters (meter/): the ovs_meter commands through the command table against
// the fake kernel (errors with their extack messages, replies, the table's
// growth, shrink, collisions and limit, dumps), the token bucket at its
// edges with a frozen clock, the meter action on the packet path, several
// CPUs sharing one meter, and meters freed with their datapath.
#include "datapath/datapath.h"
#include "datapath/packet_path.h"
#include "flow_netlink/flow_netlink.h"
#include "meter/meter.h"
#include "platform/user/dispatch.h"
#include "platform/user/fake_kernel.h"
#include "platform/user/user_host.h"
#include "platform/user/user_platform.h"
#include "tests/unit/flow_netlink/nl_build.h"

#include <gtest/gtest.h>
#include <atomic>
#include <functional>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

using namespace ovsdp;
using namespace ovsdp::user;
using fake::Net;
using fake::Request;
using test::Nl;

namespace {

constexpr int E(int e) { return -e; }
constexpr u64 kT0 = 1000ULL * 1000000000ULL; // 1,000 s of uptime
constexpr u64 kMs = 1000000ULL;
constexpr u64 kSec = 1000000000ULL;
constexpr u32 kDrop = uapi::OVS_METER_BAND_TYPE_DROP;

Nl band(u32 type, u32 rate, u32 burst)
{
    Nl b;
    b.begin(uapi::OVS_BAND_ATTR_UNSPEC)
        .u32_(uapi::OVS_BAND_ATTR_TYPE, type)
        .u32_(uapi::OVS_BAND_ATTR_RATE, rate)
        .u32_(uapi::OVS_BAND_ATTR_BURST, burst)
        .end();
    return b;
}

class MeterTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        fake::k = &kernel;
        set_topology(4, 1);
        set_free_buffer_bytes(16ULL << 30);
        set_ktime_ns(kT0);
        baseline = live_allocations();
        reset_packets_leaked();
        Request r(&net, uapi::kDpAttrMax, 0, 2);
        r.str(uapi::OVS_DP_ATTR_NAME, "dp0").u32(uapi::OVS_DP_ATTR_UPCALL_PID, 0);
        ASSERT_EQ(cmd::dp_new(r.finish()), 0);
        ifindex = kernel.find(&net, "dp0")->ifindex;
        dp = dp_lookup_by_ifindex(&net, ifindex);
        ASSERT_NE(dp, nullptr);
        kernel.reset();
    }
    void TearDown() override
    {
        {
            OvsLock ovsl;
            ovsdp_destroy_all();
        }
        ovsdp_rcu_barrier();
        unfreeze_ktime();
        set_free_buffer_bytes(1ULL << 30);
        EXPECT_EQ(live_allocations(), baseline) << "leaked allocations";
        EXPECT_EQ(packets_leaked(), 0);
        fake::k = nullptr;
    }

    // OVS_METER_CMD_SET of one band; `bands` replaces it when given.
    int set(u32 id, u32 rate, u32 burst, bool kbps = false, u32 type = kDrop, const Nl* bands = nullptr,
            const std::function<void(Request&)>& extra = {})
    {
        Request r(&net, uapi::kMeterAttrMax, ifindex, 1);
        r.u32(uapi::OVS_METER_ATTR_ID, id);
        if (kbps)
            r.put(uapi::OVS_METER_ATTR_KBPS, nullptr, 0);
        Nl b = bands ? *bands : band(type, rate, burst);
        static const u8 kNothing = 0;
        r.put(uapi::OVS_METER_ATTR_BANDS, b.size() ? b.bytes().data() : &kNothing, b.size());
        if (extra)
            extra(r);
        return run(cmd::meter_set, r);
    }
    int run(int (*c)(ovsdp_request*), Request& r)
    {
        kernel.reset();
        last_rc = c(r.finish());
        last_msg = r.req.extack_msg;
        last_bad = r.req.extack_attr;
        return last_rc;
    }
    int get(u32 id)
    {
        Request r(&net, uapi::kMeterAttrMax, ifindex, 1);
        r.u32(uapi::OVS_METER_ATTR_ID, id);
        return run(cmd::meter_get, r);
    }
    int del(u32 id)
    {
        Request r(&net, uapi::kMeterAttrMax, ifindex, 1);
        r.u32(uapi::OVS_METER_ATTR_ID, id);
        return run(cmd::meter_del, r);
    }
    const fake::Message& reply()
    {
        EXPECT_EQ(kernel.sent.size(), 1u);
        return kernel.sent.back();
    }
    static uapi::FlowStats stats_of(const NlAttr* a)
    {
        EXPECT_NE(a, nullptr);
        return a ? a->get<uapi::FlowStats>() : uapi::FlowStats {};
    }
    // The one band's STATS in a reply's BANDS nest.
    static uapi::FlowStats band_stats(const fake::Message& m)
    {
        const NlAttr* bands = m.attr(uapi::OVS_METER_ATTR_BANDS);
        EXPECT_NE(bands, nullptr);
        if (!bands)
            return {};
        for (const NlAttr* b : nla_range(bands->payload()))
            for (const NlAttr* x : nla_range(b->payload()))
                if (x->type() == uapi::OVS_BAND_ATTR_STATS)
                    return x->get<uapi::FlowStats>();
        ADD_FAILURE() << "no band statistics";
        return {};
    }
    // The meter action on this CPU (packet path context): true if it passes.
    bool pass(u32 id, u32 len, u64 now)
    {
        ovsdp_local_bh_disable();
        bool drop;
        {
            RcuReadGuard rcu;
            drop = meter_execute(dp->meters, id, len, now);
        }
        ovsdp_local_bh_enable();
        return !drop;
    }
    int passes(u32 id, u32 len, u64 now, int n)
    {
        int k = 0;
        for (int i = 0; i < n; i++)
            k += pass(id, len, now);
        return k;
    }

    fake::Kernel kernel;
    Net net { 0 };
    Datapath* dp = nullptr;
    int ifindex = 0;
    long baseline = 0;
    int last_rc = 0;
    const char* last_msg = nullptr;
    const void* last_bad = nullptr;
};

// ---- Attribute validation: errno and extack each ------------------------------

TEST_F(MeterTest, SetNeedsAnId)
{
    Request r(&net, uapi::kMeterAttrMax, ifindex, 1);
    Nl b = band(kDrop, 1, 1);
    r.put(uapi::OVS_METER_ATTR_BANDS, b.bytes().data(), b.size());
    EXPECT_EQ(run(cmd::meter_set, r), E(err::INVAL));
    EXPECT_STREQ(last_msg, "Meter ID is required");
}

TEST_F(MeterTest, SetNeedsBands)
{
    Request r(&net, uapi::kMeterAttrMax, ifindex, 1);
    r.u32(uapi::OVS_METER_ATTR_ID, 1);
    EXPECT_EQ(run(cmd::meter_set, r), E(err::INVAL));
    EXPECT_STREQ(last_msg, "Meter bands are required");
}

TEST_F(MeterTest, SetTakesOneBand)
{
    Nl two = band(kDrop, 1, 1);
    two.raw(band(kDrop, 2, 2).bytes());
    EXPECT_EQ(set(1, 0, 0, false, kDrop, &two), E(err::INVAL));
    EXPECT_STREQ(last_msg, "A meter takes at most one band");
    EXPECT_NE(last_bad, nullptr);
}

TEST_F(MeterTest, BandNeedsTypeRateAndBurst)
{
    for (u16 missing : { uapi::OVS_BAND_ATTR_TYPE, uapi::OVS_BAND_ATTR_RATE, uapi::OVS_BAND_ATTR_BURST }) {
        Nl b;
        b.begin(0);
        for (u16 t : { uapi::OVS_BAND_ATTR_TYPE, uapi::OVS_BAND_ATTR_RATE, uapi::OVS_BAND_ATTR_BURST })
            if (t != missing)
                b.u32_(t, 5);
        b.end();
        EXPECT_EQ(set(1, 0, 0, false, kDrop, &b), E(err::INVAL)) << missing;
        EXPECT_STREQ(last_msg, "A meter band needs a type, a rate and a burst size");
        EXPECT_NE(last_bad, nullptr);
    }
    Nl empty;
    empty.begin(0).end();
    EXPECT_EQ(set(1, 0, 0, false, kDrop, &empty), E(err::INVAL));
}

TEST_F(MeterTest, BandRateZeroIsRefused)
{
    EXPECT_EQ(set(1, 0, 10), E(err::INVAL));
    EXPECT_STREQ(last_msg, "Meter band rate must not be 0");
    EXPECT_NE(last_bad, nullptr);
}

TEST_F(MeterTest, ShortBandAttributesAreOutOfRange)
{
    Nl b;
    b.begin(0).u32_(uapi::OVS_BAND_ATTR_TYPE, kDrop).u16_(uapi::OVS_BAND_ATTR_RATE, 5).u32_(uapi::OVS_BAND_ATTR_BURST, 5).end();
    EXPECT_EQ(set(1, 0, 0, false, kDrop, &b), E(err::RANGE));
    EXPECT_STREQ(last_msg, "Meter band type, rate and burst are u32");
    Nl s;
    s.begin(0).u32_(uapi::OVS_BAND_ATTR_TYPE, kDrop).u32_(uapi::OVS_BAND_ATTR_RATE, 5).u32_(uapi::OVS_BAND_ATTR_BURST, 5)
        .val<u64>(uapi::OVS_BAND_ATTR_STATS, 1).end();
    EXPECT_EQ(set(1, 0, 0, false, kDrop, &s), E(err::RANGE));
    EXPECT_STREQ(last_msg, "Meter band statistics are shorter than struct ovs_flow_stats");
    // Unknown band attributes are ignored, as the kernel's liberal parse does.
    Nl u;
    u.begin(0).u32_(uapi::OVS_BAND_ATTR_TYPE, kDrop).u32_(uapi::OVS_BAND_ATTR_RATE, 5).u32_(uapi::OVS_BAND_ATTR_BURST, 5)
        .u16_(77, 1).end();
    EXPECT_EQ(set(1, 0, 0, false, kDrop, &u), 0);
}

TEST_F(MeterTest, NoDatapath)
{
    ifindex = 12345;
    EXPECT_EQ(set(1, 10, 10), E(err::NODEV));
    EXPECT_STREQ(last_msg, "No datapath with this ifindex");
    // The meter's attributes are checked first, as upstream.
    EXPECT_EQ(set(1, 0, 10), E(err::INVAL));
    EXPECT_EQ(get(1), E(err::NODEV));
    EXPECT_STREQ(last_msg, "No datapath with this ifindex");
    EXPECT_EQ(del(1), E(err::NODEV));
    EXPECT_STREQ(last_msg, "No datapath with this ifindex");
    Request f(&net, uapi::kMeterAttrMax, ifindex, 1);
    EXPECT_EQ(run(cmd::meter_features, f), E(err::NODEV));
    EXPECT_STREQ(last_msg, "No datapath with this ifindex");
}

TEST_F(MeterTest, GetAndDelNeedAnId)
{
    Request g(&net, uapi::kMeterAttrMax, ifindex, 1);
    EXPECT_EQ(run(cmd::meter_get, g), E(err::INVAL));
    EXPECT_STREQ(last_msg, "Meter ID is required");
    Request d(&net, uapi::kMeterAttrMax, ifindex, 1);
    EXPECT_EQ(run(cmd::meter_del, d), E(err::INVAL));
    EXPECT_STREQ(last_msg, "Meter ID is required");
}

TEST_F(MeterTest, GetOfAMissingMeterIsNoEnt)
{
    EXPECT_EQ(get(7), E(err::NOENT));
    EXPECT_STREQ(last_msg, "No meter with this ID");
}

// ---- Replies ----------------------------------------------------------------

TEST_F(MeterTest, Features)
{
    Request f(&net, uapi::kMeterAttrMax, ifindex, 1);
    ASSERT_EQ(run(cmd::meter_features, f), 0);
    const fake::Message& m = reply();
    EXPECT_EQ(m.u32(uapi::OVS_METER_ATTR_MAX_METERS), kMeterMaxMeters);
    EXPECT_EQ(m.u32(uapi::OVS_METER_ATTR_MAX_BANDS), 1u);
    const NlAttr* bands = m.attr(uapi::OVS_METER_ATTR_BANDS);
    ASSERT_NE(bands, nullptr);
    int n = 0;
    for (const NlAttr* b : nla_range(bands->payload())) {
        n++;
        EXPECT_EQ(b->type(), uapi::OVS_BAND_ATTR_UNSPEC);
        for (const NlAttr* x : nla_range(b->payload()))
            EXPECT_TRUE(x->type() == uapi::OVS_BAND_ATTR_TYPE && x->get_u32() == kDrop);
    }
    EXPECT_EQ(n, 1);
}

TEST_F(MeterTest, MaxMetersFollowsFreeMemory)
{
    set_free_buffer_bytes(32ULL * 1000 * (sizeof(Meter) + 4 * sizeof(MeterPerCpu)));
    Request r(&net, uapi::kDpAttrMax, 0, 2);
    r.str(uapi::OVS_DP_ATTR_NAME, "dp1").u32(uapi::OVS_DP_ATTR_UPCALL_PID, 0);
    ASSERT_EQ(cmd::dp_new(r.finish()), 0);
    ifindex = kernel.find(&net, "dp1")->ifindex;
    Request f(&net, uapi::kMeterAttrMax, ifindex, 1);
    ASSERT_EQ(run(cmd::meter_features, f), 0);
    EXPECT_EQ(reply().u32(uapi::OVS_METER_ATTR_MAX_METERS), 1000u);
}

TEST_F(MeterTest, SetGetDelReplies)
{
    ASSERT_EQ(set(3, 100, 10), 0);
    {
        const fake::Message& m = reply();
        EXPECT_EQ(m.family, OVSDP_FAMILY_METER);
        EXPECT_EQ(m.cmd, uapi::OVS_METER_CMD_SET);
        EXPECT_FALSE(m.notify);
        EXPECT_EQ(m.u32(uapi::OVS_METER_ATTR_ID), 3u);
        EXPECT_EQ(m.attr(uapi::OVS_METER_ATTR_STATS), nullptr);
    }
    EXPECT_EQ(passes(3, 100, kT0, 12), 10);
    set_ktime_ns(kT0 + 2500 * kMs);
    ASSERT_EQ(get(3), 0);
    {
        const fake::Message& m = reply();
        EXPECT_EQ(m.u32(uapi::OVS_METER_ATTR_ID), 3u);
        uapi::FlowStats s = stats_of(m.attr(uapi::OVS_METER_ATTR_STATS));
        EXPECT_EQ(s.n_packets, 12u);
        EXPECT_EQ(s.n_bytes, 1200u);
        EXPECT_EQ(m.attr(uapi::OVS_METER_ATTR_USED)->get_u64(), kT0 / kMs);
        uapi::FlowStats b = band_stats(m);
        EXPECT_EQ(b.n_packets, 2u);
        EXPECT_EQ(b.n_bytes, 200u);
    }
    ASSERT_EQ(del(3), 0);
    {
        const fake::Message& m = reply();
        EXPECT_EQ(m.cmd, uapi::OVS_METER_CMD_DEL);
        EXPECT_EQ(stats_of(m.attr(uapi::OVS_METER_ATTR_STATS)).n_packets, 12u);
        EXPECT_EQ(band_stats(m).n_packets, 2u);
    }
    EXPECT_EQ(get(3), E(err::NOENT));
    // Deleting what is not there succeeds with an empty reply.
    ASSERT_EQ(del(3), 0);
    EXPECT_TRUE(reply().attrs.empty());
    EXPECT_EQ(dp->meters.count, 0u);
}

TEST_F(MeterTest, ReplacingAMeterAnswersWithItsStats)
{
    ASSERT_EQ(set(4, 100, 10), 0);
    EXPECT_EQ(passes(4, 60, kT0, 3), 3);
    ASSERT_EQ(set(4, 200, 20), 0);
    {
        const fake::Message& m = reply();
        int ids = 0;
        for (const NlAttr* a : nla_range(ConstBytes(m.attrs.data(), m.attrs.size())))
            ids += a->type() == uapi::OVS_METER_ATTR_ID;
        EXPECT_EQ(ids, 2); // as upstream: the id, then the old meter's id with its stats
        EXPECT_EQ(stats_of(m.attr(uapi::OVS_METER_ATTR_STATS)).n_packets, 3u);
    }
    EXPECT_EQ(dp->meters.count, 1u);
    // The new meter counts from the STATS the request carries, or from zero.
    ASSERT_EQ(get(4), 0);
    EXPECT_EQ(stats_of(reply().attr(uapi::OVS_METER_ATTR_STATS)).n_packets, 0u);
    uapi::FlowStats init { 40, 4000 };
    ASSERT_EQ(set(4, 200, 20, false, kDrop, nullptr,
                  [&](Request& r) { r.put(uapi::OVS_METER_ATTR_STATS, &init, sizeof(init)); }), 0);
    ASSERT_EQ(get(4), 0);
    EXPECT_EQ(stats_of(reply().attr(uapi::OVS_METER_ATTR_STATS)).n_bytes, 4000u);
    // CLEAR: the new meter ignores STATS; and when it is replaced, the reply
    // carries no stats of it.
    ASSERT_EQ(set(4, 200, 20, false, kDrop, nullptr, [&](Request& r) {
        r.put(uapi::OVS_METER_ATTR_STATS, &init, sizeof(init));
        r.put(uapi::OVS_METER_ATTR_CLEAR, nullptr, 0);
    }), 0);
    ASSERT_EQ(get(4), 0);
    EXPECT_EQ(stats_of(reply().attr(uapi::OVS_METER_ATTR_STATS)).n_packets, 0u);
    ASSERT_EQ(set(4, 200, 20), 0);
    EXPECT_EQ(reply().attr(uapi::OVS_METER_ATTR_STATS), nullptr);
}

// ---- The table: growth, shrink, collisions, the limit --------------------------

TEST_F(MeterTest, TableGrowsPast1024AndShrinks)
{
    EXPECT_EQ(dp->meters.n_slots(), 1024u);
    for (u32 id = 0; id < 1500; id++)
        ASSERT_EQ(set(id, 10, 10), 0) << id;
    EXPECT_EQ(dp->meters.n_slots(), 2048u);
    EXPECT_EQ(dp->meters.count, 1500u);
    for (u32 id = 0; id < 1500; id++)
        ASSERT_EQ(get(id), 0) << id;
    EXPECT_EQ(passes(1400, 64, kT0, 11), 10);
    // Down to a quarter, but a meter in the upper half holds it at 2048.
    for (u32 id = 500; id < 1500; id++)
        if (id != 1400) {
            ASSERT_EQ(del(id), 0);
        }
    EXPECT_EQ(dp->meters.count, 501u);
    EXPECT_EQ(dp->meters.n_slots(), 2048u);
    ASSERT_EQ(del(1400), 0); // count 500 <= 512, upper half empty: halved
    EXPECT_EQ(dp->meters.n_slots(), 1024u);
    for (u32 id = 0; id < 500; id++)
        ASSERT_EQ(get(id), 0) << id;
    EXPECT_EQ(passes(499, 64, kT0, 11), 10);
    // It never goes below 1024.
    for (u32 id = 0; id < 500; id++)
        ASSERT_EQ(del(id), 0);
    EXPECT_EQ(dp->meters.n_slots(), 1024u);
    EXPECT_EQ(dp->meters.count, 0u);
}

// A meter whose id lies above the table's size sits at id % 1,024; when the
// table doubles it moves to id % 2,048 and stays reachable (upstream's copy
// leaves it where GET, DEL and the action no longer look).
TEST_F(MeterTest, MetersSetBeforeTheTableGrowsStayReachable)
{
    ASSERT_EQ(set(1024, 10, 10), 0); // slot 0
    ASSERT_EQ(set(3000, 10, 10), 0); // slot 952
    for (u32 id = 1; id < 1022; id++) {
        if (id != 952) {
            ASSERT_EQ(set(id, 10, 10), 0) << id;
        }
    }
    EXPECT_EQ(dp->meters.count, 1022u);
    EXPECT_EQ(dp->meters.n_slots(), 1024u);
    ASSERT_EQ(set(1023, 10, 10), 0);
    EXPECT_EQ(dp->meters.n_slots(), 1024u);
    ASSERT_EQ(set(2047, 10, 10), 0); // the 1,024th: doubles first
    EXPECT_EQ(dp->meters.n_slots(), 2048u);
    EXPECT_EQ(get(1024), 0);
    EXPECT_EQ(get(3000), 0);
    EXPECT_EQ(passes(1024, 64, kT0, 11), 10);
    ASSERT_EQ(del(1024), 0);
    EXPECT_EQ(stats_of(reply().attr(uapi::OVS_METER_ATTR_STATS)).n_packets, 11u);
    EXPECT_EQ(get(1024), E(err::NOENT));
}

TEST_F(MeterTest, ACollisionIsBusy)
{
    ASSERT_EQ(set(5, 10, 10), 0);
    EXPECT_EQ(set(5 + 1024, 10, 10), E(err::BUSY));
    EXPECT_STREQ(last_msg, "Another meter id uses this meter's slot");
    EXPECT_NE(last_bad, nullptr);
    EXPECT_EQ(get(5 + 1024), E(err::NOENT));
    EXPECT_EQ(get(5), 0);
    // OVS's probe ids do not collide.
    EXPECT_EQ(set(54545401, 1, 1, true), 0);
    EXPECT_EQ(set(54545402, 1, 1, true), 0);
    EXPECT_EQ(dp->meters.count, 3u);
}

TEST_F(MeterTest, AFullTableIsFBig)
{
    set_free_buffer_bytes(32ULL * 10 * (sizeof(Meter) + 4 * sizeof(MeterPerCpu)));
    Request r(&net, uapi::kDpAttrMax, 0, 2);
    r.str(uapi::OVS_DP_ATTR_NAME, "dp1").u32(uapi::OVS_DP_ATTR_UPCALL_PID, 0);
    ASSERT_EQ(cmd::dp_new(r.finish()), 0);
    ifindex = kernel.find(&net, "dp1")->ifindex;
    ASSERT_EQ(dp_lookup_by_ifindex(&net, ifindex)->meters.max_meters, 10u);
    // As upstream, a table of limit N holds N - 1 meters.
    for (u32 id = 0; id < 9; id++)
        ASSERT_EQ(set(id, 10, 10), 0);
    EXPECT_EQ(set(9, 10, 10), E(err::FBIG));
    EXPECT_STREQ(last_msg, "Meter table is full");
    // Replacing one still works; after a delete there is room again.
    EXPECT_EQ(set(3, 20, 20), 0);
    ASSERT_EQ(del(0), 0);
    EXPECT_EQ(set(9, 10, 10), 0);
}

TEST_F(MeterTest, DumpResumesAcrossMessages)
{
    for (u32 id : { 1u, 2u, 700u, 54545401u })
        ASSERT_EQ(set(id, 1000, 50, id == 2), 0);
    long args[6] = {};
    ovsdp_dump d {};
    d.net = &net;
    d.args = args;
    d.dp_ifindex = ifindex;
    kernel.dump_capacity = 200; // about one meter a call
    std::vector<u32> ids;
    for (int call = 0; call < 20; call++) {
        kernel.reset();
        kernel.dump_used = 0;
        ASSERT_EQ(cmd::meter_dump(&d), 0);
        if (kernel.sent.empty())
            break;
        for (const fake::Message& m : kernel.sent) {
            EXPECT_TRUE(m.dump);
            ids.push_back(m.u32(uapi::OVS_METER_ATTR_ID));
            EXPECT_EQ(m.attr(uapi::OVS_METER_ATTR_KBPS) != nullptr, m.u32(uapi::OVS_METER_ATTR_ID) == 2);
            const NlAttr* bands = m.attr(uapi::OVS_METER_ATTR_BANDS);
            ASSERT_NE(bands, nullptr);
            for (const NlAttr* b : nla_range(bands->payload()))
                for (const NlAttr* x : nla_range(b->payload())) {
                    if (x->type() == uapi::OVS_BAND_ATTR_RATE) {
                        EXPECT_EQ(x->get_u32(), 1000u);
                    }
                    if (x->type() == uapi::OVS_BAND_ATTR_BURST) {
                        EXPECT_EQ(x->get_u32(), 50u);
                    }
                }
        }
    }
    // Slot order: 54545401 % 1024 = 1017.
    EXPECT_EQ(ids, (std::vector<u32> { 1, 2, 700, 54545401 }));
}

// ---- The token bucket ---------------------------------------------------------

TEST_F(MeterTest, PacketsPerSecondAtRateAndBurst)
{
    ASSERT_EQ(set(1, 10, 5), 0); // 10 packets/s, burst 5
    // The bucket starts full: the burst passes, the next packet does not.
    EXPECT_EQ(passes(1, 64, kT0, 5), 5);
    EXPECT_FALSE(pass(1, 64, kT0));
    // 99.999 ms give 0.99999 of a packet: not enough. 100 ms give one.
    EXPECT_FALSE(pass(1, 64, kT0 + 100 * kMs - 1000));
    EXPECT_TRUE(pass(1, 64, kT0 + 100 * kMs));
    EXPECT_FALSE(pass(1, 64, kT0 + 100 * kMs));
    // A long pause fills the bucket to the burst, not beyond.
    EXPECT_EQ(passes(1, 64, kT0 + 3600 * kSec, 20), 5);
    // Over a second of steady arrivals: the rate.
    u64 t = kT0 + 3600 * kSec;
    int ok = 0;
    for (int i = 1; i <= 1000; i++)
        ok += pass(1, 64, t + static_cast<u64>(i) * kMs);
    EXPECT_EQ(ok, 10);
}

TEST_F(MeterTest, KilobitsPerSecond)
{
    ASSERT_EQ(set(2, 8, 8, true), 0); // 8 kbit/s = 1,000 bytes/s, burst 1,000 bytes
    EXPECT_TRUE(pass(2, 1000, kT0));
    EXPECT_FALSE(pass(2, 1, kT0));
    EXPECT_TRUE(pass(2, 500, kT0 + 500 * kMs));
    EXPECT_FALSE(pass(2, 501, kT0 + 1000 * kMs)); // 500 bytes accrued
    EXPECT_TRUE(pass(2, 500, kT0 + 1000 * kMs));
    // A packet bigger than the burst never passes.
    EXPECT_FALSE(pass(2, 1001, kT0 + 100 * kSec));
    EXPECT_TRUE(pass(2, 1000, kT0 + 100 * kSec));
}

TEST_F(MeterTest, TimeNeverRunsBackwards)
{
    ASSERT_EQ(set(1, 1000, 1), 0); // 1,000/s, burst 1
    EXPECT_TRUE(pass(1, 64, kT0 + 10 * kSec));
    // The clock jumps back a minute: nothing accrues, nothing is lost.
    EXPECT_FALSE(pass(1, 64, kT0 - 60 * kSec));
    EXPECT_FALSE(pass(1, 64, kT0 + 10 * kSec));
    // Forward again: the interval since the newest time seen counts once.
    EXPECT_FALSE(pass(1, 64, kT0 + 10 * kSec + 999999));
    EXPECT_TRUE(pass(1, 64, kT0 + 10 * kSec + kMs));
    EXPECT_FALSE(pass(1, 64, kT0 + 10 * kSec + kMs));
}

TEST_F(MeterTest, ExtremeRatesAndBurstsDoNotOverflow)
{
    ASSERT_EQ(set(1, ~0u, ~0u), 0);
    EXPECT_EQ(passes(1, 64, kT0, 1000), 1000);
    EXPECT_EQ(passes(1, 64, ~0ULL, 1000), 1000); // the longest jump there is
    ASSERT_EQ(set(2, ~0u, ~0u, true), 0);
    EXPECT_EQ(passes(2, 65535, ~0ULL, 100), 100);
    ASSERT_EQ(set(3, 1, ~0u), 0); // one packet a second, huge burst
    EXPECT_EQ(passes(3, 64, ~0ULL, 100), 100);
    ASSERT_EQ(set(4, ~0u, 1), 0); // huge rate, burst 1: one at a time
    EXPECT_EQ(passes(4, 64, kT0, 3), 1);
    EXPECT_EQ(passes(4, 64, kT0 + 1, 3), 1);
    // Burst 0: nothing passes, ever.
    ASSERT_EQ(set(5, 100, 0), 0);
    EXPECT_EQ(passes(5, 64, kT0 + 100 * kSec, 3), 0);
}

TEST_F(MeterTest, BandsThatDoNotDropOrNoBandsAtAll)
{
    Nl none;
    ASSERT_EQ(set(1, 0, 0, false, kDrop, &none), 0); // an empty BANDS nest: counts only
    EXPECT_EQ(passes(1, 64, kT0, 10), 10);
    ASSERT_EQ(set(2, 1, 1, false, 7), 0); // an exceeded band that is not DROP
    EXPECT_EQ(passes(2, 64, kT0, 10), 10);
    ASSERT_EQ(get(2), 0);
    EXPECT_EQ(band_stats(reply()).n_packets, 9u);
    EXPECT_EQ(stats_of(reply().attr(uapi::OVS_METER_ATTR_STATS)).n_packets, 10u);
}

TEST_F(MeterTest, AMissingMeterLetsPacketsPass)
{
    EXPECT_TRUE(pass(42, 64, kT0));
}

// Four CPUs at once, the clock stopped: together they take at most the
// burst (no token is spent twice) and at least the burst less what the
// other CPUs hold as credit.
TEST_F(MeterTest, CpusSharingAMeterSpendEachTokenOnce)
{
    ASSERT_EQ(set(1, 1000000, 1000), 0);
    const Meter* m = dp->meters.lookup(1);
    u64 chunk_packets = m->credit_chunk / kMeterTokensPerUnit;
    std::atomic<int> passed { 0 };
    std::vector<std::thread> threads;
    for (int cpu = 0; cpu < 4; cpu++)
        threads.emplace_back([&, cpu] {
            set_cpu(cpu);
            passed += passes(1, 64, kT0, 2000);
            set_cpu(-1);
        });
    for (auto& t : threads)
        t.join();
    EXPECT_LE(passed.load(), 1000);
    EXPECT_GE(passed.load(), static_cast<int>(1000 - 4 * (chunk_packets + 1)));
    ASSERT_EQ(get(1), 0);
    EXPECT_EQ(stats_of(reply().attr(uapi::OVS_METER_ATTR_STATS)).n_packets, 8000u);
    EXPECT_EQ(band_stats(reply()).n_packets, 8000u - static_cast<u64>(passed.load()));
}

// ---- The meter action on the packet path ------------------------------------------

std::vector<u8> udp_frame()
{
    std::vector<u8> f = { 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00,
                          0x45, 0, 0, 46, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
                          0, 1, 0, 2, 0, 26, 0, 0 };
    f.resize(60, 0);
    return f;
}

TEST_F(MeterTest, MeterActionOnThePacketPath)
{
    for (u32 port : { 1u, 2u }) {
        Request r(&net, uapi::kVportAttrMax, ifindex, 1);
        r.str(uapi::OVS_VPORT_ATTR_NAME, "p" + std::to_string(port)).u32(uapi::OVS_VPORT_ATTR_TYPE, uapi::OVS_VPORT_TYPE_INTERNAL);
        r.u32(uapi::OVS_VPORT_ATTR_UPCALL_PID, 0).u32(uapi::OVS_VPORT_ATTR_PORT_NO, port);
        ASSERT_EQ(cmd::vport_new(r.finish()), 0);
    }
    std::vector<u8> f = udp_frame();
    FlowKeyMetadata md;
    md.in_port = 1;
    FlowKey key;
    {
        UserPacket pkt(f.data(), f.size());
        ASSERT_TRUE(key_extract_with_metadata(pkt, md, key).ok());
        pkt.free();
    }
    u8 kb[2048];
    NlWriter kw(kb, sizeof(kb));
    ASSERT_TRUE(put_flow_key(kw, uapi::OVS_FLOW_ATTR_KEY, key, key, false));
    Nl acts;
    acts.u32_(uapi::OVS_ACTION_ATTR_METER, 9).u32_(uapi::OVS_ACTION_ATTR_OUTPUT, 2);
    Request fr(&net, uapi::kFlowAttrMax, ifindex);
    fr.put(uapi::OVS_FLOW_ATTR_KEY, kb + 4, kw.size() - 4);
    fr.put(uapi::OVS_FLOW_ATTR_ACTIONS, acts.bytes().data(), acts.size());
    ASSERT_EQ(cmd::flow_new(fr.finish()), 0);

    UserHost host;
    auto receive = [&](int n) {
        for (int i = 0; i < n; i++) {
            ovsdp_local_bh_disable();
            {
                RcuReadGuard rcu;
                dp_vport_receive(host, dp_lookup_vport(dp, 1), UserPacket(f.data(), f.size()));
            }
            ovsdp_local_bh_enable();
        }
        return host.take_sent(2).size();
    };
    // No meter 9 yet: everything passes.
    EXPECT_EQ(receive(5), 5u);
    ASSERT_EQ(set(9, 2, 3), 0); // 2 packets/s, burst 3; the clock is the host's
    EXPECT_EQ(receive(5), 3u);
    set_ktime_ns(kT0 + 500 * kMs);
    EXPECT_EQ(receive(5), 1u);
    EXPECT_EQ(host.dropped() + host.consumed(), 2u + 4u); // the exceeding packets are freed
    ASSERT_EQ(get(9), 0);
    EXPECT_EQ(stats_of(reply().attr(uapi::OVS_METER_ATTR_STATS)).n_packets, 10u);
    EXPECT_EQ(stats_of(reply().attr(uapi::OVS_METER_ATTR_STATS)).n_bytes, 600u);
    EXPECT_EQ(band_stats(reply()).n_packets, 6u);
    EXPECT_EQ(reply().attr(uapi::OVS_METER_ATTR_USED)->get_u64(), (kT0 + 500 * kMs) / kMs);
    // Deleted: packets pass again.
    ASSERT_EQ(del(9), 0);
    EXPECT_EQ(receive(3), 3u);
}

// A datapath deleted with meters in it frees them (TearDown checks that
// every allocation is gone).
TEST_F(MeterTest, MetersAreFreedWithTheirDatapath)
{
    for (u32 id = 0; id < 1100; id++)
        ASSERT_EQ(set(id, 10, 10), 0);
    Request r(&net, uapi::kDpAttrMax, ifindex, 2);
    ASSERT_EQ(cmd::dp_del(r.finish()), 0);
    ovsdp_rcu_barrier();
    EXPECT_EQ(live_allocations(), baseline);
}

} // namespace
