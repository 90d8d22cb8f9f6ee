// SPDX-License-Identifier: GPL-2.0
// push_vlan/pop_vlan (QinQ too), push_mpls/pop_mpls/add_mpls and
// push_eth/pop_eth: byte-exact results, the skb bookkeeping upstream's
// skbuff.c helpers do (protocol, mac_len, offsets, accelerated tag, inner
// protocol), COMPLETE checksums kept right, and the flow key invalidated
// exactly when upstream invalidates it (and right again after key_update).
#include "act_test_util.h"

using namespace ovsdp;
using namespace ovsdp::test;

namespace {

class PushPop : public ActionsTest {
protected:
    // The single output's packet (checked to be the only event but consume).
    const Event& out()
    {
        auto outs = env.of("output");
        EXPECT_EQ(outs.size(), 1u) << env.trace();
        return *outs.at(0);
    }
    static Buf ip_udp() { return ipv4_packet(Buf {}, Ip4 {}, udp(1, 2)); }
};

TEST_F(PushPop, PushVlanOnAnUntaggedFrameOnlySetsTheAcceleratedTag)
{
    Buf b = eth(kEthPIp) + ip_udp();
    Received r = receive(b);
    r.pkt.set_csum_complete();
    ASSERT_EQ(run(r, Actions().push_vlan(kEthP8021Q, 0x1000 | 0x2064).output(2)), 0);
    const Event& e = out();
    EXPECT_EQ(e.bytes, b);
    EXPECT_TRUE(e.pkt.vlan_tag_present());
    EXPECT_EQ(e.pkt.vlan_tci(), 0x2064); // the CFI bit is not pushed
    EXPECT_EQ(e.pkt.vlan_proto(), htons(kEthP8021Q));
    EXPECT_EQ(e.key.eth.vlan.tci, htons(0x3064));
    EXPECT_EQ(e.key.eth.vlan.tpid, htons(kEthP8021Q));
    EXPECT_EQ(e.key.mac_proto, kMacProtoEthernet); // still valid
    EXPECT_TRUE(complete_csum_ok(e.pkt));
}

TEST_F(PushPop, PushVlanOverAnAcceleratedTagMakesQinQ)
{
    Buf b = kMacA + kMacB + vlan_tag(0x8100, 0x0005) + be16b(kEthPIp) + ip_udp();
    for (usize headroom : { usize(32), usize(0) }) {
        SCOPED_TRACE(headroom);
        env.events.clear();
        Received r = receive(b, 1, headroom);
        ASSERT_TRUE(r.pkt.vlan_tag_present());
        r.pkt.set_csum_complete();
        ASSERT_EQ(run(r, Actions().push_vlan(kEthP8021AD, 0x1000 | 0x0064).output(2)), 0);
        const Event& e = out();
        EXPECT_EQ(e.bytes, b); // the old tag back in the frame
        EXPECT_EQ(e.pkt.vlan_proto(), htons(kEthP8021AD));
        EXPECT_EQ(e.pkt.vlan_tci(), 0x0064);
        EXPECT_EQ(e.pkt.protocol(), htons(kEthP8021Q));
        EXPECT_EQ(e.pkt.mac_len(), 18);
        EXPECT_EQ(e.pkt.network_offset(), 18);
        EXPECT_TRUE(complete_csum_ok(e.pkt));
        EXPECT_EQ(e.key.mac_proto, kMacProtoEthernet | kMacProtoKeyInvalid);

        // Re-extraction sees the new outer tag and the old one inside.
        Pkt& p = const_cast<Pkt&>(e.pkt);
        FlowKey k = e.key;
        ASSERT_TRUE(key_update(p, k).ok());
        EXPECT_EQ(k.mac_proto, kMacProtoEthernet);
        EXPECT_EQ(k.eth.vlan.tpid, htons(kEthP8021AD));
        EXPECT_EQ(k.eth.vlan.tci, htons(0x1064));
        EXPECT_EQ(k.eth.cvlan.tpid, htons(kEthP8021Q));
        EXPECT_EQ(k.eth.cvlan.tci, htons(0x1005));
        EXPECT_EQ(k.eth.type, htons(kEthPIp));
    }
}

TEST_F(PushPop, PopVlanOfTheAcceleratedTag)
{
    Buf b = kMacA + kMacB + vlan_tag(0x8100, 0x0005) + be16b(kEthPIp) + ip_udp();
    Received r = receive(b);
    ASSERT_EQ(run(r, Actions().pop_vlan().output(2)), 0);
    const Event& e = out();
    EXPECT_EQ(e.bytes, eth(kEthPIp) + ip_udp());
    EXPECT_FALSE(e.pkt.vlan_tag_present());
    EXPECT_EQ(e.key.eth.vlan.tci, 0);
    EXPECT_EQ(e.key.eth.vlan.tpid, 0);
    EXPECT_EQ(e.key.mac_proto, kMacProtoEthernet);
}

TEST_F(PushPop, PopVlanOfQinQMovesTheInnerTagToTheAcceleratedOne)
{
    Buf b = kMacA + kMacB + vlan_tag(0x88a8, 0x0064) + vlan_tag(0x8100, 0x0005) + be16b(kEthPIp) + ip_udp();
    Received r = receive(b);
    ASSERT_EQ(r.pkt.protocol(), htons(kEthP8021Q)); // as key extraction leaves it
    r.pkt.set_csum_complete();
    ASSERT_EQ(run(r, Actions().pop_vlan().output(2)), 0);
    const Event& e = out();
    EXPECT_EQ(e.bytes, eth(kEthPIp) + ip_udp());
    EXPECT_TRUE(e.pkt.vlan_tag_present());
    EXPECT_EQ(e.pkt.vlan_proto(), htons(kEthP8021Q));
    EXPECT_EQ(e.pkt.vlan_tci(), 0x0005);
    EXPECT_EQ(e.pkt.protocol(), htons(kEthPIp));
    EXPECT_EQ(e.pkt.network_offset(), 14);
    EXPECT_EQ(e.pkt.mac_len(), 14);
    EXPECT_TRUE(complete_csum_ok(e.pkt));
    EXPECT_TRUE(e.key.mac_proto & kMacProtoKeyInvalid);
}

TEST_F(PushPop, PopVlanOfAnInBandTagWithoutAcceleratedTag)
{
    Buf b = kMacA + kMacB + vlan_tag(0x8100, 0x0005) + be16b(kEthPIpv6) + filler(40);
    Pkt p(b.data(), b.size());
    p.set_protocol(htons(kEthP8021Q));
    p.set_network_offset(18);
    p.set_csum_complete();
    ASSERT_EQ(pkt_vlan_pop(p), 0);
    EXPECT_EQ(bytes_of(p), eth(kEthPIpv6) + filler(40));
    EXPECT_FALSE(p.vlan_tag_present());
    EXPECT_EQ(p.protocol(), htons(kEthPIpv6));
    EXPECT_TRUE(complete_csum_ok(p));
}

TEST_F(PushPop, PopVlanOfAnLlcFrameKeysItAs8022OrRawIpx)
{
    for (u16 first : { u16(0xaaaa), u16(0xffff) }) {
        Buf b = kMacA + kMacB + vlan_tag(0x8100, 0x0005) + be16b(40) + be16b(first) + filler(38);
        Pkt p(b.data(), b.size());
        p.set_protocol(htons(kEthP8021Q));
        ASSERT_EQ(pkt_vlan_pop(p), 0);
        EXPECT_EQ(p.protocol(), htons(first == 0xffff ? kEthP8023 : kEthP8022));
        EXPECT_EQ(p.network_offset(), 14);
    }
}

TEST_F(PushPop, PushThenPopVlanRoundTrips)
{
    Buf b = eth(kEthPIp) + ip_udp();
    Received r = receive(b);
    r.pkt.set_csum_complete();
    ASSERT_EQ(run(r, Actions().push_vlan(kEthP8021Q, 0x1001).push_vlan(kEthP8021AD, 0x1002).pop_vlan().pop_vlan().output(2)),
              0);
    const Event& e = out();
    EXPECT_EQ(e.bytes, b);
    EXPECT_FALSE(e.pkt.vlan_tag_present());
    EXPECT_TRUE(complete_csum_ok(e.pkt));
}

TEST_F(PushPop, PushMplsOnIpv4)
{
    Buf b = eth(kEthPIp) + ip_udp();
    for (usize headroom : { usize(32), usize(0) }) {
        env.events.clear();
        Received r = receive(b, 1, headroom);
        r.pkt.set_csum_complete();
        ASSERT_EQ(run(r, Actions().push_mpls((100u << 12) | 0x100 | 64, kEthPMplsUc).output(2)), 0);
        const Event& e = out();
        EXPECT_EQ(e.bytes, eth(kEthPMplsUc) + mpls_lse(100, true) + ip_udp());
        EXPECT_EQ(e.pkt.protocol(), htons(kEthPMplsUc));
        EXPECT_EQ(e.pkt.inner_protocol(), htons(kEthPIp));
        EXPECT_EQ(e.pkt.inner_network_offset(), 18);
        EXPECT_EQ(e.pkt.network_offset(), 14);
        EXPECT_EQ(e.pkt.mac_len(), 14);
        EXPECT_TRUE(complete_csum_ok(e.pkt));
        EXPECT_EQ(e.key.mac_proto, kMacProtoEthernet | kMacProtoKeyInvalid);
        Pkt& p = const_cast<Pkt&>(e.pkt);
        FlowKey k = e.key;
        ASSERT_TRUE(key_update(p, k).ok());
        EXPECT_EQ(k.eth.type, htons(kEthPMplsUc));
        EXPECT_EQ(k.mpls.lse[0], htonl((100u << 12) | 0x100 | 64));
    }
}

TEST_F(PushPop, PushMplsOnMplsKeepsTheFirstInnerProtocol)
{
    Buf b = eth(kEthPIp) + ip_udp();
    Received r = receive(b);
    ASSERT_EQ(run(r, Actions().push_mpls((1u << 12) | 0x100 | 64, kEthPMplsUc).push_mpls((2u << 12) | 64, kEthPMplsMc).output(2)), 0);
    const Event& e = out();
    EXPECT_EQ(e.bytes, eth(kEthPMplsMc) + mpls_lse(2, false) + mpls_lse(1, true) + ip_udp());
    EXPECT_EQ(e.pkt.inner_protocol(), htons(kEthPIp));
    EXPECT_EQ(e.pkt.inner_network_offset(), 22);
}

// Upstream's skb_mpls_push() writes the MPLS ethertype at offset 12 even
// when an in-band tag follows the addresses; reproduced as is.
TEST_F(PushPop, PushMplsUnderAnInBandInnerTagRewritesOffset12LikeUpstream)
{
    Buf b = kMacA + kMacB + vlan_tag(0x88a8, 0x0064) + vlan_tag(0x8100, 0x0005) + be16b(kEthPIp) + ip_udp();
    Received r = receive(b);
    ASSERT_EQ(r.pkt.mac_len(), 18);
    ASSERT_EQ(run(r, Actions().push_mpls((7u << 12) | 0x100 | 64, kEthPMplsUc).output(2)), 0);
    EXPECT_EQ(out().bytes, kMacA + kMacB + vlan_tag(kEthPMplsUc, 0x0005) + be16b(kEthPIp) + mpls_lse(7, true) + ip_udp());
}

TEST_F(PushPop, AddMplsAtTheStartOfThePacketMakesItL3)
{
    Buf b = eth(kEthPIp) + ip_udp();
    Received r = receive(b);
    r.pkt.set_csum_complete();
    ASSERT_EQ(run(r, Actions().add_mpls((5u << 12) | 0x100 | 64, kEthPMplsUc, false).output(2)), 0);
    const Event& e = out();
    EXPECT_EQ(e.bytes, mpls_lse(5, true) + b);
    EXPECT_EQ(e.pkt.protocol(), htons(kEthPMplsUc));
    EXPECT_EQ(e.pkt.network_offset(), 0);
    EXPECT_EQ(e.key.mac_proto, kMacProtoNone | kMacProtoKeyInvalid);
    EXPECT_TRUE(complete_csum_ok(e.pkt));
}

TEST_F(PushPop, AddMplsWithTheL3TunnelFlagGoesAfterTheL2Header)
{
    Buf b = eth(kEthPIp) + ip_udp();
    Received r = receive(b);
    ASSERT_EQ(run(r, Actions().add_mpls((5u << 12) | 0x100 | 64, kEthPMplsUc, true).output(2)), 0);
    const Event& e = out();
    EXPECT_EQ(e.bytes, eth(kEthPMplsUc) + mpls_lse(5, true) + ip_udp());
    EXPECT_EQ(e.key.mac_proto, kMacProtoEthernet | kMacProtoKeyInvalid);
}

TEST_F(PushPop, PopMplsToIpv4)
{
    Buf b = eth(kEthPMplsUc) + mpls_lse(100, true) + ip_udp();
    Received r = receive(b);
    r.pkt.set_csum_complete();
    ASSERT_EQ(run(r, Actions().pop_mpls(kEthPIp).output(2)), 0);
    const Event& e = out();
    EXPECT_EQ(e.bytes, eth(kEthPIp) + ip_udp());
    EXPECT_EQ(e.pkt.protocol(), htons(kEthPIp));
    EXPECT_EQ(e.pkt.network_offset(), 14);
    EXPECT_TRUE(complete_csum_ok(e.pkt));
    EXPECT_TRUE(e.key.mac_proto & kMacProtoKeyInvalid);
    Pkt& p = const_cast<Pkt&>(e.pkt);
    FlowKey k = e.key;
    ASSERT_TRUE(key_update(p, k).ok());
    EXPECT_EQ(k.eth.type, htons(kEthPIp));
    EXPECT_EQ(k.ip.proto, kIpProtoUdp);
}

TEST_F(PushPop, PopMplsOfAStackLeavesTheNextLabel)
{
    Buf b = eth(kEthPMplsUc) + mpls_lse(1, false) + mpls_lse(2, true) + ip_udp();
    Received r = receive(b);
    ASSERT_EQ(run(r, Actions().pop_mpls(kEthPMplsUc).output(2)), 0);
    EXPECT_EQ(out().bytes, eth(kEthPMplsUc) + mpls_lse(2, true) + ip_udp());
}

TEST_F(PushPop, PopMplsWritesTheEthertypeRightBeforeTheNetworkHeader)
{
    Buf b = kMacA + kMacB + vlan_tag(0x8100, 2) + be16b(kEthPMplsUc) + mpls_lse(9, true) + ip_udp();
    Pkt p(b.data(), b.size());
    p.set_protocol(htons(kEthPMplsUc));
    p.set_mac_len(18);
    p.set_network_offset(18);
    p.set_csum_complete();
    ASSERT_EQ(pkt_mpls_pop(p, htons(kEthPIp), 18, true), 0);
    EXPECT_EQ(bytes_of(p), kMacA + kMacB + vlan_tag(0x8100, 2) + be16b(kEthPIp) + ip_udp());
    EXPECT_EQ(p.protocol(), htons(kEthPIp));
    EXPECT_EQ(p.network_offset(), 18);
    EXPECT_TRUE(complete_csum_ok(p));
}

// Key extraction leaves skb->protocol at the inner TPID of a QinQ frame, so
// upstream's pop_mpls finds no MPLS there and does nothing; as here.
TEST_F(PushPop, PopMplsUnderAnInBandInnerTagIsANoOpLikeUpstream)
{
    Buf b = kMacA + kMacB + vlan_tag(0x88a8, 1) + vlan_tag(0x8100, 2) + be16b(kEthPMplsUc) + mpls_lse(9, true) + ip_udp();
    Received r = receive(b);
    ASSERT_EQ(r.key.eth.type, htons(kEthPMplsUc));
    ASSERT_EQ(run(r, Actions().pop_mpls(kEthPIp).output(2)), 0);
    EXPECT_EQ(out().bytes, kMacA + kMacB + vlan_tag(0x8100, 2) + be16b(kEthPMplsUc) + mpls_lse(9, true) + ip_udp());
}

TEST_F(PushPop, PopMplsWithTebMakesTheInnerFrameTheMacHeader)
{
    Buf inner = eth(kEthPIp) + ip_udp();
    Buf b = mpls_lse(3, true) + inner;
    Received r = receive(b, 1, 32, kMacProtoNone, kEthPMplsUc);
    ASSERT_EQ(r.key.eth.type, htons(kEthPMplsUc));
    ASSERT_EQ(run(r, Actions().pop_mpls(kEthPTeb).output(2)), 0);
    const Event& e = out();
    EXPECT_EQ(e.bytes, inner);
    EXPECT_EQ(e.key.mac_proto, kMacProtoEthernet | kMacProtoKeyInvalid);
}

TEST_F(PushPop, PopMplsOfANonMplsPacketDoesNothing)
{
    Buf b = eth(kEthPIp) + ip_udp();
    Received r = receive(b);
    ASSERT_EQ(run(r, Actions().pop_mpls(kEthPIpv6).output(2)), 0);
    EXPECT_EQ(out().bytes, b);
    EXPECT_EQ(out().pkt.protocol(), htons(kEthPIp));
}

TEST_F(PushPop, PushEthOnAnL3Packet)
{
    Buf l3 = ip_udp();
    for (usize headroom : { usize(32), usize(0) }) {
        env.events.clear();
        Received r = receive(l3, 1, headroom, kMacProtoNone, kEthPIp);
        r.pkt.set_csum_complete();
        ASSERT_EQ(run(r, Actions().push_eth(kMacB, kMacA).output(2)), 0);
        const Event& e = out();
        EXPECT_EQ(e.bytes, eth(kEthPIp, kMacA, kMacB) + l3);
        EXPECT_EQ(e.pkt.mac_len(), 14);
        EXPECT_EQ(e.pkt.network_offset(), 14);
        EXPECT_EQ(e.key.mac_proto, kMacProtoEthernet | kMacProtoKeyInvalid);
        EXPECT_TRUE(complete_csum_ok(e.pkt));
    }
}

TEST_F(PushPop, PushEthOnAFrameThatHasOneIsAProtocolError)
{
    Received r = receive(eth(kEthPIp) + ip_udp());
    EXPECT_EQ(run(r, Actions().push_eth(kMacB, kMacA).output(2)), -act_err::PROTO);
    EXPECT_EQ(env.trace(), "drop:71 ");
}

TEST_F(PushPop, PopEth)
{
    Buf l3 = ip_udp();
    Received r = receive(eth(kEthPIp) + l3);
    r.pkt.set_csum_complete();
    ASSERT_EQ(run(r, Actions().pop_eth().output(2)), 0);
    const Event& e = out();
    EXPECT_EQ(e.bytes, l3);
    EXPECT_EQ(e.pkt.network_offset(), 0);
    EXPECT_EQ(e.pkt.mac_len(), 0);
    EXPECT_EQ(e.pkt.protocol(), htons(kEthPIp));
    EXPECT_EQ(e.key.mac_proto, kMacProtoNone | kMacProtoKeyInvalid);
    EXPECT_TRUE(complete_csum_ok(e.pkt));
}

TEST_F(PushPop, PopEthOfATaggedFrameIsAProtocolError)
{
    Received r = receive(kMacA + kMacB + vlan_tag(0x8100, 1) + be16b(kEthPIp) + ip_udp());
    EXPECT_EQ(run(r, Actions().pop_eth().output(2)), -act_err::PROTO);
    EXPECT_EQ(env.trace(), "drop:71 ");
}

TEST_F(PushPop, PopEthPastAPartialChecksumStartDropsThePartialState)
{
    Buf b = eth(kEthPIp) + ip_udp();
    Received r = receive(b);
    r.pkt.set_csum_partial(4, 6);
    ASSERT_EQ(run(r, Actions().pop_eth().output(2)), 0);
    EXPECT_EQ(out().pkt.ip_summed(), IpSummed::None);
}

TEST_F(PushPop, PushEthThenPopEthRoundTripsAnL3Packet)
{
    Buf l3 = ip_udp();
    Received r = receive(l3, 1, 32, kMacProtoNone, kEthPIp);
    ASSERT_EQ(run(r, Actions().push_eth(kMacB, kMacA).pop_eth().output(2)), 0);
    EXPECT_EQ(out().bytes, l3);
}

TEST_F(PushPop, PushOnASharedPacketWithoutMemoryFails)
{
    Received r = receive(eth(kEthPIp) + ip_udp());
    alignas(Pkt) u8 storage[sizeof(Pkt)];
    ASSERT_TRUE(r.pkt.clone_into(storage));
    r.pkt.fail_allocs(true);
    EXPECT_EQ(run(r, Actions().push_mpls(64 | 0x100, kEthPMplsUc).output(2)), -err::NOMEM);
    EXPECT_EQ(env.trace(), "drop:12 ");
    reinterpret_cast<Pkt*>(storage)->~Pkt();
}

} // namespace
