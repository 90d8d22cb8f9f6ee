// SPDX-License-Identifier: GPL-2.0
// sk_buff access for the core, implemented by kmod/skb.c. The core keeps a
// small mirror of the fields the fast path reads (ovsdp_skb_state), refreshed
// by the calls that can change them, so that reading a header is an inline
// bounds check rather than a call into C.
#pragma once

#include "platform/platform.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ovsdp_skb_state {
    const uint8_t* data;   // skb_mac_header(skb) (== skb->data on receive)
    uint32_t len;          // bytes from data to the end of the packet
    uint32_t headlen;      // of which linear
    uint16_t vlan_tci;     // skb->vlan_tci (host order)
    uint16_t vlan_proto;   // skb->vlan_proto (network order)
    uint16_t protocol;     // skb->protocol (network order)
    uint8_t vlan_present;  // skb_vlan_tag_present()
    uint8_t gso_udp;       // skb_is_gso() && SKB_GSO_UDP
    uint32_t mark;         // skb->mark
    uint32_t priority;     // skb->priority
    uint32_t hash;         // skb->hash at load time as it is (0: none computed yet)
};

// Fill *st from skb, whose data starts at the mac header.
void ovsdp_skb_load(void* skb, struct ovsdp_skb_state* st);
// pskb_may_pull(skb, n), then refresh *st. 0 on success.
int ovsdp_skb_pull(void* skb, uint32_t n, struct ovsdp_skb_state* st);
// Move the in-band VLAN header at offset 12 into the accelerated tag, refresh *st.
int ovsdp_skb_vlan_untag(void* skb, struct ovsdp_skb_state* st);
// Write back the header offsets and protocol key extraction found.
void ovsdp_skb_set_headers(void* skb, uint16_t protocol, uint32_t mac_len, uint32_t network_offset,
                           uint32_t transport_offset, uint32_t inner_network_offset);

#ifdef __cplusplus
} // extern "C"
#endif

#ifdef __cplusplus
extern "C" {
#endif

// Queue a copy of `skb` to userspace as an ovs_packet message `cmd`
// (OVS_PACKET_CMD_MISS or _ACTION) for Netlink port `portid` of namespace
// `net`. `attrs` holds every attribute but OVS_PACKET_ATTR_PACKET, which this
// call appends from the packet (first `cutlen` bytes if cutlen is non-zero),
// after pushing an accelerated VLAN tag into the data and completing a partial
// checksum, as upstream does. A GSO packet is segmented first and every segment
// is sent; UDP fragments after the first get `attrs_later` (attrs_later_len
// bytes: the same attributes with the key's frag = later) if given. The skb is not consumed. Softirq or process context.
// 0, or -errno (-ENOBUFS when the socket's queue is full).
int ovsdp_upcall_send(void* net, uint32_t portid, uint8_t cmd, int dp_ifindex, const void* attrs,
                      size_t attrs_len, const void* attrs_later, size_t attrs_later_len, void* skb,
                      uint32_t cutlen);

#ifdef __cplusplus
} // extern "C"
#endif
