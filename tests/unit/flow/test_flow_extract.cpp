// SPDX-License-Identifier: GPL-2.0
// Key extraction, protocol by protocol, with byte-exact expected keys. Every
// packet also goes through every linear prefix and every truncation
// (flow_test_util.h: extract()).
#include "flow_test_util.h"
#include "platform/user/user_platform.h"

#include <algorithm>

using namespace ovsdp;
using namespace ovsdp::test;

namespace {

constexpr usize kUnset = UserPacket::kUnset;
constexpr u32 kIp1 = 0x0a000001; // 10.0.0.1
constexpr u32 kIp2 = 0x0a000002;

void set_v6(u8 (&dst)[16], const Buf& a) { std::memcpy(dst, a.data(), 16); }

FlowKey ipv4_key(u8 proto, u16 sport = 0, u16 dport = 0, u8 tos = 0, u8 ttl = 64)
{
    FlowKey k = eth_key(kEthPIp);
    k.ipv4.src = htonl(kIp1);
    k.ipv4.dst = htonl(kIp2);
    k.ip.proto = proto;
    k.ip.tos = tos;
    k.ip.ttl = ttl;
    k.tp.src = htons(sport);
    k.tp.dst = htons(dport);
    return k;
}

FlowKey ipv6_key(u8 proto, u16 sport = 0, u16 dport = 0)
{
    FlowKey k = eth_key(kEthPIpv6);
    set_v6(k.ipv6.src, ip6addr(1));
    set_v6(k.ipv6.dst, ip6addr(2));
    k.ip.proto = proto;
    k.ip.ttl = 64;
    k.tp.src = htons(sport);
    k.tp.dst = htons(dport);
    return k;
}

class FlowExtract : public ::testing::Test {
protected:
    void TearDown() override { EXPECT_EQ(user::live_allocations(), 0); }
};

// ---- Ethernet --------------------------------------------------------------

TEST_F(FlowExtract, FrameShorterThanEthernetHeaderIsInvalid)
{
    Buf pkt = eth(kEthPIp);
    pkt.pop_back();
    EXPECT_EQ(extract(pkt).err, err::INVAL);
    EXPECT_EQ(extract({}).err, err::INVAL);
}

TEST_F(FlowExtract, BareEthernetHeaderKeysL2Only)
{
    Extracted r = extract(eth(kEthPIp));
    ASSERT_EQ(r.err, 0);
    EXPECT_TRUE(keys_equal(eth_key(kEthPIp), r.key));
    EXPECT_EQ(r.off.mac_len, 14u);
    EXPECT_EQ(r.off.network, 14u);
    EXPECT_EQ(r.off.transport, 14u); // no IP header: transport = network
    EXPECT_EQ(r.protocol, kEthPIp);
}

TEST_F(FlowExtract, UnknownEthertypeKeysL2Only)
{
    Extracted r = extract(eth(0x88cc) + filler(40));
    ASSERT_EQ(r.err, 0);
    EXPECT_TRUE(keys_equal(eth_key(0x88cc), r.key));
    EXPECT_EQ(r.off.network, 14u);
    EXPECT_EQ(r.off.transport, kUnset);
    EXPECT_EQ(r.protocol, 0x88cc);
}

TEST_F(FlowExtract, Ethertype1536IsEthernetII)
{
    Extracted r = extract(eth(0x0600) + filler(20));
    EXPECT_TRUE(keys_equal(eth_key(0x0600), r.key));
    EXPECT_EQ(r.off.network, 14u);
}

TEST_F(FlowExtract, LengthFieldWithPlainLlcIs8022)
{
    // 802.3 length 0x05ff (the largest length) with an STP LLC header.
    Extracted r = extract(eth(0x05ff) + bytes({ 0x42, 0x42, 0x03 }) + filler(35));
    ASSERT_EQ(r.err, 0);
    EXPECT_TRUE(keys_equal(eth_key(kEthP8022), r.key));
    EXPECT_EQ(r.off.network, 14u);
    EXPECT_EQ(r.off.mac_len, 14u);
    EXPECT_EQ(r.protocol, kEthP8022);
}

TEST_F(FlowExtract, SnapWithOuiZeroCarriesEthertype)
{
    Buf snap = bytes({ 0xaa, 0xaa, 0x03, 0, 0, 0 }) + be16b(kEthPIp);
    Extracted r = extract(eth(46) + snap + ipv4(kIpProtoUdp, kIp1, kIp2) + udp(53, 5353));
    ASSERT_EQ(r.err, 0);
    EXPECT_TRUE(keys_equal(ipv4_key(kIpProtoUdp, 53, 5353), r.key));
    EXPECT_EQ(r.off.network, 22u);
    EXPECT_EQ(r.off.transport, 42u);
}

TEST_F(FlowExtract, SnapWithOuiZeroAndLengthTypeIs8022AfterSnap)
{
    // Seed 9: keyed as 802.2 so that the key can be installed.
    Buf snap = bytes({ 0xaa, 0xaa, 0x03, 0, 0, 0 }) + be16b(3);
    Extracted r = extract(eth(40) + snap + filler(32));
    ASSERT_EQ(r.err, 0);
    EXPECT_TRUE(keys_equal(eth_key(kEthP8022), r.key));
    EXPECT_EQ(r.off.network, 22u);
}

TEST_F(FlowExtract, SnapWithOtherOuiIs8022)
{
    Buf snap = bytes({ 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c }) + be16b(0x2000);
    Extracted r = extract(eth(40) + snap + filler(32));
    EXPECT_TRUE(keys_equal(eth_key(kEthP8022), r.key));
    EXPECT_EQ(r.off.network, 14u);
}

TEST_F(FlowExtract, NotSnapSapIs8022)
{
    Buf llc = bytes({ 0xaa, 0xab, 0x03, 0, 0, 0 }) + be16b(kEthPIp);
    Extracted r = extract(eth(40) + llc + filler(32));
    EXPECT_TRUE(keys_equal(eth_key(kEthP8022), r.key));
    EXPECT_EQ(r.off.network, 14u);
}

TEST_F(FlowExtract, LlcShorterThanSnapIs8022)
{
    Extracted r = extract(eth(7) + bytes({ 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08 }));
    EXPECT_TRUE(keys_equal(eth_key(kEthP8022), r.key));
    EXPECT_EQ(r.off.network, 14u);
}

// ---- VLAN -------------------------------------------------------------------

TEST_F(FlowExtract, InBandVlanIsKeyedAndMovedToTheAcceleratedTag)
{
    Buf inner = ipv4(kIpProtoTcp, kIp1, kIp2) + tcp(1234, 80, 0x002);
    Extracted r = extract(eth_addrs() + vlan_tag(kEthP8021Q, 0x2064) + be16b(kEthPIp) + inner);
    ASSERT_EQ(r.err, 0);
    FlowKey want = ipv4_key(kIpProtoTcp, 1234, 80);
    want.eth.vlan.tpid = htons(kEthP8021Q);
    want.eth.vlan.tci = htons(0x3064);
    want.tp.flags = htons(0x002);
    EXPECT_TRUE(keys_equal(want, r.key));
    // The packet is untagged: offsets count from the new mac header.
    EXPECT_EQ(r.packet, eth(kEthPIp) + inner);
    EXPECT_TRUE(r.vlan_present);
    EXPECT_EQ(r.vlan_tci, 0x2064);
    EXPECT_EQ(r.vlan_proto, kEthP8021Q);
    EXPECT_EQ(r.off.popped_vlans, 1u);
    EXPECT_EQ(r.off.network, 14u);
    EXPECT_EQ(r.off.mac_len, 14u);
    EXPECT_EQ(r.off.transport, 34u);
    EXPECT_EQ(r.protocol, kEthPIp);
}

TEST_F(FlowExtract, AcceleratedTagIsTheOuterVlan)
{
    ExtractOpts o;
    o.accel_vlan = true;
    o.accel_tci = 5;
    o.accel_proto = kEthP8021AD;
    Buf pkt = eth(kEthPIp) + ipv4(kIpProtoUdp, kIp1, kIp2) + udp(1, 2);
    Extracted r = extract(pkt, o);
    FlowKey want = ipv4_key(kIpProtoUdp, 1, 2);
    want.eth.vlan.tpid = htons(kEthP8021AD);
    want.eth.vlan.tci = htons(0x1005);
    EXPECT_TRUE(keys_equal(want, r.key));
    EXPECT_EQ(r.packet, pkt);
    EXPECT_EQ(r.off.popped_vlans, 0u);
}

TEST_F(FlowExtract, PriorityTagWithTciZeroIsStillATag)
{
    Extracted r = extract(eth_addrs() + vlan_tag(kEthP8021Q, 0) + be16b(0x88cc) + filler(30));
    FlowKey want = eth_key(0x88cc);
    want.eth.vlan.tpid = htons(kEthP8021Q);
    want.eth.vlan.tci = htons(kVlanCfiMask);
    EXPECT_TRUE(keys_equal(want, r.key));
}

TEST_F(FlowExtract, CfiBitFromThePacketIsIndistinguishable)
{
    Extracted r = extract(eth_addrs() + vlan_tag(kEthP8021Q, 0x1123) + be16b(0x88cc) + filler(30));
    EXPECT_EQ(r.key.eth.vlan.tci, htons(0x1123));
}

TEST_F(FlowExtract, QinQInBand)
{
    Buf l3 = ipv6(kIpProtoUdp) + udp(4000, 4001);
    Buf pkt = eth_addrs() + vlan_tag(kEthP8021AD, 10) + vlan_tag(kEthP8021Q, 20) + be16b(kEthPIpv6) + l3;
    Extracted r = extract(pkt);
    ASSERT_EQ(r.err, 0);
    FlowKey want = ipv6_key(kIpProtoUdp, 4000, 4001);
    want.eth.vlan = { htons(kEthP8021AD), htons(0x100a) };
    want.eth.cvlan = { htons(kEthP8021Q), htons(0x1014) };
    EXPECT_TRUE(keys_equal(want, r.key));
    EXPECT_EQ(r.packet, eth_addrs() + vlan_tag(kEthP8021Q, 20) + be16b(kEthPIpv6) + l3);
    EXPECT_EQ(r.vlan_tci, 10);
    EXPECT_EQ(r.vlan_proto, kEthP8021AD);
    EXPECT_EQ(r.off.network, 18u);
    EXPECT_EQ(r.off.mac_len, 18u);
    EXPECT_EQ(r.off.transport, 58u);
    // Double-tagged: the protocol is the inner TPID.
    EXPECT_EQ(r.protocol, kEthP8021Q);
}

TEST_F(FlowExtract, AcceleratedOuterTagWithInBandInnerTag)
{
    ExtractOpts o;
    o.accel_vlan = true;
    o.accel_tci = 7;
    o.accel_proto = kEthP8021AD;
    Buf pkt = eth_addrs() + vlan_tag(kEthP8021Q, 0xe123) + be16b(kEthPArp) + arp(1, kIp1, kIp2);
    Extracted r = extract(pkt, o);
    FlowKey want = eth_key(kEthPArp);
    want.eth.vlan = { htons(kEthP8021AD), htons(0x1007) };
    want.eth.cvlan = { htons(kEthP8021Q), htons(0xf123) };
    want.ip.proto = 1;
    want.ipv4.src = htonl(kIp1);
    want.ipv4.dst = htonl(kIp2);
    std::memcpy(want.ipv4.arp.sha, kArpSha.data(), 6);
    std::memcpy(want.ipv4.arp.tha, kArpTha.data(), 6);
    EXPECT_TRUE(keys_equal(want, r.key));
    EXPECT_EQ(r.packet, pkt); // only an outer in-band tag is moved
    EXPECT_EQ(r.off.network, 18u);
    EXPECT_EQ(r.protocol, kEthP8021Q);
}

TEST_F(FlowExtract, ThirdTagBecomesTheEthertype)
{
    Buf pkt = eth_addrs() + vlan_tag(kEthP8021AD, 1) + vlan_tag(kEthP8021Q, 2) + vlan_tag(kEthP8021Q, 3)
        + be16b(kEthPIp) + ipv4(kIpProtoUdp, kIp1, kIp2) + udp(1, 2);
    Extracted r = extract(pkt);
    FlowKey want = eth_key(kEthP8021Q);
    want.eth.vlan = { htons(kEthP8021AD), htons(0x1001) };
    want.eth.cvlan = { htons(kEthP8021Q), htons(0x1002) };
    EXPECT_TRUE(keys_equal(want, r.key));
    EXPECT_EQ(r.off.network, 18u);
    EXPECT_EQ(r.off.transport, kUnset);
}

TEST_F(FlowExtract, TruncatedTagIsNotKeyed)
{
    // TPID and TCI but no inner ethertype.
    Buf pkt = eth_addrs() + vlan_tag(kEthP8021Q, 100);
    Extracted r = extract(pkt);
    ASSERT_EQ(r.err, 0);
    EXPECT_TRUE(keys_equal(eth_key(kEthP8021Q), r.key));
    EXPECT_EQ(r.packet, pkt);
    EXPECT_FALSE(r.vlan_present);
    EXPECT_EQ(r.off.network, 14u);
}

TEST_F(FlowExtract, TaggedLlc)
{
    Buf pkt = eth_addrs() + vlan_tag(kEthP8021Q, 9) + be16b(38) + bytes({ 0x42, 0x42, 0x03 }) + filler(35);
    Extracted r = extract(pkt);
    FlowKey want = eth_key(kEthP8022);
    want.eth.vlan = { htons(kEthP8021Q), htons(0x1009) };
    EXPECT_TRUE(keys_equal(want, r.key));
    EXPECT_EQ(r.off.network, 14u);
}

// ---- IPv4 -------------------------------------------------------------------

TEST_F(FlowExtract, Ipv4Tcp)
{
    Ipv4Opts io;
    io.tos = 0x2e;
    io.ttl = 17;
    // doff 5, the 3 reserved bits, NS, ACK, SYN: all 12 bits are keyed.
    Extracted r = extract(eth(kEthPIp) + ipv4(kIpProtoTcp, kIp1, kIp2, io) + tcp_word(1234, 80, 0x5f12) + filler(10));
    ASSERT_EQ(r.err, 0);
    FlowKey want = ipv4_key(kIpProtoTcp, 1234, 80, 0x2e, 17);
    want.tp.flags = htons(0x0f12);
    EXPECT_TRUE(keys_equal(want, r.key));
    EXPECT_EQ(r.off.network, 14u);
    EXPECT_EQ(r.off.transport, 34u);
    EXPECT_EQ(r.off.inner_network, kUnset);
}

TEST_F(FlowExtract, TcpWithOptionsNeedsTheWholeHeader)
{
    Buf head = eth(kEthPIp) + ipv4(kIpProtoTcp, kIp1, kIp2);
    Buf seg = tcp(5, 6, 0x011, 8); // 32 bytes
    Extracted r = extract(head + seg);
    FlowKey want = ipv4_key(kIpProtoTcp, 5, 6);
    want.tp.flags = htons(0x011);
    EXPECT_TRUE(keys_equal(want, r.key));

    // Seed 4: the fixed 20 bytes are there but not the options: no L4 at all.
    Buf cut(seg.begin(), seg.begin() + 24);
    r = extract(head + cut);
    EXPECT_TRUE(keys_equal(ipv4_key(kIpProtoTcp), r.key));
    EXPECT_EQ(r.off.transport, 34u);
}

TEST_F(FlowExtract, TcpDataOffsetBelowFiveIsNoTcpHeader)
{
    Extracted r = extract(eth(kEthPIp) + ipv4(kIpProtoTcp, kIp1, kIp2) + tcp_word(5, 6, 0x4012) + filler(8));
    EXPECT_TRUE(keys_equal(ipv4_key(kIpProtoTcp), r.key));
}

TEST_F(FlowExtract, TruncatedTcpKeysL3Only)
{
    Buf seg = tcp(5, 6, 0x002);
    seg.pop_back();
    Extracted r = extract(eth(kEthPIp) + ipv4(kIpProtoTcp, kIp1, kIp2) + seg);
    ASSERT_EQ(r.err, 0);
    EXPECT_TRUE(keys_equal(ipv4_key(kIpProtoTcp), r.key));
}

TEST_F(FlowExtract, Ipv4Udp)
{
    Extracted r = extract(eth(kEthPIp) + ipv4(kIpProtoUdp, kIp1, kIp2) + udp(68, 67) + filler(20));
    EXPECT_TRUE(keys_equal(ipv4_key(kIpProtoUdp, 68, 67), r.key));
    Buf u = udp(68, 67);
    u.pop_back();
    r = extract(eth(kEthPIp) + ipv4(kIpProtoUdp, kIp1, kIp2) + u);
    EXPECT_TRUE(keys_equal(ipv4_key(kIpProtoUdp), r.key));
}

TEST_F(FlowExtract, Ipv4Sctp)
{
    Extracted r = extract(eth(kEthPIp) + ipv4(kIpProtoSctp, kIp1, kIp2) + sctp(3868, 2905) + filler(16));
    EXPECT_TRUE(keys_equal(ipv4_key(kIpProtoSctp, 3868, 2905), r.key));
    Buf s = sctp(1, 2);
    s.pop_back();
    r = extract(eth(kEthPIp) + ipv4(kIpProtoSctp, kIp1, kIp2) + s);
    EXPECT_TRUE(keys_equal(ipv4_key(kIpProtoSctp), r.key));
}

TEST_F(FlowExtract, Ipv4Icmp)
{
    Extracted r = extract(eth(kEthPIp) + ipv4(kIpProtoIcmp, kIp1, kIp2) + icmp(8, 0) + filler(56));
    EXPECT_TRUE(keys_equal(ipv4_key(kIpProtoIcmp, 8, 0), r.key));
    r = extract(eth(kEthPIp) + ipv4(kIpProtoIcmp, kIp1, kIp2) + icmp(3, 4) + filler(28));
    EXPECT_TRUE(keys_equal(ipv4_key(kIpProtoIcmp, 3, 4), r.key));
    // The ICMP header is 8 bytes: 7 are not enough.
    Buf i = icmp(3, 4);
    i.pop_back();
    r = extract(eth(kEthPIp) + ipv4(kIpProtoIcmp, kIp1, kIp2) + i);
    EXPECT_TRUE(keys_equal(ipv4_key(kIpProtoIcmp), r.key));
}

TEST_F(FlowExtract, Ipv4OtherProtocolHasNoL4)
{
    Extracted r = extract(eth(kEthPIp) + ipv4(47, kIp1, kIp2) + filler(24));
    EXPECT_TRUE(keys_equal(ipv4_key(47), r.key));
    EXPECT_EQ(r.off.transport, 34u);
}

TEST_F(FlowExtract, Ipv4OptionsMoveTheTransportHeader)
{
    Ipv4Opts io;
    io.ihl = 7;
    Extracted r = extract(eth(kEthPIp) + ipv4(kIpProtoUdp, kIp1, kIp2, io) + udp(9, 10));
    EXPECT_TRUE(keys_equal(ipv4_key(kIpProtoUdp, 9, 10), r.key));
    EXPECT_EQ(r.off.transport, 42u);
}

TEST_F(FlowExtract, Ipv4HeaderLengthBelowMinimumKeysNoL3)
{
    Ipv4Opts io;
    io.ihl = 4;
    Extracted r = extract(eth(kEthPIp) + ipv4(kIpProtoUdp, kIp1, kIp2, io) + udp(9, 10));
    ASSERT_EQ(r.err, 0);
    EXPECT_TRUE(keys_equal(eth_key(kEthPIp), r.key));
    EXPECT_EQ(r.off.transport, 14u);
}

TEST_F(FlowExtract, Ipv4HeaderLengthPastThePacketKeysNoL3)
{
    Ipv4Opts io;
    io.ihl = 15; // 60 bytes; the packet has 20 + 8
    Buf h = ipv4(kIpProtoUdp, kIp1, kIp2, io);
    h.resize(20);
    Extracted r = extract(eth(kEthPIp) + h + udp(9, 10));
    ASSERT_EQ(r.err, 0);
    EXPECT_TRUE(keys_equal(eth_key(kEthPIp), r.key));
    EXPECT_EQ(r.off.transport, 14u);
}

TEST_F(FlowExtract, Ipv4VersionIsNotChecked)
{
    Ipv4Opts io;
    io.version = 6;
    Extracted r = extract(eth(kEthPIp) + ipv4(kIpProtoUdp, kIp1, kIp2, io) + udp(9, 10));
    EXPECT_TRUE(keys_equal(ipv4_key(kIpProtoUdp, 9, 10), r.key));
}

TEST_F(FlowExtract, Ipv4FirstFragmentCarriesL4)
{
    Ipv4Opts io;
    io.frag_off = 0x2000; // MF, offset 0
    Extracted r = extract(eth(kEthPIp) + ipv4(kIpProtoUdp, kIp1, kIp2, io) + udp(9, 10) + filler(16));
    FlowKey want = ipv4_key(kIpProtoUdp, 9, 10);
    want.ip.frag = kFragFirst;
    EXPECT_TRUE(keys_equal(want, r.key));
}

TEST_F(FlowExtract, Ipv4LaterFragmentsHaveNoL4)
{
    // Seed 3, with and without more fragments to come; the payload looks
    // like a TCP header but must not be keyed.
    for (u16 fo : { u16(185), u16(0x2000 | 185), u16(1) }) {
        Ipv4Opts io;
        io.frag_off = fo;
        Extracted r = extract(eth(kEthPIp) + ipv4(kIpProtoTcp, kIp1, kIp2, io) + tcp(1, 2, 0x2) + filler(8));
        FlowKey want = ipv4_key(kIpProtoTcp);
        want.ip.frag = kFragLater;
        EXPECT_TRUE(keys_equal(want, r.key)) << "frag_off " << fo;
        EXPECT_EQ(r.off.transport, 34u);
    }
}

TEST_F(FlowExtract, Ipv4UdpGsoIsFirstFragment)
{
    ExtractOpts o;
    o.gso_udp = true;
    Extracted r = extract(eth(kEthPIp) + ipv4(kIpProtoUdp, kIp1, kIp2) + udp(9, 10), o);
    FlowKey want = ipv4_key(kIpProtoUdp, 9, 10);
    want.ip.frag = kFragFirst;
    EXPECT_TRUE(keys_equal(want, r.key));
}

TEST_F(FlowExtract, TruncatedIpv4HeaderKeysNoL3)
{
    Buf h = ipv4(kIpProtoUdp, kIp1, kIp2);
    h.pop_back();
    Extracted r = extract(eth(kEthPIp) + h);
    ASSERT_EQ(r.err, 0);
    EXPECT_TRUE(keys_equal(eth_key(kEthPIp), r.key));
    EXPECT_EQ(r.off.transport, 14u);
}

// ---- ARP and RARP (seed 10) ---------------------------------------------------

FlowKey arp_key(u16 type, u8 proto)
{
    FlowKey k = eth_key(type);
    k.ip.proto = proto;
    k.ipv4.src = htonl(kIp1);
    k.ipv4.dst = htonl(kIp2);
    std::memcpy(k.ipv4.arp.sha, kArpSha.data(), 6);
    std::memcpy(k.ipv4.arp.tha, kArpTha.data(), 6);
    return k;
}

TEST_F(FlowExtract, ArpAnyOpcode)
{
    for (u16 op : { 1, 2, 3, 4, 8, 9, 0, 0xff }) {
        Extracted r = extract(eth(kEthPArp) + arp(op, kIp1, kIp2) + zeros(18));
        EXPECT_TRUE(keys_equal(arp_key(kEthPArp, static_cast<u8>(op)), r.key)) << "op " << op;
        EXPECT_EQ(r.off.network, 14u);
        EXPECT_EQ(r.off.transport, kUnset);
    }
    // Opcodes that do not fit in 8 bits key as 0, the addresses still count.
    Extracted r = extract(eth(kEthPArp) + arp(0x100, kIp1, kIp2));
    EXPECT_TRUE(keys_equal(arp_key(kEthPArp, 0), r.key));
}

TEST_F(FlowExtract, RarpIsParsedLikeArp)
{
    Extracted r = extract(eth(kEthPRarp) + arp(3, kIp1, kIp2));
    EXPECT_TRUE(keys_equal(arp_key(kEthPRarp, 3), r.key));
}

TEST_F(FlowExtract, NonEthernetIpv4ArpKeysL2Only)
{
    ArpOpts bad_hrd, bad_pro, bad_hln, bad_pln;
    bad_hrd.hrd = 6;
    bad_pro.pro = kEthPIpv6;
    bad_hln.hln = 8;
    bad_pln.pln = 16;
    for (const ArpOpts& ao : { bad_hrd, bad_pro, bad_hln, bad_pln }) {
        Extracted r = extract(eth(kEthPArp) + arp(1, kIp1, kIp2, ao));
        EXPECT_TRUE(keys_equal(eth_key(kEthPArp), r.key));
    }
}

TEST_F(FlowExtract, TruncatedArpKeysL2Only)
{
    Buf a = arp(1, kIp1, kIp2);
    a.pop_back();
    Extracted r = extract(eth(kEthPArp) + a);
    ASSERT_EQ(r.err, 0);
    EXPECT_TRUE(keys_equal(eth_key(kEthPArp), r.key));
}

// ---- MPLS ---------------------------------------------------------------------

FlowKey mpls_key(u16 type, u32 mask, std::initializer_list<Buf> lses)
{
    FlowKey k = eth_key(type);
    k.mpls.num_labels_mask = mask;
    usize i = 0;
    for (const Buf& l : lses)
        std::memcpy(&k.mpls.lse[i++], l.data(), 4);
    return k;
}

TEST_F(FlowExtract, MplsSingleLabel)
{
    Buf l0 = mpls_lse(100, true, 64, 5);
    Extracted r = extract(eth(kEthPMplsUc) + l0 + ipv4(kIpProtoUdp, kIp1, kIp2) + udp(1, 2));
    ASSERT_EQ(r.err, 0);
    EXPECT_TRUE(keys_equal(mpls_key(kEthPMplsUc, 1, { l0 }), r.key));
    EXPECT_EQ(r.off.network, 14u);
    EXPECT_EQ(r.off.inner_network, 18u);
    EXPECT_EQ(r.off.transport, kUnset);
}

TEST_F(FlowExtract, MplsThreeLabelsMulticast)
{
    Buf l0 = mpls_lse(1, false), l1 = mpls_lse(2, false), l2 = mpls_lse(0xfffff, true, 1);
    Extracted r = extract(eth(kEthPMplsMc) + l0 + l1 + l2 + filler(20));
    EXPECT_TRUE(keys_equal(mpls_key(kEthPMplsMc, 7, { l0, l1, l2 }), r.key));
    EXPECT_EQ(r.off.inner_network, 26u);
}

TEST_F(FlowExtract, MplsDeepStackKeysTopThree)
{
    Buf stack, l[5];
    for (int i = 0; i < 5; i++) {
        l[i] = mpls_lse(16 + i, i == 4);
        stack = stack + l[i];
    }
    Extracted r = extract(eth(kEthPMplsUc) + stack + filler(20));
    EXPECT_TRUE(keys_equal(mpls_key(kEthPMplsUc, 7, { l[0], l[1], l[2] }), r.key));
    EXPECT_EQ(r.off.inner_network, 34u);
}

TEST_F(FlowExtract, MplsStackWithoutBottomKeepsLabelsButNoMask)
{
    Buf l0 = mpls_lse(1, false), l1 = mpls_lse(2, false);
    Extracted r = extract(eth(kEthPMplsUc) + l0 + l1 + bytes({ 0, 0 }));
    ASSERT_EQ(r.err, 0);
    EXPECT_TRUE(keys_equal(mpls_key(kEthPMplsUc, 0, { l0, l1 }), r.key));
    EXPECT_EQ(r.off.inner_network, 22u);

    r = extract(eth(kEthPMplsUc) + bytes({ 0, 0 }));
    EXPECT_TRUE(keys_equal(eth_key(kEthPMplsUc), r.key));
    EXPECT_EQ(r.off.inner_network, 14u);
}

// ---- IPv6 -----------------------------------------------------------------------

TEST_F(FlowExtract, Ipv6Tcp)
{
    Extracted r = extract(eth(kEthPIpv6) + ipv6(kIpProtoTcp, 0xb8, 0x12345, 9) + tcp(443, 50000, 0x018) + filler(7));
    ASSERT_EQ(r.err, 0);
    FlowKey want = ipv6_key(kIpProtoTcp, 443, 50000);
    want.ip.tos = 0xb8;
    want.ip.ttl = 9;
    want.ipv6.label = htonl(0x12345);
    want.tp.flags = htons(0x018);
    EXPECT_TRUE(keys_equal(want, r.key));
    EXPECT_EQ(r.off.network, 14u);
    EXPECT_EQ(r.off.transport, 54u);
    EXPECT_EQ(r.protocol, kEthPIpv6);
}

TEST_F(FlowExtract, Ipv6TruncatedTcpHasNoFlags)
{
    Buf seg = tcp(443, 50000, 0x018);
    seg.resize(19);
    Extracted r = extract(eth(kEthPIpv6) + ipv6(kIpProtoTcp) + seg);
    EXPECT_TRUE(keys_equal(ipv6_key(kIpProtoTcp), r.key));
}

TEST_F(FlowExtract, Ipv6UdpSctpIcmp)
{
    Extracted r = extract(eth(kEthPIpv6) + ipv6(kIpProtoUdp) + udp(546, 547));
    EXPECT_TRUE(keys_equal(ipv6_key(kIpProtoUdp, 546, 547), r.key));
    r = extract(eth(kEthPIpv6) + ipv6(kIpProtoSctp) + sctp(7, 8));
    EXPECT_TRUE(keys_equal(ipv6_key(kIpProtoSctp, 7, 8), r.key));
    r = extract(eth(kEthPIpv6) + ipv6(kIpProtoIcmpv6) + icmp(128, 0) + filler(32));
    EXPECT_TRUE(keys_equal(ipv6_key(kIpProtoIcmpv6, 128, 0), r.key));
    Buf i = icmp(128, 0);
    i.pop_back();
    r = extract(eth(kEthPIpv6) + ipv6(kIpProtoIcmpv6) + i);
    EXPECT_TRUE(keys_equal(ipv6_key(kIpProtoIcmpv6), r.key));
}

TEST_F(FlowExtract, Ipv6ExtensionHeadersAreWalked)
{
    Buf exts = ext_hdr(kIpProtoDstOpts, 0) + ext_hdr(kIpProtoRouting, 1) + ext_hdr(kIpProtoTcp, 2);
    Extracted r = extract(eth(kEthPIpv6) + ipv6(kIpProtoHopOpts) + exts + tcp(1, 2, 0x001));
    FlowKey want = ipv6_key(kIpProtoTcp, 1, 2);
    want.tp.flags = htons(0x001);
    want.ipv6.exthdrs = kIpv6ExthdrHop | kIpv6ExthdrDest | kIpv6ExthdrRouter; // in the recommended order
    EXPECT_TRUE(keys_equal(want, r.key));
    EXPECT_EQ(r.off.transport, 14u + 40 + 8 + 16 + 24);
}

TEST_F(FlowExtract, Ipv6AuthHeaderLengthIsInFourByteUnits)
{
    // AH payload length 4: (4 + 2) * 4 = 24 bytes.
    Buf ah = bytes({ kIpProtoUdp, 4 }) + zeros(22);
    Extracted r = extract(eth(kEthPIpv6) + ipv6(kIpProtoAuth) + ah + udp(500, 4500));
    FlowKey want = ipv6_key(kIpProtoUdp, 500, 4500);
    want.ipv6.exthdrs = kIpv6ExthdrAuth;
    EXPECT_TRUE(keys_equal(want, r.key));
    EXPECT_EQ(r.off.transport, 14u + 40 + 24);
}

TEST_F(FlowExtract, Ipv6FirstFragmentCarriesL4)
{
    Extracted r = extract(eth(kEthPIpv6) + ipv6(kIpProtoFragment) + frag_hdr(kIpProtoUdp, 0, true) + udp(9, 10)
        + filler(16));
    FlowKey want = ipv6_key(kIpProtoUdp, 9, 10);
    want.ip.frag = kFragFirst;
    want.ipv6.exthdrs = kIpv6ExthdrFrag;
    EXPECT_TRUE(keys_equal(want, r.key));
    EXPECT_EQ(r.off.transport, 62u);

    // An atomic fragment (offset 0, no more fragments) is a first fragment too.
    r = extract(eth(kEthPIpv6) + ipv6(kIpProtoFragment) + frag_hdr(kIpProtoUdp, 0, false) + udp(9, 10));
    EXPECT_TRUE(keys_equal(want, r.key));
}

TEST_F(FlowExtract, Ipv6LaterFragmentHasNoL4)
{
    for (bool more : { true, false }) {
        Extracted r = extract(eth(kEthPIpv6) + ipv6(kIpProtoHopOpts) + ext_hdr(kIpProtoFragment, 0)
            + frag_hdr(kIpProtoTcp, 1480, more) + tcp(1, 2, 0x2) + filler(4));
        FlowKey want = ipv6_key(kIpProtoFragment);
        want.ip.frag = kFragLater;
        want.ipv6.exthdrs = kIpv6ExthdrHop | kIpv6ExthdrFrag;
        EXPECT_TRUE(keys_equal(want, r.key));
        EXPECT_EQ(r.off.transport, kUnset);
    }
    Extracted r = extract(eth(kEthPIpv6) + ipv6(kIpProtoFragment) + frag_hdr(kIpProtoNone, 8, false));
    FlowKey want = ipv6_key(kIpProtoFragment);
    want.ip.frag = kFragLater;
    want.ipv6.exthdrs = kIpv6ExthdrFrag | kIpv6ExthdrNoNext;
    EXPECT_TRUE(keys_equal(want, r.key));
}

TEST_F(FlowExtract, Ipv6LaterFragmentFollowedByExtensionHeaderIsUnparsedFirst)
{
    // ipv6_find_hdr() gives up (-ENOENT) with offset 0 reported: upstream
    // keys this as a first fragment with no next header.
    Extracted r = extract(eth(kEthPIpv6) + ipv6(kIpProtoFragment) + frag_hdr(kIpProtoDstOpts, 64, true)
        + ext_hdr(kIpProtoUdp, 0) + udp(1, 2));
    FlowKey want = ipv6_key(kIpProtoNone);
    want.ip.frag = kFragFirst;
    // The bits walk on past the fragment: destination options after a
    // fragment header are out of order.
    want.ipv6.exthdrs = kIpv6ExthdrFrag | kIpv6ExthdrDest | kIpv6ExthdrUnseq;
    EXPECT_TRUE(keys_equal(want, r.key));
    EXPECT_EQ(r.off.transport, 14u);
}

TEST_F(FlowExtract, Ipv6NoNextHeader)
{
    Extracted r = extract(eth(kEthPIpv6) + ipv6(kIpProtoNone) + filler(8));
    FlowKey want = ipv6_key(kIpProtoNone);
    want.ipv6.exthdrs = kIpv6ExthdrNoNext;
    EXPECT_TRUE(keys_equal(want, r.key));
    EXPECT_EQ(r.off.transport, 54u);
}

TEST_F(FlowExtract, Ipv6CutExtensionChainKeysL3WithoutProtocol)
{
    // Hop-by-hop announced, nothing follows the fixed header.
    Extracted r = extract(eth(kEthPIpv6) + ipv6(kIpProtoHopOpts));
    ASSERT_EQ(r.err, 0);
    FlowKey want = ipv6_key(kIpProtoNone);
    want.ipv6.exthdrs = kIpv6ExthdrHop; // announced is enough
    EXPECT_TRUE(keys_equal(want, r.key));
    EXPECT_EQ(r.off.transport, 14u);

    // A fragment header cut after two bytes still marks a fragment.
    r = extract(eth(kEthPIpv6) + ipv6(kIpProtoFragment) + bytes({ kIpProtoUdp, 0, 0 }));
    want = ipv6_key(kIpProtoNone);
    want.ip.frag = kFragFirst;
    want.ipv6.exthdrs = kIpv6ExthdrFrag;
    EXPECT_TRUE(keys_equal(want, r.key));
    EXPECT_EQ(r.off.transport, 14u);

    // Cut after one byte: not seen as a fragment.
    r = extract(eth(kEthPIpv6) + ipv6(kIpProtoFragment) + bytes({ kIpProtoUdp }));
    want = ipv6_key(kIpProtoNone);
    want.ipv6.exthdrs = kIpv6ExthdrFrag;
    EXPECT_TRUE(keys_equal(want, r.key));
}

TEST_F(FlowExtract, Ipv6ExtensionHeaderLongerThanPacket)
{
    // 6.1.192's ipv6_find_hdr() refuses a header that runs past the packet
    // (-EBADMSG): no next header, no L4 fields, the transport header at the
    // network header. What follows must not pass for TCP.
    Buf hbh = bytes({ kIpProtoTcp, 10 }) + zeros(6); // claims 88 bytes
    Extracted r = extract(eth(kEthPIpv6) + ipv6(kIpProtoHopOpts) + hbh + tcp(1, 2, 2));
    ASSERT_EQ(r.err, 0);
    FlowKey want = ipv6_key(kIpProtoNone);
    want.ipv6.exthdrs = kIpv6ExthdrHop; // the bits count it all the same
    EXPECT_TRUE(keys_equal(want, r.key));
    EXPECT_EQ(r.off.transport, 14u);

    // One byte short of the claimed length is as bad; exactly long enough
    // with nothing after it keys the protocol and no ports.
    Buf pkt = eth(kEthPIpv6) + ipv6(kIpProtoHopOpts) + ext_hdr(kIpProtoTcp, 2);
    Buf cut = pkt;
    cut.pop_back();
    r = extract(cut);
    EXPECT_TRUE(keys_equal(want, r.key));
    r = extract(pkt);
    want = ipv6_key(kIpProtoTcp);
    want.ipv6.exthdrs = kIpv6ExthdrHop;
    EXPECT_TRUE(keys_equal(want, r.key));
    EXPECT_EQ(r.off.transport, 14u + 40 + 24);

    // A first fragment's header is 8 bytes whatever its length byte says:
    // cut at 4, the packet is a first fragment with no next header.
    r = extract(eth(kEthPIpv6) + ipv6(kIpProtoFragment) + bytes({ kIpProtoUdp, 0, 0, 1 }));
    want = ipv6_key(kIpProtoNone);
    want.ip.frag = kFragFirst;
    want.ipv6.exthdrs = kIpv6ExthdrFrag;
    EXPECT_TRUE(keys_equal(want, r.key));
    EXPECT_EQ(r.off.transport, 14u);

    // A later fragment stops the walk before its length is checked.
    r = extract(eth(kEthPIpv6) + ipv6(kIpProtoFragment) + bytes({ kIpProtoUdp, 0, 0, 0x41 }));
    want = ipv6_key(kIpProtoFragment);
    want.ip.frag = kFragLater;
    want.ipv6.exthdrs = kIpv6ExthdrFrag;
    EXPECT_TRUE(keys_equal(want, r.key));
}

// OVS_KEY_ATTR_IPV6_EXTHDRS as 6.1's get_ipv6_ext_hdrs() defines it: which
// headers are present, repeats that should not be (UNREP) and headers out of
// RFC 2460's recommended order (UNSEQ). The same packets are checked against
// the kernel's own module in the VM (tests/vm/cases/flow_compare.py).
TEST_F(FlowExtract, Ipv6ExtensionHeaderBits)
{
    constexpr u16 NONEXT = kIpv6ExthdrNoNext, AUTH = kIpv6ExthdrAuth, DEST = kIpv6ExthdrDest;
    constexpr u16 FRAG = kIpv6ExthdrFrag, ROUTER = kIpv6ExthdrRouter, HOP = kIpv6ExthdrHop;
    constexpr u16 UNREP = kIpv6ExthdrUnrep, UNSEQ = kIpv6ExthdrUnseq;
    constexpr u8 H = kIpProtoHopOpts, R = kIpProtoRouting, F = kIpProtoFragment, A = kIpProtoAuth;
    constexpr u8 D = kIpProtoDstOpts, N = kIpProtoNone, E = kIpProtoEsp, T = kIpProtoTcp;
    struct Case {
        const char* name;
        std::vector<u8> chain; // extension headers, then the final protocol
        u16 bits;
        u8 proto; // keyed protocol
    };
    const Case cases[] = {
        { "plain tcp", { T }, 0, T },
        { "hop-by-hop", { H, T }, HOP, T },
        { "routing", { R, T }, ROUTER, T },
        { "fragment", { F, T }, FRAG, T },
        { "destination", { D, T }, DEST, T },
        { "auth", { A, T }, AUTH, T },
        // ESP is no ipv6_ext_hdr(): never walked, never a bit.
        { "esp", { E }, 0, E },
        { "hop then esp", { H, E }, HOP, E },
        { "no next", { N }, NONEXT, N },
        { "hop then no next", { H, N }, HOP | NONEXT, N },
        { "recommended order", { H, D, R, F, A, D, T }, HOP | DEST | ROUTER | FRAG | AUTH, T },
        { "two destination headers", { D, D, T }, DEST, T },
        { "three destination headers", { D, D, D, T }, DEST | UNREP, T },
        { "routing after two destination headers", { D, D, R, T }, DEST | ROUTER | UNSEQ, T },
        { "hop repeated", { H, H, T }, HOP | UNREP | UNSEQ, T },
        { "routing repeated", { R, R, T }, ROUTER | UNREP | UNSEQ, T },
        { "fragment repeated", { F, F, T }, FRAG | UNREP | UNSEQ, T },
        { "auth repeated", { A, A, T }, AUTH | UNREP | UNSEQ, T },
        { "hop not first", { R, H, T }, ROUTER | UNSEQ, T },
        { "hop after destination", { D, H, T }, DEST | UNSEQ, T },
        { "routing after fragment", { F, R, T }, FRAG | ROUTER | UNSEQ, T },
        { "fragment after auth", { A, F, T }, AUTH | FRAG | UNSEQ, T },
        { "destination after routing", { R, D, T }, ROUTER | DEST | UNSEQ, T },
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        // Each header names the next; AH with length 0 (8 bytes, the same in
        // 4- and 8-byte units), fragments first fragments.
        Buf exts;
        for (usize i = 0; i + 1 < c.chain.size(); i++) {
            u8 next = c.chain[i + 1];
            if (c.chain[i] == F)
                exts = exts + frag_hdr(next, 0, true);
            else
                exts = exts + ext_hdr(next, 0);
        }
        Buf tail = c.chain.back() == T ? tcp(1, 2, 0x10) : filler(16);
        Extracted r = extract(eth(kEthPIpv6) + ipv6(c.chain[0]) + exts + tail);
        ASSERT_EQ(r.err, 0);
        EXPECT_EQ(r.key.ipv6.exthdrs, c.bits);
        EXPECT_EQ(r.key.ip.proto, c.proto);
        bool frag = std::find(c.chain.begin(), c.chain.end(), F) != c.chain.end();
        EXPECT_EQ(r.key.ip.frag, frag ? kFragFirst : kFragNone);
        if (c.proto == T) {
            EXPECT_EQ(r.key.tp.dst, htons(2));
        }
    }
}

// get_ipv6_ext_hdrs() steps over AH in 8-byte units (ipv6_optlen), while the
// protocol walk uses AH's 4-byte units: after a 24-byte AH the bits read the
// header that follows 40 bytes in, here in the UDP payload, which says
// "routing". Kept as upstream.
TEST_F(FlowExtract, Ipv6AuthHeaderBitsUseEightByteUnits)
{
    Buf ah = bytes({ kIpProtoDstOpts, 4 }) + zeros(22); // 24 bytes
    Buf dst = ext_hdr(kIpProtoUdp, 0); // at +24, read by the bits at +40
    Buf payload = bytes({ kIpProtoRouting, 0 }) + zeros(6) + bytes({ kIpProtoTcp, 0 }) + zeros(6); // at +40
    Extracted r = extract(eth(kEthPIpv6) + ipv6(kIpProtoAuth) + ah + dst + udp(7, 8) + payload);
    FlowKey want = ipv6_key(kIpProtoUdp, 7, 8);
    want.ipv6.exthdrs = kIpv6ExthdrAuth | kIpv6ExthdrDest | kIpv6ExthdrRouter | kIpv6ExthdrUnseq;
    EXPECT_TRUE(keys_equal(want, r.key));
    EXPECT_EQ(r.off.transport, 14u + 40 + 24 + 8);
}

TEST_F(FlowExtract, TruncatedIpv6HeaderKeysNoL3)
{
    Buf h = ipv6(kIpProtoTcp, 0xff, 0xfffff);
    h.pop_back();
    Extracted r = extract(eth(kEthPIpv6) + h);
    ASSERT_EQ(r.err, 0);
    EXPECT_TRUE(keys_equal(eth_key(kEthPIpv6), r.key));
    EXPECT_EQ(r.off.transport, 14u);
}

TEST_F(FlowExtract, Ipv6UdpGsoIsFirstFragment)
{
    ExtractOpts o;
    o.gso_udp = true;
    Extracted r = extract(eth(kEthPIpv6) + ipv6(kIpProtoUdp) + udp(1, 2), o);
    FlowKey want = ipv6_key(kIpProtoUdp, 1, 2);
    want.ip.frag = kFragFirst;
    EXPECT_TRUE(keys_equal(want, r.key));
}

// ---- ICMPv6 neighbor discovery ------------------------------------------------------

const Buf kTarget = ip6addr(0x99, 0xfe);
const Buf kSll = bytes({ 0x02, 0x00, 0x00, 0x00, 0x00, 0x51 });
const Buf kTll = bytes({ 0x02, 0x00, 0x00, 0x00, 0x00, 0x71 });

FlowKey nd_key(u8 type, const Buf* target, const Buf* sll, const Buf* tll)
{
    FlowKey k = ipv6_key(kIpProtoIcmpv6, type, 0);
    if (target)
        set_v6(k.ipv6.nd.target, *target);
    if (sll)
        std::memcpy(k.ipv6.nd.sll, sll->data(), 6);
    if (tll)
        std::memcpy(k.ipv6.nd.tll, tll->data(), 6);
    return k;
}

Buf nd_packet(u8 type, const Buf& opts, u8 code = 0)
{
    return eth(kEthPIpv6) + ipv6(kIpProtoIcmpv6, 0, 0, 255) + nd_msg(type, kTarget, code) + opts;
}

FlowKey with_hop255(FlowKey k)
{
    k.ip.ttl = 255;
    return k;
}

TEST_F(FlowExtract, NeighborSolicitationWithSourceLinkAddress)
{
    Extracted r = extract(nd_packet(135, nd_opt_lladdr(1, kSll)));
    ASSERT_EQ(r.err, 0);
    EXPECT_TRUE(keys_equal(with_hop255(nd_key(135, &kTarget, &kSll, nullptr)), r.key));
    EXPECT_EQ(r.off.transport, 54u);
}

TEST_F(FlowExtract, NeighborAdvertisementWithTargetLinkAddress)
{
    Extracted r = extract(nd_packet(136, nd_opt_lladdr(2, kTll)));
    EXPECT_TRUE(keys_equal(with_hop255(nd_key(136, &kTarget, nullptr, &kTll)), r.key));
}

TEST_F(FlowExtract, NeighborDiscoveryWithoutOptionsOrWithBoth)
{
    Extracted r = extract(nd_packet(135, {}));
    EXPECT_TRUE(keys_equal(with_hop255(nd_key(135, &kTarget, nullptr, nullptr)), r.key));
    r = extract(nd_packet(136, nd_opt_lladdr(2, kTll) + nd_opt_lladdr(1, kSll)));
    EXPECT_TRUE(keys_equal(with_hop255(nd_key(136, &kTarget, &kSll, &kTll)), r.key));
}

TEST_F(FlowExtract, RepeatedLinkAddressOptionVoidsNdFields)
{
    Extracted r = extract(nd_packet(135, nd_opt_lladdr(1, kSll) + nd_opt_lladdr(1, kTll)));
    EXPECT_TRUE(keys_equal(with_hop255(nd_key(135, nullptr, nullptr, nullptr)), r.key));
    // An all-zero first address does not count as seen.
    r = extract(nd_packet(135, nd_opt_lladdr(1, zeros(6)) + nd_opt_lladdr(1, kSll)));
    EXPECT_TRUE(keys_equal(with_hop255(nd_key(135, &kTarget, &kSll, nullptr)), r.key));
}

TEST_F(FlowExtract, MalformedNdOptionStopsTheWalk)
{
    // Zero length: stop, keep what was found so far.
    Extracted r = extract(nd_packet(136, nd_opt_lladdr(2, kTll) + bytes({ 1, 0 }) + kSll));
    EXPECT_TRUE(keys_equal(with_hop255(nd_key(136, &kTarget, nullptr, &kTll)), r.key));
    // Longer than the rest of the packet.
    r = extract(nd_packet(135, bytes({ 1, 2 }) + kSll));
    EXPECT_TRUE(keys_equal(with_hop255(nd_key(135, &kTarget, nullptr, nullptr)), r.key));
    // Fewer than 8 bytes left: ignored.
    r = extract(nd_packet(135, nd_opt_lladdr(1, kSll) + bytes({ 2, 1, 0, 0 })));
    EXPECT_TRUE(keys_equal(with_hop255(nd_key(135, &kTarget, &kSll, nullptr)), r.key));
}

TEST_F(FlowExtract, OtherNdOptionsAreSkipped)
{
    // MTU option (type 5, 8 bytes), a 16-byte source address option (ignored:
    // only 8-byte link-layer options count), then the target address.
    Buf mtu = bytes({ 5, 1, 0, 0 }) + be32b(1500);
    Buf long_sll = bytes({ 1, 2 }) + zeros(14);
    Extracted r = extract(nd_packet(136, mtu + long_sll + nd_opt_lladdr(2, kTll)));
    EXPECT_TRUE(keys_equal(with_hop255(nd_key(136, &kTarget, nullptr, &kTll)), r.key));
}

TEST_F(FlowExtract, NdNeedsCodeZeroAndTheWholeMessage)
{
    Extracted r = extract(nd_packet(135, nd_opt_lladdr(1, kSll), 1));
    FlowKey want = with_hop255(nd_key(135, nullptr, nullptr, nullptr));
    want.tp.dst = htons(1);
    EXPECT_TRUE(keys_equal(want, r.key));

    Buf pkt = nd_packet(135, {});
    pkt.resize(pkt.size() - 1); // 23 bytes of ICMPv6
    r = extract(pkt);
    EXPECT_TRUE(keys_equal(with_hop255(nd_key(135, nullptr, nullptr, nullptr)), r.key));

    // Router solicitation: ICMPv6 type/code only.
    r = extract(eth(kEthPIpv6) + ipv6(kIpProtoIcmpv6) + icmp(133, 0) + nd_opt_lladdr(1, kSll));
    EXPECT_TRUE(keys_equal(ipv6_key(kIpProtoIcmpv6, 133, 0), r.key));
}

TEST_F(FlowExtract, NdAfterExtensionHeader)
{
    Buf pkt = eth(kEthPIpv6) + ipv6(kIpProtoHopOpts, 0, 0, 255) + ext_hdr(kIpProtoIcmpv6, 0)
        + nd_msg(135, kTarget) + nd_opt_lladdr(1, kSll);
    Extracted r = extract(pkt);
    FlowKey want = with_hop255(nd_key(135, &kTarget, &kSll, nullptr));
    want.ipv6.exthdrs = kIpv6ExthdrHop;
    EXPECT_TRUE(keys_equal(want, r.key));
    EXPECT_EQ(r.off.transport, 62u);
}

// ---- Packets without an L2 header, metadata, tunnels ----------------------------------

TEST_F(FlowExtract, L3PacketTakesTheTypeFromProtocol)
{
    ExtractOpts o;
    o.md.mac_proto = kMacProtoNone;
    o.protocol = kEthPIp;
    o.accel_vlan = true; // ignored without L2
    o.accel_tci = 3;
    Extracted r = extract(ipv4(kIpProtoUdp, kIp1, kIp2) + udp(1, 2), o);
    ASSERT_EQ(r.err, 0);
    FlowKey want = ipv4_key(kIpProtoUdp, 1, 2);
    std::memset(&want.eth, 0, sizeof(want.eth));
    want.eth.type = htons(kEthPIp);
    want.mac_proto = kMacProtoNone;
    EXPECT_TRUE(keys_equal(want, r.key));
    EXPECT_EQ(r.off.mac_len, 0u);
    EXPECT_EQ(r.off.network, 0u);
    EXPECT_EQ(r.off.transport, 20u);
    EXPECT_EQ(r.protocol, kEthPIp);
}

TEST_F(FlowExtract, L3PacketWithVlanProtocolIsInvalid)
{
    ExtractOpts o;
    o.md.mac_proto = kMacProtoNone;
    for (u16 proto : { kEthP8021Q, kEthP8021AD }) {
        o.protocol = proto;
        EXPECT_EQ(extract(ipv4(kIpProtoUdp, kIp1, kIp2) + udp(1, 2), o).err, err::INVAL);
    }
}

TEST_F(FlowExtract, MetadataIsCopied)
{
    ExtractOpts o;
    o.md.priority = 0x11223344;
    o.md.skb_mark = 0xcafe;
    o.md.recirc_id = 7;
    o.md.in_port = 65534;
    Extracted r = extract(eth(kEthPIp) + ipv4(kIpProtoUdp, kIp1, kIp2) + udp(1, 2), o);
    FlowKey want = ipv4_key(kIpProtoUdp, 1, 2);
    want.priority = 0x11223344;
    want.skb_mark = 0xcafe;
    want.recirc_id = 7;
    want.in_port = 65534;
    EXPECT_TRUE(keys_equal(want, r.key));
}

TEST_F(FlowExtract, TunnelKeyAndRightAlignedOptions)
{
    FlowTunnelInfo tun;
    tun.key.tun_id = htonll(0x123456);
    tun.key.ipv4.src = htonl(0xc0a80001);
    tun.key.ipv4.dst = htonl(0xc0a80002);
    tun.key.tun_flags = htons(kTunnelKey | kTunnelGeneveOpt);
    tun.key.tos = 4;
    tun.key.ttl = 63;
    tun.key.tp_src = htons(49152);
    tun.key.tp_dst = htons(6081);
    tun.key.ip_family = kAfInet;
    const u8 opts[8] = { 0x01, 0x02, 0x80, 0x01, 0xde, 0xad, 0xbe, 0xef };
    tun.options = opts;
    tun.options_len = sizeof(opts);

    FlowKey key;
    std::memset(&key, 0, sizeof(key));
    Buf pkt = eth(kEthPIp) + ipv4(kIpProtoUdp, kIp1, kIp2) + udp(1, 2);
    auto p = UserPacket::borrow(pkt.data(), pkt.size());
    FlowKeyMetadata md;
    md.tunnel = &tun;
    md.in_port = 3;
    ASSERT_TRUE(key_extract_with_metadata(p, md, key).ok());

    FlowKey want = ipv4_key(kIpProtoUdp, 1, 2);
    want.in_port = 3;
    want.tun_key = tun.key;
    want.tun_opts_len = 8;
    std::memcpy(want.tun_opts + 247, opts, 8);
    EXPECT_TRUE(keys_equal(want, key));
    EXPECT_EQ(key.tun_opts_data(), key.tun_opts + 247);
    EXPECT_EQ(std::memcmp(key.tun_opts_data(), opts, 8), 0);

    // The same key buffer reused for a packet without tunnel: the tunnel key
    // and length are cleared, the stale option bytes stay (masks that cover
    // them cover tun_opts_len too).
    md.tunnel = nullptr;
    auto p2 = UserPacket::borrow(pkt.data(), pkt.size());
    ASSERT_TRUE(key_extract_with_metadata(p2, md, key).ok());
    std::memset(want.tun_opts, 0, sizeof(want.tun_opts));
    std::memcpy(want.tun_opts + 247, opts, 8);
    want.tun_opts_len = 0;
    want.tun_key = FlowTunnelKey {};
    EXPECT_TRUE(keys_equal(want, key));
}

TEST_F(FlowExtract, KeyUpdateKeepsMetadataAndRevalidates)
{
    Buf pkt = eth(kEthPIp) + ipv4(kIpProtoUdp, kIp1, kIp2) + udp(1, 2);
    FlowKey key = base_key();
    key.in_port = 9;
    key.skb_mark = 5;
    key.mac_proto = kMacProtoEthernet | kMacProtoKeyInvalid;
    std::memset(key.bytes() + kFlowKeyPacketStart, 0x5a, kFlowKeySize - kFlowKeyPacketStart);
    auto p = UserPacket::borrow(pkt.data(), pkt.size());
    ASSERT_TRUE(key_update(p, key).ok());
    FlowKey want = ipv4_key(kIpProtoUdp, 1, 2);
    want.in_port = 9;
    want.skb_mark = 5;
    // The conntrack fields are the ct action's: re-extraction keeps them
    // (upstream's ovs_flow_key_update() does too).
    std::memset(&want.ct, 0x5a, sizeof(want.ct));
    EXPECT_TRUE(keys_equal(want, key));
}

// ---- Out of memory ------------------------------------------------------------------

struct NoMemCase {
    const char* name;
    Buf pkt;
    usize limit;
    int err; // expected errno; 0: extraction goes on with fewer fields
};

TEST_F(FlowExtract, PullFailuresFollowUpstream)
{
    Buf tcp4 = eth(kEthPIp) + ipv4(kIpProtoTcp, kIp1, kIp2) + tcp(1, 2, 2);
    Buf vlan = eth_addrs() + vlan_tag(kEthP8021Q, 1) + be16b(kEthPIp) + ipv4(kIpProtoUdp, kIp1, kIp2);
    Buf snap = eth(46) + bytes({ 0xaa, 0xaa, 0x03, 0, 0, 0 }) + be16b(kEthPIp) + ipv4(kIpProtoUdp, kIp1, kIp2);
    Buf v6 = eth(kEthPIpv6) + ipv6(kIpProtoHopOpts) + ext_hdr(kIpProtoUdp, 0) + udp(1, 2);
    Buf nd = nd_packet(135, nd_opt_lladdr(1, kSll));
    Buf mpls = eth(kEthPMplsUc) + mpls_lse(1, false) + mpls_lse(2, true);
    Buf arpp = eth(kEthPArp) + arp(1, kIp1, kIp2);
    const NoMemCase cases[] = {
        { "ethernet", tcp4, 13, err::NOMEM },
        { "vlan", vlan, 17, err::NOMEM },
        { "llc", snap, 21, err::NOMEM },
        { "ipv4", tcp4, 33, err::NOMEM },
        { "tcp", tcp4, 53, 0 },
        { "ipv6", v6, 53, err::NOMEM },
        { "ipv6 ext", v6, 55, err::NOMEM },
        { "nd linearize", nd, 62, err::NOMEM },
        { "mpls", mpls, 18, 0 },
        { "arp", arpp, 41, 0 },
    };
    for (const auto& c : cases) {
        ExtractOpts o;
        o.linear = 0;
        o.pull_limit = c.limit;
        Extracted r = extract(c.pkt, o);
        EXPECT_EQ(r.err, c.err) << c.name;
        ExtractOpts full;
        Extracted ok = extract_once(c.pkt, full);
        ASSERT_EQ(ok.err, 0) << c.name;
        if (c.err == 0) {
            EXPECT_FALSE(keys_equal(ok.key, r.key)) << c.name << ": fewer fields expected";
        }
    }
}

TEST_F(FlowExtract, EveryPacketByteIsWritten)
{
    // Two runs from opposite garbage give the same packet fields.
    Buf pkts[] = {
        eth(kEthPIp) + ipv4(kIpProtoIcmp, kIp1, kIp2) + icmp(0, 0),
        eth(kEthPArp) + arp(2, kIp2, kIp1),
        nd_packet(135, nd_opt_lladdr(1, kSll)),
        eth(kEthPMplsUc) + mpls_lse(1, true),
        eth(kEthP8022),
    };
    for (const Buf& pkt : pkts) {
        FlowKey a, b;
        std::memset(&a, 0x00, sizeof(a));
        std::memset(&b, 0xff, sizeof(b));
        Buf c1 = pkt, c2 = pkt;
        auto p1 = UserPacket::borrow(c1.data(), c1.size());
        auto p2 = UserPacket::borrow(c2.data(), c2.size());
        FlowKeyMetadata md;
        ASSERT_TRUE(key_extract_with_metadata(p1, md, a).ok());
        ASSERT_TRUE(key_extract_with_metadata(p2, md, b).ok());
        EXPECT_EQ(std::memcmp(a.bytes() + kFlowKeyNonTunnelStart, b.bytes() + kFlowKeyNonTunnelStart,
                      kFlowKeySize - kFlowKeyNonTunnelStart),
            0);
        EXPECT_EQ(std::memcmp(&a.tun_key, &b.tun_key, sizeof(a.tun_key)), 0);
        EXPECT_EQ(a.tun_opts_len, b.tun_opts_len);
    }
}

} // namespace
