// SPDX-License-Identifier: GPL-2.0
// The set actions: rewriting header fields in place (OVS_ACTION_ATTR_SET_MASKED
// and the kernel-internal SET_TO_MASKED), with upstream's semantics
// (net/openvswitch/actions.c): only fields under the mask change, each new
// value is OVS_MASKED(old, value, mask) = value | (old & ~mask), checksums are
// updated incrementally for every ip_summed state, and the flow key follows
// the packet so that later actions see the new values.
//
// Every function returns 0 or a negative errno; on error the packet is
// dropped by the engine. Header offsets are the packet's (set by key
// extraction); a validated action list only sets fields of headers the
// flow's key says are there.
#pragma once

#include "actions/header_ops.h"
#include "base/errno.h"
#include "base/netlink.h"
#include "base/ovs_abi.h"
#include "flow/flow_extract.h"
#include "flow/flow_key.h"
#include "flow/headers.h"

namespace ovsdp::act {

template <typename T>
constexpr T ovs_masked(T old, T value, T mask)
{
    return static_cast<T>(value | (old & ~mask));
}

inline constexpr u16 kCsumMangled0 = 0xffff; // CSUM_MANGLED_0: a UDP checksum that came out 0

// ---- Ethernet ----------------------------------------------------------------

template <MutablePacket P>
int set_eth_addr(P& pkt, FlowKey& fk, const uapi::OvsKeyEthernet& key, const uapi::OvsKeyEthernet& mask)
{
    u8* eth = pkt.make_writable(kEthHlen);
    if (OVSDP_UNLIKELY(!eth))
        return -err::NOMEM;
    postpull_rcsum(pkt, eth, 2 * kEthAlen);
    for (usize i = 0; i < kEthAlen; i++) {
        eth[kEthAlen + i] = ovs_masked(eth[kEthAlen + i], key.eth_src[i], mask.eth_src[i]);
        eth[i] = ovs_masked(eth[i], key.eth_dst[i], mask.eth_dst[i]);
    }
    postpush_rcsum(pkt, eth, 2 * kEthAlen);
    __builtin_memcpy(fk.eth.src, eth + kEthAlen, kEthAlen);
    __builtin_memcpy(fk.eth.dst, eth, kEthAlen);
    return 0;
}

// ---- IPv4 ----------------------------------------------------------------------

namespace ipv4_off {
inline constexpr usize kTos = 1;
inline constexpr usize kFragOff = 6;
inline constexpr usize kTtl = 8;
inline constexpr usize kProto = 9;
inline constexpr usize kCheck = 10;
inline constexpr usize kSaddr = 12;
inline constexpr usize kDaddr = 16;
} // namespace ipv4_off

inline constexpr usize kTcpCheckOff = 16;
inline constexpr usize kUdpCheckOff = 6;
inline constexpr usize kIcmpv6CheckOff = 2;
inline constexpr usize kTcpHlen = 20;
inline constexpr usize kUdpHlen = 8;
inline constexpr usize kIcmpv6Hlen = 8;
inline constexpr usize kSctpHlen = 12;

// Bytes of the packet from the transport header on; negative when there is
// no transport header in the packet (beyond its end, or, after headers were
// popped from a packet it was never set for, before its start).
template <MutablePacket P>
OVSDP_ALWAYS_INLINE long transport_len(const P& pkt)
{
    if (OVSDP_UNLIKELY(pkt.transport_offset() < 0))
        return -1;
    return static_cast<long>(pkt.len()) - pkt.transport_offset();
}

// Where the L4 checksum field a pseudo-header change must update ends, or 0
// when there is none to update (upstream's conditions in
// update_ip_l4_checksum() and update_ipv6_checksum()).
template <MutablePacket P>
usize l4_csum_field_end(const P& pkt, u8 proto)
{
    long tlen = transport_len(pkt);
    usize th = static_cast<usize>(tlen < 0 ? 0 : pkt.transport_offset());
    if (proto == kIpProtoTcp && tlen >= static_cast<long>(kTcpHlen))
        return th + kTcpCheckOff + 2;
    if (proto == kIpProtoUdp && tlen >= static_cast<long>(kUdpHlen))
        return th + kUdpCheckOff + 2;
    if (proto == kIpProtoIcmpv6 && tlen >= static_cast<long>(kIcmpv6Hlen))
        return th + kIcmpv6CheckOff + 2;
    return 0;
}

// `base` is the writable packet start; the L4 checksum field is writable.
template <MutablePacket P>
void update_ip_l4_checksum(P& pkt, u8* base, const u8* nh, be32 addr, be32 new_addr)
{
    if (load_unaligned<be16>(nh + ipv4_off::kFragOff) & htons(wire::kIpOffset))
        return;
    long tlen = transport_len(pkt);
    u8 proto = nh[ipv4_off::kProto];
    if (proto == kIpProtoTcp) {
        if (OVSDP_LIKELY(tlen >= static_cast<long>(kTcpHlen)))
            inet_proto_csum_replace4(pkt, base + pkt.transport_offset() + kTcpCheckOff, addr, new_addr, true);
    } else if (proto == kIpProtoUdp) {
        if (OVSDP_LIKELY(tlen >= static_cast<long>(kUdpHlen))) {
            u8* check = base + pkt.transport_offset() + kUdpCheckOff;
            if (load_unaligned<u16>(check) || pkt.ip_summed() == IpSummed::Partial) {
                inet_proto_csum_replace4(pkt, check, addr, new_addr, true);
                if (!load_unaligned<u16>(check))
                    store_unaligned<u16>(check, kCsumMangled0);
            }
        }
    }
}

template <MutablePacket P>
void set_ip_addr(P& pkt, u8* base, u8* nh, usize addr_off, be32 new_addr)
{
    be32 addr = load_unaligned<be32>(nh + addr_off);
    update_ip_l4_checksum(pkt, base, nh, addr, new_addr);
    csum_replace4(nh + ipv4_off::kCheck, addr, new_addr);
    pkt.clear_hash();
    store_unaligned<be32>(nh + addr_off, new_addr);
}

// ipv4_change_dsfield(): the kernel's own incremental update of the header
// checksum for a TOS change, reproduced bit for bit.
inline void ipv4_change_dsfield(u8* nh, u8 mask, u8 value)
{
    u32 check = ntohs(load_unaligned<be16>(nh + ipv4_off::kCheck));
    u8 dsfield = static_cast<u8>((nh[ipv4_off::kTos] & mask) | value);
    check += nh[ipv4_off::kTos];
    if ((check + 1) >> 16)
        check = (check + 1) & 0xffff;
    check -= dsfield;
    check += check >> 16; // adjust carry
    store_unaligned<be16>(nh + ipv4_off::kCheck, htons(static_cast<u16>(check)));
    nh[ipv4_off::kTos] = dsfield;
}

template <MutablePacket P>
int set_ipv4(P& pkt, FlowKey& fk, const uapi::OvsKeyIpv4& key, const uapi::OvsKeyIpv4& mask)
{
    int nh_off = pkt.network_offset();
    u8* nh = writable_header(pkt, nh_off, sizeof(wire::Ipv4Hdr));
    if (OVSDP_UNLIKELY(!nh))
        return -err::NOMEM;
    u8* base = nh - nh_off;
    if (mask.ipv4_src || mask.ipv4_dst) {
        // The L4 checksum field is written too: make it private as well
        // (upstream relies on skb_ensure_writable() having copied the whole
        // linear head).
        usize end = 0;
        if (!(load_unaligned<be16>(nh + ipv4_off::kFragOff) & htons(wire::kIpOffset))) {
            u8 proto = nh[ipv4_off::kProto];
            if (proto == kIpProtoTcp || proto == kIpProtoUdp)
                end = l4_csum_field_end(pkt, proto);
        }
        if (end > static_cast<usize>(nh_off) + sizeof(wire::Ipv4Hdr)) {
            base = pkt.make_writable(end);
            if (OVSDP_UNLIKELY(!base))
                return -err::NOMEM;
            nh = base + nh_off;
        }
    }

    // Addresses are typically set only as a side effect of matching on them:
    // rewrite them only when they change.
    if (mask.ipv4_src) {
        be32 new_addr = ovs_masked(load_unaligned<be32>(nh + ipv4_off::kSaddr), key.ipv4_src, mask.ipv4_src);
        if (OVSDP_UNLIKELY(new_addr != load_unaligned<be32>(nh + ipv4_off::kSaddr))) {
            set_ip_addr(pkt, base, nh, ipv4_off::kSaddr, new_addr);
            fk.ipv4.src = new_addr;
        }
    }
    if (mask.ipv4_dst) {
        be32 new_addr = ovs_masked(load_unaligned<be32>(nh + ipv4_off::kDaddr), key.ipv4_dst, mask.ipv4_dst);
        if (OVSDP_UNLIKELY(new_addr != load_unaligned<be32>(nh + ipv4_off::kDaddr))) {
            set_ip_addr(pkt, base, nh, ipv4_off::kDaddr, new_addr);
            fk.ipv4.dst = new_addr;
        }
    }
    if (mask.ipv4_tos) {
        ipv4_change_dsfield(nh, static_cast<u8>(~mask.ipv4_tos), key.ipv4_tos);
        fk.ip.tos = nh[ipv4_off::kTos];
    }
    if (mask.ipv4_ttl) {
        u8 old_ttl = nh[ipv4_off::kTtl];
        u8 new_ttl = ovs_masked(old_ttl, key.ipv4_ttl, mask.ipv4_ttl);
        csum_replace2(nh + ipv4_off::kCheck, htons(static_cast<u16>(old_ttl << 8)), htons(static_cast<u16>(new_ttl << 8)));
        nh[ipv4_off::kTtl] = new_ttl;
        fk.ip.ttl = new_ttl;
    }
    return 0;
}

// ---- IPv6 ----------------------------------------------------------------------

namespace ipv6_off {
inline constexpr usize kNexthdr = 6;
inline constexpr usize kHopLimit = 7;
inline constexpr usize kSaddr = 8;
inline constexpr usize kDaddr = 24;
} // namespace ipv6_off

inline constexpr u32 kIpv6FlowinfoFlowlabel = 0x000fffff; // IPV6_FLOWINFO_FLOWLABEL (host order)

// True when the extension headers hold a routing header with segments left
// (ipv6_find_hdr(skb, &off, NEXTHDR_ROUTING, NULL, &flags) == NEXTHDR_ROUTING
// with IP6_FH_F_SKIP_RH): then the destination address is not the final one
// and the L4 checksum, which covers the final one, must not change. Walks a
// bounded chain: every header advances by at least 8 bytes of the packet.
template <MutablePacket P>
bool ipv6_has_pending_routing_hdr(P& pkt, int nh_off)
{
    const u8* ip6 = readable_header(pkt, nh_off, sizeof(wire::Ipv6Hdr));
    if (!ip6)
        return false;
    u8 nexthdr = ip6[ipv6_off::kNexthdr];
    long start = nh_off + static_cast<long>(sizeof(wire::Ipv6Hdr));
    for (;;) {
        if (!flow_detail::ipv6_ext_hdr(nexthdr) || nexthdr == kIpProtoNone)
            return false; // -ENOENT
        const u8* hp = readable_header(pkt, static_cast<int>(start), 2);
        if (!hp)
            return false; // -EBADMSG
        u8 next = hp[0];
        u8 hdrlen8 = hp[1];
        bool found = false;
        usize hdrlen;
        if (nexthdr == kIpProtoRouting) {
            const u8* rh = readable_header(pkt, static_cast<int>(start), 4);
            if (!rh)
                return false;
            found = rh[3] != 0; // segments_left
        }
        if (nexthdr == kIpProtoFragment) {
            const u8* fp = readable_header(pkt, static_cast<int>(start) + 2, 2);
            if (!fp)
                return false;
            if (ntohs(load_unaligned<be16>(fp)) & ~7u)
                return false; // a later fragment before any routing header
            hdrlen = 8;
        } else if (nexthdr == kIpProtoAuth) {
            hdrlen = (hdrlen8 + 2u) << 2;
        } else {
            hdrlen = (hdrlen8 + 1u) << 3;
        }
        if (found)
            return true;
        nexthdr = next;
        start += static_cast<long>(hdrlen);
        if (start > static_cast<long>(pkt.len()))
            return false;
    }
}

// True when an L4 checksum field took the change (and so compensates it in
// the packet's sum).
template <MutablePacket P>
bool update_ipv6_checksum(P& pkt, u8* base, u8 l4_proto, const u8* addr, const u8* new_addr)
{
    long tlen = transport_len(pkt);
    if (tlen < 0)
        return false;
    u8* th = base + pkt.transport_offset();
    if (l4_proto == kIpProtoTcp) {
        if (OVSDP_LIKELY(tlen >= static_cast<long>(kTcpHlen))) {
            inet_proto_csum_replace16(pkt, th + kTcpCheckOff, addr, new_addr, true);
            return true;
        }
    } else if (l4_proto == kIpProtoUdp) {
        if (OVSDP_LIKELY(tlen >= static_cast<long>(kUdpHlen))) {
            u8* check = th + kUdpCheckOff;
            if (load_unaligned<u16>(check) || pkt.ip_summed() == IpSummed::Partial) {
                inet_proto_csum_replace16(pkt, check, addr, new_addr, true);
                if (!load_unaligned<u16>(check))
                    store_unaligned<u16>(check, kCsumMangled0);
                return true;
            }
        }
    } else if (l4_proto == kIpProtoIcmpv6) {
        if (OVSDP_LIKELY(tlen >= static_cast<long>(kIcmpv6Hlen))) {
            inet_proto_csum_replace16(pkt, th + kIcmpv6CheckOff, addr, new_addr, true);
            return true;
        }
    }
    return false;
}

// An IPv6 address rewrite (set_ipv6_addr()). When no L4 checksum field
// compensates it (no TCP/UDP/ICMPv6 checksum, or a routing header still to
// be followed), a COMPLETE csum is corrected here; upstream leaves it stale.
template <MutablePacket P>
void set_ipv6_addr(P& pkt, u8* base, u8 l4_proto, u8* addr, const u8* new_addr, bool recalculate_csum)
{
    bool compensated = recalculate_csum && update_ipv6_checksum(pkt, base, l4_proto, addr, new_addr);
    if (!compensated && pkt.ip_summed() == IpSummed::Complete)
        pkt.set_csum(csum_add(csum_sub(pkt.csum(), csum_partial(addr, 16, 0)), csum_partial(new_addr, 16, 0)));
    pkt.clear_hash();
    __builtin_memcpy(addr, new_addr, 16);
}

inline void mask_ipv6_addr(const u8* old, const be32 addr[4], const be32 mask[4], u8 out[16])
{
    for (int i = 0; i < 4; i++)
        store_unaligned<be32>(out + 4 * i, ovs_masked(load_unaligned<be32>(old + 4 * i), addr[i], mask[i]));
}

inline bool ipv6_mask_nonzero(const be32 m[4]) { return (m[0] | m[1] | m[2] | m[3]) != 0; }

inline u8 ipv6_get_dsfield(const u8* nh) { return static_cast<u8>(ntohs(load_unaligned<be16>(nh)) >> 4); }

template <MutablePacket P>
int set_ipv6(P& pkt, FlowKey& fk, const uapi::OvsKeyIpv6& key, const uapi::OvsKeyIpv6& mask)
{
    int nh_off = pkt.network_offset();
    bool set_src = ipv6_mask_nonzero(mask.ipv6_src);
    bool set_dst = ipv6_mask_nonzero(mask.ipv6_dst);

    // Decide everything that reads beyond the fixed header first: walking
    // the extension headers may move the packet data.
    bool dst_recalc = true;
    if (set_dst) {
        const u8* ip6 = readable_header(pkt, nh_off, sizeof(wire::Ipv6Hdr));
        if (OVSDP_UNLIKELY(!ip6))
            return -err::NOMEM;
        u8 masked[16];
        mask_ipv6_addr(ip6 + ipv6_off::kDaddr, key.ipv6_dst, mask.ipv6_dst, masked);
        if (__builtin_memcmp(ip6 + ipv6_off::kDaddr, masked, 16) != 0
            && flow_detail::ipv6_ext_hdr(ip6[ipv6_off::kNexthdr]))
            dst_recalc = !ipv6_has_pending_routing_hdr(pkt, nh_off);
    }

    u8* nh = writable_header(pkt, nh_off, sizeof(wire::Ipv6Hdr));
    if (OVSDP_UNLIKELY(!nh))
        return -err::NOMEM;
    u8* base = nh - nh_off;
    if (set_src || set_dst) {
        usize end = l4_csum_field_end(pkt, fk.ip.proto);
        if (end > static_cast<usize>(nh_off) + sizeof(wire::Ipv6Hdr)) {
            base = pkt.make_writable(end);
            if (OVSDP_UNLIKELY(!base))
                return -err::NOMEM;
            nh = base + nh_off;
        }
    }

    if (set_src) {
        u8* saddr = nh + ipv6_off::kSaddr;
        u8 masked[16];
        mask_ipv6_addr(saddr, key.ipv6_src, mask.ipv6_src, masked);
        if (OVSDP_UNLIKELY(__builtin_memcmp(saddr, masked, 16) != 0)) {
            set_ipv6_addr(pkt, base, fk.ip.proto, saddr, masked, true);
            __builtin_memcpy(fk.ipv6.src, masked, 16);
        }
    }
    if (set_dst) {
        u8* daddr = nh + ipv6_off::kDaddr;
        u8 masked[16];
        mask_ipv6_addr(daddr, key.ipv6_dst, mask.ipv6_dst, masked);
        if (OVSDP_UNLIKELY(__builtin_memcmp(daddr, masked, 16) != 0)) {
            set_ipv6_addr(pkt, base, fk.ip.proto, daddr, masked, dst_recalc);
            __builtin_memcpy(fk.ipv6.dst, masked, 16);
        }
    }
    if (mask.ipv6_tclass) {
        u8 old_tc = ipv6_get_dsfield(nh);
        u8 tc = ovs_masked(old_tc, key.ipv6_tclass, mask.ipv6_tclass);
        if (pkt.ip_summed() == IpSummed::Complete)
            pkt.set_csum(csum_replace_wsum(pkt.csum(), static_cast<wsum>(old_tc) << 12, static_cast<wsum>(tc) << 12));
        // ipv6_change_dsfield(nh, ~mask, tc)
        u16 keep = static_cast<u16>((static_cast<u16>(static_cast<u8>(~mask.ipv6_tclass)) << 4) | 0xf00f);
        be16 w = load_unaligned<be16>(nh);
        store_unaligned<be16>(nh, static_cast<be16>((w & htons(keep)) | htons(static_cast<u16>(tc << 4))));
        fk.ip.tos = ipv6_get_dsfield(nh);
    }
    if (mask.ipv6_label) {
        // Validation keeps the mask (and so the value) to the label's 20
        // bits; clamp anyway, so that the traffic class nibble in nh[1] comes
        // back unchanged from ofl and the csum sees exactly the bytes written.
        u32 fl_mask = ntohl(mask.ipv6_label) & kIpv6FlowinfoFlowlabel;
        u32 fl = ntohl(key.ipv6_label) & fl_mask;
        u32 ofl = (u32(nh[1]) << 16) | (u32(nh[2]) << 8) | nh[3];
        fl = ovs_masked(ofl, fl, fl_mask);
        nh[1] = static_cast<u8>(fl >> 16);
        nh[2] = static_cast<u8>(fl >> 8);
        nh[3] = static_cast<u8>(fl);
        if (pkt.ip_summed() == IpSummed::Complete)
            pkt.set_csum(csum_replace_wsum(pkt.csum(), htonl(ofl), htonl(fl)));
        fk.ipv6.label = load_unaligned<be32>(nh) & htonl(kIpv6FlowinfoFlowlabel);
    }
    if (mask.ipv6_hlimit) {
        u8 old_hl = nh[ipv6_off::kHopLimit];
        u8 hl = ovs_masked(old_hl, key.ipv6_hlimit, mask.ipv6_hlimit);
        if (pkt.ip_summed() == IpSummed::Complete)
            pkt.set_csum(csum_replace_wsum(pkt.csum(), static_cast<wsum>(old_hl) << 8, static_cast<wsum>(hl) << 8));
        nh[ipv6_off::kHopLimit] = hl;
        fk.ip.ttl = hl;
    }
    return 0;
}

// ---- TCP, UDP, SCTP -------------------------------------------------------------

// A port rewrite: the checksum covers the port as data, not as pseudo-header
// (set_tp_port()).
template <MutablePacket P>
OVSDP_ALWAYS_INLINE void set_tp_port(P& pkt, u8* port, be16 new_port, u8* check)
{
    inet_proto_csum_replace2(pkt, check, load_unaligned<be16>(port), new_port, false);
    store_unaligned<be16>(port, new_port);
}

template <MutablePacket P>
int set_tcp(P& pkt, FlowKey& fk, const uapi::OvsKeyPorts& key, const uapi::OvsKeyPorts& mask)
{
    u8* th = writable_header(pkt, pkt.transport_offset(), kTcpHlen);
    if (OVSDP_UNLIKELY(!th))
        return -err::NOMEM;
    be16 src = ovs_masked(load_unaligned<be16>(th), key.src, mask.src);
    if (OVSDP_LIKELY(src != load_unaligned<be16>(th))) {
        set_tp_port(pkt, th, src, th + kTcpCheckOff);
        fk.tp.src = src;
    }
    be16 dst = ovs_masked(load_unaligned<be16>(th + 2), key.dst, mask.dst);
    if (OVSDP_LIKELY(dst != load_unaligned<be16>(th + 2))) {
        set_tp_port(pkt, th + 2, dst, th + kTcpCheckOff);
        fk.tp.dst = dst;
    }
    pkt.clear_hash();
    return 0;
}

template <MutablePacket P>
int set_udp(P& pkt, FlowKey& fk, const uapi::OvsKeyPorts& key, const uapi::OvsKeyPorts& mask)
{
    u8* uh = writable_header(pkt, pkt.transport_offset(), kUdpHlen);
    if (OVSDP_UNLIKELY(!uh))
        return -err::NOMEM;
    be16 src = ovs_masked(load_unaligned<be16>(uh), key.src, mask.src);
    be16 dst = ovs_masked(load_unaligned<be16>(uh + 2), key.dst, mask.dst);
    u8* check = uh + kUdpCheckOff;
    if (load_unaligned<u16>(check) && pkt.ip_summed() != IpSummed::Partial) {
        if (OVSDP_LIKELY(src != load_unaligned<be16>(uh))) {
            set_tp_port(pkt, uh, src, check);
            fk.tp.src = src;
        }
        if (OVSDP_LIKELY(dst != load_unaligned<be16>(uh + 2))) {
            set_tp_port(pkt, uh + 2, dst, check);
            fk.tp.dst = dst;
        }
        if (OVSDP_UNLIKELY(!load_unaligned<u16>(check)))
            store_unaligned<u16>(check, kCsumMangled0);
    } else {
        // No checksum, or one the device finishes over the new ports. No
        // field compensates the change in a COMPLETE csum: correct it here
        // (upstream leaves it stale).
        postpull_rcsum(pkt, uh, 4);
        store_unaligned<be16>(uh, src);
        store_unaligned<be16>(uh + 2, dst);
        postpush_rcsum(pkt, uh, 4);
        fk.tp.src = src;
        fk.tp.dst = dst;
    }
    pkt.clear_hash();
    return 0;
}

// SCTP's CRC32c is not incremental: recompute it over the whole packet
// before and after the rewrite and carry any error the packet already had
// into the new value (old ^ old_correct ^ new), so that a corrupt packet
// stays corrupt (DESIGN §5 seed 8).
template <MutablePacket P>
int set_sctp(P& pkt, FlowKey& fk, const uapi::OvsKeyPorts& key, const uapi::OvsKeyPorts& mask)
{
    int th_off = pkt.transport_offset();
    if (OVSDP_UNLIKELY(th_off < 0))
        return -err::NOMEM;
    // The CRC covers everything to the end of the packet.
    if (OVSDP_UNLIKELY(!pkt.pull(pkt.len())))
        return -err::NOMEM;
    u8* sh = writable_header(pkt, th_off, kSctpHlen);
    if (OVSDP_UNLIKELY(!sh))
        return -err::NOMEM;
    usize sctp_len = pkt.len() - static_cast<usize>(th_off);
    // The CRC is no ones' complement sum: a COMPLETE csum must follow the
    // header's bytes (upstream leaves it stale).
    postpull_rcsum(pkt, sh, kSctpHlen);
    u32 old_csum = load_unaligned<u32>(sh + 8);
    u32 old_correct = sctp_compute_cksum(sh, sctp_len);
    store_unaligned<be16>(sh, ovs_masked(load_unaligned<be16>(sh), key.src, mask.src));
    store_unaligned<be16>(sh + 2, ovs_masked(load_unaligned<be16>(sh + 2), key.dst, mask.dst));
    u32 new_csum = sctp_compute_cksum(sh, sctp_len);
    store_unaligned<u32>(sh + 8, old_csum ^ old_correct ^ new_csum);
    postpush_rcsum(pkt, sh, kSctpHlen);
    pkt.clear_hash();
    fk.tp.src = load_unaligned<be16>(sh);
    fk.tp.dst = load_unaligned<be16>(sh + 2);
    return 0;
}

// ---- MPLS -----------------------------------------------------------------------

template <MutablePacket P>
int set_mpls(P& pkt, FlowKey& fk, be32 value, be32 mask)
{
    const u8* stack = readable_header(pkt, pkt.network_offset(), kMplsHlen);
    if (OVSDP_UNLIKELY(!stack))
        return -err::NOMEM;
    be32 lse = ovs_masked(load_unaligned<be32>(stack), value, mask);
    int err = pkt_mpls_update_lse(pkt, lse);
    if (err)
        return err;
    fk.mpls.lse[0] = lse;
    return 0;
}

// ---- Dispatch ---------------------------------------------------------------------

// The value and mask halves of a masked key attribute, copied out (the
// payload is only 4-byte aligned). False when the payload is not exactly
// two T.
template <typename T>
OVSDP_ALWAYS_INLINE bool masked_pair(const NlAttr* a, T& value, T& mask)
{
    if (OVSDP_UNLIKELY(a->len() != 2 * sizeof(T)))
        return false;
    __builtin_memcpy(&value, a->data(), sizeof(T));
    __builtin_memcpy(&mask, a->data() + sizeof(T), sizeof(T));
    return true;
}

// One nested key attribute of a SET_MASKED or SET_TO_MASKED action
// (execute_masked_set_action()).
template <MutablePacket P>
int execute_masked_set_action(P& pkt, FlowKey& fk, const NlAttr* a)
{
    using namespace uapi;
    switch (a->type()) {
    case OVS_KEY_ATTR_PRIORITY: {
        u32 v, m;
        if (!masked_pair(a, v, m))
            return -err::INVAL;
        pkt.set_priority(ovs_masked(pkt.priority(), v, m));
        fk.priority = pkt.priority();
        return 0;
    }
    case OVS_KEY_ATTR_SKB_MARK: {
        u32 v, m;
        if (!masked_pair(a, v, m))
            return -err::INVAL;
        pkt.set_mark(ovs_masked(pkt.mark(), v, m));
        fk.skb_mark = pkt.mark();
        return 0;
    }
    case OVS_KEY_ATTR_ETHERNET: {
        OvsKeyEthernet v, m;
        if (!masked_pair(a, v, m))
            return -err::INVAL;
        return set_eth_addr(pkt, fk, v, m);
    }
    case OVS_KEY_ATTR_IPV4: {
        OvsKeyIpv4 v, m;
        if (!masked_pair(a, v, m))
            return -err::INVAL;
        return set_ipv4(pkt, fk, v, m);
    }
    case OVS_KEY_ATTR_IPV6: {
        OvsKeyIpv6 v, m;
        if (!masked_pair(a, v, m))
            return -err::INVAL;
        return set_ipv6(pkt, fk, v, m);
    }
    case OVS_KEY_ATTR_TCP: {
        OvsKeyPorts v, m;
        if (!masked_pair(a, v, m))
            return -err::INVAL;
        return set_tcp(pkt, fk, v, m);
    }
    case OVS_KEY_ATTR_UDP: {
        OvsKeyPorts v, m;
        if (!masked_pair(a, v, m))
            return -err::INVAL;
        return set_udp(pkt, fk, v, m);
    }
    case OVS_KEY_ATTR_SCTP: {
        OvsKeyPorts v, m;
        if (!masked_pair(a, v, m))
            return -err::INVAL;
        return set_sctp(pkt, fk, v, m);
    }
    case OVS_KEY_ATTR_MPLS: {
        // Only the top label is set; the mask is the second half.
        usize half = a->len() / 2;
        if (OVSDP_UNLIKELY(half < sizeof(be32) || a->len() != 2 * half))
            return -err::INVAL;
        return set_mpls(pkt, fk, load_unaligned<be32>(a->data()), load_unaligned<be32>(a->data() + half));
    }
    case OVS_KEY_ATTR_TUNNEL_INFO: // masked tunnel sets do not exist
    case OVS_KEY_ATTR_CT_STATE:
    case OVS_KEY_ATTR_CT_ZONE:
    case OVS_KEY_ATTR_CT_MARK:
    case OVS_KEY_ATTR_CT_LABELS:
    case OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4:
    case OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6:
    case OVS_KEY_ATTR_NSH:
        return -err::INVAL;
    default:
        return 0;
    }
}

} // namespace ovsdp::act
