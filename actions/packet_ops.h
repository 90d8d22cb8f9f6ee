// SPDX-License-Identifier: GPL-2.0
// The packet the action engine mutates: MutablePacket, a static interface
// that extends flow/packet.h's Packet (which key extraction reads through)
// with what upstream's actions.c does to an sk_buff. kmod/ implements it over
// skbs (each method one shim call or one field access, named below), and
// platform/user/user_packet.h over a byte buffer for tests, fuzzers and
// benchmarks (UserPacket).
//
// The model is the skb's:
// - data() is the mac header (OVS keeps skb->data == skb_mac_header(skb) on
//   the action path); all offsets are bytes from data(), and header
//   positions are kept *absolute* (from the buffer head, as skb->network_header
//   is), so pushing or pulling bytes at the head shifts the offsets the
//   getters return, exactly as skb_network_offset() does in the kernel.
// - Bytes are readable in [0, n) after pull(n) or make_writable(n)
//   succeeded, writable after make_writable(n); pointers obtained before a
//   call that may move data (pull, make_writable, push_head, vlan_untag,
//   trim) are stale after it. Neither call ever shrinks what is readable.
// - A packet is a handle: it is moved, never copied, by the engine. A moved-
//   from packet is inert (its destructor does nothing). Cloning and freeing
//   belong to the engine's environment (ActionEnv, actions.h).
//
// A MutablePacket P provides, besides the Packet interface:
//
//   u8* make_writable(usize n);          skb_ensure_writable(skb, n) ? NULL : skb->data
//       [0, n) readable and private to this packet (a clone's shared data is
//       copied); nullptr when n > len() or memory is short.
//   u8* push_head(usize n);              skb_cow_head(skb, n) ? NULL :
//                                        (skb_push(skb, n), skb_reset_mac_header(skb), skb->data)
//       n new bytes (uninitialised) in front of data(), with the old linear
//       head private and readable after them; len() grows by n. Checksum
//       state is not touched (callers use postpush_rcsum()).
//   void pull_head(usize n);             __skb_pull(skb, n); skb_reset_mac_header(skb)
//       Drop n readable bytes from the front. Checksum state untouched.
//   bool trim(usize n);                  pskb_trim_rcsum(skb, n) == 0
//       Cut the packet to n bytes (n < len()); keeps a COMPLETE csum right.
//   int mac_len() const;                 skb->mac_len
//   int network_offset() const;          skb_network_offset(skb)
//   int transport_offset() const;        skb_transport_offset(skb)
//   be16 inner_protocol() const;         skb->inner_protocol
//   void set_inner_protocol(be16);       skb_set_inner_protocol(skb, p)
//   bool encapsulation() const;          skb->encapsulation
//   void vlan_set_tag(be16 proto, u16 tci);  __vlan_hwaccel_put_tag(skb, proto, tci)
//   void vlan_clear_tag();               __vlan_hwaccel_clear_tag(skb)
//   IpSummed ip_summed() const;          skb->ip_summed
//   void set_ip_summed(IpSummed);        skb->ip_summed = v
//   wsum csum() const;                   skb->csum (meaningful when COMPLETE)
//   void set_csum(wsum);                 skb->csum = v
//   int csum_start_offset() const;       skb_checksum_start_offset(skb) (PARTIAL)
//   u32 mark() const;  void set_mark(u32);          skb->mark
//   u32 priority() const;  void set_priority(u32);  skb->priority
//   u32 get_hash();                      skb_get_hash(skb) (computes and caches)
//   void clear_hash();                   skb_clear_hash(skb)
//   PacketHash hash_info() const;        skb->hash, sw_hash, l4_hash as they are
//   void set_hash_info(PacketHash);      __skb_set_hash(skb, hash, sw, l4)
//   u32 cutlen() const;  void set_cutlen(u32);      OVS_CB(skb)->cutlen: bytes to
//                                        keep on output/upcall, UINT32_MAX = all
//   u16 mru() const;                     OVS_CB(skb)->mru
//   bool gso_mac_len_fits(usize n) const;    skb_is_gso(skb) && skb_gso_validate_mac_len(skb, n)
//
// The setters of the Packet interface (set_network_offset, set_mac_len,
// set_transport_offset, set_inner_network_offset, set_protocol) take effect
// at once here: the engine reads what it wrote.
#pragma once

#include "actions/checksum.h"
#include "base/byteorder.h"
#include "base/ovs_abi.h"
#include "base/types.h"
#include "base/util.h"
#include "flow/flow_key.h"
#include "flow/packet.h"

namespace ovsdp {

// skb->ip_summed (CHECKSUM_* values).
enum class IpSummed : u8 {
    None = 0, // no checksum help: fields in the packet are the truth
    Unnecessary = 1, // verified by the device; fields must still be kept right
    Complete = 2, // csum() is the sum of the packet from data() to the end
    Partial = 3, // L4 checksum to be finished from csum_start: the field holds
                 // the folded pseudo-header sum, not complemented
};

// skb->hash with its type bits: a software (flow dissector) hash, an L4
// (4-tuple) hash. Neither bit: none yet, or a device's non-L4 hash that
// skb_get_hash() recomputes.
struct PacketHash {
    u32 hash = 0;
    bool sw = false;
    bool l4 = false;
};

// PacketHash <-> OVS_PACKET_ATTR_HASH: what upstream's queue_userspace_packet
// sends and ovs_packet_cmd_execute restores (bits above 33 ignored).
constexpr u64 packet_hash_to_attr(PacketHash h)
{
    return h.hash | (h.sw ? uapi::kPacketHashSwBit : 0) | (h.l4 ? uapi::kPacketHashL4Bit : 0);
}
constexpr PacketHash packet_hash_from_attr(u64 v)
{
    return { static_cast<u32>(v), (v & uapi::kPacketHashSwBit) != 0, (v & uapi::kPacketHashL4Bit) != 0 };
}

template <typename T, typename U>
concept SameAs = IsSame<T, U> && IsSame<U, T>;

template <typename P>
concept MutablePacket = Packet<P> && requires(P& p, const P& cp, usize n, be16 proto, u16 tci, u32 v, IpSummed s) {
    { p.make_writable(n) } -> SameAs<u8*>;
    { p.push_head(n) } -> SameAs<u8*>;
    p.pull_head(n);
    { p.trim(n) } -> SameAs<bool>;
    { cp.mac_len() } -> SameAs<int>;
    { cp.network_offset() } -> SameAs<int>;
    { cp.transport_offset() } -> SameAs<int>;
    { cp.inner_protocol() } -> SameAs<be16>;
    p.set_inner_protocol(proto);
    { cp.encapsulation() } -> SameAs<bool>;
    p.vlan_set_tag(proto, tci);
    p.vlan_clear_tag();
    { cp.ip_summed() } -> SameAs<IpSummed>;
    p.set_ip_summed(s);
    { cp.csum() } -> SameAs<wsum>;
    p.set_csum(v);
    { cp.csum_start_offset() } -> SameAs<int>;
    { cp.mark() } -> SameAs<u32>;
    p.set_mark(v);
    { cp.priority() } -> SameAs<u32>;
    p.set_priority(v);
    { p.get_hash() } -> SameAs<u32>;
    p.clear_hash();
    { cp.hash_info() } -> SameAs<PacketHash>;
    p.set_hash_info(PacketHash {});
    { cp.cutlen() } -> SameAs<u32>;
    p.set_cutlen(v);
    { cp.mru() } -> SameAs<u16>;
    { cp.gso_mac_len_fits(n) } -> SameAs<bool>;
};

// ---- Protocol numbers the engine needs beyond flow/flow_key.h ------------------

inline constexpr usize kEthHlen = 14; // ETH_HLEN
inline constexpr usize kEthTlen = 2; // ETH_TLEN
inline constexpr usize kVlanHlen = 4; // VLAN_HLEN
inline constexpr usize kVlanEthHlen = 18; // VLAN_ETH_HLEN
inline constexpr usize kMplsHlen = 4; // MPLS_HLEN
inline constexpr u16 kEthP8023 = 0x0001; // ETH_P_802_3

constexpr bool proto_is_mpls(be16 proto) { return proto == htons(kEthPMplsUc) || proto == htons(kEthPMplsMc); }
constexpr bool proto_is_vlan(be16 proto) { return proto == htons(kEthP8021Q) || proto == htons(kEthP8021AD); }

// Errors the engine returns (negative, as the kernel's) that base/errno.h
// does not name.
namespace act_err {
inline constexpr int PROTO = 71; // EPROTO
inline constexpr int NETDOWN = 100; // ENETDOWN
inline constexpr int HOSTUNREACH = 113; // EHOSTUNREACH
inline constexpr int INPROGRESS = 115; // EINPROGRESS: a ct fragment kept for reassembly
} // namespace act_err

// ---- Checksum bookkeeping over a packet (include/linux/skbuff.h) ----------------

// After bytes [start, start + len) left the packet or are about to change
// (skb_postpull_rcsum()).
template <MutablePacket P>
OVSDP_ALWAYS_INLINE void postpull_rcsum(P& pkt, const u8* start, usize len)
{
    if (pkt.ip_summed() == IpSummed::Complete)
        pkt.set_csum(csum_block_sub(pkt.csum(), csum_partial(start, len, 0), 0));
    else if (pkt.ip_summed() == IpSummed::Partial && pkt.csum_start_offset() < 0)
        pkt.set_ip_summed(IpSummed::None);
}

// After bytes [start, start + len) entered the packet or changed
// (skb_postpush_rcsum()).
template <MutablePacket P>
OVSDP_ALWAYS_INLINE void postpush_rcsum(P& pkt, const u8* start, usize len)
{
    if (pkt.ip_summed() == IpSummed::Complete)
        pkt.set_csum(csum_block_add(pkt.csum(), csum_partial(start, len, 0), 0));
}

// An L4 checksum field at `field` and the packet's csum, corrected for a
// 32-bit word changing from `from` to `to`; `pseudohdr` when the word is part
// of the pseudo-header (an IP address) rather than of the L4 data
// (inet_proto_csum_replace4()).
template <MutablePacket P>
inline void inet_proto_csum_replace4(P& pkt, u8* field, be32 from, be32 to, bool pseudohdr)
{
    be32 diff[2] = { ~from, to };
    wsum old = csum_unfold(load_unaligned<sum16>(field));
    if (pkt.ip_summed() != IpSummed::Partial) {
        store_unaligned<sum16>(field, csum_fold(csum_partial(diff, sizeof(diff), ~old)));
        if (pkt.ip_summed() == IpSummed::Complete && pseudohdr)
            pkt.set_csum(~csum_partial(diff, sizeof(diff), ~pkt.csum()));
    } else if (pseudohdr) {
        store_unaligned<sum16>(field, static_cast<sum16>(~csum_fold(csum_partial(diff, sizeof(diff), old))));
    }
}

// The 16-bit word variant (inet_proto_csum_replace2()).
template <MutablePacket P>
OVSDP_ALWAYS_INLINE void inet_proto_csum_replace2(P& pkt, u8* field, be16 from, be16 to, bool pseudohdr)
{
    inet_proto_csum_replace4(pkt, field, static_cast<be32>(from), static_cast<be32>(to), pseudohdr);
}

// The 128-bit variant for IPv6 addresses (inet_proto_csum_replace16()).
// Unlike the 32-bit one it leaves a COMPLETE csum alone: IPv6 has no header
// checksum, so the address change and the L4 field change cancel out in the
// packet's sum.
template <MutablePacket P>
inline void inet_proto_csum_replace16(P& pkt, u8* field, const u8 from[16], const u8 to[16], bool pseudohdr)
{
    be32 diff[8];
    for (int i = 0; i < 4; i++) {
        diff[i] = ~load_unaligned<be32>(from + 4 * i);
        diff[4 + i] = load_unaligned<be32>(to + 4 * i);
    }
    wsum old = csum_unfold(load_unaligned<sum16>(field));
    if (pkt.ip_summed() != IpSummed::Partial) {
        store_unaligned<sum16>(field, csum_fold(csum_partial(diff, sizeof(diff), ~old)));
    } else if (pseudohdr) {
        store_unaligned<sum16>(field, static_cast<sum16>(~csum_fold(csum_partial(diff, sizeof(diff), old))));
    }
}

// Rewrite the ethertype field at `type_field` (skb_mod_eth_type()).
template <MutablePacket P>
OVSDP_ALWAYS_INLINE void mod_eth_type(P& pkt, u8* type_field, be16 type)
{
    if (pkt.ip_summed() == IpSummed::Complete) {
        be16 diff[2] = { static_cast<be16>(~load_unaligned<be16>(type_field)), type };
        pkt.set_csum(csum_partial(diff, sizeof(diff), pkt.csum()));
    }
    store_unaligned<be16>(type_field, type);
}

// A header of `len` bytes at offset `off` made writable: its address, or
// nullptr when off is negative, the packet is too short or memory is short.
template <MutablePacket P>
OVSDP_ALWAYS_INLINE u8* writable_header(P& pkt, int off, usize len)
{
    if (OVSDP_UNLIKELY(off < 0))
        return nullptr;
    u8* d = pkt.make_writable(static_cast<usize>(off) + len);
    return d ? d + off : nullptr;
}

// As writable_header(), read-only (pskb_may_pull() then a pointer).
template <MutablePacket P>
OVSDP_ALWAYS_INLINE const u8* readable_header(P& pkt, int off, usize len)
{
    if (OVSDP_UNLIKELY(off < 0))
        return nullptr;
    usize end = static_cast<usize>(off) + len;
    if (end > pkt.len() || !pkt.pull(end))
        return nullptr;
    return pkt.data() + off;
}

} // namespace ovsdp
