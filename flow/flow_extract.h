// SPDX-License-Identifier: GPL-2.0
// Flow key extraction: from a packet to a FlowKey, with the semantics of the
// 6.1 kernel's net/openvswitch/flow.c (key_extract and its helpers), minus
// conntrack and NSH. Header-only templates over the Packet interface
// (packet.h), so that the kernel and the userspace builds inline the packet
// accessors.
//
// Contract, as upstream:
// - A packet too short for its L3 or L4 header is not an error: the fields of
//   that layer stay zero and everything before it is keyed. Only a frame
//   shorter than an Ethernet header (-EINVAL), a VLAN protocol on an L3 packet
//   (-EINVAL) and failures to make headers linear (-ENOMEM) are errors; the
//   caller then drops the packet.
// - Nothing past len() is read, and nothing past what pull() made readable.
// - Packet bytes are read through wire::read_header copies, so reads need no
//   alignment.
// Unlike upstream, every byte of [kFlowKeyPacketStart, kFlowKeyCtStart) is
// written (fields that do not apply are zero), so keys are reproducible to the
// byte and can be hashed and compared over any range.
#pragma once

#include "base/byteorder.h"
#include "base/errno.h"
#include "base/result.h"
#include "flow/flow_key.h"
#include "flow/headers.h"
#include "flow/packet.h"

namespace ovsdp {

// The tunnel a packet was received through (what upstream takes from
// ip_tunnel_info): the key, plus options_len bytes of options at options.
struct FlowTunnelInfo {
    FlowTunnelKey key {};
    const u8* options = nullptr;
    u8 options_len = 0;
};

// What the receive path knows about a packet besides its bytes. mac_proto
// follows the input device as upstream's key_extract_mac_proto(): Ethernet
// for ARPHRD_ETHER, and for ARPHRD_NONE when skb->protocol is ETH_P_TEB;
// none for other ARPHRD_NONE packets (then pkt.protocol() is the L3 type).
struct FlowKeyMetadata {
    const FlowTunnelInfo* tunnel = nullptr; // null when not received from a tunnel
    // The caller wrote the key's tunnel fields (tun_key, tun_opts_len and the
    // options) already; `tunnel` is then ignored (the receive path's hosts
    // copy ip_tunnel_info straight into the key).
    bool tunnel_in_key = false;
    u32 priority = 0; // skb->priority
    u32 skb_mark = 0; // skb->mark
    u32 recirc_id = 0; // 0 on receive
    u16 in_port = 0; // input vport number
    u8 mac_proto = kMacProtoEthernet; // kMacProtoNone for L3 ports
};

namespace flow_detail {

enum class HeaderCheck { Ok, Short, NoMem };

// Upstream's check_header(): the packet is too short, or [0, n) could not be
// made linear.
template <Packet P>
OVSDP_ALWAYS_INLINE HeaderCheck check_header(P& pkt, usize n)
{
    if (OVSDP_UNLIKELY(pkt.len() < n))
        return HeaderCheck::Short;
    if (OVSDP_UNLIKELY(!pkt.pull(n)))
        return HeaderCheck::NoMem;
    return HeaderCheck::Ok;
}

// pskb_may_pull(): either failure is just "not available".
template <Packet P>
OVSDP_ALWAYS_INLINE bool may_pull(P& pkt, usize n)
{
    return OVSDP_LIKELY(n <= pkt.len()) && OVSDP_LIKELY(pkt.pull(n));
}

inline constexpr Error kErrNoMem = { err::NOMEM, "cannot make packet headers linear" };
inline constexpr Error kErrShortEth = { err::INVAL, "packet shorter than an Ethernet header" };
inline constexpr Error kErrL3Vlan = { err::INVAL, "VLAN protocol on a packet without L2 header" };

constexpr bool eth_type_vlan(be16 type)
{
    return type == htons(kEthP8021Q) || type == htons(kEthP8021AD);
}

constexpr bool ipv6_ext_hdr(u8 nexthdr)
{
    return nexthdr == kIpProtoHopOpts || nexthdr == kIpProtoRouting || nexthdr == kIpProtoFragment
        || nexthdr == kIpProtoAuth || nexthdr == kIpProtoNone || nexthdr == kIpProtoDstOpts;
}

// One VLAN tag at `off` (the tpid position; 2 bytes there are readable).
// Returns 1 when a tag was keyed (off then points at the next tpid/type),
// 0 when there is no (complete) tag, -1 when memory is short. With untag, the
// tag is moved out of the packet data into the accelerated tag and off stays.
template <Packet P>
OVSDP_ALWAYS_INLINE int parse_vlan_tag(P& pkt, usize& off, FlowVlanHead& out, bool untag)
{
    be16 tpid = load_unaligned<be16>(pkt.data() + off);
    if (OVSDP_LIKELY(!eth_type_vlan(tpid)))
        return 0;
    usize need = off + sizeof(wire::VlanHdr) + sizeof(be16);
    if (OVSDP_UNLIKELY(pkt.len() < need))
        return 0;
    if (OVSDP_UNLIKELY(!pkt.pull(need)))
        return -1;
    auto vh = wire::read_header<wire::VlanHdr>(pkt.data() + off);
    out.tci = vh.tci | htons(kVlanCfiMask);
    out.tpid = vh.tpid;
    if (OVSDP_UNLIKELY(untag)) {
        if (!pkt.vlan_untag())
            return -1;
    } else {
        off += sizeof(wire::VlanHdr);
    }
    return 1;
}

// Outer tag from the accelerated tag or the packet (then untagged), inner tag
// from the packet. Returns false when memory is short.
template <Packet P>
OVSDP_ALWAYS_INLINE bool parse_vlan(P& pkt, FlowKey& key, usize& off)
{
    if (pkt.vlan_tag_present()) {
        key.eth.vlan.tci = htons(pkt.vlan_tci()) | htons(kVlanCfiMask);
        key.eth.vlan.tpid = pkt.vlan_proto();
    } else {
        int res = parse_vlan_tag(pkt, off, key.eth.vlan, true);
        if (res <= 0)
            return res == 0;
    }
    return parse_vlan_tag(pkt, off, key.eth.cvlan, false) >= 0;
}

// The ethertype at `off` (2 bytes there are readable), stepping over it and
// over an LLC/SNAP header with OUI 0. Frames whose type is below
// ETH_P_802_3_MIN are 802.2 unless SNAP with OUI 0 carries a real ethertype.
// Returns 0 when memory is short.
template <Packet P>
OVSDP_ALWAYS_INLINE be16 parse_ethertype(P& pkt, usize& off)
{
    be16 proto = load_unaligned<be16>(pkt.data() + off);
    off += sizeof(be16);
    if (OVSDP_LIKELY(ntohs(proto) >= kEthP8023Min))
        return proto;

    usize need = off + sizeof(wire::LlcSnapHdr);
    if (pkt.len() < need)
        return htons(kEthP8022);
    if (OVSDP_UNLIKELY(!pkt.pull(need)))
        return 0;
    auto llc = wire::read_header<wire::LlcSnapHdr>(pkt.data() + off);
    if (llc.dsap != wire::kLlcSapSnap || llc.ssap != wire::kLlcSapSnap
        || (llc.oui[0] | llc.oui[1] | llc.oui[2]) != 0)
        return htons(kEthP8022);
    off = need;
    if (ntohs(llc.type) >= kEthP8023Min)
        return llc.type;
    return htons(kEthP8022);
}

// TCP, UDP and SCTP at transport offset th. Returns false for other protocols.
// A header that is not all there leaves the L4 fields zero.
template <Packet P>
OVSDP_ALWAYS_INLINE bool parse_ports(P& pkt, FlowKey& key, usize th)
{
    switch (key.ip.proto) {
    case kIpProtoTcp: {
        if (!may_pull(pkt, th + sizeof(wire::TcpHdr)))
            return true;
        auto tcp = wire::read_header<wire::TcpHdr>(pkt.data() + th);
        usize tcp_len = (ntohs(tcp.doff_flags) >> 12) * 4;
        // The flags count only when the whole TCP header, options included,
        // is in the packet.
        if (OVSDP_UNLIKELY(tcp_len < sizeof(wire::TcpHdr) || pkt.len() < th + tcp_len))
            return true;
        key.tp.src = tcp.source;
        key.tp.dst = tcp.dest;
        key.tp.flags = tcp.doff_flags & htons(kTcpFlagsMask);
        return true;
    }
    case kIpProtoUdp: {
        if (!may_pull(pkt, th + sizeof(wire::UdpHdr)))
            return true;
        auto udp = wire::read_header<wire::UdpHdr>(pkt.data() + th);
        key.tp.src = udp.source;
        key.tp.dst = udp.dest;
        return true;
    }
    case kIpProtoSctp: {
        if (!may_pull(pkt, th + sizeof(wire::SctpHdr)))
            return true;
        auto sctp = wire::read_header<wire::SctpHdr>(pkt.data() + th);
        key.tp.src = sctp.source;
        key.tp.dst = sctp.dest;
        return true;
    }
    default:
        return false;
    }
}

template <Packet P>
OVSDP_ALWAYS_INLINE Status parse_ipv4(P& pkt, FlowKey& key, usize nh)
{
    switch (check_header(pkt, nh + sizeof(wire::Ipv4Hdr))) {
    case HeaderCheck::Ok:
        break;
    case HeaderCheck::Short:
        pkt.set_transport_offset(nh);
        return {};
    case HeaderCheck::NoMem:
        return kErrNoMem;
    }
    auto ip = wire::read_header<wire::Ipv4Hdr>(pkt.data() + nh);
    usize ihl = (ip.version_ihl & 0x0f) * 4u;
    if (OVSDP_UNLIKELY(ihl < sizeof(wire::Ipv4Hdr) || pkt.len() < nh + ihl)) {
        pkt.set_transport_offset(nh);
        return {};
    }
    usize th = nh + ihl;
    pkt.set_transport_offset(th);

    key.ipv4.src = ip.saddr;
    key.ipv4.dst = ip.daddr;
    key.ip.proto = ip.protocol;
    key.ip.tos = ip.tos;
    key.ip.ttl = ip.ttl;

    if (OVSDP_UNLIKELY(ip.frag_off & htons(wire::kIpOffset))) {
        // Only the first fragment carries the L4 header.
        key.ip.frag = kFragLater;
        return {};
    }
    if (OVSDP_UNLIKELY((ip.frag_off & htons(wire::kIpMf)) || pkt.gso_udp()))
        key.ip.frag = kFragFirst;

    if (parse_ports(pkt, key, th))
        return {};
    if (key.ip.proto == kIpProtoIcmp && may_pull(pkt, th + sizeof(wire::IcmpHdr))) {
        auto icmp = wire::read_header<wire::IcmpHdr>(pkt.data() + th);
        // Type and code live in the 16-bit port fields, network order.
        key.tp.src = htons(icmp.type);
        key.tp.dst = htons(icmp.code);
    }
    return {};
}

template <Packet P>
OVSDP_ALWAYS_INLINE void parse_arp(P& pkt, FlowKey& key, usize nh)
{
    if (!may_pull(pkt, nh + sizeof(wire::ArpEthHdr)))
        return;
    auto arp = wire::read_header<wire::ArpEthHdr>(pkt.data() + nh);
    if (arp.hrd != htons(wire::kArpHrdEther) || arp.pro != htons(kEthPIp) || arp.hln != kEthAlen
        || arp.pln != 4)
        return;
    // Any opcode is keyed; only its low 8 bits fit in ip.proto.
    u16 op = ntohs(arp.op);
    key.ip.proto = op <= 0xff ? static_cast<u8>(op) : 0;
    __builtin_memcpy(&key.ipv4.src, arp.sip, 4);
    __builtin_memcpy(&key.ipv4.dst, arp.tip, 4);
    __builtin_memcpy(key.ipv4.arp.sha, arp.sha, kEthAlen);
    __builtin_memcpy(key.ipv4.arp.tha, arp.tha, kEthAlen);
}

// The label stack from nh. Keys up to kMplsLabelDepth entries; the inner
// network header goes after the bottom of stack however deep it is (the walk
// is bounded by the packet length). A stack cut short keeps the labels read
// and no num_labels_mask, as upstream.
template <Packet P>
OVSDP_NOINLINE void parse_mpls(P& pkt, FlowKey& key, usize nh)
{
    usize count = 1;
    usize inner = nh;
    for (;;) {
        usize end = nh + count * wire::kMplsHlen;
        if (check_header(pkt, end) != HeaderCheck::Ok) {
            pkt.set_inner_network_offset(inner);
            return;
        }
        be32 lse = load_unaligned<be32>(pkt.data() + end - wire::kMplsHlen);
        if (count <= kMplsLabelDepth)
            key.mpls.lse[count - 1] = lse;
        inner = end;
        if (lse & htonl(kMplsLsBosMask))
            break;
        count++;
    }
    pkt.set_inner_network_offset(inner);
    if (count > kMplsLabelDepth)
        count = kMplsLabelDepth;
    key.mpls.num_labels_mask = (1u << count) - 1;
}

// Result of walking the IPv6 extension headers (ipv6_find_hdr with target -1).
struct Ipv6Walk {
    static constexpr int kBadMsg = -1; // header chain cut short or unusable
    static constexpr int kNoMem = -2;
    int nexthdr = 0; // final next header, or kBadMsg/kNoMem
    usize offset = 0; // where the final header starts
    u16 frag_off = 0; // fragment offset in bytes of a non-first fragment
    bool frag = false; // a fragment header was seen
};

// Walks the extension headers from nh + 40 (which must be readable) the way
// ipv6_find_hdr(skb, &ofs, -1, &frag_off, &flags) of 6.1.192 does, including
// its quirks: a non-first fragment followed by another extension header is an
// error with frag_off 0; a fragment header cut after its first two bytes
// still counts as a fragment; a header whose length runs past the end of the
// packet is an error (the packet is then keyed with no next header, 59, and
// no L4 fields), though not the fragment header of a non-first fragment,
// which ends the walk before its length matters. The loop advances by at
// least 8 bytes per header, so it is bounded by the packet length.
template <Packet P>
OVSDP_NOINLINE Ipv6Walk ipv6_walk(P& pkt, usize nh)
{
    Ipv6Walk w;
    usize start = nh + sizeof(wire::Ipv6Hdr);
    u8 nexthdr = pkt.data()[nh + OVSDP_OFFSETOF(wire::Ipv6Hdr, nexthdr)];
    for (;;) {
        if (!ipv6_ext_hdr(nexthdr) || nexthdr == kIpProtoNone) {
            w.nexthdr = nexthdr;
            w.offset = start;
            return w;
        }
        HeaderCheck c = check_header(pkt, start + sizeof(wire::Ipv6OptHdr));
        if (c != HeaderCheck::Ok) {
            w.nexthdr = c == HeaderCheck::Short ? Ipv6Walk::kBadMsg : Ipv6Walk::kNoMem;
            return w;
        }
        auto hp = wire::read_header<wire::Ipv6OptHdr>(pkt.data() + start);
        usize hdrlen;
        if (nexthdr == kIpProtoRouting || nexthdr == kIpProtoFragment) {
            // The routing header's fixed part and the fragment offset are
            // both 4 bytes in.
            if (nexthdr == kIpProtoFragment)
                w.frag = true;
            c = check_header(pkt, start + 4);
            if (c != HeaderCheck::Ok) {
                w.nexthdr = c == HeaderCheck::Short ? Ipv6Walk::kBadMsg : Ipv6Walk::kNoMem;
                return w;
            }
        }
        if (nexthdr == kIpProtoFragment) {
            be16 fo = load_unaligned<be16>(pkt.data() + start + OVSDP_OFFSETOF(wire::Ipv6FragHdr, frag_off));
            u16 frag_off = ntohs(fo) & ~7u;
            if (frag_off) {
                if (!ipv6_ext_hdr(hp.nexthdr) || hp.nexthdr == kIpProtoNone) {
                    w.frag_off = frag_off;
                    w.nexthdr = hp.nexthdr;
                    w.offset = start + sizeof(wire::Ipv6FragHdr);
                    return w;
                }
                w.nexthdr = Ipv6Walk::kBadMsg; // -ENOENT upstream
                return w;
            }
            hdrlen = sizeof(wire::Ipv6FragHdr);
        } else if (nexthdr == kIpProtoAuth) {
            hdrlen = (hp.hdrlen + 2u) << 2;
        } else {
            hdrlen = (hp.hdrlen + 1u) << 3;
        }
        // At least 2 bytes from start are in the packet (read above).
        if (pkt.len() - start < hdrlen) {
            w.nexthdr = Ipv6Walk::kBadMsg;
            return w;
        }
        nexthdr = hp.nexthdr;
        start += hdrlen;
    }
}

// The extension header bits of OVS_KEY_ATTR_IPV6_EXTHDRS (kIpv6Exthdr*), as
// 6.1's get_ipv6_ext_hdrs() computes them from the chain starting after the
// IPv6 header at nh. Its rules, kept as they are:
// - The walk follows next-header values while they name one of
//   ipv6_ext_hdr()'s six (hop-by-hop, routing, fragment, AH, no-next,
//   destination options). ESP is not among them, so the ESP bit is never
//   set, and nothing after an ESP header is seen.
// - Every header, AH and the fragment header included, is stepped over as
//   (hdrlen + 1) * 8 bytes; the walk ends quietly when the next 2-byte
//   header start is not in the packet (a header that runs past the end is
//   still counted). It does not stop at a non-first fragment.
// - UNREP: a second hop-by-hop, routing, fragment or AH header, or a third
//   destination options header. UNSEQ: a header after one that RFC 2460
//   recommends to come later (hop-by-hop only first; one destination
//   options header before routing, another one after AH), or any header but
//   a destination options one after two destination options headers.
// Returns false when memory is short.
template <Packet P>
OVSDP_NOINLINE bool ipv6_exthdrs(P& pkt, usize nh, u16& out)
{
    constexpr u16 kHop = kIpv6ExthdrHop, kDest = kIpv6ExthdrDest, kRouter = kIpv6ExthdrRouter;
    constexpr u16 kFrag = kIpv6ExthdrFrag, kAuth = kIpv6ExthdrAuth, kEsp = kIpv6ExthdrEsp;
    constexpr u16 kUnrep = kIpv6ExthdrUnrep, kUnseq = kIpv6ExthdrUnseq;
    u16 bits = 0;
    u32 n_dest = 0;
    usize start = nh + sizeof(wire::Ipv6Hdr);
    u8 next = pkt.data()[nh + OVSDP_OFFSETOF(wire::Ipv6Hdr, nexthdr)];
    while (ipv6_ext_hdr(next)) {
        // For routing, fragment and AH: its bit, and the headers that may
        // precede it without breaking the recommended order.
        u16 self = 0, may_follow = 0;
        switch (next) {
        case kIpProtoNone:
            out = bits | kIpv6ExthdrNoNext;
            return true;
        case kIpProtoHopOpts:
            if (bits & kHop)
                bits |= kUnrep;
            bits |= bits ? kUnseq : kHop;
            break;
        case kIpProtoDstOpts:
            if (n_dest == 0) {
                if (bits & ~(kHop | kUnrep))
                    bits |= kUnseq;
                bits |= kDest;
            } else if (n_dest == 1) {
                if (bits & ~(kHop | kDest | kRouter | kFrag | kAuth | kEsp | kUnrep))
                    bits |= kUnseq;
            } else {
                bits |= kUnrep;
            }
            n_dest++;
            break;
        case kIpProtoRouting:
            self = kRouter;
            may_follow = kHop | kDest;
            break;
        case kIpProtoFragment:
            self = kFrag;
            may_follow = kHop | kDest | kRouter;
            break;
        case kIpProtoAuth:
            self = kAuth;
            may_follow = kHop | kDest | kRouter | kFrag;
            break;
        }
        if (self) {
            if (bits & self)
                bits |= kUnrep;
            if ((bits & ~(may_follow | kUnrep)) || n_dest >= 2)
                bits |= kUnseq;
            bits |= self;
        }
        HeaderCheck c = check_header(pkt, start + sizeof(wire::Ipv6OptHdr));
        if (c == HeaderCheck::NoMem)
            return false;
        if (c == HeaderCheck::Short)
            break;
        auto hp = wire::read_header<wire::Ipv6OptHdr>(pkt.data() + start);
        next = hp.nexthdr;
        start += (hp.hdrlen + 1u) << 3;
    }
    out = bits;
    return true;
}

// ICMPv6 at th (8 bytes readable). Neighbor solicitations and advertisements
// also key the target and the link-layer address options; a repeated option
// voids all ND fields.
template <Packet P>
OVSDP_NOINLINE Status parse_icmpv6_nd(P& pkt, FlowKey& key, usize th)
{
    usize icmp_len = pkt.len() - th;
    if (icmp_len < sizeof(wire::NdMsg))
        return {};
    // Options may run to the end of the packet: make it all linear.
    if (OVSDP_UNLIKELY(!pkt.pull(pkt.len())))
        return kErrNoMem;
    const u8* nd = pkt.data() + th;
    FlowKeyNd& out = key.ipv6.nd;
    __builtin_memcpy(out.target, nd + OVSDP_OFFSETOF(wire::NdMsg, target), sizeof(out.target));

    icmp_len -= sizeof(wire::NdMsg);
    const u8* opt = nd + sizeof(wire::NdMsg);
    while (icmp_len >= 8) {
        auto oh = wire::read_header<wire::NdOptHdr>(opt);
        usize opt_len = oh.len * 8u;
        if (OVSDP_UNLIKELY(!opt_len || opt_len > icmp_len))
            return {};
        if (opt_len == 8 && (oh.type == wire::kNdOptSourceLlAddr || oh.type == wire::kNdOptTargetLlAddr)) {
            u8* lladdr = oh.type == wire::kNdOptSourceLlAddr ? out.sll : out.tll;
            if (OVSDP_UNLIKELY((lladdr[0] | lladdr[1] | lladdr[2] | lladdr[3] | lladdr[4] | lladdr[5]) != 0)) {
                __builtin_memset(&out, 0, sizeof(out));
                return {};
            }
            __builtin_memcpy(lladdr, opt + sizeof(wire::NdOptHdr), kEthAlen);
        }
        icmp_len -= opt_len;
        opt += opt_len;
    }
    return {};
}

template <Packet P>
OVSDP_ALWAYS_INLINE Status parse_ipv6(P& pkt, FlowKey& key, usize nh)
{
    switch (check_header(pkt, nh + sizeof(wire::Ipv6Hdr))) {
    case HeaderCheck::Ok:
        break;
    case HeaderCheck::Short:
        pkt.set_transport_offset(nh);
        return {};
    case HeaderCheck::NoMem:
        return kErrNoMem;
    }
    auto ip6 = wire::read_header<wire::Ipv6Hdr>(pkt.data() + nh);
    if (OVSDP_UNLIKELY(ipv6_ext_hdr(ip6.nexthdr)) && !ipv6_exthdrs(pkt, nh, key.ipv6.exthdrs))
        return kErrNoMem;
    key.ip.proto = kIpProtoNone;
    key.ip.tos = static_cast<u8>(ntohl(ip6.version_tc_label) >> 20);
    key.ip.ttl = ip6.hop_limit;
    key.ipv6.label = ip6.version_tc_label & htonl(wire::kIpv6FlowLabelMask);
    __builtin_memcpy(key.ipv6.src, ip6.saddr, 16);
    __builtin_memcpy(key.ipv6.dst, ip6.daddr, 16);

    usize th;
    if (OVSDP_LIKELY(!ipv6_ext_hdr(ip6.nexthdr))) {
        // The common case needs no walk.
        th = nh + sizeof(wire::Ipv6Hdr);
        key.ip.proto = ip6.nexthdr;
    } else {
        Ipv6Walk w = ipv6_walk(pkt, nh);
        if (OVSDP_UNLIKELY(w.nexthdr == Ipv6Walk::kNoMem))
            return kErrNoMem;
        if (w.frag) {
            if (w.frag_off) {
                key.ip.frag = kFragLater;
                key.ip.proto = kIpProtoFragment;
                return {};
            }
            key.ip.frag = kFragFirst;
        }
        if (w.nexthdr < 0) {
            pkt.set_transport_offset(nh);
            return {};
        }
        th = w.offset;
        key.ip.proto = static_cast<u8>(w.nexthdr);
    }
    pkt.set_transport_offset(th);
    if (OVSDP_UNLIKELY(pkt.gso_udp()))
        key.ip.frag = kFragFirst;

    if (parse_ports(pkt, key, th))
        return {};
    if (key.ip.proto == kIpProtoIcmpv6 && may_pull(pkt, th + sizeof(wire::IcmpHdr))) {
        auto icmp = wire::read_header<wire::IcmpHdr>(pkt.data() + th);
        key.tp.src = htons(icmp.type);
        key.tp.dst = htons(icmp.code);
        if (icmp.code == 0
            && (icmp.type == wire::kNdNeighbourSolicitation || icmp.type == wire::kNdNeighbourAdvertisement))
            return parse_icmpv6_nd(pkt, key, th);
    }
    return {};
}

template <Packet P>
OVSDP_ALWAYS_INLINE Status key_extract_l3l4(P& pkt, FlowKey& key, usize nh)
{
    be16 type = key.eth.type;
    if (OVSDP_LIKELY(type == htons(kEthPIp)))
        return parse_ipv4(pkt, key, nh);
    if (OVSDP_LIKELY(type == htons(kEthPIpv6)))
        return parse_ipv6(pkt, key, nh);
    if (type == htons(kEthPArp) || type == htons(kEthPRarp))
        parse_arp(pkt, key, nh);
    else if (type == htons(kEthPMplsUc) || type == htons(kEthPMplsMc))
        parse_mpls(pkt, key, nh);
    return {};
}

} // namespace flow_detail

// Extracts the packet fields of `key` ([kFlowKeyPacketStart, kFlowKeyCtStart))
// from pkt; the tunnel and metadata fields, mac_proto included, must already
// be set and are left alone, and so are the conntrack fields. Sets pkt's protocol, mac_len and network/transport offsets
// as upstream's key_extract() does, and may move an in-band outer VLAN tag to
// the accelerated tag. On error the key's packet fields are unspecified.
template <Packet P>
Status key_extract(P& pkt, FlowKey& key)
{
    using namespace flow_detail;
    __builtin_memset(key.bytes() + kFlowKeyPacketStart, 0, kFlowKeyCtStart - kFlowKeyPacketStart);

    usize nh;
    if (OVSDP_UNLIKELY((key.mac_proto & ~kMacProtoKeyInvalid) == kMacProtoNone)) {
        be16 proto = pkt.protocol();
        if (eth_type_vlan(proto))
            return kErrL3Vlan;
        nh = 0;
        key.eth.type = proto;
    } else {
        switch (check_header(pkt, sizeof(wire::EthHdr))) {
        case HeaderCheck::Ok:
            break;
        case HeaderCheck::Short:
            return kErrShortEth;
        case HeaderCheck::NoMem:
            return kErrNoMem;
        }
        const u8* eth = pkt.data();
        __builtin_memcpy(key.eth.src, eth + OVSDP_OFFSETOF(wire::EthHdr, src), kEthAlen);
        __builtin_memcpy(key.eth.dst, eth + OVSDP_OFFSETOF(wire::EthHdr, dst), kEthAlen);

        usize off = OVSDP_OFFSETOF(wire::EthHdr, type);
        if (OVSDP_UNLIKELY(!parse_vlan(pkt, key, off)))
            return kErrNoMem;
        be16 type = parse_ethertype(pkt, off);
        if (OVSDP_UNLIKELY(type == 0))
            return kErrNoMem;
        key.eth.type = type;
        // A double-tagged frame keeps the inner TPID as its protocol, so that
        // popping the outer tag later shifts the right type into place.
        pkt.set_protocol(key.eth.cvlan.tci & htons(kVlanCfiMask) ? key.eth.cvlan.tpid : type);
        nh = off;
    }
    pkt.set_network_offset(nh);
    pkt.set_mac_len(nh);
    return key_extract_l3l4(pkt, key, nh);
}

// Re-extraction after actions changed the packet (ovs_flow_key_update): on
// success the key is valid again.
template <Packet P>
Status key_update(P& pkt, FlowKey& key)
{
    Status s = key_extract(pkt, key);
    if (s.ok())
        key.mac_proto &= ~kMacProtoKeyInvalid;
    return s;
}

// The receive path (ovs_flow_key_extract): tunnel and metadata from md, then
// the packet fields; the conntrack fields are zeroed. For a packet without tunnel the tunnel key and option
// length are zeroed but the option bytes are left as they are (as upstream:
// any mask that covers options also covers tun_opts_len exactly); with a
// tunnel only the options' own bytes are written.
template <Packet P>
OVSDP_ALWAYS_INLINE Status key_extract_with_metadata(P& pkt, const FlowKeyMetadata& md, FlowKey& key)
{
    if (OVSDP_UNLIKELY(md.tunnel_in_key)) {
        // written by the caller
    } else if (OVSDP_UNLIKELY(md.tunnel != nullptr)) {
        key.tun_key = md.tunnel->key;
        usize n = md.tunnel->options_len;
        if (n)
            __builtin_memcpy(key.tun_opts + FlowKey::tun_opts_offset(n), md.tunnel->options, n);
        key.tun_opts_len = static_cast<u8>(n);
    } else {
        key.tun_key = FlowTunnelKey {};
        key.tun_opts_len = 0;
    }
    key.priority = md.priority;
    key.skb_mark = md.skb_mark;
    key.recirc_id = md.recirc_id;
    key.dp_hash = 0;
    key.in_port = md.in_port;
    key.mac_proto = md.mac_proto;
    key.pad0 = 0;
    // Untracked; a host that finds a connection on the packet fills these
    // afterwards (upstream's ovs_ct_fill_key()).
    key.ct = FlowKeyCt {};
    return key_extract(pkt, key);
}

} // namespace ovsdp
