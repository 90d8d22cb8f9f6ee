// SPDX-License-Identifier: GPL-2.0
// Pushing and popping L2 and MPLS headers over a MutablePacket: the
// net/core/skbuff.c helpers upstream's actions.c calls (skb_vlan_push/pop,
// skb_mpls_push/pop/update_lse, skb_eth_push/pop), with their semantics and
// checksum bookkeeping, written over the packet primitives of packet_ops.h so
// that the kernel and the tests run the same code.
//
// All return 0 or a negative errno. Contract, as upstream: data() is the mac
// header; an accelerated VLAN tag is the outermost tag; skb->protocol names
// what follows the mac header (for a frame with an in-band tag left, the
// tag's TPID, as key extraction sets it).
#pragma once

#include "actions/packet_ops.h"
#include "base/errno.h"

namespace ovsdp {

// Insert an in-band 802.1Q/802.1ad header after the Ethernet addresses
// (__vlan_insert_tag() with mac_len ETH_HLEN). The packet must hold an
// Ethernet header.
template <MutablePacket P>
int pkt_vlan_insert_tag(P& pkt, be16 proto, u16 tci)
{
    if (pkt.len() < kEthHlen)
        return -err::INVAL;
    if (!pkt.pull(kEthHlen))
        return -err::NOMEM;
    u8* d = pkt.push_head(kVlanHlen);
    if (!d)
        return -err::NOMEM;
    // The addresses move to the front; the old ethertype stays in place and
    // becomes the tag's encapsulated protocol.
    __builtin_memmove(d, d + kVlanHlen, kEthHlen - kEthTlen);
    store_unaligned<be16>(d + 2 * kEthAlen, proto);
    store_unaligned<be16>(d + 2 * kEthAlen + 2, htons(tci));
    return 0;
}

// Make (proto, tci) the accelerated tag; a tag already there moves into the
// packet first (skb_vlan_push()).
template <MutablePacket P>
int pkt_vlan_push(P& pkt, be16 proto, u16 tci)
{
    if (pkt.vlan_tag_present()) {
        int err = pkt_vlan_insert_tag(pkt, pkt.vlan_proto(), pkt.vlan_tci());
        if (err)
            return err;
        pkt.set_protocol(pkt.vlan_proto());
        pkt.set_mac_len(static_cast<usize>(pkt.mac_len()) + kVlanHlen);
        postpush_rcsum(pkt, pkt.data() + 2 * kEthAlen, kVlanHlen);
    }
    pkt.vlan_set_tag(proto, tci);
    return 0;
}

// Remove the in-band tag at offset 12, returning its TCI; skb->protocol
// becomes what it encapsulated (__skb_vlan_pop() with vlan_set_encap_proto()).
template <MutablePacket P>
int pkt_vlan_pop_inband(P& pkt, u16* tci)
{
    u8* d = pkt.make_writable(kVlanEthHlen);
    if (!d)
        return -err::NOMEM;
    postpull_rcsum(pkt, d + 2 * kEthAlen, kVlanHlen);
    *tci = ntohs(load_unaligned<be16>(d + kEthHlen));
    be16 encap = load_unaligned<be16>(d + kEthHlen + 2);
    __builtin_memmove(d + kVlanHlen, d, 2 * kEthAlen);
    pkt.pull_head(kVlanHlen);

    if (ntohs(encap) >= kEthP8023Min) {
        pkt.set_protocol(encap);
    } else {
        // Novell's raw 802.3 IPX starts with 0xffff where an LLC header
        // would have its SAPs; anything else is 802.2 LLC.
        usize raw = kEthHlen; // right after the encapsulated protocol, now
        bool ipx = pkt.len() >= raw + 2 && pkt.pull(raw + 2) && load_unaligned<u16>(pkt.data() + raw) == 0xffff;
        pkt.set_protocol(htons(ipx ? kEthP8023 : kEthP8022));
    }
    if (pkt.network_offset() < static_cast<int>(kEthHlen))
        pkt.set_network_offset(kEthHlen);
    pkt.set_mac_len(static_cast<usize>(pkt.network_offset()));
    return 0;
}

// Pop the outermost tag, accelerated or in-band, and make the next in-band
// tag, if any, the accelerated one (skb_vlan_pop()).
template <MutablePacket P>
int pkt_vlan_pop(P& pkt)
{
    u16 tci;
    if (OVSDP_LIKELY(pkt.vlan_tag_present())) {
        pkt.vlan_clear_tag();
    } else {
        if (OVSDP_UNLIKELY(!proto_is_vlan(pkt.protocol())))
            return 0;
        int err = pkt_vlan_pop_inband(pkt, &tci);
        if (err)
            return err;
    }
    if (OVSDP_LIKELY(!proto_is_vlan(pkt.protocol())))
        return 0;
    be16 proto = pkt.protocol();
    int err = pkt_vlan_pop_inband(pkt, &tci);
    if (OVSDP_UNLIKELY(err))
        return err;
    pkt.vlan_set_tag(proto, tci);
    return 0;
}

// Push an MPLS label stack entry after the first mac_len bytes (0: in front
// of everything); with `ethernet`, the Ethernet type field at offset 12 is
// set to mpls_proto (skb_mpls_push()). The new network header is the LSE.
template <MutablePacket P>
int pkt_mpls_push(P& pkt, be32 lse, be16 mpls_proto, int mac_len, bool ethernet)
{
    if (OVSDP_UNLIKELY(!proto_is_mpls(mpls_proto)))
        return -err::INVAL;
    // The networking stack does not do tunnel and MPLS GSO at once.
    if (pkt.encapsulation())
        return -err::INVAL;
    if (mac_len < 0 || static_cast<usize>(mac_len) > pkt.len())
        return -err::INVAL;
    usize ml = static_cast<usize>(mac_len);
    if (!pkt.pull(ml))
        return -err::NOMEM;
    u8* d = pkt.push_head(kMplsHlen);
    if (!d)
        return -err::NOMEM;
    if (!pkt.inner_protocol()) {
        // The network header as it was (absolute positions do not move).
        pkt.set_inner_network_offset(static_cast<usize>(pkt.network_offset()));
        pkt.set_inner_protocol(pkt.protocol());
    }
    __builtin_memmove(d, d + kMplsHlen, ml);
    pkt.set_network_offset(ml);
    pkt.set_mac_len(ml);
    store_unaligned<be32>(d + ml, lse);
    postpush_rcsum(pkt, d + ml, kMplsHlen);
    if (ethernet && ml >= kEthHlen)
        mod_eth_type(pkt, d + 2 * kEthAlen, mpls_proto);
    pkt.set_protocol(mpls_proto);
    return 0;
}

// Pop the top MPLS LSE at the network header, which follows mac_len bytes
// of L2 header; with `ethernet`, the ethertype right before the new network
// header becomes next_proto (skb_mpls_pop()). Not MPLS: nothing to do.
template <MutablePacket P>
int pkt_mpls_pop(P& pkt, be16 next_proto, int mac_len, bool ethernet)
{
    if (OVSDP_UNLIKELY(!proto_is_mpls(pkt.protocol())))
        return 0;
    int nh = pkt.network_offset();
    if (mac_len < 0 || nh < 0)
        return -err::INVAL;
    usize ml = static_cast<usize>(mac_len);
    usize need = (ml > static_cast<usize>(nh) ? ml : static_cast<usize>(nh)) + kMplsHlen;
    u8* d = pkt.make_writable(need);
    if (OVSDP_UNLIKELY(!d))
        return -err::NOMEM;
    postpull_rcsum(pkt, d + nh, kMplsHlen);
    __builtin_memmove(d + kMplsHlen, d, ml);
    pkt.pull_head(kMplsHlen);
    pkt.set_network_offset(ml);
    // Right before the network header, so that VLAN tags are skipped
    // (pull_head() moves no bytes: d + kMplsHlen is the new data()).
    if (ethernet && ml >= kEthHlen)
        mod_eth_type(pkt, d + kMplsHlen + ml - kEthTlen, next_proto);
    pkt.set_protocol(next_proto);
    return 0;
}

// Replace the top LSE at the network header (skb_mpls_update_lse()).
template <MutablePacket P>
int pkt_mpls_update_lse(P& pkt, be32 lse)
{
    if (OVSDP_UNLIKELY(!proto_is_mpls(pkt.protocol())))
        return -err::INVAL;
    int nh = pkt.network_offset();
    int ml = pkt.mac_len();
    if (nh < 0 || ml < 0)
        return -err::INVAL;
    usize need = static_cast<usize>(nh > ml ? nh : ml) + kMplsHlen;
    u8* d = pkt.make_writable(need);
    if (OVSDP_UNLIKELY(!d))
        return -err::NOMEM;
    u8* hdr = d + nh;
    if (pkt.ip_summed() == IpSummed::Complete) {
        be32 diff[2] = { ~load_unaligned<be32>(hdr), lse };
        pkt.set_csum(csum_partial(diff, sizeof(diff), pkt.csum()));
    }
    store_unaligned<be32>(hdr, lse);
    return 0;
}

// Put an Ethernet header in front of an L3 packet, its type skb->protocol
// (skb_eth_push()).
template <MutablePacket P>
int pkt_eth_push(P& pkt, const u8 dst[kEthAlen], const u8 src[kEthAlen])
{
    if (pkt.network_offset() || pkt.vlan_tag_present())
        return -act_err::PROTO;
    u8* d = pkt.push_head(kEthHlen);
    if (!d)
        return -err::NOMEM;
    pkt.set_mac_len(static_cast<usize>(pkt.network_offset()));
    __builtin_memcpy(d, dst, kEthAlen);
    __builtin_memcpy(d + kEthAlen, src, kEthAlen);
    store_unaligned<be16>(d + 2 * kEthAlen, pkt.protocol());
    postpush_rcsum(pkt, d, kEthHlen);
    return 0;
}

// Strip the Ethernet header of an untagged frame (skb_eth_pop()).
template <MutablePacket P>
int pkt_eth_pop(P& pkt)
{
    if (pkt.len() < kEthHlen || !pkt.pull(kEthHlen) || pkt.vlan_tag_present() || proto_is_vlan(pkt.protocol())
        || pkt.network_offset() < static_cast<int>(kEthHlen))
        return -act_err::PROTO;
    // skb_pull_rcsum(): pull, then account for the bytes that left.
    wsum gone = csum_partial(pkt.data(), kEthHlen, 0);
    pkt.pull_head(kEthHlen);
    if (pkt.ip_summed() == IpSummed::Complete)
        pkt.set_csum(csum_block_sub(pkt.csum(), gone, 0));
    else if (pkt.ip_summed() == IpSummed::Partial && pkt.csum_start_offset() < 0)
        pkt.set_ip_summed(IpSummed::None);
    pkt.set_mac_len(static_cast<usize>(pkt.network_offset()));
    return 0;
}

} // namespace ovsdp
