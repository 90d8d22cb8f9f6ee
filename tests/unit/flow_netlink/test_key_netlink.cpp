// SPDX-License-Identifier: GPL-2.0
// Flow keys and masks: parse -> serialise round trips for every key attribute,
// against the exact attribute streams upstream's flow dump returns.
#include "fnl_test_util.h"
#include "platform/user/user_platform.h"

using namespace ovsdp;
using namespace ovsdp::test;

namespace {

// The conntrack attributes every dumped key and mask carries (upstream's
// ovs_ct_put_key()), here all zero.
Nl& dump_ct_zero(Nl& n)
{
    return n.u32_(OVS_KEY_ATTR_CT_STATE, 0)
        .u16_(OVS_KEY_ATTR_CT_ZONE, 0)
        .u32_(OVS_KEY_ATTR_CT_MARK, 0)
        .put(OVS_KEY_ATTR_CT_LABELS, Buf(16, 0));
}

Nl ct_zero()
{
    Nl n;
    dump_ct_zero(n);
    return n;
}

// The canonical dump of metadata (upstream's order), then of the mask.
Nl& dump_meta(Nl& n, u32 in_port, u32 priority = 0, u32 mark = 0, u32 recirc = 0, u32 dp_hash = 0)
{
    n.u32_(OVS_KEY_ATTR_RECIRC_ID, recirc)
        .u32_(OVS_KEY_ATTR_DP_HASH, dp_hash)
        .u32_(OVS_KEY_ATTR_PRIORITY, priority)
        .u32_(OVS_KEY_ATTR_IN_PORT, in_port)
        .u32_(OVS_KEY_ATTR_SKB_MARK, mark);
    return dump_ct_zero(n);
}
// The mask's metadata for a non-tunnel flow: a TUNNEL nest with TTL 0 comes
// with every mask (upstream writes the tunnel for every mask).
Nl& dump_meta_mask(Nl& n, u32 priority, u32 mark, u32 recirc, u32 dp_hash, u32 in_port = 0xffffffff)
{
    Nl tun;
    tun.u8_(OVS_TUNNEL_KEY_ATTR_TTL, 0);
    n.u32_(OVS_KEY_ATTR_RECIRC_ID, recirc)
        .u32_(OVS_KEY_ATTR_DP_HASH, dp_hash)
        .u32_(OVS_KEY_ATTR_PRIORITY, priority)
        .nested(OVS_KEY_ATTR_TUNNEL, tun)
        .u32_(OVS_KEY_ATTR_IN_PORT, in_port)
        .u32_(OVS_KEY_ATTR_SKB_MARK, mark);
    return dump_ct_zero(n);
}
Nl& dump_meta_exact(Nl& n) { return dump_meta_mask(n, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff); }

// The exact ARP mask as dumped: the opcode's low byte (the key keeps only
// that), no padding.
OvsKeyArp arp_mask_exact()
{
    OvsKeyArp a = all_zero<OvsKeyArp>();
    a.arp_sip = a.arp_tip = 0xffffffff;
    a.arp_op = htons(0x00ff);
    std::memset(a.arp_sha, 0xff, 6);
    std::memset(a.arp_tha, 0xff, 6);
    return a;
}

// Parsing the dump again must give the same flow (same masked key, same
// dumps): what ovs-dpctl prints of a dumped flow it could install again.
void expect_reparse_stable(const Parsed& p)
{
    Nl k, m;
    k.raw(dump_masked_key(p));
    m.raw(dump_mask(p));
    auto q = parse(k, &m);
    ASSERT_TRUE(q->ok()) << q->msg();
    EXPECT_EQ(0, std::memcmp(&p.masked, &q->masked, sizeof(FlowKey)));
    EXPECT_ATTRS_EQ(dump_masked_key(p), dump_masked_key(*q));
    EXPECT_ATTRS_EQ(dump_mask(p), dump_mask(*q));
}

TEST(KeyNetlink, Ipv4TcpExactMatch)
{
    Nl key;
    ovs_meta(key, 1)
        .val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800)
        .val(OVS_KEY_ATTR_IPV4, ipv4_key(0x0a000001, 0x0a000002, 6))
        .val(OVS_KEY_ATTR_TCP, ports(1234, 80))
        .be16_(OVS_KEY_ATTR_TCP_FLAGS, 0x002);
    auto p = parse(key, nullptr);
    ASSERT_TRUE(p->ok()) << p->msg();

    EXPECT_EQ(p->key.in_port, 1);
    EXPECT_EQ(p->key.eth.type, htons(0x0800));
    EXPECT_EQ(p->key.ip.proto, 6);
    EXPECT_EQ(p->key.tp.dst, htons(80));
    EXPECT_EQ(p->key.tp.flags, htons(0x002));
    EXPECT_EQ(p->key.mac_proto, kMacProtoEthernet);
    EXPECT_EQ(p->mask.in_port, 0xffff);
    EXPECT_EQ(p->mask.tp.flags, htons(0x0fff));
    EXPECT_EQ(p->mask.eth.vlan.tci, 0xffff);
    EXPECT_EQ(p->mask.eth.cvlan.tci, 0xffff);
    EXPECT_EQ(p->mask.eth.vlan.tpid, 0);
    // Non-tunnel flows' mask range skips the tunnel metadata.
    EXPECT_GE(p->m.mask_range.start, kFlowKeyNonTunnelStart);
    EXPECT_EQ(p->m.mask_range.start % sizeof(long), 0u);
    EXPECT_EQ(p->m.mask_range.end % sizeof(long), 0u);

    Nl k;
    dump_meta(k, 1)
        .val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800)
        .val(OVS_KEY_ATTR_IPV4, ipv4_key(0x0a000001, 0x0a000002, 6))
        .val(OVS_KEY_ATTR_TCP, ports(1234, 80))
        .be16_(OVS_KEY_ATTR_TCP_FLAGS, 0x002);
    EXPECT_ATTRS_EQ(k.bytes(), dump_masked_key(*p));
    EXPECT_ATTRS_EQ(k.bytes(), dump_unmasked_key(*p));

    Nl m;
    dump_meta_exact(m)
        .val(OVS_KEY_ATTR_ETHERNET, eth_all(0xff))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff)
        .val(OVS_KEY_ATTR_IPV4, all_ones<OvsKeyIpv4>())
        .val(OVS_KEY_ATTR_TCP, all_ones<OvsKeyPorts>())
        .be16_(OVS_KEY_ATTR_TCP_FLAGS, 0x0fff);
    EXPECT_ATTRS_EQ(m.bytes(), dump_mask(*p));
    expect_reparse_stable(*p);
}

// A megaflow as ovs-vswitchd installs it: an explicit mask with zero
// attributes for wildcarded fields, 0xffff for exact TCP flags.
TEST(KeyNetlink, Ipv4TcpWildcardMask)
{
    Nl key, mask;
    ovs_meta(key, 3, 7, 9)
        .val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800)
        .val(OVS_KEY_ATTR_IPV4, ipv4_key(0x0a000001, 0x0a000002, 6, 0x10, 33, 0))
        .val(OVS_KEY_ATTR_TCP, ports(1234, 80))
        .be16_(OVS_KEY_ATTR_TCP_FLAGS, 0x012);
    OvsKeyIpv4 ipm = all_zero<OvsKeyIpv4>();
    ipm.ipv4_dst = 0xffffffff;
    ipm.ipv4_proto = 0xff;
    ipm.ipv4_frag = 0xff;
    ovs_meta_mask(mask)
        .val(OVS_KEY_ATTR_ETHERNET, eth_all(0))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff)
        .val(OVS_KEY_ATTR_IPV4, ipm)
        .val(OVS_KEY_ATTR_TCP, ports(0, 0xffff))
        .be16_(OVS_KEY_ATTR_TCP_FLAGS, 0xffff);
    auto p = parse(key, &mask);
    ASSERT_TRUE(p->ok()) << p->msg();
    EXPECT_EQ(p->mask.tp.flags, htons(0x0fff)); // cut to the 12 flag bits
    EXPECT_EQ(p->mask.priority, 0u);

    Nl k;
    dump_meta(k, 3)
        .val(OVS_KEY_ATTR_ETHERNET, eth_all(0))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800)
        .val(OVS_KEY_ATTR_IPV4, ipv4_key(0, 0x0a000002, 6, 0, 0, 0))
        .val(OVS_KEY_ATTR_TCP, ports(0, 80))
        .be16_(OVS_KEY_ATTR_TCP_FLAGS, 0x012);
    EXPECT_ATTRS_EQ(k.bytes(), dump_masked_key(*p));
    Nl m;
    dump_meta_mask(m, 0, 0, 0xffffffff, 0)
        .val(OVS_KEY_ATTR_ETHERNET, eth_all(0))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff)
        .val(OVS_KEY_ATTR_IPV4, ipm)
        .val(OVS_KEY_ATTR_TCP, ports(0, 0xffff))
        .be16_(OVS_KEY_ATTR_TCP_FLAGS, 0x0fff);
    EXPECT_ATTRS_EQ(m.bytes(), dump_mask(*p));
    // The unmasked key (a flow without UFID is identified by it) keeps it all.
    Nl u;
    dump_meta(u, 3, 7, 9)
        .val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800)
        .val(OVS_KEY_ATTR_IPV4, ipv4_key(0x0a000001, 0x0a000002, 6, 0x10, 33, 0))
        .val(OVS_KEY_ATTR_TCP, ports(1234, 80))
        .be16_(OVS_KEY_ATTR_TCP_FLAGS, 0x012);
    EXPECT_ATTRS_EQ(u.bytes(), dump_unmasked_key(*p));
    expect_reparse_stable(*p);
}

TEST(KeyNetlink, Ipv6UdpWithLabel)
{
    Nl key;
    ovs_meta(key, 2)
        .val(OVS_KEY_ATTR_ETHERNET, eth_key(3, 4))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0x86dd)
        .val(OVS_KEY_ATTR_IPV6, ipv6_key(1, 2, 17, 0xabcde, 0x28, 7, 1))
        .val(OVS_KEY_ATTR_UDP, ports(53, 5353));
    auto p = parse(key, nullptr);
    ASSERT_TRUE(p->ok()) << p->msg();
    EXPECT_EQ(p->key.ipv6.label, htonl(0xabcde));
    EXPECT_EQ(p->key.ip.frag, kFragFirst);
    Nl k;
    dump_meta(k, 2)
        .val(OVS_KEY_ATTR_ETHERNET, eth_key(3, 4))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0x86dd)
        .val(OVS_KEY_ATTR_IPV6, ipv6_key(1, 2, 17, 0xabcde, 0x28, 7, 1))
        .u16_(OVS_KEY_ATTR_IPV6_EXTHDRS, 0)
        .val(OVS_KEY_ATTR_UDP, ports(53, 5353));
    EXPECT_ATTRS_EQ(k.bytes(), dump_masked_key(*p));
    Nl m;
    dump_meta_exact(m)
        .val(OVS_KEY_ATTR_ETHERNET, eth_all(0xff))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff)
        .val(OVS_KEY_ATTR_IPV6, all_ones<OvsKeyIpv6>())
        .u16_(OVS_KEY_ATTR_IPV6_EXTHDRS, 0) // not in the key: wildcarded
        .val(OVS_KEY_ATTR_UDP, all_ones<OvsKeyPorts>());
    EXPECT_ATTRS_EQ(m.bytes(), dump_mask(*p));
    expect_reparse_stable(*p);
}

TEST(KeyNetlink, Ipv6NeighborSolicitation)
{
    OvsKeyNd nd;
    std::memset(&nd, 0, sizeof(nd));
    u8 target[16] = { 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42 };
    std::memcpy(nd.nd_target, target, 16);
    u8 sll[6] = { 0x02, 0, 0, 0, 0, 0x77 };
    std::memcpy(nd.nd_sll, sll, 6);
    Nl key;
    ovs_meta(key, 2)
        .val(OVS_KEY_ATTR_ETHERNET, eth_key(3, 4))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0x86dd)
        .val(OVS_KEY_ATTR_IPV6, ipv6_key(1, 2, 58, 0, 0, 255))
        .val(OVS_KEY_ATTR_ICMPV6, OvsKeyIcmp { 135, 0 })
        .val(OVS_KEY_ATTR_ND, nd);
    auto p = parse(key, nullptr);
    ASSERT_TRUE(p->ok()) << p->msg();
    EXPECT_EQ(p->key.tp.src, htons(135));
    EXPECT_EQ(p->mask.tp.src, htons(0xff));
    Nl k;
    dump_meta(k, 2)
        .val(OVS_KEY_ATTR_ETHERNET, eth_key(3, 4))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0x86dd)
        .val(OVS_KEY_ATTR_IPV6, ipv6_key(1, 2, 58, 0, 0, 255))
        .u16_(OVS_KEY_ATTR_IPV6_EXTHDRS, 0)
        .val(OVS_KEY_ATTR_ICMPV6, OvsKeyIcmp { 135, 0 })
        .val(OVS_KEY_ATTR_ND, nd);
    EXPECT_ATTRS_EQ(k.bytes(), dump_masked_key(*p));
    Nl m;
    dump_meta_exact(m)
        .val(OVS_KEY_ATTR_ETHERNET, eth_all(0xff))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff)
        .val(OVS_KEY_ATTR_IPV6, all_ones<OvsKeyIpv6>())
        .u16_(OVS_KEY_ATTR_IPV6_EXTHDRS, 0)
        .val(OVS_KEY_ATTR_ICMPV6, OvsKeyIcmp { 0xff, 0xff })
        .val(OVS_KEY_ATTR_ND, all_ones<OvsKeyNd>());
    EXPECT_ATTRS_EQ(m.bytes(), dump_mask(*p));
    expect_reparse_stable(*p);
}

// OVS_KEY_ATTR_IPV6_EXTHDRS (32) as 6.1 handles it: a 16-bit host-order
// bitmap, matched under its mask, dumped after OVS_KEY_ATTR_IPV6 in every
// IPv6 key and mask.
TEST(KeyNetlink, Ipv6ExtensionHeaderBits)
{
    auto key6 = [](u16 bits) {
        Nl key;
        ovs_meta(key, 2)
            .val(OVS_KEY_ATTR_ETHERNET, eth_key(3, 4))
            .be16_(OVS_KEY_ATTR_ETHERTYPE, 0x86dd)
            .val(OVS_KEY_ATTR_IPV6, ipv6_key(1, 2, 17))
            .u16_(OVS_KEY_ATTR_IPV6_EXTHDRS, bits)
            .val(OVS_KEY_ATTR_UDP, ports(53, 5353));
        return key;
    };
    auto dump6 = [](Nl& n, u16 bits, u16 udp) -> Nl& {
        return n.val(OVS_KEY_ATTR_IPV6, udp ? ipv6_key(1, 2, 17) : all_ones<OvsKeyIpv6>())
            .u16_(OVS_KEY_ATTR_IPV6_EXTHDRS, bits);
    };

    // Exact match (no mask): every bit matched.
    auto p = parse(key6(kIpv6ExthdrHop | kIpv6ExthdrFrag), nullptr);
    ASSERT_TRUE(p->ok()) << p->msg();
    EXPECT_EQ(p->key.ipv6.exthdrs, kIpv6ExthdrHop | kIpv6ExthdrFrag);
    EXPECT_EQ(p->mask.ipv6.exthdrs, 0xffff);
    Nl k;
    dump_meta(k, 2).val(OVS_KEY_ATTR_ETHERNET, eth_key(3, 4)).be16_(OVS_KEY_ATTR_ETHERTYPE, 0x86dd);
    dump6(k, kIpv6ExthdrHop | kIpv6ExthdrFrag, 1).val(OVS_KEY_ATTR_UDP, ports(53, 5353));
    EXPECT_ATTRS_EQ(k.bytes(), dump_masked_key(*p));
    Nl m;
    dump_meta_exact(m).val(OVS_KEY_ATTR_ETHERNET, eth_all(0xff)).be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff);
    dump6(m, 0xffff, 0).val(OVS_KEY_ATTR_UDP, all_ones<OvsKeyPorts>());
    EXPECT_ATTRS_EQ(m.bytes(), dump_mask(*p));
    expect_reparse_stable(*p);

    // Under a mask: only the masked bits are kept.
    Nl mask;
    ovs_meta_mask(mask).be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff).u16_(OVS_KEY_ATTR_IPV6_EXTHDRS, kIpv6ExthdrHop);
    p = parse(key6(kIpv6ExthdrHop | kIpv6ExthdrFrag), &mask);
    ASSERT_TRUE(p->ok()) << p->msg();
    EXPECT_EQ(p->masked.ipv6.exthdrs, kIpv6ExthdrHop);
    EXPECT_EQ(p->mask.ipv6.exthdrs, kIpv6ExthdrHop);
    expect_reparse_stable(*p);

    // The mask may carry it only when the key does.
    Nl no_bits;
    ovs_meta(no_bits, 2)
        .val(OVS_KEY_ATTR_ETHERNET, eth_key(3, 4))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0x86dd)
        .val(OVS_KEY_ATTR_IPV6, ipv6_key(1, 2, 17))
        .val(OVS_KEY_ATTR_UDP, ports(53, 5353));
    p = parse(no_bits, &mask);
    EXPECT_FALSE(p->ok());
    EXPECT_EQ(p->err(), err::INVAL);

    // Any ethertype may carry it, as upstream: an IPv4 key matches the
    // field (always zero in IPv4 packets) and never dumps it.
    Nl key4;
    ovs_meta(key4, 2)
        .val(OVS_KEY_ATTR_ETHERNET, eth_key(3, 4))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800)
        .val(OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 17))
        .u16_(OVS_KEY_ATTR_IPV6_EXTHDRS, 0)
        .val(OVS_KEY_ATTR_UDP, ports(1, 2));
    p = parse(key4, nullptr);
    ASSERT_TRUE(p->ok()) << p->msg();
    EXPECT_EQ(p->mask.ipv6.exthdrs, 0xffff);
    Nl k4;
    dump_meta(k4, 2)
        .val(OVS_KEY_ATTR_ETHERNET, eth_key(3, 4))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800)
        .val(OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 17))
        .val(OVS_KEY_ATTR_UDP, ports(1, 2));
    EXPECT_ATTRS_EQ(k4.bytes(), dump_masked_key(*p));

    // The reply size bound covers the attribute.
    EXPECT_GE(flow_key_attr_size(), dump_masked_key(*parse(key6(0x1ff), nullptr)).size());
}

TEST(KeyNetlink, Icmpv4AndSctp)
{
    for (int sctp = 0; sctp < 2; sctp++) {
        Nl key;
        ovs_meta(key, 4).val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2)).be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800);
        if (sctp)
            key.val(OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 132)).val(OVS_KEY_ATTR_SCTP, ports(9, 10));
        else
            key.val(OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 1)).val(OVS_KEY_ATTR_ICMP, OvsKeyIcmp { 8, 0 });
        auto p = parse(key, nullptr);
        ASSERT_TRUE(p->ok()) << p->msg();
        Nl k;
        dump_meta(k, 4).val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2)).be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800);
        if (sctp)
            k.val(OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 132)).val(OVS_KEY_ATTR_SCTP, ports(9, 10));
        else
            k.val(OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 1)).val(OVS_KEY_ATTR_ICMP, OvsKeyIcmp { 8, 0 });
        EXPECT_ATTRS_EQ(k.bytes(), dump_masked_key(*p));
        expect_reparse_stable(*p);
    }
}

// Later fragments carry no L4 attribute; the key may not require one.
TEST(KeyNetlink, LaterFragmentHasNoTransport)
{
    Nl key;
    ovs_meta(key, 4)
        .val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800)
        .val(OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 6, 0, 64, kFragLater));
    auto p = parse(key, nullptr);
    ASSERT_TRUE(p->ok()) << p->msg();
    Nl k;
    dump_meta(k, 4)
        .val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800)
        .val(OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 6, 0, 64, kFragLater));
    EXPECT_ATTRS_EQ(k.bytes(), dump_masked_key(*p));
    expect_reparse_stable(*p);
}

TEST(KeyNetlink, ArpAndRarp)
{
    for (u16 type : { u16(0x0806), u16(0x8035) }) {
        OvsKeyArp arp;
        std::memset(&arp, 0, sizeof(arp));
        arp.arp_sip = htonl(0xc0a80001);
        arp.arp_tip = htonl(0xc0a80002);
        arp.arp_op = htons(2);
        u8 sha[6] = { 2, 0, 0, 0, 0, 9 };
        std::memcpy(arp.arp_sha, sha, 6);
        Nl key;
        ovs_meta(key, 5).val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2)).be16_(OVS_KEY_ATTR_ETHERTYPE, type).val(OVS_KEY_ATTR_ARP, arp);
        auto p = parse(key, nullptr);
        ASSERT_TRUE(p->ok()) << p->msg();
        EXPECT_EQ(p->key.ip.proto, 2);
        EXPECT_EQ(p->key.ipv4.src, htonl(0xc0a80001));
        Nl k;
        dump_meta(k, 5).val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2)).be16_(OVS_KEY_ATTR_ETHERTYPE, type).val(OVS_KEY_ATTR_ARP, arp);
        EXPECT_ATTRS_EQ(k.bytes(), dump_masked_key(*p));
        OvsKeyArp arpm = arp_mask_exact();
        Nl m;
        dump_meta_exact(m)
            .val(OVS_KEY_ATTR_ETHERNET, eth_all(0xff))
            .be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff)
            .val(OVS_KEY_ATTR_ARP, arpm);
        EXPECT_ATTRS_EQ(m.bytes(), dump_mask(*p));
        expect_reparse_stable(*p);
    }
}

TEST(KeyNetlink, MplsLabelStacks)
{
    for (u32 n = 1; n <= 3; n++) {
        Buf lses;
        for (u32 i = 0; i < n; i++) {
            be32 lse = htonl((100 + i) << 12 | (i + 1 == n ? 0x100 : 0) | 64);
            const u8* b = reinterpret_cast<const u8*>(&lse);
            lses.insert(lses.end(), b, b + 4);
        }
        Nl key;
        ovs_meta(key, 6).val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2)).be16_(OVS_KEY_ATTR_ETHERTYPE, 0x8847).put(OVS_KEY_ATTR_MPLS, lses);
        auto p = parse(key, nullptr);
        ASSERT_TRUE(p->ok()) << p->msg();
        EXPECT_EQ(p->key.mpls.num_labels_mask, (1u << n) - 1);
        Nl k;
        dump_meta(k, 6).val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2)).be16_(OVS_KEY_ATTR_ETHERTYPE, 0x8847).put(OVS_KEY_ATTR_MPLS, lses);
        EXPECT_ATTRS_EQ(k.bytes(), dump_masked_key(*p));
        Nl m;
        dump_meta_exact(m)
            .val(OVS_KEY_ATTR_ETHERNET, eth_all(0xff))
            .be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff)
            .put(OVS_KEY_ATTR_MPLS, Buf(4 * n, 0xff));
        EXPECT_ATTRS_EQ(m.bytes(), dump_mask(*p));
        expect_reparse_stable(*p);
    }
}

TEST(KeyNetlink, SingleVlan)
{
    Nl inner;
    inner.be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800).val(OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 17)).val(OVS_KEY_ATTR_UDP, ports(1, 2));
    Nl key;
    ovs_meta(key, 7)
        .val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0x8100)
        .be16_(OVS_KEY_ATTR_VLAN, 0x1000 | 0x2005) // PCP 1, VID 5, present
        .nested(OVS_KEY_ATTR_ENCAP, inner);
    auto p = parse(key, nullptr);
    ASSERT_TRUE(p->ok()) << p->msg();
    EXPECT_EQ(p->key.eth.vlan.tpid, htons(0x8100));
    EXPECT_EQ(p->key.eth.vlan.tci, htons(0x3005));
    EXPECT_EQ(p->key.eth.type, htons(0x0800));
    EXPECT_EQ(p->key.eth.cvlan.tci, 0);
    Nl k;
    dump_meta(k, 7)
        .val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0x8100)
        .be16_(OVS_KEY_ATTR_VLAN, 0x3005)
        .nested(OVS_KEY_ATTR_ENCAP, inner);
    EXPECT_ATTRS_EQ(k.bytes(), dump_masked_key(*p));
    Nl mi;
    mi.be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff).val(OVS_KEY_ATTR_IPV4, all_ones<OvsKeyIpv4>()).val(OVS_KEY_ATTR_UDP, all_ones<OvsKeyPorts>());
    Nl m;
    dump_meta_exact(m)
        .val(OVS_KEY_ATTR_ETHERNET, eth_all(0xff))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff)
        .be16_(OVS_KEY_ATTR_VLAN, 0xffff)
        .nested(OVS_KEY_ATTR_ENCAP, mi);
    EXPECT_ATTRS_EQ(m.bytes(), dump_mask(*p));
    expect_reparse_stable(*p);
}

TEST(KeyNetlink, DoubleVlanWithWildcardedVid)
{
    Nl inner2;
    inner2.be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800).val(OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 1)).val(OVS_KEY_ATTR_ICMP, OvsKeyIcmp { 0, 0 });
    Nl inner1;
    inner1.be16_(OVS_KEY_ATTR_ETHERTYPE, 0x8100).be16_(OVS_KEY_ATTR_VLAN, 0x1005).nested(OVS_KEY_ATTR_ENCAP, inner2);
    Nl key;
    ovs_meta(key, 8)
        .val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0x88a8)
        .be16_(OVS_KEY_ATTR_VLAN, 0x1064)
        .nested(OVS_KEY_ATTR_ENCAP, inner1);
    // Mask: outer VID exact, inner tag present bit only, L3 type exact.
    Nl mi2;
    mi2.be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff);
    Nl mi1;
    mi1.be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff).be16_(OVS_KEY_ATTR_VLAN, 0x1000).nested(OVS_KEY_ATTR_ENCAP, mi2);
    Nl mask;
    ovs_meta_mask(mask)
        .val(OVS_KEY_ATTR_ETHERNET, eth_all(0))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff)
        .be16_(OVS_KEY_ATTR_VLAN, 0x1fff)
        .nested(OVS_KEY_ATTR_ENCAP, mi1);
    auto p = parse(key, &mask);
    ASSERT_TRUE(p->ok()) << p->msg();
    EXPECT_EQ(p->key.eth.vlan.tpid, htons(0x88a8));
    EXPECT_EQ(p->key.eth.cvlan.tpid, htons(0x8100));
    EXPECT_EQ(p->mask.eth.vlan.tci, htons(0x1fff));
    EXPECT_EQ(p->mask.eth.cvlan.tci, htons(0x1000));

    // IP protocol wildcarded: the masked key has no ICMP attribute.
    Nl ki2;
    ki2.be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800).val(OVS_KEY_ATTR_IPV4, all_zero<OvsKeyIpv4>());
    Nl ki1;
    ki1.be16_(OVS_KEY_ATTR_ETHERTYPE, 0x8100).be16_(OVS_KEY_ATTR_VLAN, 0x1000).nested(OVS_KEY_ATTR_ENCAP, ki2);
    Nl k;
    dump_meta(k, 8)
        .val(OVS_KEY_ATTR_ETHERNET, eth_all(0))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0x88a8)
        .be16_(OVS_KEY_ATTR_VLAN, 0x1064)
        .nested(OVS_KEY_ATTR_ENCAP, ki1);
    EXPECT_ATTRS_EQ(k.bytes(), dump_masked_key(*p));

    Nl m2;
    m2.be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff).val(OVS_KEY_ATTR_IPV4, all_zero<OvsKeyIpv4>());
    Nl m1;
    m1.be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff).be16_(OVS_KEY_ATTR_VLAN, 0x1000).nested(OVS_KEY_ATTR_ENCAP, m2);
    Nl m;
    dump_meta_mask(m, 0, 0, 0xffffffff, 0)
        .val(OVS_KEY_ATTR_ETHERNET, eth_all(0))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff)
        .be16_(OVS_KEY_ATTR_VLAN, 0x1fff)
        .nested(OVS_KEY_ATTR_ENCAP, m1);
    EXPECT_ATTRS_EQ(m.bytes(), dump_mask(*p));
    expect_reparse_stable(*p);
}

// A third tag: the key stops at its ethertype.
TEST(KeyNetlink, TripleVlanStopsAtThirdTag)
{
    Nl inner1;
    inner1.be16_(OVS_KEY_ATTR_ETHERTYPE, 0x8100).be16_(OVS_KEY_ATTR_VLAN, 0x1002).nested(OVS_KEY_ATTR_ENCAP,
        Nl().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x8100));
    Nl key;
    ovs_meta(key, 8)
        .val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0x88a8)
        .be16_(OVS_KEY_ATTR_VLAN, 0x1001)
        .nested(OVS_KEY_ATTR_ENCAP, inner1);
    auto p = parse(key, nullptr);
    ASSERT_TRUE(p->ok()) << p->msg();
    EXPECT_EQ(p->key.eth.type, htons(0x8100));
    Nl k;
    dump_meta(k, 8)
        .val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0x88a8)
        .be16_(OVS_KEY_ATTR_VLAN, 0x1001)
        .nested(OVS_KEY_ATTR_ENCAP, inner1);
    EXPECT_ATTRS_EQ(k.bytes(), dump_masked_key(*p));
    expect_reparse_stable(*p);
}

// A VLAN frame too short for its tag: TCI 0 and an empty ENCAP. Upstream
// keys it as an 802.2 frame with the outer TPID, and so do we. Without a mask
// it is refused, as upstream refuses it: the empty ENCAP counts as a zero
// mask attribute, so the VLAN mask is left unconsumed.
TEST(KeyNetlink, TruncatedVlanHeader)
{
    Nl key;
    ovs_meta(key, 8)
        .val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0x8100)
        .be16_(OVS_KEY_ATTR_VLAN, 0)
        .nested(OVS_KEY_ATTR_ENCAP, Nl());
    auto exact = parse(key, nullptr);
    ASSERT_FALSE(exact->ok());
    EXPECT_EQ(exact->err(), err::INVAL);

    Nl mask;
    ovs_meta_mask(mask).val(OVS_KEY_ATTR_ETHERNET, eth_all(0xff));
    auto p = parse(key, &mask);
    ASSERT_TRUE(p->ok()) << p->msg();
    EXPECT_EQ(p->key.eth.vlan.tpid, htons(0x8100));
    EXPECT_EQ(p->key.eth.vlan.tci, 0);
    EXPECT_EQ(p->key.eth.type, htons(kEthP8022));
    EXPECT_EQ(p->mask.eth.vlan.tci, 0xffff);
}

// 802.2 frames: no ETHERTYPE in the key, 0xffff in the mask.
TEST(KeyNetlink, Llc8022Frame)
{
    Nl key, mask;
    ovs_meta(key, 9).val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2));
    ovs_meta_mask(mask).val(OVS_KEY_ATTR_ETHERNET, eth_all(0xff)).be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff);
    auto p = parse(key, &mask);
    ASSERT_TRUE(p->ok()) << p->msg();
    EXPECT_EQ(p->key.eth.type, htons(kEthP8022));
    Nl k;
    dump_meta(k, 9).val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2));
    EXPECT_ATTRS_EQ(k.bytes(), dump_masked_key(*p));
    Nl m;
    dump_meta_mask(m, 0, 0, 0xffffffff, 0).val(OVS_KEY_ATTR_ETHERNET, eth_all(0xff)).be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff);
    EXPECT_ATTRS_EQ(m.bytes(), dump_mask(*p));
    expect_reparse_stable(*p);
}

// An L3 packet (from an ARPHRD_NONE port): an ethertype without Ethernet
// addresses.
TEST(KeyNetlink, Layer3Packet)
{
    Nl key;
    ovs_meta(key, 10).be16_(OVS_KEY_ATTR_ETHERTYPE, 0x86dd).val(OVS_KEY_ATTR_IPV6, ipv6_key(1, 2, 6)).val(
        OVS_KEY_ATTR_TCP, ports(1, 2)).be16_(OVS_KEY_ATTR_TCP_FLAGS, 0);
    auto p = parse(key, nullptr);
    ASSERT_TRUE(p->ok()) << p->msg();
    EXPECT_EQ(p->key.mac_proto, kMacProtoNone);
    EXPECT_EQ(p->mask.mac_proto, 0xff);
    Nl k;
    dump_meta(k, 10).be16_(OVS_KEY_ATTR_ETHERTYPE, 0x86dd).val(OVS_KEY_ATTR_IPV6, ipv6_key(1, 2, 6)).u16_(
        OVS_KEY_ATTR_IPV6_EXTHDRS, 0).val(
        OVS_KEY_ATTR_TCP, ports(1, 2)).be16_(OVS_KEY_ATTR_TCP_FLAGS, 0);
    EXPECT_ATTRS_EQ(k.bytes(), dump_masked_key(*p));
    Nl m;
    dump_meta_exact(m)
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff)
        .val(OVS_KEY_ATTR_IPV6, all_ones<OvsKeyIpv6>())
        .u16_(OVS_KEY_ATTR_IPV6_EXTHDRS, 0)
        .val(OVS_KEY_ATTR_TCP, all_ones<OvsKeyPorts>())
        .be16_(OVS_KEY_ATTR_TCP_FLAGS, 0x0fff);
    EXPECT_ATTRS_EQ(m.bytes(), dump_mask(*p));
    expect_reparse_stable(*p);
}

// Without IN_PORT the key's port is "none" (DP_MAX_PORTS). As upstream, the
// masked key then dumps in_port 0 under a mask of 0xffff0000, while the
// unmasked key omits it.
TEST(KeyNetlink, NoInputPort)
{
    Nl key;
    key.u32_(OVS_KEY_ATTR_PRIORITY, 0).val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2)).be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0806).val(
        OVS_KEY_ATTR_ARP, all_zero<OvsKeyArp>());
    auto p = parse(key, nullptr);
    ASSERT_TRUE(p->ok()) << p->msg();
    EXPECT_EQ(p->key.in_port, 0xffff);
    EXPECT_EQ(p->mask.in_port, 0);
    Buf unmasked = dump_unmasked_key(*p);
    Nl u;
    u.u32_(OVS_KEY_ATTR_RECIRC_ID, 0).u32_(OVS_KEY_ATTR_DP_HASH, 0).u32_(OVS_KEY_ATTR_PRIORITY, 0).u32_(OVS_KEY_ATTR_SKB_MARK, 0).append(ct_zero())
        .val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2)).be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0806).val(OVS_KEY_ATTR_ARP, all_zero<OvsKeyArp>());
    EXPECT_ATTRS_EQ(u.bytes(), unmasked);
    Nl m;
    dump_meta_mask(m, 0xffffffff, 0, 0, 0, 0xffff0000)
        .val(OVS_KEY_ATTR_ETHERNET, eth_all(0xff))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff)
        .val(OVS_KEY_ATTR_ARP, arp_mask_exact());
    EXPECT_ATTRS_EQ(m.bytes(), dump_mask(*p));
}

Nl geneve_tunnel(bool with_opts)
{
    Nl t;
    t.be64_(OVS_TUNNEL_KEY_ATTR_ID, 0x1234)
        .be32_(OVS_TUNNEL_KEY_ATTR_IPV4_SRC, 0xc0000201)
        .be32_(OVS_TUNNEL_KEY_ATTR_IPV4_DST, 0xc0000202)
        .u8_(OVS_TUNNEL_KEY_ATTR_TOS, 0x28)
        .u8_(OVS_TUNNEL_KEY_ATTR_TTL, 64)
        .flag(OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT)
        .flag(OVS_TUNNEL_KEY_ATTR_CSUM)
        .be16_(OVS_TUNNEL_KEY_ATTR_TP_SRC, 49152)
        .be16_(OVS_TUNNEL_KEY_ATTR_TP_DST, 6081);
    if (with_opts)
        t.put(OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS, Buf { 0x01, 0x02, 0x80, 0x01, 0xde, 0xad, 0xbe, 0xef });
    return t;
}

TEST(KeyNetlink, GeneveTunnelExactMatch)
{
    // Attribute order as userspace pleases; the dump is canonical.
    Nl tun;
    tun.put(OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS, Buf { 0x01, 0x02, 0x80, 0x01, 0xde, 0xad, 0xbe, 0xef })
        .u8_(OVS_TUNNEL_KEY_ATTR_TTL, 64)
        .be32_(OVS_TUNNEL_KEY_ATTR_IPV4_DST, 0xc0000202)
        .flag(OVS_TUNNEL_KEY_ATTR_CSUM)
        .be64_(OVS_TUNNEL_KEY_ATTR_ID, 0x1234)
        .be32_(OVS_TUNNEL_KEY_ATTR_IPV4_SRC, 0xc0000201)
        .be16_(OVS_TUNNEL_KEY_ATTR_TP_DST, 6081)
        .u8_(OVS_TUNNEL_KEY_ATTR_TOS, 0x28)
        .flag(OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT)
        .be16_(OVS_TUNNEL_KEY_ATTR_TP_SRC, 49152);
    Nl key;
    key.nested(OVS_KEY_ATTR_TUNNEL, tun);
    ovs_meta(key, 11).val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2)).be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800).val(
        OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 17)).val(OVS_KEY_ATTR_UDP, ports(1, 2));
    auto p = parse(key, nullptr);
    ASSERT_TRUE(p->ok()) << p->msg();
    EXPECT_EQ(p->key.tun_key.ip_family, kAfInet);
    EXPECT_EQ(p->key.tun_key.tun_id, htonll(0x1234));
    EXPECT_EQ(p->key.tun_key.tun_flags, htons(kTunnelKey | kTunnelDontFragment | kTunnelCsum | kTunnelGeneveOpt));
    EXPECT_EQ(p->key.tun_opts_len, 8);
    EXPECT_EQ(p->key.tun_opts[kTunOptsMax - 1], 0xef);
    EXPECT_EQ(p->mask.tun_key.ip_family, 0xff);
    EXPECT_EQ(p->mask.tun_opts_len, 0xff);
    // A tunnel flow's range covers the options it matches, not all 255 bytes.
    EXPECT_EQ(p->m.mask_range.start, (kTunOptsMax - 8) / 8 * 8);

    Nl k;
    k.u32_(OVS_KEY_ATTR_RECIRC_ID, 0).u32_(OVS_KEY_ATTR_DP_HASH, 0).u32_(OVS_KEY_ATTR_PRIORITY, 0)
        .nested(OVS_KEY_ATTR_TUNNEL, geneve_tunnel(true))
        .u32_(OVS_KEY_ATTR_IN_PORT, 11).u32_(OVS_KEY_ATTR_SKB_MARK, 0).append(ct_zero())
        .val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2)).be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800)
        .val(OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 17)).val(OVS_KEY_ATTR_UDP, ports(1, 2));
    EXPECT_ATTRS_EQ(k.bytes(), dump_masked_key(*p));

    Nl tm;
    tm.be64_(OVS_TUNNEL_KEY_ATTR_ID, ~u64(0))
        .be32_(OVS_TUNNEL_KEY_ATTR_IPV4_SRC, 0xffffffff)
        .be32_(OVS_TUNNEL_KEY_ATTR_IPV4_DST, 0xffffffff)
        .u8_(OVS_TUNNEL_KEY_ATTR_TOS, 0xff)
        .u8_(OVS_TUNNEL_KEY_ATTR_TTL, 0xff)
        .flag(OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT)
        .flag(OVS_TUNNEL_KEY_ATTR_CSUM)
        .be16_(OVS_TUNNEL_KEY_ATTR_TP_SRC, 0xffff)
        .be16_(OVS_TUNNEL_KEY_ATTR_TP_DST, 0xffff)
        .put(OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS, Buf(8, 0xff));
    Nl m;
    m.u32_(OVS_KEY_ATTR_RECIRC_ID, ~0u).u32_(OVS_KEY_ATTR_DP_HASH, ~0u).u32_(OVS_KEY_ATTR_PRIORITY, ~0u)
        .nested(OVS_KEY_ATTR_TUNNEL, tm)
        .u32_(OVS_KEY_ATTR_IN_PORT, ~0u).u32_(OVS_KEY_ATTR_SKB_MARK, ~0u).append(ct_zero())
        .val(OVS_KEY_ATTR_ETHERNET, eth_all(0xff)).be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff)
        .val(OVS_KEY_ATTR_IPV4, all_ones<OvsKeyIpv4>()).val(OVS_KEY_ATTR_UDP, all_ones<OvsKeyPorts>());
    EXPECT_ATTRS_EQ(m.bytes(), dump_mask(*p));
    expect_reparse_stable(*p);
}

// Userspace's usual tunnel megaflow: tunnel ID and destination exact, the
// rest wildcarded; flags in the mask only for the flags it matches.
TEST(KeyNetlink, TunnelWildcardMask)
{
    Nl key;
    key.nested(OVS_KEY_ATTR_TUNNEL, geneve_tunnel(false).flag(OVS_TUNNEL_KEY_ATTR_OAM));
    ovs_meta(key, 11).val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2)).be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800).val(
        OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 0));
    Nl tm;
    tm.be64_(OVS_TUNNEL_KEY_ATTR_ID, ~u64(0)).be32_(OVS_TUNNEL_KEY_ATTR_IPV4_DST, 0xffffffff).u8_(OVS_TUNNEL_KEY_ATTR_TTL, 0).flag(
        OVS_TUNNEL_KEY_ATTR_CSUM);
    Nl mask;
    mask.nested(OVS_KEY_ATTR_TUNNEL, tm);
    ovs_meta_mask(mask).val(OVS_KEY_ATTR_ETHERNET, eth_all(0)).be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff);
    auto p = parse(key, &mask);
    ASSERT_TRUE(p->ok()) << p->msg();
    EXPECT_EQ(p->mask.tun_key.tun_flags, htons(kTunnelKey | kTunnelCsum));
    Nl tk;
    tk.be64_(OVS_TUNNEL_KEY_ATTR_ID, 0x1234).be32_(OVS_TUNNEL_KEY_ATTR_IPV4_DST, 0xc0000202).u8_(OVS_TUNNEL_KEY_ATTR_TTL, 0).flag(
        OVS_TUNNEL_KEY_ATTR_CSUM);
    Nl k;
    k.u32_(OVS_KEY_ATTR_RECIRC_ID, 0).u32_(OVS_KEY_ATTR_DP_HASH, 0).u32_(OVS_KEY_ATTR_PRIORITY, 0)
        .nested(OVS_KEY_ATTR_TUNNEL, tk)
        .u32_(OVS_KEY_ATTR_IN_PORT, 11).u32_(OVS_KEY_ATTR_SKB_MARK, 0).append(ct_zero())
        .val(OVS_KEY_ATTR_ETHERNET, eth_all(0)).be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800)
        .val(OVS_KEY_ATTR_IPV4, all_zero<OvsKeyIpv4>());
    EXPECT_ATTRS_EQ(k.bytes(), dump_masked_key(*p));
    Nl m;
    m.u32_(OVS_KEY_ATTR_RECIRC_ID, ~0u).u32_(OVS_KEY_ATTR_DP_HASH, 0).u32_(OVS_KEY_ATTR_PRIORITY, 0)
        .nested(OVS_KEY_ATTR_TUNNEL, tm)
        .u32_(OVS_KEY_ATTR_IN_PORT, ~0u).u32_(OVS_KEY_ATTR_SKB_MARK, 0).append(ct_zero())
        .val(OVS_KEY_ATTR_ETHERNET, eth_all(0)).be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff)
        .val(OVS_KEY_ATTR_IPV4, all_zero<OvsKeyIpv4>());
    EXPECT_ATTRS_EQ(m.bytes(), dump_mask(*p));
    expect_reparse_stable(*p);
}

TEST(KeyNetlink, Ipv6VxlanTunnel)
{
    u8 src[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
    u8 dst[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };
    Nl tun;
    tun.be64_(OVS_TUNNEL_KEY_ATTR_ID, 5000)
        .put(OVS_TUNNEL_KEY_ATTR_IPV6_SRC, src, 16)
        .put(OVS_TUNNEL_KEY_ATTR_IPV6_DST, dst, 16)
        .u8_(OVS_TUNNEL_KEY_ATTR_TTL, 3)
        .be16_(OVS_TUNNEL_KEY_ATTR_TP_DST, 4789)
        .nested(OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS, Nl().u32_(OVS_VXLAN_EXT_GBP, 0x00ab0123));
    Nl key;
    key.nested(OVS_KEY_ATTR_TUNNEL, tun);
    ovs_meta(key, 12).val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2)).be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800).val(
        OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 0));
    auto p = parse(key, nullptr);
    ASSERT_TRUE(p->ok()) << p->msg();
    EXPECT_EQ(p->key.tun_key.ip_family, kAfInet6);
    EXPECT_EQ(p->key.tun_opts_len, 4);
    Nl k;
    k.u32_(OVS_KEY_ATTR_RECIRC_ID, 0).u32_(OVS_KEY_ATTR_DP_HASH, 0).u32_(OVS_KEY_ATTR_PRIORITY, 0)
        .nested(OVS_KEY_ATTR_TUNNEL, tun)
        .u32_(OVS_KEY_ATTR_IN_PORT, 12).u32_(OVS_KEY_ATTR_SKB_MARK, 0).append(ct_zero())
        .val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2)).be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800)
        .val(OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 0));
    EXPECT_ATTRS_EQ(k.bytes(), dump_masked_key(*p));
    expect_reparse_stable(*p);
}

TEST(KeyNetlink, ErspanTunnel)
{
    Buf md { 0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0, 0 }; // version 1, index 7
    Nl tun;
    tun.be32_(OVS_TUNNEL_KEY_ATTR_IPV4_DST, 0x0a000009).u8_(OVS_TUNNEL_KEY_ATTR_TTL, 9).put(OVS_TUNNEL_KEY_ATTR_ERSPAN_OPTS, md);
    Nl key;
    key.nested(OVS_KEY_ATTR_TUNNEL, tun);
    ovs_meta(key, 12).val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2)).be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800).val(
        OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 0));
    auto p = parse(key, nullptr);
    ASSERT_TRUE(p->ok()) << p->msg();
    EXPECT_EQ(p->key.tun_opts_len, 12);
    Nl k;
    k.u32_(OVS_KEY_ATTR_RECIRC_ID, 0).u32_(OVS_KEY_ATTR_DP_HASH, 0).u32_(OVS_KEY_ATTR_PRIORITY, 0)
        .nested(OVS_KEY_ATTR_TUNNEL, tun)
        .u32_(OVS_KEY_ATTR_IN_PORT, 12).u32_(OVS_KEY_ATTR_SKB_MARK, 0).append(ct_zero())
        .val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2)).be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800)
        .val(OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 0));
    EXPECT_ATTRS_EQ(k.bytes(), dump_masked_key(*p));
    expect_reparse_stable(*p);
}

// Attributes given only as zero in the mask are wildcards, as if absent.
TEST(KeyNetlink, ZeroMaskAttributesAreIgnored)
{
    Nl key, mask;
    ovs_meta(key, 1, 5, 6).val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2)).be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800).val(
        OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 6)).val(OVS_KEY_ATTR_TCP, ports(1, 2)).be16_(OVS_KEY_ATTR_TCP_FLAGS, 0);
    // An L4 mask of zero is fine even though ip proto is wildcarded.
    ovs_meta_mask(mask).be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff).val(OVS_KEY_ATTR_IPV4, all_zero<OvsKeyIpv4>()).val(
        OVS_KEY_ATTR_TCP, ports(0, 0)).be16_(OVS_KEY_ATTR_TCP_FLAGS, 0);
    auto p = parse(key, &mask);
    ASSERT_TRUE(p->ok()) << p->msg();
    EXPECT_EQ(p->mask.ip.proto, 0);
    EXPECT_EQ(p->mask.tp.dst, 0);
}

TEST(KeyNetlink, KeyOnlyParse)
{
    Nl key;
    ovs_meta(key, 1).val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2)).be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800).val(
        OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 6)).val(OVS_KEY_ATTR_TCP, ports(1, 2)).be16_(OVS_KEY_ATTR_TCP_FLAGS, 0);
    FlowKey k;
    FlowMatch m;
    m.key = &k;
    ASSERT_TRUE(flow_key_from_nlattrs(key.span(), {}, false, m, false).ok());
    EXPECT_EQ(k.tp.src, htons(1));
    EXPECT_FALSE(m.range.empty());
    EXPECT_TRUE(m.mask_range.empty());
}

TEST(KeyNetlink, NlAttrEntryPoint)
{
    Nl key;
    ovs_meta(key, 1).val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2));
    Nl msg;
    msg.nested(OVS_FLOW_ATTR_KEY, key);
    auto* attr = reinterpret_cast<const NlAttr*>(msg.bytes().data());
    FlowKey k, mk;
    FlowMatch m { &k, &mk, {}, {} };
    ASSERT_TRUE(flow_key_from_nlattrs(attr, nullptr, m, false).ok());
    EXPECT_EQ(mk.eth.src[0], 0xff); // exact match without a mask
}

TEST(KeyNetlink, MetadataForExecute)
{
    Nl key;
    key.nested(OVS_KEY_ATTR_TUNNEL, geneve_tunnel(true));
    ovs_meta(key, 3, 4, 5, 6, 7).be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800).val(OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 6));
    FlowKey k;
    std::memset(&k, 0xaa, sizeof(k));
    ASSERT_TRUE(flow_metadata_from_nlattrs(key.span(), &k, false).ok());
    EXPECT_EQ(k.in_port, 3);
    EXPECT_EQ(k.priority, 4u);
    EXPECT_EQ(k.skb_mark, 5u);
    EXPECT_EQ(k.recirc_id, 6u);
    EXPECT_EQ(k.dp_hash, 7u);
    EXPECT_EQ(k.mac_proto, kMacProtoNone);
    EXPECT_EQ(k.eth.type, htons(0x0800));
    EXPECT_EQ(k.tun_key.ip_family, kAfInet);
    EXPECT_EQ(k.tun_opts_len, 8);
    EXPECT_EQ(k.ip.proto, 0); // packet fields are key_extract()'s
    EXPECT_EQ(k.ipv4.src, 0u);

    Nl l2;
    l2.val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2));
    ASSERT_TRUE(flow_metadata_from_nlattrs(l2.span(), &k, false).ok());
    EXPECT_EQ(k.in_port, 0xffff);
    EXPECT_EQ(k.mac_proto, kMacProtoEthernet);
    EXPECT_EQ(k.eth.type, 0);
    EXPECT_EQ(k.tun_key.ip_family, 0);

    // The whole key is checked as a flow key's attributes are.
    Nl bad;
    bad.val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2)).u32_(OVS_KEY_ATTR_IN_PORT, 70000);
    EXPECT_EQ(flow_metadata_from_nlattrs(bad.span(), &k, false).error().code, err::INVAL);
    Nl bad2;
    bad2.val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2)).u32_(40, 0);
    EXPECT_EQ(flow_metadata_from_nlattrs(bad2.span(), &k, false).error().code, err::INVAL);
}

TEST(KeyNetlink, Ufid)
{
    u8 ufid[16];
    EXPECT_EQ(ufid_from_nlattr(nullptr, ufid, false), 0u);
    Nl n;
    n.put(OVS_FLOW_ATTR_UFID, Buf { 1, 2, 3 });
    n.put(OVS_FLOW_ATTR_UFID, Buf(16, 9));
    n.put(OVS_FLOW_ATTR_UFID, Buf(17, 9));
    n.put(OVS_FLOW_ATTR_UFID, Buf {});
    n.u32_(OVS_FLOW_ATTR_UFID_FLAGS, kUfidFOmitKey | kUfidFOmitActions);
    NlAttrIter it(n.span());
    EXPECT_EQ(ufid_from_nlattr(it.get(), ufid, false), 3u);
    EXPECT_EQ(ufid[2], 3);
    it.next();
    EXPECT_EQ(ufid_from_nlattr(it.get(), ufid, false), 16u);
    it.next();
    EXPECT_EQ(ufid_from_nlattr(it.get(), ufid, false), 0u); // too long: ignored, as upstream
    it.next();
    EXPECT_EQ(ufid_from_nlattr(it.get(), ufid, false), 0u);
    it.next();
    EXPECT_EQ(ufid_flags_from_nlattr(it.get()), kUfidFOmitKey | kUfidFOmitActions);
    EXPECT_EQ(ufid_flags_from_nlattr(nullptr), 0u);
}

TEST(KeyNetlink, SerialisationSizeBoundAndOverflow)
{
    // The largest key we can write: IPv6 tunnel with full Geneve options, QinQ,
    // IPv6 ICMPv6 ND.
    u8 a6[16] = { 1 };
    Nl tun;
    tun.be64_(OVS_TUNNEL_KEY_ATTR_ID, 1).put(OVS_TUNNEL_KEY_ATTR_IPV6_SRC, a6, 16).put(OVS_TUNNEL_KEY_ATTR_IPV6_DST, a6, 16)
        .u8_(OVS_TUNNEL_KEY_ATTR_TOS, 1).u8_(OVS_TUNNEL_KEY_ATTR_TTL, 1).flag(OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT)
        .flag(OVS_TUNNEL_KEY_ATTR_CSUM).flag(OVS_TUNNEL_KEY_ATTR_OAM).be16_(OVS_TUNNEL_KEY_ATTR_TP_SRC, 1)
        .be16_(OVS_TUNNEL_KEY_ATTR_TP_DST, 1).put(OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS, Buf(252, 0));
    Nl inner2;
    inner2.be16_(OVS_KEY_ATTR_ETHERTYPE, 0x86dd).val(OVS_KEY_ATTR_IPV6, ipv6_key(1, 2, 58)).val(OVS_KEY_ATTR_ICMPV6,
        OvsKeyIcmp { 136, 0 }).val(OVS_KEY_ATTR_ND, all_zero<OvsKeyNd>());
    Nl inner1;
    inner1.be16_(OVS_KEY_ATTR_ETHERTYPE, 0x8100).be16_(OVS_KEY_ATTR_VLAN, 0x1001).nested(OVS_KEY_ATTR_ENCAP, inner2);
    Nl key;
    key.nested(OVS_KEY_ATTR_TUNNEL, tun);
    ovs_meta(key, 1).val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2)).be16_(OVS_KEY_ATTR_ETHERTYPE, 0x88a8).be16_(OVS_KEY_ATTR_VLAN, 0x1001)
        .nested(OVS_KEY_ATTR_ENCAP, inner1);
    auto p = parse(key, nullptr);
    ASSERT_TRUE(p->ok()) << p->msg();
    EXPECT_LE(dump_masked_key(*p).size(), flow_key_attr_size());
    EXPECT_LE(dump_mask(*p).size(), flow_key_attr_size());

    // A writer too small reports it, whatever the cut.
    Buf full = dump_masked_key(*p);
    for (size_t cap = 0; cap < full.size(); cap += 7) {
        Buf mem(cap + 1);
        NlWriter w(mem.data(), cap);
        EXPECT_FALSE(flow_key_to_nlattrs(p->masked, p->masked, false, w)) << cap;
    }
}

TEST(KeyNetlink, EgressTunnelInfo)
{
    FlowTunnelKey tk {};
    tk.tun_id = htonll(7);
    tk.ipv4.src = htonl(0x01020304);
    tk.ipv4.dst = htonl(0x05060708);
    tk.ttl = 64;
    tk.tp_dst = htons(6081);
    tk.tun_flags = htons(kTunnelKey | kTunnelGeneveOpt);
    tk.ip_family = kAfInet;
    u8 opts[4] = { 0, 1, 2, 0 };
    Out o;
    ASSERT_TRUE(put_tunnel_info(o.w, tk, opts, sizeof(opts), kTunnelInfoTx));
    Nl e;
    e.be64_(OVS_TUNNEL_KEY_ATTR_ID, 7).be32_(OVS_TUNNEL_KEY_ATTR_IPV4_SRC, 0x01020304).be32_(OVS_TUNNEL_KEY_ATTR_IPV4_DST, 0x05060708)
        .u8_(OVS_TUNNEL_KEY_ATTR_TTL, 64).be16_(OVS_TUNNEL_KEY_ATTR_TP_DST, 6081).put(OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS, opts, 4);
    EXPECT_EQ(hex(e.bytes()), hex(o.bytes()));

    Out b;
    ASSERT_TRUE(put_tunnel_info(b.w, tk, nullptr, 0, kTunnelInfoTx | kTunnelInfoBridge));
    Nl eb;
    eb.be64_(OVS_TUNNEL_KEY_ATTR_ID, 7).flag(OVS_TUNNEL_KEY_ATTR_IPV4_INFO_BRIDGE);
    EXPECT_EQ(hex(eb.bytes()), hex(b.bytes()));
}

// ---- Conntrack fields ------------------------------------------------------------

OvsKeyCtTupleIpv4 ct_tuple4(u32 src, u32 dst, u16 sport, u16 dport, u8 proto)
{
    OvsKeyCtTupleIpv4 t = all_zero<OvsKeyCtTupleIpv4>();
    t.ipv4_src = htonl(src);
    t.ipv4_dst = htonl(dst);
    t.src_port = htons(sport);
    t.dst_port = htons(dport);
    t.ipv4_proto = proto;
    return t;
}

Buf labels_buf(u8 first)
{
    Buf b(16, 0);
    for (int i = 0; i < 16; i++)
        b[i] = static_cast<u8>(first + i);
    return b;
}

// Every ct field with a wildcarding mask: the key, the mask, the dumps in
// upstream's order (ct attributes after SKB_MARK, the tuple last of them).
TEST(KeyNetlinkCt, AllFieldsMaskedRoundTrip)
{
    Nl key, mask;
    ovs_meta(key, 3)
        .u32_(OVS_KEY_ATTR_CT_STATE, kCtStateTracked | kCtStateEstablished | kCtStateReplyDir)
        .u16_(OVS_KEY_ATTR_CT_ZONE, 7)
        .u32_(OVS_KEY_ATTR_CT_MARK, 0x12345678)
        .put(OVS_KEY_ATTR_CT_LABELS, labels_buf(1))
        .val(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4, ct_tuple4(0x0a000001, 0x0a000002, 1000, 80, 6))
        .val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800)
        .val(OVS_KEY_ATTR_IPV4, ipv4_key(0x0a000001, 0x0a000002, 6))
        .val(OVS_KEY_ATTR_TCP, ports(1000, 80))
        .be16_(OVS_KEY_ATTR_TCP_FLAGS, 0);
    OvsKeyCtTupleIpv4 tm = all_zero<OvsKeyCtTupleIpv4>();
    tm.ipv4_dst = 0xffffffff;
    tm.dst_port = 0xffff;
    tm.ipv4_proto = 0xff;
    ovs_meta_mask(mask)
        .u32_(OVS_KEY_ATTR_CT_STATE, kCtStateTracked | kCtStateEstablished)
        .u16_(OVS_KEY_ATTR_CT_ZONE, 0xffff)
        .u32_(OVS_KEY_ATTR_CT_MARK, 0xff00)
        .put(OVS_KEY_ATTR_CT_LABELS, Buf(16, 0xf0))
        .val(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4, tm)
        .val(OVS_KEY_ATTR_ETHERNET, eth_all(0))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff);
    auto p = parse(key, &mask);
    ASSERT_TRUE(p->ok()) << p->msg();
    EXPECT_EQ(p->key.ct.state, kCtStateTracked | kCtStateEstablished | kCtStateReplyDir);
    EXPECT_EQ(p->key.ct.zone, 7);
    EXPECT_EQ(p->key.ct.mark, 0x12345678u);
    EXPECT_EQ(p->key.ct.labels[15], 16);
    EXPECT_EQ(p->key.ct.orig.ipv4.dst, htonl(0x0a000002));
    EXPECT_EQ(p->key.ct.orig_tp_dst, htons(80));
    EXPECT_EQ(p->key.ct.orig_proto, 6);
    EXPECT_EQ(p->mask.ct.state, kCtStateTracked | kCtStateEstablished);
    EXPECT_EQ(p->masked.ct.state, kCtStateTracked | kCtStateEstablished);
    EXPECT_EQ(p->masked.ct.mark, 0x5600u);
    EXPECT_GT(p->m.mask_range.end, kFlowKeyCtStart);

    Buf masked_labels(16, 0);
    for (int i = 0; i < 16; i++)
        masked_labels[i] = static_cast<u8>((1 + i) & 0xf0);
    Nl k;
    k.u32_(OVS_KEY_ATTR_RECIRC_ID, 0)
        .u32_(OVS_KEY_ATTR_DP_HASH, 0)
        .u32_(OVS_KEY_ATTR_PRIORITY, 0)
        .u32_(OVS_KEY_ATTR_IN_PORT, 3)
        .u32_(OVS_KEY_ATTR_SKB_MARK, 0)
        .u32_(OVS_KEY_ATTR_CT_STATE, kCtStateTracked | kCtStateEstablished)
        .u16_(OVS_KEY_ATTR_CT_ZONE, 7)
        .u32_(OVS_KEY_ATTR_CT_MARK, 0x5600)
        .put(OVS_KEY_ATTR_CT_LABELS, masked_labels)
        .val(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4, ct_tuple4(0, 0x0a000002, 0, 80, 6))
        .val(OVS_KEY_ATTR_ETHERNET, eth_all(0))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800)
        .val(OVS_KEY_ATTR_IPV4, all_zero<OvsKeyIpv4>());
    EXPECT_ATTRS_EQ(k.bytes(), dump_masked_key(*p));

    Nl tun;
    tun.u8_(OVS_TUNNEL_KEY_ATTR_TTL, 0);
    Nl m;
    m.u32_(OVS_KEY_ATTR_RECIRC_ID, 0xffffffff)
        .u32_(OVS_KEY_ATTR_DP_HASH, 0)
        .u32_(OVS_KEY_ATTR_PRIORITY, 0)
        .nested(OVS_KEY_ATTR_TUNNEL, tun)
        .u32_(OVS_KEY_ATTR_IN_PORT, 0xffffffff)
        .u32_(OVS_KEY_ATTR_SKB_MARK, 0)
        .u32_(OVS_KEY_ATTR_CT_STATE, kCtStateTracked | kCtStateEstablished)
        .u16_(OVS_KEY_ATTR_CT_ZONE, 0xffff)
        .u32_(OVS_KEY_ATTR_CT_MARK, 0xff00)
        .put(OVS_KEY_ATTR_CT_LABELS, Buf(16, 0xf0))
        .val(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4, tm)
        .val(OVS_KEY_ATTR_ETHERNET, eth_all(0))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff)
        .val(OVS_KEY_ATTR_IPV4, all_zero<OvsKeyIpv4>());
    EXPECT_ATTRS_EQ(m.bytes(), dump_mask(*p));
    expect_reparse_stable(*p);
}

// No mask: the exact mask of CT_STATE is the 8 supported bits (upstream ANDs
// its 0xff copy with them), the other fields all ones; an IPv6 tuple.
TEST(KeyNetlinkCt, ExactMaskIpv6Tuple)
{
    OvsKeyCtTupleIpv6 t6 = all_zero<OvsKeyCtTupleIpv6>();
    t6.ipv6_src[3] = htonl(1);
    t6.ipv6_dst[3] = htonl(2);
    t6.src_port = htons(5);
    t6.dst_port = htons(53);
    t6.ipv6_proto = 17;
    Nl key;
    ovs_meta(key, 1)
        .u32_(OVS_KEY_ATTR_CT_STATE, kCtStateTracked | kCtStateNew)
        .val(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6, t6)
        .val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0x86dd)
        .val(OVS_KEY_ATTR_IPV6, ipv6_key(1, 2, 17))
        .val(OVS_KEY_ATTR_UDP, ports(5, 53));
    auto p = parse(key, nullptr);
    ASSERT_TRUE(p->ok()) << p->msg();
    EXPECT_EQ(p->mask.ct.state, 0xff);
    EXPECT_EQ(p->mask.ct.orig_proto, 0xff);
    EXPECT_EQ(p->mask.ct.zone, 0); // absent: wildcarded
    EXPECT_EQ(p->key.ct.orig.ipv6.dst[15], 2);
    Out o;
    ASSERT_TRUE(flow_key_to_nlattrs(p->masked, p->mask, true, o.w));
    Buf mask_dump = o.bytes();
    // CT_STATE 0xff in the dumped mask.
    Nl st;
    st.u32_(OVS_KEY_ATTR_CT_STATE, 0xff);
    std::string hs = hex(st.bytes()), hm = hex(mask_dump);
    EXPECT_NE(hm.find(hs), std::string::npos) << hm;
    Nl tup;
    tup.val(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6, t6);
    EXPECT_NE(hex(dump_masked_key(*p)).find(hex(tup.bytes())), std::string::npos);
    expect_reparse_stable(*p);
}

// A flow matching no ct field keeps a mask range that ends before them.
TEST(KeyNetlinkCt, NonCtFlowRangeEndsBeforeCt)
{
    Nl key;
    ovs_meta(key, 1)
        .val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800)
        .val(OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 17))
        .val(OVS_KEY_ATTR_UDP, ports(5, 53));
    auto p = parse(key, nullptr);
    ASSERT_TRUE(p->ok()) << p->msg();
    EXPECT_LE(p->m.mask_range.end, kFlowKeyCtStart);
    EXPECT_LE(p->m.range.end, kFlowKeyCtStart);
}

// Without conntrack in the host, the fields are refused as by a kernel
// without conntrack (OVS's probes then see "not supported").
TEST(KeyNetlinkCt, RefusedWithoutConntrack)
{
    user::set_ct_enabled(false);
    for (u16 type : { OVS_KEY_ATTR_CT_STATE, OVS_KEY_ATTR_CT_ZONE, OVS_KEY_ATTR_CT_MARK }) {
        Nl key;
        ovs_meta(key, 1).val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2)).be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0806)
            .val(OVS_KEY_ATTR_ARP, all_zero<OvsKeyArp>());
        if (type == OVS_KEY_ATTR_CT_ZONE)
            key.u16_(type, 1);
        else
            key.u32_(type, 1);
        auto p = parse(key, nullptr);
        EXPECT_EQ(p->err(), err::INVAL);
        EXPECT_STREQ(p->msg(), "Unknown or unsupported key attribute");
    }
    user::set_ct_enabled(true);
}

// EXECUTE: the ct fields of OVS_PACKET_ATTR_KEY are metadata (upstream's
// ovs_nla_get_flow_metadata) and survive key extraction.
TEST(KeyNetlinkCt, ExecuteMetadata)
{
    Nl key;
    ovs_meta(key, 1)
        .u32_(OVS_KEY_ATTR_CT_STATE, kCtStateTracked | kCtStateNew)
        .u16_(OVS_KEY_ATTR_CT_ZONE, 9)
        .u32_(OVS_KEY_ATTR_CT_MARK, 3)
        .put(OVS_KEY_ATTR_CT_LABELS, labels_buf(9))
        .val(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4, ct_tuple4(1, 2, 3, 4, 17))
        .val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2))
        .be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800)
        .val(OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 17))
        .val(OVS_KEY_ATTR_UDP, ports(3, 4));
    FlowKey k;
    ASSERT_TRUE(flow_metadata_from_nlattrs(key.span(), &k, false).ok());
    EXPECT_EQ(k.ct.state, kCtStateTracked | kCtStateNew);
    EXPECT_EQ(k.ct.zone, 9);
    EXPECT_EQ(k.ct.mark, 3u);
    EXPECT_EQ(k.ct.labels[0], 9);
    EXPECT_EQ(k.ct.orig_proto, 17);
    EXPECT_EQ(k.ct.orig.ipv4.src, htonl(1));
}

} // namespace

// An upcall reserves flow_key_attr_size_without_tunnel() for a key without a
// tunnel (datapath/packet_path.h, dp_upcall): the largest such key
// (two VLAN tags, IPv6 with an ND target and both link-layer addresses, every
// metadata field set, conntrack fields with an IPv6 original tuple) must fit.
TEST(KeyNetlink, LargestKeyWithoutTunnelFitsTheUpcallRoom)
{
    FlowKey k {};
    k.recirc_id = 1;
    k.dp_hash = 2;
    k.priority = 3;
    k.in_port = 4;
    k.skb_mark = 5;
    k.mac_proto = kMacProtoEthernet;
    k.eth.vlan = { htons(0x88a8), htons(0x1001) };
    k.eth.cvlan = { htons(0x8100), htons(0x1002) };
    k.eth.type = htons(0x86dd);
    k.ip.proto = 58;
    k.ip.ttl = 64;
    k.ipv6.src[0] = 0xfe;
    k.ipv6.exthdrs = 1;
    k.tp.src = htons(135); // neighbour solicitation: ND attribute
    k.ipv6.nd.target[0] = 0xfe;
    k.ipv6.nd.sll[0] = 2;
    k.ipv6.nd.tll[0] = 4;
    k.ct.state = 0x21; // +new+trk; the ct attributes are always written
    k.ct.orig_proto = 58; // and the original tuple with it (IPv6: the largest)
    k.ct.orig.ipv6.src[0] = 0xfe;
    ASSERT_EQ(k.tun_key.ip_family, 0);
    usize room = flow_key_attr_size_without_tunnel();
    std::vector<u8> buf(room);
    NlWriter w(buf.data(), buf.size());
    ASSERT_TRUE(flow_key_to_nlattrs(k, k, false, w)) << "the key needs more than " << room << " bytes";
    EXPECT_FALSE(w.overflowed());
    EXPECT_LE(w.size(), room);
}
