// SPDX-License-Identifier: GPL-2.0
// The malformed-input table: keys, masks and actions that must be refused,
// each with the errno and the extack message it is refused with.
#include "fnl_test_util.h"
#include "platform/user/conntrack_user.h"

using namespace ovsdp;
using namespace ovsdp::test;

namespace {

// A valid L2 IPv4/TCP key's attributes, to be spoiled one way or another.
Nl base_meta() { return Nl().u32_(OVS_KEY_ATTR_IN_PORT, 1).val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2)); }
Nl tcp_key_attrs()
{
    return base_meta().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800).val(OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 6)).val(
        OVS_KEY_ATTR_TCP, ports(1, 2)).be16_(OVS_KEY_ATTR_TCP_FLAGS, 0);
}
Nl with_tunnel(const Nl& tun) { return Nl().nested(OVS_KEY_ATTR_TUNNEL, tun).append(tcp_key_attrs()); }
Nl good_tunnel() { return Nl().be32_(OVS_TUNNEL_KEY_ATTR_IPV4_DST, 0x0a000001).u8_(OVS_TUNNEL_KEY_ATTR_TTL, 64); }
Nl raw_attr(u16 len, u16 type, Buf payload = {})
{
    Buf b(4);
    std::memcpy(&b[0], &len, 2);
    std::memcpy(&b[2], &type, 2);
    b.insert(b.end(), payload.begin(), payload.end());
    return Nl().raw(b);
}

struct KeyCase {
    const char* name;
    Nl key;
    const Nl* mask; // null: no mask attribute
    int err;
    const char* msg; // null: any message
};

std::vector<KeyCase> key_cases()
{
    static Nl vlan_mask_tpid, vlan_mask_cfi, encap_mask, mask_ipv4_no_type, mask_tcp_proto, mask_mark, mask_nd,
        mask_geneve, mask_dup, mask_tunnel_mixed, mask_trailing, mask_big_type, mask_erspan, mask_exthdrs, mask_ct_state,
        mask_ct_tuple;
    Nl vlan_inner;
    vlan_inner.be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800).val(OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 17)).val(OVS_KEY_ATTR_UDP, ports(1, 2));
    Nl vlan_key = base_meta().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x8100).be16_(OVS_KEY_ATTR_VLAN, 0x1005).nested(OVS_KEY_ATTR_ENCAP, vlan_inner);

    vlan_mask_tpid = Nl().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0fff).be16_(OVS_KEY_ATTR_VLAN, 0xffff).nested(OVS_KEY_ATTR_ENCAP,
        Nl().be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff));
    vlan_mask_cfi = Nl().be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff).be16_(OVS_KEY_ATTR_VLAN, 0x0fff).nested(OVS_KEY_ATTR_ENCAP,
        Nl().be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff));
    encap_mask = Nl().nested(OVS_KEY_ATTR_ENCAP, Nl().be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff));
    mask_ipv4_no_type = Nl().val(OVS_KEY_ATTR_IPV4, all_ones<OvsKeyIpv4>());
    OvsKeyIpv4 proto_fe = all_zero<OvsKeyIpv4>();
    proto_fe.ipv4_proto = 0xfe;
    mask_tcp_proto = Nl().be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff).val(OVS_KEY_ATTR_IPV4, proto_fe).val(OVS_KEY_ATTR_TCP, ports(0, 0xffff));
    mask_mark = Nl().u32_(OVS_KEY_ATTR_SKB_MARK, 1);
    mask_nd = Nl().be16_(OVS_KEY_ATTR_ETHERTYPE, 0xffff).val(OVS_KEY_ATTR_IPV6, all_ones<OvsKeyIpv6>())
        .val(OVS_KEY_ATTR_ICMPV6, OvsKeyIcmp { 0xf0, 0xff }).val(OVS_KEY_ATTR_ND, all_ones<OvsKeyNd>());
    mask_geneve = Nl().nested(OVS_KEY_ATTR_TUNNEL, Nl().put(OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS, Buf(4, 0xff)));
    mask_erspan = Nl().nested(OVS_KEY_ATTR_TUNNEL, Nl().put(OVS_TUNNEL_KEY_ATTR_ERSPAN_OPTS, Buf(8, 0xff)));
    mask_dup = Nl().u32_(OVS_KEY_ATTR_PRIORITY, 1).u32_(OVS_KEY_ATTR_PRIORITY, 1);
    u8 a6[16] = { 0xff };
    mask_tunnel_mixed = Nl().nested(OVS_KEY_ATTR_TUNNEL,
        Nl().be32_(OVS_TUNNEL_KEY_ATTR_IPV4_DST, 0xffffffff).put(OVS_TUNNEL_KEY_ATTR_IPV6_DST, a6, 16));
    mask_trailing = Nl().u32_(OVS_KEY_ATTR_PRIORITY, 1).raw(Buf { 1, 2 });
    mask_big_type = Nl().u32_(200, 1);
    mask_exthdrs = Nl().u16_(OVS_KEY_ATTR_IPV6_EXTHDRS, 0x40);
    mask_ct_state = Nl().u32_(OVS_KEY_ATTR_CT_STATE, 0x1ff);
    OvsKeyCtTupleIpv4 tuple_ones = all_zero<OvsKeyCtTupleIpv4>();
    tuple_ones.ipv4_proto = 0xff;
    mask_ct_tuple = Nl().u32_(OVS_KEY_ATTR_IN_PORT, 0xffffffff).val(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4, tuple_ones);

    Nl nd_key = base_meta().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x86dd).val(OVS_KEY_ATTR_IPV6, ipv6_key(1, 2, 58))
        .val(OVS_KEY_ATTR_ICMPV6, OvsKeyIcmp { 135, 0 }).val(OVS_KEY_ATTR_ND, all_zero<OvsKeyNd>());
    Nl geneve8 = good_tunnel().put(OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS, Buf(8, 1));
    Nl erspan12 = good_tunnel().put(OVS_TUNNEL_KEY_ATTR_ERSPAN_OPTS, Buf(12, 1));

    const int E = err::INVAL;
    return {
        // Attribute stream shape.
        { "type above max", tcp_key_attrs().u32_(kKeyAttrMax + 1, 0), nullptr, E, "Key attribute type above OVS_KEY_ATTR_MAX" },
        { "type 0xffff & ~flags", tcp_key_attrs().u32_(0x3fff, 0), nullptr, E, "Key attribute type above OVS_KEY_ATTR_MAX" },
        { "packet_type from userspace", tcp_key_attrs().be32_(OVS_KEY_ATTR_PACKET_TYPE, 0), nullptr, E,
            "Key attribute type is not accepted from userspace" },
        { "nd_extensions from userspace", tcp_key_attrs().u32_(OVS_KEY_ATTR_ND_EXTENSIONS, 0), nullptr, E,
            "Key attribute type is not accepted from userspace" },
        { "tunnel_info from userspace", tcp_key_attrs().put(OVS_KEY_ATTR_TUNNEL_INFO, Buf(8, 0)), nullptr, E,
            "Key attribute type is not accepted from userspace" },
        { "duplicate priority", tcp_key_attrs().u32_(OVS_KEY_ATTR_PRIORITY, 1).u32_(OVS_KEY_ATTR_PRIORITY, 2), nullptr, E,
            "Duplicate key attribute" },
        { "duplicate ethernet in encap", base_meta().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x8100).be16_(OVS_KEY_ATTR_VLAN, 0x1001)
              .nested(OVS_KEY_ATTR_ENCAP, Nl().val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2))), nullptr, E, "Duplicate key attribute" },
        { "priority 2 bytes", tcp_key_attrs().u16_(OVS_KEY_ATTR_PRIORITY, 1), nullptr, E, "Key attribute has wrong length" },
        { "ethernet 11 bytes", Nl().put(OVS_KEY_ATTR_ETHERNET, Buf(11, 0)), nullptr, E, "Key attribute has wrong length" },
        { "ipv4 16 bytes", base_meta().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800).put(OVS_KEY_ATTR_IPV4, Buf(16, 0)), nullptr, E,
            "Key attribute has wrong length" },
        { "ipv6 exthdrs wrong length", tcp_key_attrs().put(OVS_KEY_ATTR_IPV6_EXTHDRS, Buf(4, 0)), nullptr, E,
            "Key attribute has wrong length" },
        { "trailing 2 bytes", tcp_key_attrs().raw(Buf { 0, 0 }), nullptr, E, "Key attributes have trailing bytes" },
        { "attribute longer than the stream", tcp_key_attrs().append(raw_attr(64, OVS_KEY_ATTR_PRIORITY, { 1, 2, 3, 4 })), nullptr,
            E, "Key attributes have trailing bytes" },
        { "attribute length below header", tcp_key_attrs().append(raw_attr(2, OVS_KEY_ATTR_PRIORITY)), nullptr, E,
            "Key attributes have trailing bytes" },
        { "unpadded last attribute", tcp_key_attrs().append(raw_attr(5, OVS_KEY_ATTR_ENCAP, { 0 })), nullptr, E,
            "Key attributes have trailing bytes" },
        // Values.
        { "neither ethernet nor ethertype", Nl().u32_(OVS_KEY_ATTR_IN_PORT, 1), nullptr, E,
            "Key has neither an Ethernet nor an Ethertype attribute" },
        { "ethertype below 0x600", base_meta().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x05ff), nullptr, E,
            "Ethertype below 0x0600 (ETH_P_802_3_MIN)" },
        { "L3 ethertype below 0x600", Nl().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0004), nullptr, E,
            "Ethertype below 0x0600 (ETH_P_802_3_MIN)" },
        { "in_port 65535", Nl().u32_(OVS_KEY_ATTR_IN_PORT, 65535).val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2)), nullptr, E,
            "Input port number out of range" },
        { "ipv4 frag 3", base_meta().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800).val(OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 0, 0, 1, 3)),
            nullptr, E, "IPv4 fragment type out of range" },
        { "ipv6 frag 3", base_meta().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x86dd).val(OVS_KEY_ATTR_IPV6, ipv6_key(1, 2, 0, 0, 0, 1, 3)),
            nullptr, E, "IPv6 fragment type out of range" },
        { "ipv6 label 21 bits", base_meta().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x86dd).val(OVS_KEY_ATTR_IPV6, ipv6_key(1, 2, 0, 0x100000)),
            nullptr, E, "IPv6 flow label above 20 bits" },
        { "arp opcode 256", base_meta().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0806).val(OVS_KEY_ATTR_ARP,
              [] { auto a = all_zero<OvsKeyArp>(); a.arp_op = htons(256); return a; }()), nullptr, E, "ARP opcode above 255" },
        { "mpls empty", base_meta().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x8847).put(OVS_KEY_ATTR_MPLS, Buf {}), nullptr, E,
            "MPLS key must hold 1 to 3 label stack entries" },
        { "mpls 4 labels", base_meta().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x8847).put(OVS_KEY_ATTR_MPLS, Buf(16, 0)), nullptr, E,
            "MPLS key must hold 1 to 3 label stack entries" },
        { "mpls 6 bytes", base_meta().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x8847).put(OVS_KEY_ATTR_MPLS, Buf(6, 0)), nullptr, E,
            "MPLS key must hold 1 to 3 label stack entries" },
        { "tcp flags bit 12", base_meta().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800).val(OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 6))
              .val(OVS_KEY_ATTR_TCP, ports(1, 2)).be16_(OVS_KEY_ATTR_TCP_FLAGS, 0x1002), nullptr, E,
            "TCP flags key has bits above the 12 flag bits" },
        // VLAN.
        { "vlan ethertype without vlan", base_meta().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x8100).nested(OVS_KEY_ATTR_ENCAP, vlan_inner),
            nullptr, E, "VLAN frame key lacks a VLAN or an ENCAP attribute" },
        { "vlan without encap", base_meta().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x88a8).be16_(OVS_KEY_ATTR_VLAN, 0x1001), nullptr, E,
            "VLAN frame key lacks a VLAN or an ENCAP attribute" },
        { "c-vlan without vlan", base_meta().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x88a8).be16_(OVS_KEY_ATTR_VLAN, 0x1001)
              .nested(OVS_KEY_ATTR_ENCAP, Nl().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x8100)), nullptr, E,
            "C-VLAN frame key lacks a VLAN or an ENCAP attribute" },
        { "vlan tci without cfi", base_meta().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x8100).be16_(OVS_KEY_ATTR_VLAN, 0x0005)
              .nested(OVS_KEY_ATTR_ENCAP, vlan_inner), nullptr, E, "VLAN TCI lacks the CFI (tag present) bit" },
        { "truncated vlan with encap", base_meta().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x8100).be16_(OVS_KEY_ATTR_VLAN, 0)
              .nested(OVS_KEY_ATTR_ENCAP, vlan_inner), nullptr, E, "Truncated VLAN header has a non-empty ENCAP attribute" },
        { "vlan attribute on ipv4", tcp_key_attrs().be16_(OVS_KEY_ATTR_VLAN, 0x1001), nullptr, E,
            "VLAN attribute without a VLAN ethertype" },
        { "encap on ipv4", tcp_key_attrs().nested(OVS_KEY_ATTR_ENCAP, Nl()), nullptr, E, "Unknown or unsupported key attribute" },
        // Prerequisites.
        { "ipv4 without ipv4", base_meta().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800), nullptr, E,
            "Key lacks an attribute its ethertype or IP protocol requires" },
        { "tcp without tcp", base_meta().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800).val(OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 6)), nullptr, E,
            "Key lacks an attribute its ethertype or IP protocol requires" },
        { "tcp without tcp_flags", base_meta().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800).val(OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 6))
              .val(OVS_KEY_ATTR_TCP, ports(1, 2)), nullptr, E, "Key lacks an attribute its ethertype or IP protocol requires" },
        { "ns without nd", base_meta().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x86dd).val(OVS_KEY_ATTR_IPV6, ipv6_key(1, 2, 58))
              .val(OVS_KEY_ATTR_ICMPV6, OvsKeyIcmp { 136, 0 }), nullptr, E,
            "Key lacks an attribute its ethertype or IP protocol requires" },
        { "mpls without mpls", base_meta().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x8848), nullptr, E,
            "Key lacks an attribute its ethertype or IP protocol requires" },
        { "arp without arp", base_meta().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x8035), nullptr, E,
            "Key lacks an attribute its ethertype or IP protocol requires" },
        { "udp attribute on a tcp key", tcp_key_attrs().val(OVS_KEY_ATTR_UDP, ports(1, 2)), nullptr, E,
            "Mask has an attribute the key does not match exactly enough to carry" },
        // Conntrack fields.
        { "ct_state bit above the 8 flags", tcp_key_attrs().u32_(OVS_KEY_ATTR_CT_STATE, 0x121), nullptr, E,
            "Conntrack state has bits outside the 8 supported flags" },
        { "ct_state 2 bytes", tcp_key_attrs().u16_(OVS_KEY_ATTR_CT_STATE, 0x21), nullptr, E, "Key attribute has wrong length" },
        { "ct_zone 4 bytes", tcp_key_attrs().u32_(OVS_KEY_ATTR_CT_ZONE, 1), nullptr, E, "Key attribute has wrong length" },
        { "ct_mark 2 bytes", tcp_key_attrs().u16_(OVS_KEY_ATTR_CT_MARK, 1), nullptr, E, "Key attribute has wrong length" },
        { "ct_labels 15 bytes", tcp_key_attrs().put(OVS_KEY_ATTR_CT_LABELS, Buf(15, 0)), nullptr, E,
            "Key attribute has wrong length" },
        { "ct_orig_tuple_ipv4 short", tcp_key_attrs().put(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4, Buf(12, 0)), nullptr, E,
            "Key attribute has wrong length" },
        { "ct_orig_tuple_ipv6 on an ipv4 key",
            tcp_key_attrs().val(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6, all_zero<OvsKeyCtTupleIpv6>()), nullptr, E,
            "Conntrack original tuple of another family than the key's ethertype" },
        { "ct_orig_tuple_ipv4 on an arp key",
            base_meta().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0806).val(OVS_KEY_ATTR_ARP, all_zero<OvsKeyArp>())
                .val(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4, all_zero<OvsKeyCtTupleIpv4>()), nullptr, E,
            "Conntrack original tuple of another family than the key's ethertype" },
        { "duplicate ct_zone", tcp_key_attrs().u16_(OVS_KEY_ATTR_CT_ZONE, 1).u16_(OVS_KEY_ATTR_CT_ZONE, 2), nullptr, E,
            "Duplicate key attribute" },
        { "ct_state mask bit above the 8 flags", tcp_key_attrs().u32_(OVS_KEY_ATTR_CT_STATE, 0x21), &mask_ct_state, E,
            "Conntrack state has bits outside the 8 supported flags" },
        { "ct_orig_tuple mask without exact ethertype", tcp_key_attrs().val(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4, all_zero<OvsKeyCtTupleIpv4>()),
            &mask_ct_tuple, E, "Mask has an attribute the key does not match exactly enough to carry" },
        { "nsh", base_meta().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x894f).nested(OVS_KEY_ATTR_NSH, Nl()), nullptr, E,
            "Unknown or unsupported key attribute" },
        { "unspec", tcp_key_attrs().flag(OVS_KEY_ATTR_UNSPEC), nullptr, E, "Unknown or unsupported key attribute" },
        // Tunnels.
        { "tunnel type above max", with_tunnel(good_tunnel().u32_(kTunnelKeyAttrMax + 1, 0)), nullptr, E,
            "Tunnel key attribute type above OVS_TUNNEL_KEY_ATTR_MAX" },
        { "tunnel ttl 2 bytes", with_tunnel(Nl().be32_(OVS_TUNNEL_KEY_ATTR_IPV4_DST, 1).u16_(OVS_TUNNEL_KEY_ATTR_TTL, 1)), nullptr, E,
            "Tunnel key attribute has wrong length" },
        { "tunnel flag with payload", with_tunnel(good_tunnel().u8_(OVS_TUNNEL_KEY_ATTR_CSUM, 1)), nullptr, E,
            "Tunnel key attribute has wrong length" },
        { "tunnel without address", with_tunnel(Nl().u8_(OVS_TUNNEL_KEY_ATTR_TTL, 64)), nullptr, E,
            "Tunnel key has no destination address" },
        { "tunnel without ttl", with_tunnel(Nl().be32_(OVS_TUNNEL_KEY_ATTR_IPV4_DST, 1)), nullptr, E, "Tunnel key has no TTL" },
        { "tunnel ipv4 dst zero", with_tunnel(Nl().be32_(OVS_TUNNEL_KEY_ATTR_IPV4_SRC, 1).u8_(OVS_TUNNEL_KEY_ATTR_TTL, 1)), nullptr, E,
            "Tunnel IPv4 destination address is zero" },
        { "tunnel ipv6 dst zero", with_tunnel(Nl().put(OVS_TUNNEL_KEY_ATTR_IPV6_DST, Buf(16, 0)).u8_(OVS_TUNNEL_KEY_ATTR_TTL, 1)),
            nullptr, E, "Tunnel IPv6 destination address is zero" },
        { "tunnel mixed families", with_tunnel(good_tunnel().put(OVS_TUNNEL_KEY_ATTR_IPV6_SRC, Buf(16, 1))), nullptr, E,
            "Tunnel key mixes IPv4 and IPv6 attributes" },
        { "tunnel bridge mode with ttl", with_tunnel(Nl().flag(OVS_TUNNEL_KEY_ATTR_IPV4_INFO_BRIDGE).u8_(OVS_TUNNEL_KEY_ATTR_TTL, 1)),
            nullptr, E, "Tunnel key in bridge mode may only carry a tunnel ID" },
        { "geneve 6 bytes", with_tunnel(good_tunnel().put(OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS, Buf(6, 0))), nullptr, E,
            "Geneve options length is not a multiple of 4" },
        { "geneve 256 bytes", with_tunnel(good_tunnel().put(OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS, Buf(256, 0))), nullptr, E,
            "Geneve options longer than 255 bytes" },
        { "erspan 256 bytes", with_tunnel(good_tunnel().put(OVS_TUNNEL_KEY_ATTR_ERSPAN_OPTS, Buf(256, 0))), nullptr, E,
            "ERSPAN options longer than 255 bytes" },
        { "two option blocks", with_tunnel(good_tunnel().put(OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS, Buf(4, 0))
              .nested(OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS, Nl())), nullptr, E, "Tunnel key has more than one option block" },
        { "vxlan extension above max", with_tunnel(good_tunnel().nested(OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS, Nl().u32_(2, 0))), nullptr, E,
            "VXLAN extension type above OVS_VXLAN_EXT_MAX" },
        { "vxlan gbp 2 bytes", with_tunnel(good_tunnel().nested(OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS, Nl().u16_(OVS_VXLAN_EXT_GBP, 0))),
            nullptr, E, "VXLAN extension attribute has wrong length" },
        { "vxlan unspec extension", with_tunnel(good_tunnel().nested(OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS, Nl().flag(0))), nullptr, E,
            "Unknown VXLAN extension attribute" },
        { "vxlan trailing bytes", with_tunnel(good_tunnel().nested(OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS, Nl().raw(Buf { 9, 9 })).u8_(
              OVS_TUNNEL_KEY_ATTR_TOS, 0)), nullptr, E, "VXLAN extension attributes have trailing bytes" },
        { "tunnel trailing bytes", with_tunnel(good_tunnel().append(raw_attr(2, 0))), nullptr, E,
            "Tunnel key attributes have trailing bytes" },
        // Masks.
        { "mask type above max", tcp_key_attrs(), &mask_big_type, E, "Key attribute type above OVS_KEY_ATTR_MAX" },
        { "mask duplicate", tcp_key_attrs(), &mask_dup, E, "Duplicate key attribute" },
        { "mask trailing bytes", tcp_key_attrs(), &mask_trailing, E, "Key attributes have trailing bytes" },
        { "mask ipv4 without exact ethertype", tcp_key_attrs(), &mask_ipv4_no_type, E,
            "Mask has an attribute the key does not match exactly enough to carry" },
        { "mask tcp without exact protocol", tcp_key_attrs(), &mask_tcp_proto, E,
            "Mask has an attribute the key does not match exactly enough to carry" },
        { "mask skb_mark the key lacks", tcp_key_attrs(), &mask_mark, E,
            "Mask has an attribute the key does not match exactly enough to carry" },
        { "mask nd without exact icmp type", nd_key, &mask_nd, E,
            "Mask has an attribute the key does not match exactly enough to carry" },
        { "mask geneve length differs", with_tunnel(geneve8), &mask_geneve, E, "Geneve options mask length differs from the key's" },
        { "mask erspan length differs", with_tunnel(erspan12), &mask_erspan, E, "ERSPAN options mask length differs from the key's" },
        { "mask tunnel mixed families", with_tunnel(good_tunnel()), &mask_tunnel_mixed, E,
            "Tunnel key mixes IPv4 and IPv6 attributes" },
        { "mask encap for untagged key", tcp_key_attrs(), &encap_mask, E, "ENCAP mask given for a key without VLAN tag" },
        // IPV6_EXTHDRS may be masked only when the key gives it (upstream's
        // match_validate starts from the key's attributes).
        { "mask ipv6_exthdrs without key attribute", nd_key, &mask_exthdrs, E,
            "Mask has an attribute the key does not match exactly enough to carry" },
        { "mask vlan tpid not exact", vlan_key, &vlan_mask_tpid, E, "VLAN TPID mask must be exact" },
        { "mask vlan tci without cfi", vlan_key, &vlan_mask_cfi, E, "VLAN TCI mask must match the CFI (tag present) bit" },
    };
}

TEST(Malformed, Keys)
{
    auto cases = key_cases();
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto p = parse(c.key, c.mask);
        ASSERT_FALSE(p->ok()) << c.name;
        EXPECT_EQ(p->err(), c.err);
        ASSERT_NE(p->msg(), nullptr);
        if (c.msg) {
            EXPECT_STREQ(p->msg(), c.msg);
        }
    }
}

struct ActCase {
    const char* name;
    FlowKey key;
    Nl acts;
    int err;
    const char* msg;
};

FlowKey key_from(const Nl& k)
{
    auto p = parse(k, nullptr);
    EXPECT_TRUE(p->ok()) << p->msg();
    return p->masked;
}

Nl set(const Nl& key_attr) { return Nl().nested(OVS_ACTION_ATTR_SET, key_attr); }
Nl set_masked(u16 type, const void* v, const void* m, size_t n)
{
    Buf b(static_cast<const u8*>(v), static_cast<const u8*>(v) + n);
    b.insert(b.end(), static_cast<const u8*>(m), static_cast<const u8*>(m) + n);
    return Nl().nested(OVS_ACTION_ATTR_SET_MASKED, Nl().put(type, b));
}
Nl sample(u32 prob, const Nl& acts)
{
    return Nl().begin(OVS_ACTION_ATTR_SAMPLE).u32_(OVS_SAMPLE_ATTR_PROBABILITY, prob).nested(OVS_SAMPLE_ATTR_ACTIONS, acts).end();
}
Nl cpl(const Nl* pkt_len, const Nl* le, const Nl* gt)
{
    Nl n;
    n.begin(OVS_ACTION_ATTR_CHECK_PKT_LEN);
    if (pkt_len)
        n.append(*pkt_len);
    if (le)
        n.nested(OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL, *le);
    if (gt)
        n.nested(OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER, *gt);
    return n.end();
}
Nl userspace(const Nl& attrs) { return Nl().nested(OVS_ACTION_ATTR_USERSPACE, attrs); }
Nl deep_clones(int depth)
{
    Nl n = Nl().u32_(OVS_ACTION_ATTR_OUTPUT, 1);
    for (int i = 0; i < depth; i++)
        n = Nl().nested(OVS_ACTION_ATTR_CLONE, n);
    return n;
}

Nl ct(const Nl& attrs) { return Nl().nested(OVS_ACTION_ATTR_CT, attrs); }
OvsCtLabels labels(u8 value, u8 mask)
{
    OvsCtLabels l;
    std::memset(l.value, value, sizeof(l.value));
    std::memset(l.mask, mask, sizeof(l.mask));
    return l;
}

std::vector<ActCase> action_cases()
{
    FlowKey tcp4 = key_from(tcp_key_attrs());
    FlowKey udp6 = key_from(base_meta().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x86dd).val(OVS_KEY_ATTR_IPV6, ipv6_key(1, 2, 17))
                                .val(OVS_KEY_ATTR_UDP, ports(1, 2)));
    FlowKey l3 = key_from(Nl().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800).val(OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 17))
                              .val(OVS_KEY_ATTR_UDP, ports(1, 2)));
    FlowKey vlan = key_from(base_meta().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x8100).be16_(OVS_KEY_ATTR_VLAN, 0x1005)
                                .nested(OVS_KEY_ATTR_ENCAP, Nl().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0806).val(OVS_KEY_ATTR_ARP,
                                    all_zero<OvsKeyArp>())));
    OvsActionPushMpls pm;
    std::memset(&pm, 0, sizeof(pm));
    pm.mpls_ethertype = htons(0x8847);
    OvsActionPushMpls pm_ip = pm;
    pm_ip.mpls_ethertype = htons(0x0800);
    OvsKeyIpv4 ipv = all_zero<OvsKeyIpv4>(), ipm = all_zero<OvsKeyIpv4>();
    ipm.ipv4_proto = 0xff;
    OvsKeyIpv4 ttl_v = all_zero<OvsKeyIpv4>(), ttl_m = all_zero<OvsKeyIpv4>();
    ttl_v.ipv4_ttl = 0x81;
    ttl_m.ipv4_ttl = 0x7f; // value bit outside the mask
    OvsKeyIpv6 lbl_v = all_zero<OvsKeyIpv6>(), lbl_m = all_zero<OvsKeyIpv6>();
    lbl_m.ipv6_label = htonl(0x00100000);
    u32 mark = 1, mark_m = 1;
    Nl len2 = Nl().u16_(OVS_CHECK_PKT_LEN_ATTR_PKT_LEN, 100);
    Nl len0 = Nl().u16_(OVS_CHECK_PKT_LEN_ATTR_PKT_LEN, 0);
    Nl len1 = Nl().u8_(OVS_CHECK_PKT_LEN_ATTR_PKT_LEN, 100);
    Nl out1 = Nl().u32_(OVS_ACTION_ATTR_OUTPUT, 1);
    Nl set_in_port = set(Nl().u32_(OVS_KEY_ATTR_IN_PORT, 1));
    Nl big;
    for (u32 i = 0; i <= kMaxActionsBufsize / 8; i++)
        big.u32_(OVS_ACTION_ATTR_OUTPUT, 1);
    Nl bad_geneve = Nl().be32_(OVS_TUNNEL_KEY_ATTR_IPV4_DST, 1).u8_(OVS_TUNNEL_KEY_ATTR_TTL, 1).put(
        OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS, Buf { 0, 1, 2, 2, 0, 0, 0, 0 }); // option says 8 bytes of data, has 4

    const int E = err::INVAL;
    return {
        { "type above max", tcp4, Nl().u32_(kActionAttrMax + 1, 0), E, "Action type above OVS_ACTION_ATTR_MAX" },
        { "internal set_to_masked from userspace", tcp4, Nl().nested(kActionAttrSetToMasked, Nl().u32_(OVS_KEY_ATTR_PRIORITY, 1)), E,
            "Action type above OVS_ACTION_ATTR_MAX" },
        { "unspec", tcp4, Nl().flag(OVS_ACTION_ATTR_UNSPEC), E, "Action type 0 (unspecified)" },
        { "output 2 bytes", tcp4, Nl().u16_(OVS_ACTION_ATTR_OUTPUT, 1), E, "Action has wrong length" },
        { "pop_vlan with payload", vlan, Nl().u32_(OVS_ACTION_ATTR_POP_VLAN, 0), E, "Action has wrong length" },
        { "push_mpls 6 bytes", tcp4, Nl().put(OVS_ACTION_ATTR_PUSH_MPLS, Buf(6, 0)), E, "Action has wrong length" },
        { "output port 65535", tcp4, Nl().u32_(OVS_ACTION_ATTR_OUTPUT, 65535), E, "Output port number out of range" },
        { "trunc below ethernet header", tcp4, Nl().u32_(OVS_ACTION_ATTR_TRUNC, 13), E,
            "Truncate action length below an Ethernet header" },
        { "hash alg 1", tcp4, Nl().val(OVS_ACTION_ATTR_HASH, OvsActionHash { 1, 0 }), E, "Hash action algorithm not supported" },
        { "pop_vlan on L3", l3, Nl().flag(OVS_ACTION_ATTR_POP_VLAN), E, "Pop VLAN action on a packet without Ethernet header" },
        { "push_vlan on L3", l3, Nl().val(OVS_ACTION_ATTR_PUSH_VLAN, OvsActionPushVlan { htons(0x8100), htons(0x1001) }), E,
            "Push VLAN action on a packet without Ethernet header" },
        { "push_vlan tpid 0x0800", tcp4, Nl().val(OVS_ACTION_ATTR_PUSH_VLAN, OvsActionPushVlan { htons(0x0800), htons(0x1001) }),
            E, "Push VLAN action TPID is not 802.1Q or 802.1ad" },
        { "push_vlan tci without cfi", tcp4, Nl().val(OVS_ACTION_ATTR_PUSH_VLAN, OvsActionPushVlan { htons(0x8100), htons(1) }), E,
            "Push VLAN action TCI lacks the CFI (tag present) bit" },
        { "push_mpls ethertype ip", tcp4, Nl().val(OVS_ACTION_ATTR_PUSH_MPLS, pm_ip), E, "Push MPLS action ethertype is not MPLS" },
        { "push_mpls on vlan", vlan, Nl().val(OVS_ACTION_ATTR_PUSH_MPLS, pm), E,
            "Push MPLS action on a packet with a VLAN tag or an unknown ethertype" },
        { "push_mpls on ipv6 after push_vlan", udp6, Nl().val(OVS_ACTION_ATTR_PUSH_VLAN, OvsActionPushVlan { htons(0x8100), htons(0x1001) })
              .val(OVS_ACTION_ATTR_PUSH_MPLS, pm), E, "Push MPLS action on a packet with a VLAN tag or an unknown ethertype" },
        { "add_mpls ethertype ip", tcp4, Nl().val(OVS_ACTION_ATTR_ADD_MPLS, OvsActionAddMpls { 0, htons(0x0800), 0 }), E,
            "Add MPLS action ethertype is not MPLS" },
        { "add_mpls l3 on vlan", vlan, Nl().val(OVS_ACTION_ATTR_ADD_MPLS, OvsActionAddMpls { 0, htons(0x8847), 1 }), E,
            "Add MPLS action at L3 on a packet with a VLAN tag or an unknown ethertype" },
        { "pop_mpls on ipv4", tcp4, Nl().be16_(OVS_ACTION_ATTR_POP_MPLS, 0x0800), E,
            "Pop MPLS action on a packet that is not MPLS or has a VLAN tag" },
        { "push_eth on ethernet", tcp4, Nl().val(OVS_ACTION_ATTR_PUSH_ETH, OvsActionPushEth { eth_key(1, 2) }), E,
            "Push Ethernet action on a packet that has an Ethernet header" },
        { "pop_eth on L3", l3, Nl().flag(OVS_ACTION_ATTR_POP_ETH), E, "Pop Ethernet action on a packet without Ethernet header" },
        { "pop_eth with vlan", vlan, Nl().flag(OVS_ACTION_ATTR_POP_ETH), E, "Pop Ethernet action on a packet with a VLAN tag" },
        // Userspace.
        { "userspace without pid", tcp4, userspace(Nl().put(OVS_USERSPACE_ATTR_USERDATA, Buf(4, 1))), E,
            "Userspace action needs a nonzero netlink PID" },
        { "userspace pid 0", tcp4, userspace(Nl().u32_(OVS_USERSPACE_ATTR_PID, 0)), E,
            "Userspace action needs a nonzero netlink PID" },
        { "userspace pid 2 bytes", tcp4, userspace(Nl().u16_(OVS_USERSPACE_ATTR_PID, 5)), err::RANGE,
            "Userspace action attribute shorter than a u32" },
        { "userspace egress port 1 byte", tcp4, userspace(Nl().u32_(OVS_USERSPACE_ATTR_PID, 5).u8_(OVS_USERSPACE_ATTR_EGRESS_TUN_PORT, 1)),
            err::RANGE, "Userspace action attribute shorter than a u32" },
        // Set.
        { "set with no key", tcp4, Nl().flag(OVS_ACTION_ATTR_SET), E, "Set action must hold exactly one key attribute" },
        { "set with two keys", tcp4, set(Nl().u32_(OVS_KEY_ATTR_PRIORITY, 1).u32_(OVS_KEY_ATTR_SKB_MARK, 1)), E,
            "Set action must hold exactly one key attribute" },
        { "set key length below header", tcp4, Nl().nested(OVS_ACTION_ATTR_SET, raw_attr(2, OVS_KEY_ATTR_PRIORITY, { 0, 0 })), E,
            "Set action must hold exactly one key attribute" },
        { "set key type above max", tcp4, set(Nl().u32_(kKeyAttrMax + 1, 0)), E, "Set action key type above OVS_KEY_ATTR_MAX" },
        { "set priority 2 bytes", tcp4, set(Nl().u16_(OVS_KEY_ATTR_PRIORITY, 1)), E, "Set action key attribute has wrong length" },
        { "set_masked priority 6 bytes", tcp4, Nl().nested(OVS_ACTION_ATTR_SET_MASKED, Nl().put(OVS_KEY_ATTR_PRIORITY, Buf(6, 0))), E,
            "Set action key attribute has wrong length" },
        { "set in_port", tcp4, set(Nl().u32_(OVS_KEY_ATTR_IN_PORT, 1)), E, "Set action for a field that cannot be set" },
        { "set ethertype", tcp4, set(Nl().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x86dd)), E, "Set action for a field that cannot be set" },
        { "set tunnel_info", tcp4, set(Nl().put(OVS_KEY_ATTR_TUNNEL_INFO, Buf {})), E, "Set action for a field that cannot be set" },
        { "set ipv4 on ipv6", udp6, set(Nl().val(OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 17))), E,
            "Set IPv4 action on a flow that is not IPv4" },
        { "set ipv4 changes proto", tcp4, set(Nl().val(OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 17))), E,
            "Set IPv4 action may not change the protocol or fragment type" },
        { "set ipv4 changes frag", tcp4, set(Nl().val(OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 6, 0, 64, 1))), E,
            "Set IPv4 action may not change the protocol or fragment type" },
        { "set_masked ipv4 proto", tcp4, set_masked(OVS_KEY_ATTR_IPV4, &ipv, &ipm, sizeof(ipv)), E,
            "Set IPv4 action may not change the protocol or fragment type" },
        { "set_masked value outside mask", tcp4, set_masked(OVS_KEY_ATTR_IPV4, &ttl_v, &ttl_m, sizeof(ttl_v)), E,
            "Masked set action has value bits outside its mask" },
        { "set ipv6 on ipv4", tcp4, set(Nl().val(OVS_KEY_ATTR_IPV6, ipv6_key(1, 2, 6))), E,
            "Set IPv6 action on a flow that is not IPv6" },
        { "set ipv6 label 21 bits", udp6, set(Nl().val(OVS_KEY_ATTR_IPV6, ipv6_key(1, 2, 17, 0x100000))), E,
            "Set IPv6 action flow label above 20 bits" },
        { "set_masked ipv6 label mask 21 bits", udp6, set_masked(OVS_KEY_ATTR_IPV6, &lbl_v, &lbl_m, sizeof(lbl_v)), E,
            "Set IPv6 action flow label mask above 20 bits" },
        { "set tcp on udp", udp6, set(Nl().val(OVS_KEY_ATTR_TCP, ports(1, 2))), E,
            "Set transport ports action on a flow of another protocol" },
        { "set sctp on tcp", tcp4, set(Nl().val(OVS_KEY_ATTR_SCTP, ports(1, 2))), E,
            "Set transport ports action on a flow of another protocol" },
        { "set udp on L3 after push_mpls", l3, Nl().val(OVS_ACTION_ATTR_PUSH_MPLS, pm).append(set(Nl().val(OVS_KEY_ATTR_UDP, ports(1, 2)))),
            E, "Set transport ports action on a flow of another protocol" },
        { "set ethernet on L3", l3, set(Nl().val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2))), E,
            "Set Ethernet action on a packet without Ethernet header" },
        { "set mpls on ipv4", tcp4, set(Nl().be32_(OVS_KEY_ATTR_MPLS, 1)), E, "Set MPLS action on a packet that is not MPLS" },
        { "set mpls two entries", tcp4, Nl().val(OVS_ACTION_ATTR_PUSH_MPLS, pm).append(set(Nl().put(OVS_KEY_ATTR_MPLS, Buf(8, 0)))), E,
            "Set MPLS action must hold one label stack entry" },
        { "set_masked tunnel", tcp4, set_masked(OVS_KEY_ATTR_TUNNEL, &mark, &mark_m, 4), E, "Masked set of the tunnel is not supported" },
        { "set tunnel without ttl", tcp4, set(Nl().nested(OVS_KEY_ATTR_TUNNEL, Nl().be32_(OVS_TUNNEL_KEY_ATTR_IPV4_DST, 1))), E,
            "Tunnel key has no TTL" },
        { "set tunnel bad geneve option", tcp4, set(Nl().nested(OVS_KEY_ATTR_TUNNEL, bad_geneve)), E,
            "Geneve option longer than the options" },
        { "set tunnel geneve option header cut", tcp4, set(Nl().nested(OVS_KEY_ATTR_TUNNEL, Nl().be32_(OVS_TUNNEL_KEY_ATTR_IPV4_DST, 1)
              .u8_(OVS_TUNNEL_KEY_ATTR_TTL, 1).put(OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS, Buf { 0, 1, 2, 0, 0, 1, 2, 1 }))), E,
            "Geneve option longer than the options" },
        { "set ct_mark", tcp4, set(Nl().u32_(OVS_KEY_ATTR_CT_MARK, 1)), err::OPNOTSUPP, "Set action field not supported by this datapath" },
        { "set_masked ct_labels", tcp4, Nl().nested(OVS_ACTION_ATTR_SET_MASKED, Nl().put(OVS_KEY_ATTR_CT_LABELS, Buf(32, 0))),
            err::OPNOTSUPP, "Set action field not supported by this datapath" },
        // Nested lists.
        { "sample without probability", tcp4, Nl().nested(OVS_ACTION_ATTR_SAMPLE, Nl().nested(OVS_SAMPLE_ATTR_ACTIONS, out1)), E,
            "Sample action needs a u32 probability" },
        { "sample probability 2 bytes", tcp4, Nl().nested(OVS_ACTION_ATTR_SAMPLE, Nl().u16_(OVS_SAMPLE_ATTR_PROBABILITY, 1)
              .nested(OVS_SAMPLE_ATTR_ACTIONS, out1)), E, "Sample action needs a u32 probability" },
        { "sample without actions", tcp4, Nl().nested(OVS_ACTION_ATTR_SAMPLE, Nl().u32_(OVS_SAMPLE_ATTR_PROBABILITY, 1)), E,
            "Sample action needs a nested action list" },
        { "sample actions 2 bytes", tcp4, Nl().nested(OVS_ACTION_ATTR_SAMPLE, Nl().u32_(OVS_SAMPLE_ATTR_PROBABILITY, 1)
              .u16_(OVS_SAMPLE_ATTR_ACTIONS, 0)), E, "Sample action needs a nested action list" },
        { "sample duplicate", tcp4, Nl().nested(OVS_ACTION_ATTR_SAMPLE, Nl().u32_(OVS_SAMPLE_ATTR_PROBABILITY, 1)
              .u32_(OVS_SAMPLE_ATTR_PROBABILITY, 1).nested(OVS_SAMPLE_ATTR_ACTIONS, out1)), E,
            "Sample action has an unknown or duplicate attribute" },
        { "sample unknown attribute", tcp4, Nl().nested(OVS_ACTION_ATTR_SAMPLE, Nl().u32_(OVS_SAMPLE_ATTR_PROBABILITY, 1)
              .nested(OVS_SAMPLE_ATTR_ACTIONS, out1).u32_(kSampleAttrArg, 1)), E,
            "Sample action has an unknown or duplicate attribute" },
        { "sample trailing bytes", tcp4, Nl().nested(OVS_ACTION_ATTR_SAMPLE, Nl().u32_(OVS_SAMPLE_ATTR_PROBABILITY, 1)
              .nested(OVS_SAMPLE_ATTR_ACTIONS, out1).raw(Buf { 1, 2 })), E, "Sample action attributes have trailing bytes" },
        { "error inside sample", tcp4, sample(1, Nl().u32_(OVS_ACTION_ATTR_OUTPUT, 70000)), E, "Output port number out of range" },
        { "clone payload 3 bytes", tcp4, Nl().put(OVS_ACTION_ATTR_CLONE, Buf(3, 0)), E, "Clone action payload is not an action list" },
        { "error inside clone", tcp4, Nl().nested(OVS_ACTION_ATTR_CLONE, Nl().flag(OVS_ACTION_ATTR_UNSPEC)), E,
            "Action type 0 (unspecified)" },
        { "trailing bytes inside clone", tcp4, Nl().nested(OVS_ACTION_ATTR_CLONE, Nl().append(out1).raw(Buf { 1, 2, 3, 4, 5 })), E,
            "Actions have trailing bytes" },
        { "check_pkt_len without length", tcp4, cpl(nullptr, &out1, &out1), E, "Check packet length action needs a nonzero length" },
        { "check_pkt_len length 0", tcp4, cpl(&len0, &out1, &out1), E, "Check packet length action needs a nonzero length" },
        { "check_pkt_len length 1 byte", tcp4, cpl(&len1, &out1, &out1), err::RANGE,
            "Check packet length action length shorter than a u16" },
        { "check_pkt_len without greater", tcp4, cpl(&len2, &out1, nullptr), E, "Check packet length action needs both action lists" },
        { "check_pkt_len without less_equal", tcp4, cpl(&len2, nullptr, &out1), E,
            "Check packet length action needs both action lists" },
        { "check_pkt_len attribute 4", tcp4, Nl().nested(OVS_ACTION_ATTR_CHECK_PKT_LEN, Nl().append(len2).u32_(4, 0)), E,
            "Check packet length action has an unknown attribute" },
        { "check_pkt_len list 2 bytes", tcp4, Nl().nested(OVS_ACTION_ATTR_CHECK_PKT_LEN, Nl().append(len2)
              .u16_(OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER, 0)), err::RANGE, "Check packet length action list is malformed" },
        { "error in greater list", tcp4, cpl(&len2, &out1, &set_in_port), E,
            "Set action for a field that cannot be set" },
        { "dec_ttl without action", tcp4, Nl().nested(OVS_ACTION_ATTR_DEC_TTL, Nl()), E, "Decrement TTL action needs a nested action list" },
        { "dec_ttl duplicate", tcp4, Nl().nested(OVS_ACTION_ATTR_DEC_TTL, Nl().nested(OVS_DEC_TTL_ATTR_ACTION, out1)
              .nested(OVS_DEC_TTL_ATTR_ACTION, out1)), E, "Decrement TTL action has a duplicate or invalid attribute" },
        { "dec_ttl type 0", tcp4, Nl().nested(OVS_ACTION_ATTR_DEC_TTL, Nl().flag(0).nested(OVS_DEC_TTL_ATTR_ACTION, out1)), E,
            "Decrement TTL action has a duplicate or invalid attribute" },
        // Limits.
        { "17 nested clones", tcp4, deep_clones(17), err::OVERFLOW, "Actions nested more than 16 levels deep" },
        { "over the blob limit", tcp4, big, err::MSGSIZE, "Flow actions exceed 448 KiB once validated" },
        { "trailing bytes", tcp4, Nl().u32_(OVS_ACTION_ATTR_OUTPUT, 1).raw(Buf { 1, 2 }), E, "Actions have trailing bytes" },
        { "attribute longer than the stream", tcp4, Nl().u32_(OVS_ACTION_ATTR_OUTPUT, 1).append(raw_attr(100, OVS_ACTION_ATTR_OUTPUT)),
            E, "Actions have trailing bytes" },
        // ct (upstream's parse_ct()/parse_nat() rules).
        { "ct on a non-ip flow", vlan, ct(Nl().flag(OVS_CT_ATTR_COMMIT)), E,
            "Conntrack action on a flow that is neither IPv4 nor IPv6" },
        { "ct attribute above max", tcp4, ct(Nl().flag(kCtAttrMax + 1)), E,
            "Conntrack action attribute type above OVS_CT_ATTR_MAX" },
        { "ct unspec attribute", tcp4, ct(Nl().flag(OVS_CT_ATTR_UNSPEC)), E, "Unknown conntrack action attribute" },
        { "ct commit with payload", tcp4, ct(Nl().u32_(OVS_CT_ATTR_COMMIT, 1)), E,
            "Conntrack action attribute has wrong length" },
        { "ct zone 4 bytes", tcp4, ct(Nl().u32_(OVS_CT_ATTR_ZONE, 1)), E, "Conntrack action attribute has wrong length" },
        { "ct mark 4 bytes", tcp4, ct(Nl().flag(OVS_CT_ATTR_COMMIT).u32_(OVS_CT_ATTR_MARK, 1)), E,
            "Conntrack action attribute has wrong length" },
        { "ct labels 16 bytes", tcp4, ct(Nl().flag(OVS_CT_ATTR_COMMIT).put(OVS_CT_ATTR_LABELS, Buf(16, 1))), E,
            "Conntrack action attribute has wrong length" },
        { "ct eventmask 2 bytes", tcp4, ct(Nl().u16_(OVS_CT_ATTR_EVENTMASK, 1)), E,
            "Conntrack action attribute has wrong length" },
        { "ct helper empty", tcp4, ct(Nl().flag(OVS_CT_ATTR_HELPER)), E, "Conntrack action attribute has wrong length" },
        { "ct helper 17 bytes", tcp4, ct(Nl().put(OVS_CT_ATTR_HELPER, Buf(17, 'a'))), E,
            "Conntrack action attribute has wrong length" },
        { "ct helper unterminated", tcp4, ct(Nl().put(OVS_CT_ATTR_HELPER, Buf { 'f', 't', 'p' })), E,
            "Conntrack helper name is not NUL-terminated" },
        { "ct timeout 33 bytes", tcp4, ct(Nl().put(OVS_CT_ATTR_TIMEOUT, Buf(33, 0))), E,
            "Conntrack action attribute has wrong length" },
        { "ct timeout unterminated", tcp4, ct(Nl().put(OVS_CT_ATTR_TIMEOUT, Buf { 't', 'p' })), E,
            "Conntrack timeout policy name is not NUL-terminated" },
        { "ct unknown helper", tcp4, ct(Nl().flag(OVS_CT_ATTR_COMMIT).put(OVS_CT_ATTR_HELPER, Buf { 'x', 'y', 0 })), E,
            "Unknown conntrack helper for this protocol" },
        { "ct ftp helper on udp", udp6, ct(Nl().flag(OVS_CT_ATTR_COMMIT).put(OVS_CT_ATTR_HELPER, Buf { 'f', 't', 'p', 0 })), E,
            "Unknown conntrack helper for this protocol" },
        { "ct mark mask zero", tcp4, ct(Nl().flag(OVS_CT_ATTR_COMMIT).val(OVS_CT_ATTR_MARK, OvsCtMark { 1, 0 })), E,
            "Conntrack mark mask is zero" },
        { "ct labels mask zero", tcp4, ct(Nl().flag(OVS_CT_ATTR_COMMIT).val(OVS_CT_ATTR_LABELS, labels(1, 0))), E,
            "Conntrack labels mask is zero" },
        { "ct mark without commit", tcp4, ct(Nl().val(OVS_CT_ATTR_MARK, OvsCtMark { 1, 1 })), E,
            "Setting the conntrack mark requires commit" },
        { "ct labels without commit", tcp4, ct(Nl().val(OVS_CT_ATTR_LABELS, labels(1, 1))), E,
            "Setting the conntrack labels requires commit" },
        { "ct trailing bytes", tcp4, ct(Nl().flag(OVS_CT_ATTR_COMMIT).raw(Buf { 1, 2 })), E,
            "Conntrack action attributes have trailing bytes" },
        { "nat without commit", tcp4, ct(Nl().nested(OVS_CT_ATTR_NAT, Nl().flag(OVS_NAT_ATTR_SRC))), E,
            "Source or destination NAT requires commit before it" },
        { "nat before commit", tcp4, ct(Nl().nested(OVS_CT_ATTR_NAT, Nl().flag(OVS_NAT_ATTR_SRC)).flag(OVS_CT_ATTR_COMMIT)), E,
            "Source or destination NAT requires commit before it" },
        { "nat src and dst", tcp4, ct(Nl().flag(OVS_CT_ATTR_COMMIT).nested(OVS_CT_ATTR_NAT,
                                       Nl().flag(OVS_NAT_ATTR_SRC).flag(OVS_NAT_ATTR_DST))), err::RANGE,
            "Only one NAT type (source or destination) may be given" },
        { "nat twice", tcp4, ct(Nl().flag(OVS_CT_ATTR_COMMIT).nested(OVS_CT_ATTR_NAT, Nl()).nested(OVS_CT_ATTR_NAT,
                                Nl().flag(OVS_NAT_ATTR_DST))), err::RANGE,
            "Only one NAT type (source or destination) may be given" },
        { "nat flags without type", tcp4, ct(Nl().flag(OVS_CT_ATTR_COMMIT).nested(OVS_CT_ATTR_NAT,
                                            Nl().flag(OVS_NAT_ATTR_PERSISTENT))), E,
            "NAT ranges or flags given without source or destination NAT" },
        { "nat range without type", tcp4, ct(Nl().flag(OVS_CT_ATTR_COMMIT).nested(OVS_CT_ATTR_NAT,
                                            Nl().be32_(OVS_NAT_ATTR_IP_MIN, 1))), E,
            "NAT ranges or flags given without source or destination NAT" },
        { "nat ipv6 address on ipv4", tcp4, ct(Nl().flag(OVS_CT_ATTR_COMMIT).nested(OVS_CT_ATTR_NAT,
                                              Nl().flag(OVS_NAT_ATTR_SRC).put(OVS_NAT_ATTR_IP_MIN, Buf(16, 1)))), E,
            "NAT attribute has wrong length" },
        { "nat ipv4 address on ipv6", udp6, ct(Nl().flag(OVS_CT_ATTR_COMMIT).nested(OVS_CT_ATTR_NAT,
                                              Nl().flag(OVS_NAT_ATTR_SRC).be32_(OVS_NAT_ATTR_IP_MIN, 1))), E,
            "NAT attribute has wrong length" },
        { "nat port 4 bytes", tcp4, ct(Nl().flag(OVS_CT_ATTR_COMMIT).nested(OVS_CT_ATTR_NAT,
                                       Nl().flag(OVS_NAT_ATTR_DST).u32_(OVS_NAT_ATTR_PROTO_MIN, 1))), E,
            "NAT attribute has wrong length" },
        { "nat flag with payload", tcp4, ct(Nl().flag(OVS_CT_ATTR_COMMIT).nested(OVS_CT_ATTR_NAT,
                                           Nl().flag(OVS_NAT_ATTR_DST).u8_(OVS_NAT_ATTR_PROTO_HASH, 1))), E,
            "NAT attribute has wrong length" },
        { "nat attribute above max", tcp4, ct(Nl().flag(OVS_CT_ATTR_COMMIT).nested(OVS_CT_ATTR_NAT,
                                             Nl().flag(kNatAttrMax + 1))), E, "NAT attribute type above OVS_NAT_ATTR_MAX" },
        { "nat unspec", tcp4, ct(Nl().flag(OVS_CT_ATTR_COMMIT).nested(OVS_CT_ATTR_NAT, Nl().flag(OVS_NAT_ATTR_UNSPEC))), E,
            "Unknown NAT attribute" },
        { "nat trailing bytes", tcp4, ct(Nl().flag(OVS_CT_ATTR_COMMIT).nested(OVS_CT_ATTR_NAT,
                                        Nl().flag(OVS_NAT_ATTR_SRC).raw(Buf { 1 }))), E, "NAT attributes have trailing bytes" },
        // Unsupported features.
        { "push_nsh", tcp4, Nl().nested(OVS_ACTION_ATTR_PUSH_NSH, Nl()), err::OPNOTSUPP, "NSH actions are not supported by this datapath" },
        { "pop_nsh", tcp4, Nl().flag(OVS_ACTION_ATTR_POP_NSH), err::OPNOTSUPP, "NSH actions are not supported by this datapath" },
    };
}

TEST(Malformed, Actions)
{
    auto cases = action_cases();
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        ActionsBuf out;
        Status s = copy_actions(c.acts.span(), c.key, out, false);
        ASSERT_FALSE(s.ok()) << c.name;
        EXPECT_EQ(s.error().code, c.err);
        ASSERT_NE(s.error().msg, nullptr);
        if (c.msg) {
            EXPECT_STREQ(s.error().msg, c.msg);
        }
        EXPECT_EQ(out.size(), 0u);
        // Nothing a refused ct action made at install is left behind.
        EXPECT_EQ(user::ct_live_actions(), 0);
    }
}

TEST(Malformed, TableSize)
{
    size_t n = key_cases().size() + action_cases().size();
    EXPECT_GE(n, 50u);
    std::printf("malformed-input table: %zu key/mask cases, %zu action cases\n", key_cases().size(), action_cases().size());
}

} // namespace
