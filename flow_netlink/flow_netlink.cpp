// SPDX-License-Identifier: GPL-2.0
// Flow keys and masks <-> OVS_KEY_ATTR_* attributes (see flow_netlink.h).
#include "flow_netlink/flow_netlink.h"

#include "flow/headers.h"
#include "flow_netlink/nl_walk.h"
#include "platform/conntrack.h"
#include "platform/platform.h"

namespace ovsdp {

// No namespace-scope using-directives outside our own namespaces: the kernel
// build compiles the whole core as one translation unit.
namespace flow_netlink_detail {

using namespace uapi;

namespace {

struct KeyLens {
    s16 len[kKeyAttrMax + 1];
};

// Upstream's ovs_key_lens. Types the table leaves at 0 (UNSPEC, and the
// userspace-only and kernel-only types, refused before this is consulted)
// carry nothing.
constexpr KeyLens make_key_lens()
{
    KeyLens t {};
    t.len[OVS_KEY_ATTR_ENCAP] = kLenNested;
    t.len[OVS_KEY_ATTR_PRIORITY] = sizeof(u32);
    t.len[OVS_KEY_ATTR_IN_PORT] = sizeof(u32);
    t.len[OVS_KEY_ATTR_SKB_MARK] = sizeof(u32);
    t.len[OVS_KEY_ATTR_ETHERNET] = sizeof(OvsKeyEthernet);
    t.len[OVS_KEY_ATTR_VLAN] = sizeof(be16);
    t.len[OVS_KEY_ATTR_ETHERTYPE] = sizeof(be16);
    t.len[OVS_KEY_ATTR_IPV4] = sizeof(OvsKeyIpv4);
    t.len[OVS_KEY_ATTR_IPV6] = sizeof(OvsKeyIpv6);
    t.len[OVS_KEY_ATTR_TCP] = sizeof(OvsKeyPorts);
    t.len[OVS_KEY_ATTR_TCP_FLAGS] = sizeof(be16);
    t.len[OVS_KEY_ATTR_UDP] = sizeof(OvsKeyPorts);
    t.len[OVS_KEY_ATTR_SCTP] = sizeof(OvsKeyPorts);
    t.len[OVS_KEY_ATTR_ICMP] = sizeof(OvsKeyIcmp);
    t.len[OVS_KEY_ATTR_ICMPV6] = sizeof(OvsKeyIcmp);
    t.len[OVS_KEY_ATTR_ARP] = sizeof(OvsKeyArp);
    t.len[OVS_KEY_ATTR_ND] = sizeof(OvsKeyNd);
    t.len[OVS_KEY_ATTR_RECIRC_ID] = sizeof(u32);
    t.len[OVS_KEY_ATTR_DP_HASH] = sizeof(u32);
    t.len[OVS_KEY_ATTR_TUNNEL] = kLenNested;
    t.len[OVS_KEY_ATTR_MPLS] = kLenVariable;
    t.len[OVS_KEY_ATTR_CT_STATE] = sizeof(u32);
    t.len[OVS_KEY_ATTR_CT_ZONE] = sizeof(u16);
    t.len[OVS_KEY_ATTR_CT_MARK] = sizeof(u32);
    t.len[OVS_KEY_ATTR_CT_LABELS] = kCtLabelsLen;
    t.len[OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4] = sizeof(OvsKeyCtTupleIpv4);
    t.len[OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6] = sizeof(OvsKeyCtTupleIpv6);
    t.len[OVS_KEY_ATTR_NSH] = kLenNested;
    t.len[OVS_KEY_ATTR_IPV6_EXTHDRS] = sizeof(OvsKeyIpv6Exthdrs);
    return t;
}
constexpr KeyLens kKeyLens = make_key_lens();

struct TunnelLens {
    s16 len[kTunnelKeyAttrMax + 1];
};

constexpr TunnelLens make_tunnel_lens()
{
    TunnelLens t {};
    t.len[OVS_TUNNEL_KEY_ATTR_ID] = sizeof(u64);
    t.len[OVS_TUNNEL_KEY_ATTR_IPV4_SRC] = sizeof(u32);
    t.len[OVS_TUNNEL_KEY_ATTR_IPV4_DST] = sizeof(u32);
    t.len[OVS_TUNNEL_KEY_ATTR_TOS] = 1;
    t.len[OVS_TUNNEL_KEY_ATTR_TTL] = 1;
    t.len[OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT] = 0;
    t.len[OVS_TUNNEL_KEY_ATTR_CSUM] = 0;
    t.len[OVS_TUNNEL_KEY_ATTR_TP_SRC] = sizeof(u16);
    t.len[OVS_TUNNEL_KEY_ATTR_TP_DST] = sizeof(u16);
    t.len[OVS_TUNNEL_KEY_ATTR_OAM] = 0;
    t.len[OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS] = kLenVariable;
    t.len[OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS] = kLenNested;
    t.len[OVS_TUNNEL_KEY_ATTR_IPV6_SRC] = 16;
    t.len[OVS_TUNNEL_KEY_ATTR_IPV6_DST] = 16;
    t.len[OVS_TUNNEL_KEY_ATTR_PAD] = 0;
    t.len[OVS_TUNNEL_KEY_ATTR_ERSPAN_OPTS] = kLenVariable;
    t.len[OVS_TUNNEL_KEY_ATTR_IPV4_INFO_BRIDGE] = 0;
    return t;
}
constexpr TunnelLens kTunnelLens = make_tunnel_lens();

// Every tunnel flag that says "options of this type are present"
// (TUNNEL_OPTIONS_PRESENT).
constexpr u16 kTunnelOptionsPresent = kTunnelGeneveOpt | kTunnelVxlanOpt | kTunnelErspanOpt | kTunnelGtpOpt;

constexpr u64 bit(u16 type) { return u64(1) << type; }

constexpr bool eth_type_vlan(be16 type) { return type == htons(kEthP8021Q) || type == htons(kEthP8021AD); }
constexpr bool eth_p_mpls(be16 type) { return type == htons(kEthPMplsUc) || type == htons(kEthPMplsMc); }

// Attribute payloads are 4-byte aligned: whole words, then the tail.
bool all_zero(const u8* p, usize n)
{
    usize i = 0;
    for (; i + sizeof(u32) <= n; i += sizeof(u32))
        if (load_unaligned<u32>(p + i))
            return false;
    for (; i < n; i++)
        if (p[i])
            return false;
    return true;
}

// Reads an attribute's payload into a local value. With `ones` (the exact
// match mask built from the key's attributes) the value reads as all 1-bits,
// as upstream's 0xff copy of the key attributes would.
template <typename T>
T read(const NlAttr* a, bool ones)
{
    T v;
    if (ones) {
        __builtin_memset(&v, 0xff, sizeof(T));
    } else if (OVSDP_LIKELY(a->len() == sizeof(T))) {
        __builtin_memcpy(&v, a->data(), sizeof(T)); // a fixed-size copy, inlined
    } else {
        __builtin_memset(&v, 0, sizeof(T));
        __builtin_memcpy(&v, a->data(), a->len() < sizeof(T) ? a->len() : sizeof(T));
    }
    return v;
}

void read_bytes(void* dst, const NlAttr* a, usize n, bool ones)
{
    if (ones)
        __builtin_memset(dst, 0xff, n);
    else
        __builtin_memcpy(dst, a->data(), n);
}

// ---- Tunnel attributes ---------------------------------------------------------------

// Geneve options (upstream genev_tun_opt_from_nlattr).
Status geneve_opts_from_nlattr(const NlAttr* a, FlowKeyWriter& w, const FlowKey& key, bool is_mask, bool ones)
{
    usize len = a->len();
    if (len > kTunOptsMax)
        return make_error(err::INVAL, "Geneve options longer than 255 bytes");
    if (len % 4)
        return make_error(err::INVAL, "Geneve options length is not a multiple of 4");
    // The length is part of the match: packets with the same options plus
    // more must not match.
    if (!is_mask) {
        w.put(w.key().tun_opts_len, static_cast<u8>(len));
    } else {
        if (key.tun_opts_len != len)
            return make_error(err::INVAL, "Geneve options mask length differs from the key's");
        w.put(w.key().tun_opts_len, u8(0xff));
    }
    u8* dst = w.key().tun_opts + FlowKey::tun_opts_offset(len);
    if (ones)
        w.fill_bytes(dst, 0xff, len);
    else
        w.put_bytes(dst, a->data(), len);
    return {};
}

// VXLAN extensions (upstream vxlan_tun_opt_from_nlattr): a u32 GBP stored in
// host order as the last 4 option bytes.
Status vxlan_opts_from_nlattr(const NlAttr* attr, FlowKeyWriter& w, bool is_mask, bool ones)
{
    u32 gbp = 0;
    NlWalk walk(attr->payload());
    while (const NlAttr* a = walk.next()) {
        u16 type = a->type();
        if (type > kVxlanExtMax)
            return make_error(err::INVAL, "VXLAN extension type above OVS_VXLAN_EXT_MAX");
        s16 expected = type == OVS_VXLAN_EXT_GBP ? s16(sizeof(u32)) : s16(0);
        if (!attr_len_ok(a->len(), expected))
            return make_error(err::INVAL, "VXLAN extension attribute has wrong length");
        if (type != OVS_VXLAN_EXT_GBP)
            return make_error(err::INVAL, "Unknown VXLAN extension attribute");
        gbp = read<u32>(a, ones);
    }
    if (walk.rem() != 0)
        return make_error(err::INVAL, "VXLAN extension attributes have trailing bytes");
    w.put(w.key().tun_opts_len, is_mask ? u8(0xff) : u8(sizeof(u32)));
    w.put_bytes(w.key().tun_opts + FlowKey::tun_opts_offset(sizeof(u32)), &gbp, sizeof(u32));
    return {};
}

// ERSPAN metadata (upstream erspan_tun_opt_from_nlattr). Unlike upstream,
// which records 12 option bytes whatever the attribute's length but stores
// the attribute's length in bytes, the key keeps the attribute's length, and
// a mask must have the key's length (as for Geneve), so that the stored
// options are exactly what was given.
Status erspan_opts_from_nlattr(const NlAttr* a, FlowKeyWriter& w, const FlowKey& key, bool is_mask, bool ones)
{
    usize len = a->len();
    if (len > kTunOptsMax)
        return make_error(err::INVAL, "ERSPAN options longer than 255 bytes");
    if (!is_mask) {
        w.put(w.key().tun_opts_len, static_cast<u8>(len));
    } else {
        if (key.tun_opts_len != len)
            return make_error(err::INVAL, "ERSPAN options mask length differs from the key's");
        w.put(w.key().tun_opts_len, u8(0xff));
    }
    u8* dst = w.key().tun_opts + FlowKey::tun_opts_offset(len);
    if (ones)
        w.fill_bytes(dst, 0xff, len);
    else
        w.put_bytes(dst, a->data(), len);
    return {};
}

// OVS_KEY_ATTR_TUNNEL (upstream ip_tun_from_nlattr). `key` is the flow key
// already parsed (mask parses check option lengths against it); for a key
// parse it is w.key(). Returns the option block's attribute type, or 0.
Result<u16> tunnel_from_nlattr(const NlAttr* attr, FlowKeyWriter& w, const FlowKey& key, bool is_mask, bool ones)
{
    bool ttl = false, ipv4 = false, ipv6 = false, bridge = false;
    u16 flags = 0; // host order kTunnel* bits
    u16 opts_type = 0;
    FlowTunnelKey& tk = w.key().tun_key;

    NlWalk walk(attr->payload());
    while (const NlAttr* a = walk.next()) {
        u16 type = a->type();
        if (type > kTunnelKeyAttrMax)
            return make_error(err::INVAL, "Tunnel key attribute type above OVS_TUNNEL_KEY_ATTR_MAX");
        if (!attr_len_ok(a->len(), kTunnelLens.len[type]))
            return make_error(err::INVAL, "Tunnel key attribute has wrong length");
        switch (type) {
        case OVS_TUNNEL_KEY_ATTR_ID:
            w.put(tk.tun_id, read<be64>(a, ones));
            flags |= kTunnelKey;
            break;
        case OVS_TUNNEL_KEY_ATTR_IPV4_SRC:
            w.put(tk.ipv4.src, read<be32>(a, ones));
            ipv4 = true;
            break;
        case OVS_TUNNEL_KEY_ATTR_IPV4_DST:
            w.put(tk.ipv4.dst, read<be32>(a, ones));
            ipv4 = true;
            break;
        case OVS_TUNNEL_KEY_ATTR_IPV6_SRC: {
            u8 addr[16];
            read_bytes(addr, a, sizeof(addr), ones);
            w.put_bytes(tk.ipv6.src, addr, sizeof(addr));
            ipv6 = true;
            break;
        }
        case OVS_TUNNEL_KEY_ATTR_IPV6_DST: {
            u8 addr[16];
            read_bytes(addr, a, sizeof(addr), ones);
            w.put_bytes(tk.ipv6.dst, addr, sizeof(addr));
            ipv6 = true;
            break;
        }
        case OVS_TUNNEL_KEY_ATTR_TOS:
            w.put(tk.tos, read<u8>(a, ones));
            break;
        case OVS_TUNNEL_KEY_ATTR_TTL:
            w.put(tk.ttl, read<u8>(a, ones));
            ttl = true;
            break;
        case OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT:
            flags |= kTunnelDontFragment;
            break;
        case OVS_TUNNEL_KEY_ATTR_CSUM:
            flags |= kTunnelCsum;
            break;
        case OVS_TUNNEL_KEY_ATTR_TP_SRC:
            w.put(tk.tp_src, read<be16>(a, ones));
            break;
        case OVS_TUNNEL_KEY_ATTR_TP_DST:
            w.put(tk.tp_dst, read<be16>(a, ones));
            break;
        case OVS_TUNNEL_KEY_ATTR_OAM:
            flags |= kTunnelOam;
            break;
        case OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS:
            if (opts_type)
                return make_error(err::INVAL, "Tunnel key has more than one option block");
            TRY(geneve_opts_from_nlattr(a, w, key, is_mask, ones));
            flags |= kTunnelGeneveOpt;
            opts_type = type;
            break;
        case OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS:
            if (opts_type)
                return make_error(err::INVAL, "Tunnel key has more than one option block");
            TRY(vxlan_opts_from_nlattr(a, w, is_mask, ones));
            flags |= kTunnelVxlanOpt;
            opts_type = type;
            break;
        case OVS_TUNNEL_KEY_ATTR_PAD:
            break;
        case OVS_TUNNEL_KEY_ATTR_ERSPAN_OPTS:
            if (opts_type)
                return make_error(err::INVAL, "Tunnel key has more than one option block");
            TRY(erspan_opts_from_nlattr(a, w, key, is_mask, ones));
            flags |= kTunnelErspanOpt;
            opts_type = type;
            break;
        case OVS_TUNNEL_KEY_ATTR_IPV4_INFO_BRIDGE:
            bridge = true;
            ipv4 = true;
            break;
        default:
            return make_error(err::INVAL, "Unknown tunnel key attribute");
        }
    }

    w.put(tk.tun_flags, htons(flags));
    if (is_mask)
        w.put(tk.ip_family, u8(0xff));
    else
        w.put(tk.ip_family, ipv6 ? kAfInet6 : kAfInet);

    // As upstream: a short tail (an unpadded last attribute) is tolerated here.
    if (walk.rem() > 0)
        return make_error(err::INVAL, "Tunnel key attributes have trailing bytes");
    if (ipv4 && ipv6)
        return make_error(err::INVAL, "Tunnel key mixes IPv4 and IPv6 attributes");

    if (!is_mask) {
        if (!ipv4 && !ipv6)
            return make_error(err::INVAL, "Tunnel key has no destination address");
        if (ipv4) {
            if (bridge) {
                if (tk.ipv4.src || tk.ipv4.dst || tk.tp_src || tk.tp_dst || tk.ttl || tk.tos
                    || (flags & ~kTunnelKey))
                    return make_error(err::INVAL, "Tunnel key in bridge mode may only carry a tunnel ID");
            } else if (!tk.ipv4.dst) {
                return make_error(err::INVAL, "Tunnel IPv4 destination address is zero");
            }
        }
        if (ipv6 && all_zero(tk.ipv6.dst, sizeof(tk.ipv6.dst)))
            return make_error(err::INVAL, "Tunnel IPv6 destination address is zero");
        if (!ttl && !bridge)
            return make_error(err::INVAL, "Tunnel key has no TTL");
    }
    return opts_type;
}

// ---- Key attribute streams -----------------------------------------------------------

// The attributes of one stream (key or mask) by type, and which were seen.
// As upstream, the key and the mask passes share the pointer table (a mask
// attribute replaces the key's); `present` is per stream.
struct AttrTable {
    const NlAttr* a[kKeyAttrMax + 1];
};

// Upstream __parse_flow_nlattrs. With `nz` (masks) all-zero attributes are
// skipped; with `ones` the stream is the key's, read as all 1-bits, so only
// empty attributes count as zero.
template <bool nz, bool ones>
Status parse_attrs(ConstBytes stream, AttrTable& t, u64& present)
{
    NlWalk walk(stream);
    while (const NlAttr* a = walk.next()) {
        u16 type = a->type();
        if (type > kKeyAttrMax)
            return make_error(err::INVAL, "Key attribute type above OVS_KEY_ATTR_MAX");
        if (type == OVS_KEY_ATTR_PACKET_TYPE || type == OVS_KEY_ATTR_ND_EXTENSIONS || type == OVS_KEY_ATTR_TUNNEL_INFO)
            return make_error(err::INVAL, "Key attribute type is not accepted from userspace");
        if (present & bit(type))
            return make_error(err::INVAL, "Duplicate key attribute");
        if (!attr_len_ok(a->len(), kKeyLens.len[type]))
            return make_error(err::INVAL, "Key attribute has wrong length");
        // Only a mask's attributes are looked at for zeros.
        if (!nz || (ones ? a->len() != 0 : !all_zero(a->data(), a->len()))) {
            present |= bit(type);
            t.a[type] = a;
        }
    }
    if (walk.rem() != 0)
        return make_error(err::INVAL, "Key attributes have trailing bytes");
    return {};
}

struct Parser {
    FlowMatch& m;
    FlowKeyWriter kw;
    FlowKeyWriter mw; // bound to the key when there is no mask; then unused
    AttrTable t;

    FlowKeyWriter& w(bool is_mask) { return is_mask ? mw : kw; }
    const FlowKey& key() const { return *m.key; }
};

template <bool is_mask, bool ones>
Status parse_eth_type(Parser& p, u64& attrs)
{
    be16 type = read<be16>(p.t.a[OVS_KEY_ATTR_ETHERTYPE], ones);
    if (is_mask)
        type = htons(0xffff); // the ethertype is always matched exactly
    else if (ntohs(type) < kEthP8023Min)
        return make_error(err::INVAL, "Ethertype below 0x0600 (ETH_P_802_3_MIN)");
    FlowKeyWriter& w = p.w(is_mask);
    w.put(w.key().eth.type, type);
    attrs &= ~bit(OVS_KEY_ATTR_ETHERTYPE);
    return {};
}

constexpr u64 kCtKeyAttrs = bit(OVS_KEY_ATTR_CT_STATE) | bit(OVS_KEY_ATTR_CT_ZONE) | bit(OVS_KEY_ATTR_CT_MARK)
    | bit(OVS_KEY_ATTR_CT_LABELS) | bit(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4) | bit(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6);

// The conntrack part of upstream's metadata_from_nlattrs.
template <bool is_mask, bool ones>
Status ct_from_attrs(Parser& p, u64& attrs)
{
    FlowKeyWriter& w = p.w(is_mask);
    FlowKeyCt& ct = w.key().ct;
    const AttrTable& t = p.t;

    if (attrs & bit(OVS_KEY_ATTR_CT_STATE)) {
        u32 state = read<u32>(t.a[OVS_KEY_ATTR_CT_STATE], ones);
        // The exact mask made from the key covers the supported bits only
        // (upstream's nlattr_set() does the same to its 0xff copy).
        if (ones)
            state &= kCtStateSupported;
        if (state & ~kCtStateSupported)
            return make_error(err::INVAL, "Conntrack state has bits outside the 8 supported flags");
        w.put(ct.state, static_cast<u8>(state));
        attrs &= ~bit(OVS_KEY_ATTR_CT_STATE);
    }
    if (attrs & bit(OVS_KEY_ATTR_CT_ZONE)) {
        w.put(ct.zone, read<u16>(t.a[OVS_KEY_ATTR_CT_ZONE], ones));
        attrs &= ~bit(OVS_KEY_ATTR_CT_ZONE);
    }
    if (attrs & bit(OVS_KEY_ATTR_CT_MARK)) {
        w.put(ct.mark, read<u32>(t.a[OVS_KEY_ATTR_CT_MARK], ones));
        attrs &= ~bit(OVS_KEY_ATTR_CT_MARK);
    }
    if (attrs & bit(OVS_KEY_ATTR_CT_LABELS)) {
        u8 labels[kCtLabelsLen];
        read_bytes(labels, t.a[OVS_KEY_ATTR_CT_LABELS], sizeof(labels), ones);
        w.put_bytes(ct.labels, labels, sizeof(labels));
        attrs &= ~bit(OVS_KEY_ATTR_CT_LABELS);
    }
    if (attrs & bit(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4)) {
        auto tuple = read<OvsKeyCtTupleIpv4>(t.a[OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4], ones);
        w.put(ct.orig.ipv4.src, tuple.ipv4_src);
        w.put(ct.orig.ipv4.dst, tuple.ipv4_dst);
        w.put(ct.orig_tp_src, tuple.src_port);
        w.put(ct.orig_tp_dst, tuple.dst_port);
        w.put(ct.orig_proto, tuple.ipv4_proto);
        attrs &= ~bit(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4);
    }
    if (attrs & bit(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6)) {
        auto tuple = read<OvsKeyCtTupleIpv6>(t.a[OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6], ones);
        w.put_bytes(ct.orig.ipv6.src, tuple.ipv6_src, sizeof(ct.orig.ipv6.src));
        w.put_bytes(ct.orig.ipv6.dst, tuple.ipv6_dst, sizeof(ct.orig.ipv6.dst));
        w.put(ct.orig_tp_src, tuple.src_port);
        w.put(ct.orig_tp_dst, tuple.dst_port);
        w.put(ct.orig_proto, tuple.ipv6_proto);
        attrs &= ~bit(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6);
    }
    return {};
}

// Upstream metadata_from_nlattrs.
template <bool is_mask, bool ones>
Status metadata_from_attrs(Parser& p, u64& attrs)
{
    FlowKeyWriter& w = p.w(is_mask);
    FlowKey& k = w.key();
    const AttrTable& t = p.t;

    if (attrs & bit(OVS_KEY_ATTR_DP_HASH)) {
        w.put(k.dp_hash, read<u32>(t.a[OVS_KEY_ATTR_DP_HASH], ones));
        attrs &= ~bit(OVS_KEY_ATTR_DP_HASH);
    }
    if (attrs & bit(OVS_KEY_ATTR_RECIRC_ID)) {
        w.put(k.recirc_id, read<u32>(t.a[OVS_KEY_ATTR_RECIRC_ID], ones));
        attrs &= ~bit(OVS_KEY_ATTR_RECIRC_ID);
    }
    if (attrs & bit(OVS_KEY_ATTR_PRIORITY)) {
        w.put(k.priority, read<u32>(t.a[OVS_KEY_ATTR_PRIORITY], ones));
        attrs &= ~bit(OVS_KEY_ATTR_PRIORITY);
    }
    if (attrs & bit(OVS_KEY_ATTR_IN_PORT)) {
        u32 in_port = read<u32>(t.a[OVS_KEY_ATTR_IN_PORT], ones);
        if (is_mask)
            in_port = 0xffffffff; // the input port is always matched exactly
        else if (in_port >= kDpMaxPorts)
            return make_error(err::INVAL, "Input port number out of range");
        w.put(k.in_port, static_cast<u16>(in_port));
        attrs &= ~bit(OVS_KEY_ATTR_IN_PORT);
    } else if (!is_mask) {
        w.put(k.in_port, static_cast<u16>(kDpMaxPorts));
    }
    if (attrs & bit(OVS_KEY_ATTR_SKB_MARK)) {
        w.put(k.skb_mark, read<u32>(t.a[OVS_KEY_ATTR_SKB_MARK], ones));
        attrs &= ~bit(OVS_KEY_ATTR_SKB_MARK);
    }
    if (attrs & bit(OVS_KEY_ATTR_TUNNEL)) {
        TRY(tunnel_from_nlattr(t.a[OVS_KEY_ATTR_TUNNEL], w, p.key(), is_mask, ones));
        attrs &= ~bit(OVS_KEY_ATTR_TUNNEL);
    }
    // Conntrack fields, when the host tracks connections (upstream's
    // ovs_ct_verify()); otherwise they stay in `attrs` and are refused as
    // unknown, as by a kernel without conntrack.
    if ((attrs & kCtKeyAttrs) && ovsdp_ct_enabled())
        TRY((ct_from_attrs<is_mask, ones>(p, attrs)));

    // An L3 packet's key has an ethertype but no Ethernet addresses.
    u8 mac_proto = kMacProtoEthernet;
    if (!(attrs & bit(OVS_KEY_ATTR_ETHERNET)) && (attrs & bit(OVS_KEY_ATTR_ETHERTYPE)))
        mac_proto = kMacProtoNone;
    w.put(k.mac_proto, is_mask ? u8(0xff) : mac_proto); // always matched exactly
    if (mac_proto == kMacProtoNone)
        return parse_eth_type<is_mask, ones>(p, attrs);
    return {};
}

// Upstream validate_vlan_from_nlattrs: 0 when the key is not a VLAN frame
// (at this level), 1 when it is.
Result<int> validate_vlan_key(Parser& p, u64 attrs, bool inner)
{
    const AttrTable& t = p.t;
    if (!((attrs & bit(OVS_KEY_ATTR_ETHERNET)) && (attrs & bit(OVS_KEY_ATTR_ETHERTYPE))
            && eth_type_vlan(read<be16>(t.a[OVS_KEY_ATTR_ETHERTYPE], false))))
        return 0;
    if (!((attrs & bit(OVS_KEY_ATTR_VLAN)) && (attrs & bit(OVS_KEY_ATTR_ENCAP))))
        return make_error(err::INVAL, inner ? "C-VLAN frame key lacks a VLAN or an ENCAP attribute"
                                            : "VLAN frame key lacks a VLAN or an ENCAP attribute");
    be16 tci = read<be16>(t.a[OVS_KEY_ATTR_VLAN], false);
    if (!(tci & htons(kVlanCfiMask))) {
        if (tci)
            return make_error(err::INVAL, "VLAN TCI lacks the CFI (tag present) bit");
        if (t.a[OVS_KEY_ATTR_ENCAP]->len())
            return make_error(err::INVAL, "Truncated VLAN header has a non-empty ENCAP attribute");
    }
    return 1;
}

// Upstream validate_vlan_mask_from_nlattrs.
template <bool ones>
Result<int> validate_vlan_mask(Parser& p, u64 attrs, bool inner)
{
    const AttrTable& t = p.t;
    bool encap_valid = p.key().eth.vlan.tci & htons(kVlanCfiMask);
    bool i_encap_valid = p.key().eth.cvlan.tci & htons(kVlanCfiMask);
    if (!(attrs & bit(OVS_KEY_ATTR_ENCAP)))
        return 0;
    if ((!inner && !encap_valid) || (inner && !i_encap_valid))
        return make_error(err::INVAL, "ENCAP mask given for a key without VLAN tag");
    // As upstream, a VLAN or ETHERTYPE attribute missing from the mask reads
    // as the key's (the table is shared).
    be16 tci = t.a[OVS_KEY_ATTR_VLAN] ? read<be16>(t.a[OVS_KEY_ATTR_VLAN], ones) : be16(0);
    be16 tpid = t.a[OVS_KEY_ATTR_ETHERTYPE] ? read<be16>(t.a[OVS_KEY_ATTR_ETHERTYPE], ones) : be16(0);
    if (tpid != htons(0xffff))
        return make_error(err::INVAL, "VLAN TPID mask must be exact");
    if (!(tci & htons(kVlanCfiMask)))
        return make_error(err::INVAL, "VLAN TCI mask must match the CFI (tag present) bit");
    return 1;
}

// One VLAN level (upstream __parse_vlan_from_nlattrs): records the tag and
// merges the ENCAP nest's attributes into the table.
template <bool is_mask, bool ones>
Status parse_vlan_level(Parser& p, u64& attrs, bool inner)
{
    int vlan = is_mask ? TRY(validate_vlan_mask<ones>(p, attrs, inner)) : TRY(validate_vlan_key(p, attrs, inner));
    if (!vlan)
        return {};
    const AttrTable& t = p.t;
    // (For the exact mask every non-empty key attribute is in the mask, so
    // reading entries as all 1-bits never meets a stale key entry.)
    be16 tci = t.a[OVS_KEY_ATTR_VLAN] ? read<be16>(t.a[OVS_KEY_ATTR_VLAN], ones) : be16(0);
    be16 tpid = t.a[OVS_KEY_ATTR_ETHERTYPE] ? read<be16>(t.a[OVS_KEY_ATTR_ETHERTYPE], ones) : be16(0);
    FlowKeyWriter& w = p.w(is_mask);
    FlowVlanHead& head = inner ? w.key().eth.cvlan : w.key().eth.vlan;
    w.put(head.tpid, tpid);
    w.put(head.tci, tci);
    attrs &= ~(bit(OVS_KEY_ATTR_ENCAP) | bit(OVS_KEY_ATTR_VLAN) | bit(OVS_KEY_ATTR_ETHERTYPE));
    const NlAttr* encap = t.a[OVS_KEY_ATTR_ENCAP];
    return parse_attrs<is_mask, ones>(encap->payload(), p.t, attrs);
}

// Upstream parse_vlan_from_nlattrs: the outer tag, then the inner one when
// the key's outer tag is present.
template <bool is_mask, bool ones>
Status parse_vlan(Parser& p, u64& attrs)
{
    TRY((parse_vlan_level<is_mask, ones>(p, attrs, false)));
    if (p.key().eth.vlan.tci & htons(kVlanCfiMask))
        TRY((parse_vlan_level<is_mask, ones>(p, attrs, true)));
    return {};
}

// Upstream ovs_key_from_nlattrs. `attrs` is taken by value: the caller keeps
// the set for match validation.
template <bool is_mask, bool ones>
Status key_from_attrs(Parser& p, u64 attrs)
{
    TRY((metadata_from_attrs<is_mask, ones>(p, attrs)));
    FlowKeyWriter& w = p.w(is_mask);
    FlowKey& k = w.key();
    const AttrTable& t = p.t;

    if (attrs & bit(OVS_KEY_ATTR_ETHERNET)) {
        auto eth = read<OvsKeyEthernet>(t.a[OVS_KEY_ATTR_ETHERNET], ones);
        w.put_bytes(k.eth.src, eth.eth_src, kEthAlen);
        w.put_bytes(k.eth.dst, eth.eth_dst, kEthAlen);
        attrs &= ~bit(OVS_KEY_ATTR_ETHERNET);
        // VLAN attributes were all consumed by parse_vlan() if valid.
        if (attrs & bit(OVS_KEY_ATTR_VLAN))
            return make_error(err::INVAL, "VLAN attribute without a VLAN ethertype");
        if (attrs & bit(OVS_KEY_ATTR_ETHERTYPE))
            TRY((parse_eth_type<is_mask, ones>(p, attrs)));
        else if (!is_mask)
            w.put(k.eth.type, htons(kEthP8022));
    } else if (!p.key().eth.type) {
        return make_error(err::INVAL, "Key has neither an Ethernet nor an Ethertype attribute");
    }

    if (attrs & bit(OVS_KEY_ATTR_IPV4)) {
        auto ip = read<OvsKeyIpv4>(t.a[OVS_KEY_ATTR_IPV4], ones);
        if (!is_mask && ip.ipv4_frag > kFragTypeMax)
            return make_error(err::INVAL, "IPv4 fragment type out of range");
        w.put(k.ip.proto, ip.ipv4_proto);
        w.put(k.ip.tos, ip.ipv4_tos);
        w.put(k.ip.ttl, ip.ipv4_ttl);
        w.put(k.ip.frag, ip.ipv4_frag);
        w.put(k.ipv4.src, ip.ipv4_src);
        w.put(k.ipv4.dst, ip.ipv4_dst);
        attrs &= ~bit(OVS_KEY_ATTR_IPV4);
    }

    if (attrs & bit(OVS_KEY_ATTR_IPV6)) {
        auto ip = read<OvsKeyIpv6>(t.a[OVS_KEY_ATTR_IPV6], ones);
        if (!is_mask && ip.ipv6_frag > kFragTypeMax)
            return make_error(err::INVAL, "IPv6 fragment type out of range");
        if (!is_mask && (ip.ipv6_label & htonl(0xfff00000)))
            return make_error(err::INVAL, "IPv6 flow label above 20 bits");
        w.put(k.ipv6.label, ip.ipv6_label);
        w.put(k.ip.proto, ip.ipv6_proto);
        w.put(k.ip.tos, ip.ipv6_tclass);
        w.put(k.ip.ttl, ip.ipv6_hlimit);
        w.put(k.ip.frag, ip.ipv6_frag);
        w.put_bytes(k.ipv6.src, ip.ipv6_src, sizeof(k.ipv6.src));
        w.put_bytes(k.ipv6.dst, ip.ipv6_dst, sizeof(k.ipv6.dst));
        attrs &= ~bit(OVS_KEY_ATTR_IPV6);
    }

    // As upstream, whatever the ethertype: the field lies beyond what IPv4,
    // ARP and MPLS keys use, where their packets always have zero.
    if (attrs & bit(OVS_KEY_ATTR_IPV6_EXTHDRS)) {
        auto eh = read<OvsKeyIpv6Exthdrs>(t.a[OVS_KEY_ATTR_IPV6_EXTHDRS], ones);
        w.put(k.ipv6.exthdrs, eh.hdrs);
        attrs &= ~bit(OVS_KEY_ATTR_IPV6_EXTHDRS);
    }

    if (attrs & bit(OVS_KEY_ATTR_ARP)) {
        auto arp = read<OvsKeyArp>(t.a[OVS_KEY_ATTR_ARP], ones);
        if (!is_mask && (arp.arp_op & htons(0xff00)))
            return make_error(err::INVAL, "ARP opcode above 255");
        w.put(k.ipv4.src, arp.arp_sip);
        w.put(k.ipv4.dst, arp.arp_tip);
        w.put(k.ip.proto, static_cast<u8>(ntohs(arp.arp_op)));
        w.put_bytes(k.ipv4.arp.sha, arp.arp_sha, kEthAlen);
        w.put_bytes(k.ipv4.arp.tha, arp.arp_tha, kEthAlen);
        attrs &= ~bit(OVS_KEY_ATTR_ARP);
    }

    if (attrs & bit(OVS_KEY_ATTR_MPLS)) {
        const NlAttr* a = t.a[OVS_KEY_ATTR_MPLS];
        usize len = a->len();
        usize count = len / sizeof(OvsKeyMpls);
        if (count == 0 || count > kMplsLabelDepth || len % sizeof(OvsKeyMpls))
            return make_error(err::INVAL, "MPLS key must hold 1 to 3 label stack entries");
        for (usize i = 0; i < count; i++) {
            be32 lse = ones ? 0xffffffff : load_unaligned<be32>(a->data() + i * sizeof(OvsKeyMpls));
            w.put(k.mpls.lse[i], lse);
        }
        w.put(k.mpls.num_labels_mask, static_cast<u32>((1u << count) - 1));
        attrs &= ~bit(OVS_KEY_ATTR_MPLS);
    }

    if (attrs & bit(OVS_KEY_ATTR_TCP)) {
        auto ports = read<OvsKeyPorts>(t.a[OVS_KEY_ATTR_TCP], ones);
        w.put(k.tp.src, ports.src);
        w.put(k.tp.dst, ports.dst);
        attrs &= ~bit(OVS_KEY_ATTR_TCP);
    }

    if (attrs & bit(OVS_KEY_ATTR_TCP_FLAGS)) {
        be16 flags = read<be16>(t.a[OVS_KEY_ATTR_TCP_FLAGS], ones);
        // TCP flags are 12 bits (DESIGN seed 4). OVS userspace sends 0xffff
        // for an exact match, so a mask is cut to 12 bits (ovs-dpctl prints
        // only those); a key beyond them could never match a packet.
        if (is_mask)
            flags &= htons(kTcpFlagsMask);
        else if (flags & ~htons(kTcpFlagsMask))
            return make_error(err::INVAL, "TCP flags key has bits above the 12 flag bits");
        w.put(k.tp.flags, flags);
        attrs &= ~bit(OVS_KEY_ATTR_TCP_FLAGS);
    }

    if (attrs & bit(OVS_KEY_ATTR_UDP)) {
        auto ports = read<OvsKeyPorts>(t.a[OVS_KEY_ATTR_UDP], ones);
        w.put(k.tp.src, ports.src);
        w.put(k.tp.dst, ports.dst);
        attrs &= ~bit(OVS_KEY_ATTR_UDP);
    }

    if (attrs & bit(OVS_KEY_ATTR_SCTP)) {
        auto ports = read<OvsKeyPorts>(t.a[OVS_KEY_ATTR_SCTP], ones);
        w.put(k.tp.src, ports.src);
        w.put(k.tp.dst, ports.dst);
        attrs &= ~bit(OVS_KEY_ATTR_SCTP);
    }

    if (attrs & bit(OVS_KEY_ATTR_ICMP)) {
        auto icmp = read<OvsKeyIcmp>(t.a[OVS_KEY_ATTR_ICMP], ones);
        w.put(k.tp.src, htons(icmp.type));
        w.put(k.tp.dst, htons(icmp.code));
        attrs &= ~bit(OVS_KEY_ATTR_ICMP);
    }

    if (attrs & bit(OVS_KEY_ATTR_ICMPV6)) {
        auto icmp = read<OvsKeyIcmp>(t.a[OVS_KEY_ATTR_ICMPV6], ones);
        w.put(k.tp.src, htons(icmp.type));
        w.put(k.tp.dst, htons(icmp.code));
        attrs &= ~bit(OVS_KEY_ATTR_ICMPV6);
    }

    if (attrs & bit(OVS_KEY_ATTR_ND)) {
        auto nd = read<OvsKeyNd>(t.a[OVS_KEY_ATTR_ND], ones);
        w.put_bytes(k.ipv6.nd.target, nd.nd_target, sizeof(k.ipv6.nd.target));
        w.put_bytes(k.ipv6.nd.sll, nd.nd_sll, kEthAlen);
        w.put_bytes(k.ipv6.nd.tll, nd.nd_tll, kEthAlen);
        attrs &= ~bit(OVS_KEY_ATTR_ND);
    }

    if (attrs != 0)
        return make_error(err::INVAL, "Unknown or unsupported key attribute");
    return {};
}

// Upstream match_validate: the key has every attribute its ethertype and IP
// protocol imply, and the mask only attributes the key can carry (an L4 mask
// needs an exact ethertype and IP protocol, and so on).
Status match_validate(const FlowMatch& m, u64 key_attrs, u64 mask_attrs)
{
    const FlowKey& k = *m.key;
    const FlowKey* mk = m.mask;
    u64 key_expected = 0;
    u64 mask_allowed = key_attrs;

    mask_allowed &= ~(bit(OVS_KEY_ATTR_IPV4) | bit(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4) | bit(OVS_KEY_ATTR_IPV6)
        | bit(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6) | bit(OVS_KEY_ATTR_TCP) | bit(OVS_KEY_ATTR_TCP_FLAGS)
        | bit(OVS_KEY_ATTR_UDP) | bit(OVS_KEY_ATTR_SCTP) | bit(OVS_KEY_ATTR_ICMP) | bit(OVS_KEY_ATTR_ICMPV6)
        | bit(OVS_KEY_ATTR_ARP) | bit(OVS_KEY_ATTR_ND) | bit(OVS_KEY_ATTR_MPLS) | bit(OVS_KEY_ATTR_NSH));
    mask_allowed |= bit(OVS_KEY_ATTR_TUNNEL) | bit(OVS_KEY_ATTR_IN_PORT) | bit(OVS_KEY_ATTR_ETHERTYPE);

    bool exact_type = mk && mk->eth.type == htons(0xffff);
    bool exact_proto = mk && mk->ip.proto == 0xff;

    if (k.eth.type == htons(kEthPArp) || k.eth.type == htons(kEthPRarp)) {
        key_expected |= bit(OVS_KEY_ATTR_ARP);
        if (exact_type)
            mask_allowed |= bit(OVS_KEY_ATTR_ARP);
    }
    if (eth_p_mpls(k.eth.type)) {
        key_expected |= bit(OVS_KEY_ATTR_MPLS);
        if (exact_type)
            mask_allowed |= bit(OVS_KEY_ATTR_MPLS);
    }
    bool ip4 = k.eth.type == htons(kEthPIp);
    bool ip6 = k.eth.type == htons(kEthPIpv6);
    if (ip4 || ip6) {
        key_expected |= bit(ip4 ? OVS_KEY_ATTR_IPV4 : OVS_KEY_ATTR_IPV6);
        if (exact_type)
            mask_allowed |= bit(ip4 ? OVS_KEY_ATTR_IPV4 : OVS_KEY_ATTR_IPV6)
                | bit(ip4 ? OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4 : OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6);
        if (k.ip.frag != kFragLater) {
            if (k.ip.proto == kIpProtoUdp) {
                key_expected |= bit(OVS_KEY_ATTR_UDP);
                if (exact_proto)
                    mask_allowed |= bit(OVS_KEY_ATTR_UDP);
            }
            if (k.ip.proto == kIpProtoSctp) {
                key_expected |= bit(OVS_KEY_ATTR_SCTP);
                if (exact_proto)
                    mask_allowed |= bit(OVS_KEY_ATTR_SCTP);
            }
            if (k.ip.proto == kIpProtoTcp) {
                key_expected |= bit(OVS_KEY_ATTR_TCP) | bit(OVS_KEY_ATTR_TCP_FLAGS);
                if (exact_proto)
                    mask_allowed |= bit(OVS_KEY_ATTR_TCP) | bit(OVS_KEY_ATTR_TCP_FLAGS);
            }
            if (ip4 && k.ip.proto == kIpProtoIcmp) {
                key_expected |= bit(OVS_KEY_ATTR_ICMP);
                if (exact_proto)
                    mask_allowed |= bit(OVS_KEY_ATTR_ICMP);
            }
            if (ip6 && k.ip.proto == kIpProtoIcmpv6) {
                key_expected |= bit(OVS_KEY_ATTR_ICMPV6);
                if (exact_proto)
                    mask_allowed |= bit(OVS_KEY_ATTR_ICMPV6);
                if (k.tp.src == htons(wire::kNdNeighbourSolicitation) || k.tp.src == htons(wire::kNdNeighbourAdvertisement)) {
                    key_expected |= bit(OVS_KEY_ATTR_ND);
                    // The conntrack original tuple shares the ND fields' space.
                    mask_allowed &= ~bit(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6);
                    if (mk && mk->tp.src == htons(0xff))
                        mask_allowed |= bit(OVS_KEY_ATTR_ND);
                }
            }
        }
    }
    if (k.eth.type == htons(kEthPNsh)) {
        key_expected |= bit(OVS_KEY_ATTR_NSH);
        if (exact_type)
            mask_allowed |= bit(OVS_KEY_ATTR_NSH);
    }

    // The original tuple of the key's own family only (upstream keeps the
    // two in the IPv4 and IPv6 parts of the key's union, where a tuple of
    // the other family would overwrite addresses).
    if (((key_attrs & bit(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4)) && !ip4)
        || ((key_attrs & bit(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6)) && !ip6))
        return make_error(err::INVAL, "Conntrack original tuple of another family than the key's ethertype");
    if ((key_attrs & key_expected) != key_expected)
        return make_error(err::INVAL, "Key lacks an attribute its ethertype or IP protocol requires");
    if ((mask_attrs & mask_allowed) != mask_attrs)
        return make_error(err::INVAL, "Mask has an attribute the key does not match exactly enough to carry");
    return {};
}

Status log_error(Status s, bool log)
{
    if (s.is_error() && log && s.error().msg)
        ovsdp_log_ratelimited(OVSDP_LOG_INFO, "netlink: %s", s.error().msg);
    return s;
}

// The mask pass of parse_match(): `ones`, the exact mask made from the key's
// attributes (no mask given).
template <bool ones>
Status mask_from_attrs(Parser& p, ConstBytes attrs, u64& mask_present)
{
    FlowMatch& m = p.m;
    TRY((parse_attrs<true, ones>(attrs, p.t, mask_present)));
    // Always match on the TCI (an untagged flow matches untagged packets).
    p.mw.put(m.mask->eth.vlan.tci, htons(0xffff));
    p.mw.put(m.mask->eth.cvlan.tci, htons(0xffff));
    TRY((parse_vlan<true, ones>(p, mask_present)));
    return key_from_attrs<true, ones>(p, mask_present);
}

Status parse_match(ConstBytes key_attrs, ConstBytes mask_attrs, bool has_mask, FlowMatch& m)
{
    Parser p { m, FlowKeyWriter(*m.key, m.range), FlowKeyWriter(m.mask ? *m.mask : *m.key, m.mask ? m.mask_range : m.range), {} };
    u64 key_present = 0;
    TRY((parse_attrs<false, false>(key_attrs, p.t, key_present)));
    TRY((parse_vlan<false, false>(p, key_present)));
    TRY((key_from_attrs<false, false>(p, key_present)));

    u64 mask_present = 0;
    if (m.mask) {
        bool ones = !has_mask;
        // Userspace omits zero-valued tunnel attributes; an exact match must
        // still match them.
        if (ones && m.key->tun_key.ip_family)
            p.mw.fill_bytes(&m.mask->tun_key, 0xff, sizeof(FlowTunnelKey));
        if (ones)
            TRY(mask_from_attrs<true>(p, key_attrs, mask_present));
        else
            TRY(mask_from_attrs<false>(p, mask_attrs, mask_present));
    }
    return match_validate(m, key_present, mask_present);
}

} // namespace

s16 key_attr_len(u16 type) { return kKeyLens.len[type]; }

Result<u16> tunnel_key_from_nlattr(const NlAttr* tunnel, FlowKey& key, FlowKeyRange& range, bool log)
{
    FlowKeyWriter w(key, range);
    auto r = tunnel_from_nlattr(tunnel, w, key, false, false);
    if (r.is_error() && log && r.error().msg)
        ovsdp_log_ratelimited(OVSDP_LOG_INFO, "netlink: %s", r.error().msg);
    return r;
}

// Upstream __ip_tun_to_nlattr.
bool put_tunnel_attrs(NlWriter& w, const FlowTunnelKey& k, const u8* opts, usize opts_len, u8 af, u8 mode)
{
    u16 flags = ntohs(k.tun_flags);
    if (flags & kTunnelKey)
        w.put(OVS_TUNNEL_KEY_ATTR_ID, &k.tun_id, sizeof(k.tun_id));
    if (mode & kTunnelInfoBridge) {
        w.put_flag(OVS_TUNNEL_KEY_ATTR_IPV4_INFO_BRIDGE);
        return !w.overflowed();
    }
    if (af == kAfInet) {
        if (k.ipv4.src)
            w.put_value(OVS_TUNNEL_KEY_ATTR_IPV4_SRC, k.ipv4.src);
        if (k.ipv4.dst)
            w.put_value(OVS_TUNNEL_KEY_ATTR_IPV4_DST, k.ipv4.dst);
    } else if (af == kAfInet6) {
        if (!all_zero(k.ipv6.src, sizeof(k.ipv6.src)))
            w.put(OVS_TUNNEL_KEY_ATTR_IPV6_SRC, k.ipv6.src, sizeof(k.ipv6.src));
        if (!all_zero(k.ipv6.dst, sizeof(k.ipv6.dst)))
            w.put(OVS_TUNNEL_KEY_ATTR_IPV6_DST, k.ipv6.dst, sizeof(k.ipv6.dst));
    }
    if (k.tos)
        w.put_u8(OVS_TUNNEL_KEY_ATTR_TOS, k.tos);
    w.put_u8(OVS_TUNNEL_KEY_ATTR_TTL, k.ttl);
    if (flags & kTunnelDontFragment)
        w.put_flag(OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT);
    if (flags & kTunnelCsum)
        w.put_flag(OVS_TUNNEL_KEY_ATTR_CSUM);
    if (k.tp_src)
        w.put_value(OVS_TUNNEL_KEY_ATTR_TP_SRC, k.tp_src);
    if (k.tp_dst)
        w.put_value(OVS_TUNNEL_KEY_ATTR_TP_DST, k.tp_dst);
    if (flags & kTunnelOam)
        w.put_flag(OVS_TUNNEL_KEY_ATTR_OAM);
    if (opts_len && opts) {
        if (flags & kTunnelGeneveOpt) {
            w.put(OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS, opts, opts_len);
        } else if (flags & kTunnelVxlanOpt) {
            usize nest = w.nest_begin(OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS);
            u32 gbp = 0;
            __builtin_memcpy(&gbp, opts, opts_len < sizeof(gbp) ? opts_len : sizeof(gbp));
            w.put_u32(OVS_VXLAN_EXT_GBP, gbp);
            w.nest_end(nest);
        } else if (flags & kTunnelErspanOpt) {
            w.put(OVS_TUNNEL_KEY_ATTR_ERSPAN_OPTS, opts, opts_len);
        }
    }
    return !w.overflowed();
}

} // namespace flow_netlink_detail

Status flow_key_from_nlattrs(ConstBytes key_attrs, ConstBytes mask_attrs, bool has_mask, FlowMatch& m, bool log)
{
    using namespace uapi;
    using namespace flow_netlink_detail;
    __builtin_memset(m.key, 0, sizeof(FlowKey));
    m.range = {};
    if (m.mask)
        __builtin_memset(m.mask, 0, sizeof(FlowKey));
    m.mask_range = {};
    return log_error(parse_match(key_attrs, mask_attrs, has_mask, m), log);
}

Status flow_metadata_from_nlattrs(ConstBytes key_attrs, FlowKey* key, bool log)
{
    using namespace uapi;
    using namespace flow_netlink_detail;
    __builtin_memset(key, 0, sizeof(FlowKey));
    FlowMatch m { key, nullptr, {}, {} };
    Parser p { m, FlowKeyWriter(*key, m.range), FlowKeyWriter(*key, m.range), {} };
    u64 present = 0;
    Status s = parse_attrs<false, false>(key_attrs, p.t, present);
    if (s.ok())
        s = metadata_from_attrs<false, false>(p, present);
    return log_error(s, log);
}

u32 ufid_from_nlattr(const NlAttr* attr, u8* ufid, bool log)
{
    using namespace uapi;
    using namespace flow_netlink_detail;
    if (!attr)
        return 0;
    usize len = attr->len();
    if (len < 1 || len > 16) {
        if (log)
            ovsdp_log_ratelimited(OVSDP_LOG_INFO, "netlink: UFID of %zu bytes ignored (1 to 16)", len);
        return 0;
    }
    __builtin_memcpy(ufid, attr->data(), len);
    return static_cast<u32>(len);
}

namespace flow_netlink_detail {
namespace {

// Upstream's ovs_ct_put_key(): state, zone, mark and labels always (zero
// when untracked, and whether or not this host tracks connections, as a
// kernel with conntrack writes them), the original tuple when the key has one.
void put_ct_key(NlWriter& w, const FlowKey& key, const FlowKey& output)
{
    w.put_u32(OVS_KEY_ATTR_CT_STATE, output.ct.state);
    w.put_u16(OVS_KEY_ATTR_CT_ZONE, output.ct.zone);
    w.put_u32(OVS_KEY_ATTR_CT_MARK, output.ct.mark);
    w.put(OVS_KEY_ATTR_CT_LABELS, output.ct.labels, sizeof(output.ct.labels));
    if (!key.ct.orig_proto)
        return;
    if (key.eth.type == htons(kEthPIp)) {
        OvsKeyCtTupleIpv4 orig;
        __builtin_memset(&orig, 0, sizeof(orig));
        orig.ipv4_src = output.ct.orig.ipv4.src;
        orig.ipv4_dst = output.ct.orig.ipv4.dst;
        orig.src_port = output.ct.orig_tp_src;
        orig.dst_port = output.ct.orig_tp_dst;
        orig.ipv4_proto = output.ct.orig_proto;
        w.put(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4, &orig, sizeof(orig));
    } else if (key.eth.type == htons(kEthPIpv6)) {
        OvsKeyCtTupleIpv6 orig;
        __builtin_memset(&orig, 0, sizeof(orig));
        __builtin_memcpy(orig.ipv6_src, output.ct.orig.ipv6.src, sizeof(orig.ipv6_src));
        __builtin_memcpy(orig.ipv6_dst, output.ct.orig.ipv6.dst, sizeof(orig.ipv6_dst));
        orig.src_port = output.ct.orig_tp_src;
        orig.dst_port = output.ct.orig_tp_dst;
        orig.ipv6_proto = output.ct.orig_proto;
        w.put(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6, &orig, sizeof(orig));
    }
}

} // namespace
} // namespace flow_netlink_detail

// Upstream __ovs_nla_put_key.
bool flow_key_to_nlattrs(const FlowKey& key, const FlowKey& output, bool is_mask, NlWriter& w)
{
    using namespace uapi;
    using namespace flow_netlink_detail;
    w.put_u32(OVS_KEY_ATTR_RECIRC_ID, output.recirc_id);
    w.put_u32(OVS_KEY_ATTR_DP_HASH, output.dp_hash);
    w.put_u32(OVS_KEY_ATTR_PRIORITY, output.priority);

    if (key.tun_key.ip_family || is_mask) {
        const u8* opts = nullptr;
        if (output.tun_key.tun_flags & htons(kTunnelOptionsPresent))
            opts = output.tun_opts + FlowKey::tun_opts_offset(key.tun_opts_len);
        usize nest = w.nest_begin(OVS_KEY_ATTR_TUNNEL);
        put_tunnel_attrs(w, output.tun_key, opts, key.tun_opts_len, key.tun_key.ip_family, 0);
        w.nest_end(nest);
    }

    if (key.in_port == kDpMaxPorts) {
        if (is_mask && output.in_port == 0xffff)
            w.put_u32(OVS_KEY_ATTR_IN_PORT, 0xffffffff);
    } else {
        u32 upper = is_mask ? 0xffff : 0;
        w.put_u32(OVS_KEY_ATTR_IN_PORT, (upper << 16) | output.in_port);
    }
    w.put_u32(OVS_KEY_ATTR_SKB_MARK, output.skb_mark);
    put_ct_key(w, key, output);

    usize encap = 0, in_encap = 0;
    bool have_encap = false, have_in_encap = false;
    auto put_vlan = [&](const FlowVlanHead& vh) {
        w.put_value(OVS_KEY_ATTR_ETHERTYPE, is_mask ? htons(0xffff) : vh.tpid);
        w.put_value(OVS_KEY_ATTR_VLAN, vh.tci);
    };

    if ((key.mac_proto & ~kMacProtoKeyInvalid) == kMacProtoEthernet) {
        OvsKeyEthernet eth;
        __builtin_memcpy(eth.eth_src, output.eth.src, kEthAlen);
        __builtin_memcpy(eth.eth_dst, output.eth.dst, kEthAlen);
        w.put(OVS_KEY_ATTR_ETHERNET, &eth, sizeof(eth));

        if (key.eth.vlan.tci || eth_type_vlan(key.eth.type)) {
            put_vlan(output.eth.vlan);
            encap = w.nest_begin(OVS_KEY_ATTR_ENCAP);
            have_encap = true;
            if (!key.eth.vlan.tci)
                goto unencap;
            if (key.eth.cvlan.tci || eth_type_vlan(key.eth.type)) {
                put_vlan(output.eth.cvlan);
                in_encap = w.nest_begin(OVS_KEY_ATTR_ENCAP);
                have_in_encap = true;
                if (!key.eth.cvlan.tci)
                    goto unencap;
            }
        }

        if (key.eth.type == htons(kEthP8022)) {
            // 802.2 frames have no ETHERTYPE in the key, and 0xffff in the
            // mask unless the type is wildcarded.
            if (is_mask && output.eth.type)
                w.put_value(OVS_KEY_ATTR_ETHERTYPE, output.eth.type);
            goto unencap;
        }
    }

    w.put_value(OVS_KEY_ATTR_ETHERTYPE, output.eth.type);

    // A third tag: nothing is known of the rest of the packet.
    if (eth_type_vlan(key.eth.type))
        goto unencap;

    if (key.eth.type == htons(kEthPIp)) {
        OvsKeyIpv4 ip;
        ip.ipv4_src = output.ipv4.src;
        ip.ipv4_dst = output.ipv4.dst;
        ip.ipv4_proto = output.ip.proto;
        ip.ipv4_tos = output.ip.tos;
        ip.ipv4_ttl = output.ip.ttl;
        ip.ipv4_frag = output.ip.frag;
        w.put(OVS_KEY_ATTR_IPV4, &ip, sizeof(ip));
    } else if (key.eth.type == htons(kEthPIpv6)) {
        OvsKeyIpv6 ip;
        __builtin_memcpy(ip.ipv6_src, output.ipv6.src, sizeof(ip.ipv6_src));
        __builtin_memcpy(ip.ipv6_dst, output.ipv6.dst, sizeof(ip.ipv6_dst));
        ip.ipv6_label = output.ipv6.label;
        ip.ipv6_proto = output.ip.proto;
        ip.ipv6_tclass = output.ip.tos;
        ip.ipv6_hlimit = output.ip.ttl;
        ip.ipv6_frag = output.ip.frag;
        w.put(OVS_KEY_ATTR_IPV6, &ip, sizeof(ip));
        OvsKeyIpv6Exthdrs eh { output.ipv6.exthdrs };
        w.put(OVS_KEY_ATTR_IPV6_EXTHDRS, &eh, sizeof(eh));
    } else if (key.eth.type == htons(kEthPArp) || key.eth.type == htons(kEthPRarp)) {
        OvsKeyArp arp;
        __builtin_memset(&arp, 0, sizeof(arp));
        arp.arp_sip = output.ipv4.src;
        arp.arp_tip = output.ipv4.dst;
        arp.arp_op = htons(output.ip.proto);
        __builtin_memcpy(arp.arp_sha, output.ipv4.arp.sha, kEthAlen);
        __builtin_memcpy(arp.arp_tha, output.ipv4.arp.tha, kEthAlen);
        w.put(OVS_KEY_ATTR_ARP, &arp, sizeof(arp));
    } else if (eth_p_mpls(key.eth.type)) {
        usize n = static_cast<usize>(__builtin_popcount(output.mpls.num_labels_mask));
        if (n > kMplsLabelDepth)
            n = kMplsLabelDepth;
        w.put(OVS_KEY_ATTR_MPLS, output.mpls.lse, n * sizeof(be32));
    }

    if ((key.eth.type == htons(kEthPIp) || key.eth.type == htons(kEthPIpv6)) && key.ip.frag != kFragLater) {
        if (key.ip.proto == kIpProtoTcp) {
            OvsKeyPorts ports { output.tp.src, output.tp.dst };
            w.put(OVS_KEY_ATTR_TCP, &ports, sizeof(ports));
            w.put_value(OVS_KEY_ATTR_TCP_FLAGS, output.tp.flags);
        } else if (key.ip.proto == kIpProtoUdp) {
            OvsKeyPorts ports { output.tp.src, output.tp.dst };
            w.put(OVS_KEY_ATTR_UDP, &ports, sizeof(ports));
        } else if (key.ip.proto == kIpProtoSctp) {
            OvsKeyPorts ports { output.tp.src, output.tp.dst };
            w.put(OVS_KEY_ATTR_SCTP, &ports, sizeof(ports));
        } else if (key.eth.type == htons(kEthPIp) && key.ip.proto == kIpProtoIcmp) {
            OvsKeyIcmp icmp { static_cast<u8>(ntohs(output.tp.src)), static_cast<u8>(ntohs(output.tp.dst)) };
            w.put(OVS_KEY_ATTR_ICMP, &icmp, sizeof(icmp));
        } else if (key.eth.type == htons(kEthPIpv6) && key.ip.proto == kIpProtoIcmpv6) {
            OvsKeyIcmp icmp { static_cast<u8>(ntohs(output.tp.src)), static_cast<u8>(ntohs(output.tp.dst)) };
            w.put(OVS_KEY_ATTR_ICMPV6, &icmp, sizeof(icmp));
            if (key.tp.src == htons(wire::kNdNeighbourSolicitation) || key.tp.src == htons(wire::kNdNeighbourAdvertisement)) {
                OvsKeyNd nd;
                __builtin_memcpy(nd.nd_target, output.ipv6.nd.target, sizeof(nd.nd_target));
                __builtin_memcpy(nd.nd_sll, output.ipv6.nd.sll, kEthAlen);
                __builtin_memcpy(nd.nd_tll, output.ipv6.nd.tll, kEthAlen);
                w.put(OVS_KEY_ATTR_ND, &nd, sizeof(nd));
            }
        }
    }

unencap:
    if (have_in_encap)
        w.nest_end(in_encap);
    if (have_encap)
        w.nest_end(encap);
    return !w.overflowed();
}

bool put_flow_key(NlWriter& w, u16 attr, const FlowKey& key, const FlowKey& output, bool is_mask)
{
    using namespace uapi;
    using namespace flow_netlink_detail;
    usize nest = w.nest_begin(attr);
    if (!flow_key_to_nlattrs(key, output, is_mask, w))
        return false;
    w.nest_end(nest);
    return !w.overflowed();
}

bool put_tunnel_info(NlWriter& w, const FlowTunnelKey& key, const u8* opts, usize opts_len, u8 mode)
{
    using namespace uapi;
    using namespace flow_netlink_detail;
    u8 af = (mode & kTunnelInfoIpv6) ? kAfInet6 : kAfInet;
    return put_tunnel_attrs(w, key, opts, opts_len, af, mode);
}

usize tunnel_key_attr_size()
{
    using namespace uapi;
    using namespace flow_netlink_detail;
    // As upstream's ovs_tun_key_attr_size(): the option blocks are mutually
    // exclusive and Geneve's 256 bytes cover the others.
    return nla_total_size(8) + nla_total_size(16) + nla_total_size(16) + nla_total_size(1) + nla_total_size(1)
        + nla_total_size(0) + nla_total_size(0) + nla_total_size(0) + nla_total_size(256) + nla_total_size(2)
        + nla_total_size(2);
}

usize flow_key_attr_size()
{
    using namespace uapi;
    using namespace flow_netlink_detail;
    return nla_total_size(4) // PRIORITY
        + nla_total_size(0) + tunnel_key_attr_size() // TUNNEL
        + nla_total_size(4) // IN_PORT
        + nla_total_size(4) // SKB_MARK
        + nla_total_size(4) // DP_HASH
        + nla_total_size(4) // RECIRC_ID
        + nla_total_size(4) // CT_STATE
        + nla_total_size(2) // CT_ZONE
        + nla_total_size(4) // CT_MARK
        + nla_total_size(kCtLabelsLen) // CT_LABELS
        + nla_total_size(sizeof(OvsKeyCtTupleIpv6)) // CT_ORIG_TUPLE_IPV6
        + nla_total_size(12) // ETHERNET
        + nla_total_size(2) // ETHERTYPE
        + nla_total_size(4) // VLAN
        + nla_total_size(0) // ENCAP
        + nla_total_size(2) // inner TPID (ETHERTYPE)
        + nla_total_size(4) // inner VLAN
        + nla_total_size(0) // inner ENCAP
        + nla_total_size(2) // ETHERTYPE
        + nla_total_size(40) // IPV6
        + nla_total_size(2) // ICMPV6
        + nla_total_size(28) // ND
        + nla_total_size(2); // IPV6_EXTHDRS
}

} // namespace ovsdp
