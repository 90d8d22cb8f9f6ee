// SPDX-License-Identifier: GPL-2.0
// The engine itself: output and cloning, trunc, userspace, hash, sample,
// clone, recirc (immediate and deferred, with its limits), check_pkt_len,
// dec_ttl, meter, errors, nesting without recursion, and re-entry through
// the environment up to the recursion limit.
#include "act_test_util.h"

#include <memory>
#include <set>

using namespace ovsdp;
using namespace ovsdp::test;

namespace {

Buf ipv4_udp(u8 ttl = 64)
{
    Ip4 ip;
    ip.ttl = ttl;
    return ipv4_packet(eth(kEthPIp), ip, udp(1000, 53, 26));
}

std::vector<u32> ports_of(const TestEnv& env)
{
    std::vector<u32> r;
    for (const Event* e : env.of("output"))
        r.push_back(e->arg);
    return r;
}

using Exec = ActionsTest;

// ---- output --------------------------------------------------------------------

TEST_F(Exec, TheLastOutputSendsThePacketItself)
{
    Buf b = ipv4_udp();
    Received r = receive(b);
    EXPECT_EQ(run(r, Actions().output(2)), 0);
    EXPECT_EQ(env.trace(), "output:2 ");
    EXPECT_EQ(env.clones, 0);
    EXPECT_EQ(only_output(2), b);
}

TEST_F(Exec, EarlierOutputsSendClonesIncludingBackToTheIngressPort)
{
    Buf b = ipv4_udp();
    Received r = receive(b, /*in_port=*/1);
    EXPECT_EQ(run(r, Actions().output(1).output(5).output(3)), 0);
    EXPECT_EQ(env.trace(), "output:1 output:5 output:3 ");
    EXPECT_EQ(env.clones, 2);
    for (const Event* e : env.of("output"))
        EXPECT_EQ(e->bytes, b);
}

TEST_F(Exec, OutputsSeeTheChangesMadeBeforeThemAndClonesAreCopiedOnWrite)
{
    Buf b = ipv4_udp();
    Received r = receive(b);
    uapi::OvsKeyIpv4 v {}, m {};
    v.ipv4_dst = htonl(0x01020304);
    m.ipv4_dst = 0xffffffff;
    EXPECT_EQ(run(r, Actions().output(1).set_masked(uapi::OVS_KEY_ATTR_IPV4, v, m).output(2)), 0);
    auto outs = env.of("output");
    ASSERT_EQ(outs.size(), 2u);
    Ip4 want;
    want.dst = 0x01020304;
    EXPECT_EQ(outs[0]->bytes, b);
    EXPECT_EQ(bytes_of(outs[0]->pkt), b); // the clone kept the original bytes
    EXPECT_EQ(outs[1]->bytes, ipv4_packet(eth(kEthPIp), want, udp(1000, 53, 26)));
    EXPECT_EQ(outs[0]->key.ipv4.dst, htonl(0x0a000002));
    EXPECT_EQ(outs[1]->key.ipv4.dst, htonl(0x01020304));
}

TEST_F(Exec, AnEmptyListConsumesThePacket)
{
    Received r = receive(ipv4_udp());
    EXPECT_EQ(run(r, Actions()), 0);
    EXPECT_EQ(env.trace(), "consume:0 ");
}

TEST_F(Exec, ActionsAfterTheLastOutputStillRunThenThePacketIsConsumed)
{
    Received r = receive(ipv4_udp());
    EXPECT_EQ(run(r, Actions().output(1).pop_vlan()), 0);
    EXPECT_EQ(env.trace(), "output:1 consume:0 ");
}

TEST_F(Exec, CloneFailureSkipsTheOutput)
{
    env.clone_fail = true;
    Received r = receive(ipv4_udp());
    EXPECT_EQ(run(r, Actions().output(1).output(2)), 0);
    EXPECT_EQ(env.trace(), "output:2 ");
}

// ---- trunc ---------------------------------------------------------------------

TEST_F(Exec, TruncCutsTheNextOutputOnly)
{
    Buf b = ipv4_udp();
    Received r = receive(b);
    EXPECT_EQ(run(r, Actions().trunc(40).output(1).output(2)), 0);
    auto outs = env.of("output");
    ASSERT_EQ(outs.size(), 2u);
    EXPECT_EQ(outs[0]->bytes, Buf(b.begin(), b.begin() + 40));
    EXPECT_EQ(outs[0]->pkt.cutlen(), kNoCut); // applied, nothing left pending
    EXPECT_EQ(outs[1]->bytes, b);
}

TEST_F(Exec, TruncNeverCutsIntoTheEthernetHeader)
{
    Buf b = ipv4_udp();
    Received r = receive(b);
    EXPECT_EQ(run(r, Actions().trunc(3).output(1)), 0);
    EXPECT_EQ(only_output(1), Buf(b.begin(), b.begin() + 14));
}

TEST_F(Exec, TruncOfAnL3PacketCanCutAnywhere)
{
    Buf l3 = ipv4_packet(Buf {}, Ip4 {}, udp(1, 2));
    Received r = receive(l3, 1, 32, kMacProtoNone, kEthPIp);
    EXPECT_EQ(run(r, Actions().trunc(3).output(1)), 0);
    EXPECT_EQ(only_output(1), Buf(l3.begin(), l3.begin() + 3));
}

TEST_F(Exec, TruncLongerThanThePacketChangesNothing)
{
    Buf b = ipv4_udp();
    Received r = receive(b);
    r.pkt.set_csum_complete();
    EXPECT_EQ(run(r, Actions().trunc(1500).output(1)), 0);
    EXPECT_EQ(only_output(1), b);
}

TEST_F(Exec, TruncKeepsACompleteChecksumRight)
{
    Received r = receive(ipv4_udp());
    r.pkt.set_csum_complete();
    EXPECT_EQ(run(r, Actions().trunc(41).output(1)), 0);
    const Event& e = *env.of("output")[0];
    EXPECT_EQ(e.bytes.size(), 41u);
    EXPECT_TRUE(complete_csum_ok(e.pkt));
}

TEST_F(Exec, TruncAppliesToUserspaceThenIsCleared)
{
    Received r = receive(ipv4_udp());
    EXPECT_EQ(run(r, Actions().trunc(50).userspace({}).output(2)), 0);
    auto up = env.of("upcall");
    ASSERT_EQ(up.size(), 1u);
    EXPECT_EQ(up[0]->req.cutlen, 50u);
    EXPECT_EQ(env.of("output")[0]->bytes.size(), ipv4_udp().size());
}

TEST_F(Exec, TruncWithoutUserspaceOrOutputTravelsWithARecirculatedPacket)
{
    Received r = receive(ipv4_udp());
    EXPECT_EQ(run(r, Actions().trunc(50).recirc(3)), 0);
    auto rc = env.of("recirc");
    ASSERT_EQ(rc.size(), 1u);
    EXPECT_EQ(rc[0]->pkt.cutlen(), 50u);
}

// ---- userspace -----------------------------------------------------------------

TEST_F(Exec, UserspacePassesItsArgumentsAndKeepsThePacket)
{
    Buf b = ipv4_udp();
    Received r = receive(b);
    Actions::Userspace u;
    u.pid = 4242;
    u.userdata = filler(10);
    u.has_userdata = true;
    u.egress_tun_port = 6;
    u.actions = true;
    Actions acts;
    acts.userspace(u).output(2);
    EXPECT_EQ(run(r, acts), 0);
    EXPECT_EQ(env.trace(), "upcall:4242 output:2 ");
    const Event& up = *env.of("upcall")[0];
    EXPECT_EQ(up.bytes, b);
    EXPECT_EQ(up.userdata, filler(10));
    EXPECT_TRUE(up.req.has_egress_tun_port);
    EXPECT_EQ(up.req.egress_tun_port, 6u);
    EXPECT_EQ(up.actions, Buf(acts.data(), acts.data() + acts.size()));
    EXPECT_EQ(up.req.cutlen, kNoCut);
    EXPECT_EQ(up.key.in_port, 1);
}

TEST_F(Exec, UserspaceWithoutOptionsAndInsideAClone)
{
    Received r = receive(ipv4_udp());
    Actions::Userspace u;
    u.actions = true;
    Actions nested;
    nested.userspace(u);
    EXPECT_EQ(run(r, Actions().clone(true, nested).output(2)), 0);
    const Event& up = *env.of("upcall")[0];
    EXPECT_EQ(up.req.userdata, nullptr);
    EXPECT_FALSE(up.req.has_egress_tun_port);
    // The action list of an upcall from a nested list is that list.
    EXPECT_EQ(up.actions, Buf(nested.data(), nested.data() + nested.size()));
}

// ---- hash ----------------------------------------------------------------------

TEST_F(Exec, HashSetsDpHashFromThePacketHashAndTheBasis)
{
    Received r = receive(ipv4_udp());
    r.pkt.set_hash(0xcafe);
    EXPECT_EQ(run(r, Actions().hash(99).output(2)), 0);
    EXPECT_EQ(env.of("output")[0]->key.dp_hash, jhash_1word(0xcafe, 99));
}

TEST_F(Exec, HashOfAPacketWithoutHashComputesOne)
{
    Buf b = ipv4_udp();
    Received r = receive(b);
    Pkt probe(b.data(), b.size());
    u32 h = probe.get_hash();
    EXPECT_EQ(run(r, Actions().hash(1).output(2)), 0);
    u32 want = jhash_1word(h, 1);
    EXPECT_EQ(env.of("output")[0]->key.dp_hash, want ? want : 1u);
    EXPECT_NE(env.of("output")[0]->key.dp_hash, 0u);
}

// ---- sample --------------------------------------------------------------------

TEST_F(Exec, SampleWithProbabilityZeroNeverRuns)
{
    env.random_values = { 0 };
    Received r = receive(ipv4_udp());
    EXPECT_EQ(run(r, Actions().sample(0, true, Actions().output(9)).output(2)), 0);
    EXPECT_EQ(env.trace(), "output:2 ");
}

TEST_F(Exec, SampleWithProbabilityMaxAlwaysRunsOnAClone)
{
    env.random_values = { 0xffffffff };
    Received r = receive(ipv4_udp());
    EXPECT_EQ(run(r, Actions().sample(0xffffffff, true, Actions().output(9)).output(2)), 0);
    EXPECT_EQ(env.trace(), "output:9 output:2 ");
    EXPECT_EQ(env.clones, 1);
}

TEST_F(Exec, SampleComparesTheRandomNumberWithTheProbability)
{
    const u32 p = 0x80000000;
    for (u32 rnd : { p - 1, p, p + 1 }) {
        env.events.clear();
        env.random_values = { rnd };
        env.random_next = 0;
        Received r = receive(ipv4_udp());
        EXPECT_EQ(run(r, Actions().sample(p, true, Actions().output(9)).output(2)), 0);
        EXPECT_EQ(env.trace(), rnd > p ? "output:2 " : "output:9 output:2 ") << rnd;
    }
}

TEST_F(Exec, ALastSampleConsumesThePacketEitherWay)
{
    env.random_values = { 5 };
    {
        Received r = receive(ipv4_udp());
        EXPECT_EQ(run(r, Actions().output(1).sample(1, true, Actions().output(9))), 0);
    }
    {
        Received r = receive(ipv4_udp());
        EXPECT_EQ(run(r, Actions().output(1).sample(5, true, Actions().output(9))), 0);
    }
    EXPECT_EQ(env.trace(), "output:1 consume:0 output:1 output:9 ");
    EXPECT_EQ(env.clones, 2); // only the first outputs: a last sample takes the packet
}

TEST_F(Exec, SampleWithoutExecRunsOnAKeyCopy)
{
    env.random_values = { 1 };
    Received r = receive(ipv4_udp());
    u32 mark = 0x77;
    Actions nested;
    nested.set_full(uapi::OVS_KEY_ATTR_SKB_MARK, mark).output(9);
    EXPECT_EQ(run(r, Actions().sample(0xffffffff, false, nested).output(2)), 0);
    auto outs = env.of("output");
    ASSERT_EQ(outs.size(), 2u);
    EXPECT_EQ(outs[0]->key.skb_mark, 0x77u);
    EXPECT_EQ(outs[1]->key.skb_mark, 0u);
    EXPECT_EQ(outs[1]->pkt.mark(), 0u);
}

TEST_F(Exec, SampleWithExecSharesTheKey)
{
    // Validation only sets exec when the actions cannot change the key; the
    // engine then hands them the key itself, as upstream.
    Received r = receive(ipv4_udp());
    u32 mark = 0x77;
    Actions nested;
    nested.set_full(uapi::OVS_KEY_ATTR_SKB_MARK, mark).output(9);
    EXPECT_EQ(run(r, Actions().sample(0xffffffff, true, nested).output(2)), 0);
    auto outs = env.of("output");
    ASSERT_EQ(outs.size(), 2u);
    EXPECT_EQ(outs[1]->key.skb_mark, 0x77u);
    EXPECT_EQ(outs[1]->pkt.mark(), 0u);
}

// ---- clone ---------------------------------------------------------------------

TEST_F(Exec, CloneChangesNeitherTheOriginalPacketNorItsKey)
{
    Buf b = ipv4_udp();
    Received r = receive(b);
    uapi::OvsKeyIpv4 v {}, m {};
    v.ipv4_src = htonl(0x01010101);
    m.ipv4_src = 0xffffffff;
    Actions nested;
    nested.set_masked(uapi::OVS_KEY_ATTR_IPV4, v, m).push_vlan(kEthP8021Q, 0x1005).output(9);
    EXPECT_EQ(run(r, Actions().clone(false, nested).output(2)), 0);
    auto outs = env.of("output");
    ASSERT_EQ(outs.size(), 2u);
    Ip4 want;
    want.src = 0x01010101;
    EXPECT_EQ(outs[0]->bytes, ipv4_packet(eth(kEthPIp), want, udp(1000, 53, 26)));
    EXPECT_TRUE(outs[0]->pkt.vlan_tag_present());
    EXPECT_EQ(outs[0]->key.ipv4.src, htonl(0x01010101));
    EXPECT_EQ(outs[1]->bytes, b);
    EXPECT_FALSE(outs[1]->pkt.vlan_tag_present());
    EXPECT_EQ(outs[1]->key.ipv4.src, htonl(0x0a000001));
    EXPECT_EQ(outs[1]->key.eth.vlan.tci, 0);
}

TEST_F(Exec, ALastCloneRunsOnThePacketItself)
{
    Received r = receive(ipv4_udp());
    EXPECT_EQ(run(r, Actions().clone(false, Actions().output(9))), 0);
    EXPECT_EQ(env.trace(), "output:9 ");
    EXPECT_EQ(env.clones, 0);
}

TEST_F(Exec, EmptyNestedListsConsumeTheirCloneAndNothingElse)
{
    env.random_values = { 0 };
    Received r = receive(ipv4_udp());
    EXPECT_EQ(run(r, Actions()
                         .clone(true, Actions())
                         .clone(false, Actions())
                         .sample(0xffffffff, false, Actions())
                         .check_pkt_len(10, Actions(), true, Actions(), false)
                         .output(2)),
              0);
    EXPECT_EQ(env.trace(), "consume:0 consume:0 consume:0 consume:0 output:2 ");
    EXPECT_EQ(env.clones, 4);
}

TEST_F(Exec, ALastEmptyCloneConsumesThePacket)
{
    Received r = receive(ipv4_udp());
    EXPECT_EQ(run(r, Actions().output(1).clone(false, Actions())), 0);
    EXPECT_EQ(env.trace(), "output:1 consume:0 ");
}

TEST_F(Exec, ACloneThatCannotBeMadeIsSkipped)
{
    env.clone_fail = true;
    Received r = receive(ipv4_udp());
    EXPECT_EQ(run(r, Actions().clone(false, Actions().output(9)).output(2)), 0);
    EXPECT_EQ(env.trace(), "output:2 ");
}

TEST_F(Exec, AnErrorInANestedListDropsTheEnclosingPacketsToo)
{
    Received r = receive(ipv4_udp());
    Actions nested;
    nested.pop_eth().push_eth(kMacA, kMacB).push_eth(kMacA, kMacB).output(9); // the second push_eth fails
    Actions mid;
    mid.clone(false, nested).output(8);
    EXPECT_EQ(run(r, Actions().clone(true, mid).output(2)), -act_err::PROTO);
    EXPECT_EQ(env.trace(), "drop:71 drop:71 drop:71 ");
}

// ---- recirc --------------------------------------------------------------------

TEST_F(Exec, RecircHandsThePacketWithItsRecircIdToTheDatapath)
{
    Received r = receive(ipv4_udp());
    EXPECT_EQ(run(r, Actions().recirc(7)), 0);
    EXPECT_EQ(env.trace(), "recirc:7 ");
    EXPECT_EQ(env.clones, 0);
    const Event& e = *env.of("recirc")[0];
    EXPECT_EQ(e.key.recirc_id, 7u);
    EXPECT_EQ(e.bytes, ipv4_udp());
}

TEST_F(Exec, RecircThatIsNotLastRecirculatesAClone)
{
    Received r = receive(ipv4_udp());
    EXPECT_EQ(run(r, Actions().recirc(7).output(2)), 0);
    EXPECT_EQ(env.trace(), "recirc:7 output:2 ");
    EXPECT_EQ(env.of("output")[0]->key.recirc_id, 0u);
}

TEST_F(Exec, RecircReExtractsAnInvalidatedKey)
{
    Buf b = kMacA + kMacB + vlan_tag(0x8100, 5) + be16b(kEthPIp) + ipv4_packet(Buf {}, Ip4 {}, udp(1, 2));
    Received r = receive(b);
    EXPECT_EQ(run(r, Actions().push_vlan(kEthP8021AD, 0x1009).recirc(3)), 0);
    const Event& e = *env.of("recirc").at(0);
    EXPECT_EQ(e.key.mac_proto, kMacProtoEthernet);
    EXPECT_EQ(e.key.recirc_id, 3u);
    EXPECT_EQ(e.key.eth.vlan.tpid, htons(kEthP8021AD));
    EXPECT_EQ(e.key.eth.cvlan.tpid, htons(kEthP8021Q));
    EXPECT_EQ(e.key.eth.cvlan.tci, htons(0x1005));
    EXPECT_EQ(e.key.ipv4.dst, htonl(0x0a000002));
}

TEST_F(Exec, RecircRunsAtOnceWhileKeyCopiesLastThenIsDeferred)
{
    // The datapath's recirculated lookup outputs to 100 + recirc_id.
    env.on_recirc = [this](Pkt&& p, FlowKey& key) {
        Actions a;
        a.output(100 + key.recirc_id);
        execute_actions(env, move(p), key, a.data(), a.size());
    };
    {
        Received r = receive(ipv4_udp());
        EXPECT_EQ(run(r, Actions().recirc(1).output(2)), 0);
        EXPECT_EQ(env.trace(), "recirc:1 output:101 output:2 ");
    }
    env.events.clear();
    {
        // Three key copies (nested lists that may change the key) use up
        // the per-CPU slots: the recirculation inside waits for the FIFO.
        Received r = receive(ipv4_udp());
        Actions l3;
        l3.recirc(1);
        Actions l2;
        l2.clone(false, l3);
        Actions l1;
        l1.clone(false, l2);
        EXPECT_EQ(run(r, Actions().clone(false, l1).output(2)), 0);
        EXPECT_EQ(env.trace(), "output:2 recirc:1 output:101 ");
    }
}

TEST_F(Exec, ARecirculationLoopEndsWhenTheFifoIsFull)
{
    env.on_recirc = [this](Pkt&& p, FlowKey& key) {
        Actions a;
        a.recirc(key.recirc_id + 1);
        execute_actions(env, move(p), key, a.data(), a.size());
    };
    Received r = receive(ipv4_udp());
    EXPECT_EQ(run(r, Actions().recirc(1)), 0);
    auto rc = env.of("recirc");
    // 3 at once, then each of the 9 FIFO entries runs 3 more; the 10th
    // deferral finds the FIFO full.
    ASSERT_EQ(rc.size(), 30u) << env.trace();
    for (u32 i = 0; i < 30; i++)
        EXPECT_EQ(rc[i]->arg, i + 1);
    EXPECT_EQ(env.events.back().what, "drop");
    EXPECT_EQ(env.events.back().arg, u32(err::NOSPC));
}

TEST_F(Exec, ReEntryThroughTheDatapathStopsAtTheRecursionLimit)
{
    // Port 7 loops back into the datapath, whose flow outputs to port 7.
    int returned = 0;
    env.on_output = [&](Pkt&& p, u32, const FlowKey& key) {
        FlowKey k = key;
        Actions a;
        a.output(7);
        int err = execute_actions(env, move(p), k, a.data(), a.size());
        if (err)
            returned = err;
    };
    Received r = receive(ipv4_udp());
    EXPECT_EQ(run(r, Actions().output(7)), 0);
    EXPECT_EQ(env.trace(), "output:7 output:7 output:7 output:7 output:7 drop:100 ");
    EXPECT_EQ(returned, -act_err::NETDOWN);
}

// ---- check_pkt_len -------------------------------------------------------------

TEST_F(Exec, CheckPktLenPicksTheBranchByLength)
{
    usize len = ipv4_udp().size();
    for (u16 limit : { u16(len - 1), u16(len), u16(len + 1) }) {
        env.events.clear();
        Received r = receive(ipv4_udp());
        EXPECT_EQ(run(r, Actions().check_pkt_len(limit, Actions().output(1), true, Actions().output(2), true).output(3)), 0);
        EXPECT_EQ(env.trace(), limit >= len ? "output:1 output:3 " : "output:2 output:3 ") << limit;
    }
}

TEST_F(Exec, CheckPktLenUsesTheMruOfAReassembledPacket)
{
    Received r = receive(ipv4_udp());
    r.pkt.set_mru(20); // 20 + mac_len 14 = 34
    EXPECT_EQ(run(r, Actions().check_pkt_len(34, Actions().output(1), true, Actions().output(2), true)), 0);
    EXPECT_EQ(env.trace(), "output:1 ");
}

TEST_F(Exec, CheckPktLenTakesGsoSegmentsThatFitAsLessOrEqual)
{
    Received r = receive(ipv4_udp());
    r.pkt.set_gso_mac_seglen(40);
    EXPECT_EQ(run(r, Actions().check_pkt_len(40, Actions().output(1), true, Actions().output(2), true)), 0);
    EXPECT_EQ(env.trace(), "output:1 ");
}

TEST_F(Exec, CheckPktLenBranchesRunOnAKeyCopyUnlessExec)
{
    u32 mark = 5;
    for (bool exec : { false, true }) {
        env.events.clear();
        Received r = receive(ipv4_udp());
        Actions le;
        le.set_full(uapi::OVS_KEY_ATTR_SKB_MARK, mark).output(1);
        EXPECT_EQ(run(r, Actions().check_pkt_len(1500, le, exec, Actions().output(2), true).output(3)), 0);
        auto outs = env.of("output");
        ASSERT_EQ(outs.size(), 2u);
        EXPECT_EQ(outs[0]->key.skb_mark, 5u);
        EXPECT_EQ(outs[1]->key.skb_mark, exec ? 5u : 0u);
        EXPECT_EQ(outs[1]->pkt.mark(), 0u);
    }
}

TEST_F(Exec, ALastCheckPktLenTakesThePacket)
{
    Received r = receive(ipv4_udp());
    EXPECT_EQ(run(r, Actions().check_pkt_len(10, Actions().output(1), true, Actions().output(2), true)), 0);
    EXPECT_EQ(env.trace(), "output:2 ");
    EXPECT_EQ(env.clones, 0);
}

// ---- dec_ttl -------------------------------------------------------------------

TEST_F(Exec, DecTtlOfIpv4)
{
    for (IpSummed mode : { IpSummed::None, IpSummed::Complete }) {
        env.events.clear();
        Received r = receive(ipv4_udp(64));
        if (mode == IpSummed::Complete)
            r.pkt.set_csum_complete();
        EXPECT_EQ(run(r, Actions().dec_ttl(Actions().output(99)).output(2)), 0);
        const Event& e = *env.of("output").at(0);
        EXPECT_EQ(e.arg, 2u);
        EXPECT_EQ(e.bytes, ipv4_udp(63));
        EXPECT_EQ(e.key.ip.ttl, 63);
        if (mode == IpSummed::Complete) {
            EXPECT_TRUE(complete_csum_ok(e.pkt));
        }
    }
}

TEST_F(Exec, DecTtlOfIpv6KeepsACompleteChecksumRight)
{
    Ip6 ip;
    ip.hlim = 2;
    Received r = receive(ipv6_packet(eth(kEthPIpv6), ip, udp(1, 2)));
    r.pkt.set_csum_complete();
    EXPECT_EQ(run(r, Actions().dec_ttl(Actions().output(99)).output(2)), 0);
    ip.hlim = 1;
    const Event& e = *env.of("output").at(0);
    EXPECT_EQ(e.bytes, ipv6_packet(eth(kEthPIpv6), ip, udp(1, 2)));
    EXPECT_EQ(e.key.ip.ttl, 1);
    EXPECT_TRUE(complete_csum_ok(e.pkt));
}

TEST_F(Exec, DecTtlAtOneRunsTheExpiryActionsInsteadOfTheRest)
{
    for (u8 ttl : { u8(1), u8(0) }) {
        env.events.clear();
        Received r = receive(ipv4_udp(ttl));
        EXPECT_EQ(run(r, Actions().dec_ttl(Actions().userspace({}).output(99)).output(2)), 0);
        EXPECT_EQ(env.trace(), "upcall:77 output:99 ");
        EXPECT_EQ(env.of("output")[0]->bytes, ipv4_udp(ttl)); // unchanged
        EXPECT_EQ(env.clones, 0);
    }
}

TEST_F(Exec, DecTtlAtOneWithNoExpiryActionsConsumesThePacket)
{
    Received r = receive(ipv4_udp(1));
    EXPECT_EQ(run(r, Actions().dec_ttl(Actions()).output(2)), 0);
    EXPECT_EQ(env.trace(), "consume:0 ");
}

TEST_F(Exec, DecTtlLeavesNonIpPacketsAlone)
{
    Buf arp = eth(kEthPArp) + be16b(1) + be16b(0x0800) + bytes({ 6, 4 }) + be16b(1) + kMacB + be32b(1) + kMacA + be32b(2);
    Received r = receive(arp);
    EXPECT_EQ(run(r, Actions().dec_ttl(Actions().output(99)).output(2)), 0);
    EXPECT_EQ(only_output(2), arp);
}

// ---- meter, conntrack, malformed lists --------------------------------------------

TEST_F(Exec, AMeterThatDropsEndsTheList)
{
    env.meter_drop_id = 5;
    {
        Received r = receive(ipv4_udp());
        EXPECT_EQ(run(r, Actions().meter(5).output(2)), 0);
    }
    {
        Received r = receive(ipv4_udp());
        EXPECT_EQ(run(r, Actions().meter(6).output(2)), 0);
    }
    EXPECT_EQ(env.trace(), "meter:5 consume:0 meter:6 output:2 ");
}

TEST_F(Exec, CtAndCtClearGoToTheEnvironment)
{
    {
        // ct_clear: the environment drops the connection and zeroes key.ct.
        Received r = receive(ipv4_udp());
        r.key.ct.state = 0x22;
        r.key.ct.mark = 7;
        EXPECT_EQ(run(r, Actions().ct_clear().output(2)), 0);
        EXPECT_EQ(r.key.ct.state, 0);
        EXPECT_EQ(r.key.ct.mark, 0u);
    }
    {
        // ct: the key's ct fields are the environment's answer.
        Received r = receive(ipv4_udp());
        ovsdp_ct_action ct {};
        ct.zone = 3;
        ct.family = 2;
        EXPECT_EQ(run(r, Actions().raw(uapi::OVS_ACTION_ATTR_CT, Buf(reinterpret_cast<u8*>(&ct),
                                                                       reinterpret_cast<u8*>(&ct) + sizeof(ct)))
                             .output(2)),
            0);
        EXPECT_EQ(r.key.ct.state, 0x22);
        EXPECT_EQ(r.key.ct.zone, 3);
    }
    {
        // An error from ct drops the packet and ends the list.
        env.ct_err = -12;
        Received r = receive(ipv4_udp());
        ovsdp_ct_action ct {};
        EXPECT_EQ(run(r, Actions().raw(uapi::OVS_ACTION_ATTR_CT, Buf(reinterpret_cast<u8*>(&ct),
                                                                       reinterpret_cast<u8*>(&ct) + sizeof(ct)))
                             .output(2)),
            -12);
        env.ct_err = 0;
    }
    {
        // A truncated ct action (never validated so) is refused.
        Received r = receive(ipv4_udp());
        EXPECT_EQ(run(r, Actions().raw(uapi::OVS_ACTION_ATTR_CT, {}).output(2)), -err::INVAL);
    }
    EXPECT_EQ(env.trace(), "ct_clear:0 output:2 ct:3 output:2 ct:0 drop:12 drop:22 ");
}

TEST_F(Exec, UnknownActionsAreIgnoredAsUpstreamDoes)
{
    Received r = receive(ipv4_udp());
    EXPECT_EQ(run(r, Actions().raw(200, filler(4)).output(2)), 0);
    EXPECT_EQ(env.trace(), "output:2 ");
}

TEST_F(Exec, AMalformedListDropsThePacket)
{
    Received r = receive(ipv4_udp());
    // An attribute claiming more bytes than the list has.
    Buf bad = bytes({ 40, 0, uapi::OVS_ACTION_ATTR_OUTPUT, 0, 2, 0, 0, 0 });
    EXPECT_EQ(execute_actions(env, move(r.pkt), r.key, bad.data(), bad.size()), -err::INVAL);
    EXPECT_EQ(env.trace(), "drop:22 ");
}

TEST_F(Exec, NestedActionsWithoutTheirArgumentAreInvalid)
{
    for (u16 type : { u16(uapi::OVS_ACTION_ATTR_SAMPLE), u16(uapi::OVS_ACTION_ATTR_CLONE), u16(uapi::OVS_ACTION_ATTR_CHECK_PKT_LEN) }) {
        Received r = receive(ipv4_udp());
        EXPECT_EQ(run(r, Actions().raw(type, {}).output(2)), -err::INVAL) << type;
    }
    EXPECT_EQ(env.trace(), "drop:22 drop:22 drop:22 ");
}

// ---- nesting -------------------------------------------------------------------

// depth clones, each followed by output(100 + its depth); output(9) innermost.
std::unique_ptr<Actions> nested_clones(int depth, bool exec)
{
    auto inner = std::make_unique<Actions>();
    inner->output(9);
    for (int d = depth; d >= 1; d--) {
        auto outer = std::make_unique<Actions>();
        outer->clone(exec, *inner).output(100 + d);
        inner = std::move(outer);
    }
    return inner;
}

TEST_F(Exec, NestingAsDeepAsValidationAllowsRunsWithoutRecursion)
{
    Received r = receive(ipv4_udp());
    auto acts = nested_clones(kMaxActionNesting, true);
    EXPECT_EQ(run(r, *acts), 0);
    std::vector<u32> want = { 9 };
    for (u32 d = kMaxActionNesting; d >= 1; d--)
        want.push_back(100 + d);
    EXPECT_EQ(ports_of(env), want);
}

TEST_F(Exec, DeepKeyCopiesAreDeferredButAllRun)
{
    Received r = receive(ipv4_udp());
    auto acts = nested_clones(kMaxActionNesting, false);
    EXPECT_EQ(run(r, *acts), 0);
    std::vector<u32> ports = ports_of(env);
    ASSERT_EQ(ports.size(), usize(kMaxActionNesting + 1));
    std::multiset<u32> got(ports.begin(), ports.end()), want = { 9 };
    for (u32 d = 1; d <= u32(kMaxActionNesting); d++)
        want.insert(100 + d);
    EXPECT_EQ(got, want);
    // The three key copies ran the lists of depths 2-4 at once, innermost
    // first; depth 5 and below waited for the FIFO.
    EXPECT_EQ(ports[0], 104u);
    EXPECT_EQ(ports[1], 103u);
    EXPECT_EQ(ports[2], 102u);
    EXPECT_EQ(ports[3], 101u);
}

TEST_F(Exec, NestingDeeperThanTheFrameStackStillCompletes)
{
    // Not a list validation would accept: the engine defers what does not
    // fit its frames instead of overflowing anything.
    Received r = receive(ipv4_udp());
    auto inner = std::make_unique<Actions>();
    inner->output(9);
    for (int d = 0; d < 100; d++) {
        auto outer = std::make_unique<Actions>();
        outer->clone(true, *inner);
        inner = std::move(outer);
    }
    EXPECT_EQ(run(r, *inner), 0);
    EXPECT_EQ(env.trace(), "output:9 ");
}

TEST_F(Exec, TheStateIsPlainMemoryOfBoundedSize)
{
    static_assert(IsTriviallyCopyable<ActionState<Pkt>>);
    static_assert(sizeof(ActionFrame<Pkt>) <= 256);
    // Per CPU, allocated once: keep an eye on it.
    EXPECT_LT(sizeof(ActionState<Pkt>), 32u * 1024);
}

} // namespace
