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
    uint8_t has_ct;        // a conntrack entry is on the skb (skb->_nfct), e.g. from the host stack
    uint16_t data_off;     // skb->data - skb->head: header offsets from data become skb's own
};

// Offsets in struct sk_buff of the u16 header fields the kernel's packet
// handle (kmod/skb_packet.h) writes inline on the receive path rather than
// through ovsdp_skb_set() (a call per field, four per packet).
struct ovsdp_skb_layout {
    uint16_t protocol;         // skb->protocol (network order)
    uint16_t mac_len;          // skb->mac_len
    uint16_t network_header;   // skb->network_header (offset from skb->head)
    uint16_t transport_header; // skb->transport_header (offset from skb->head)
};
extern const struct ovsdp_skb_layout ovsdp_skb_layout;

// Fill *st from skb, whose data starts at the mac header.
void ovsdp_skb_load(void* skb, struct ovsdp_skb_state* st);
// pskb_may_pull(skb, n), then refresh *st. 0 on success.
int ovsdp_skb_pull(void* skb, uint32_t n, struct ovsdp_skb_state* st);
// Move the in-band VLAN header at offset 12 into the accelerated tag, refresh *st.
int ovsdp_skb_vlan_untag(void* skb, struct ovsdp_skb_state* st);
// Refresh *st after the skb's data moved or changed length (conntrack).
void ovsdp_skb_refresh(void* skb, struct ovsdp_skb_state* st);
// A shared skb received on an Ethernet port (its mac header right before
// data, as eth_type_trans() left it), read without a write: *st from the mac
// header on. 0, or -1 when the datapath must make it its own first (not
// Ethernet, a conntrack entry or dst on it, mac header elsewhere).
int ovsdp_skb_peek_shared(void* skb, struct ovsdp_skb_state* st);
// skb_share_check() and the push of the Ethernet header the receive hook
// does, then ovsdp_skb_load(): a clone of the shared skb (its reference
// consumed), its data at the mac header, *st filled; or nullptr when memory
// is short (the skb is then freed).
void* ovsdp_skb_unshare_load(void* skb, struct ovsdp_skb_state* st);
// Write back the header offsets and protocol key extraction found.
void ovsdp_skb_set_headers(void* skb, uint16_t protocol, uint32_t mac_len, uint32_t network_offset,
                           uint32_t transport_offset, uint32_t inner_network_offset);

#ifdef __cplusplus
} // extern "C"
#endif

#ifdef __cplusplus
extern "C" {
#endif

// An upcall message (ovs_packet family) being written in place: the shim
// reserved it for one skb with its headers, room for the core's attributes
// at attrs[0, attrs_room) and for the packet, which the commit appends.
struct ovsdp_upcall_msg {
    void* msg;             // the netlink skb
    void* hdr;             // its ovs_header
    void* pkt;             // the skb whose bytes go in (a clone with the VLAN tag pushed inside, if any)
    void* pkt_clone;       // that clone, freed with the message (or NULL)
    uint8_t* attrs;        // where the attributes go
    uint32_t attrs_room;
    uint32_t len;          // packet bytes that go in
    uint32_t hlen;         // of which copied; the rest is referenced (skb_zerocopy)
    uint8_t unaligned;     // OVS_DP_F_UNALIGNED: the packet attribute is not padded
};

// Reserve the upcall message `cmd` for `skb` (its first `cutlen` bytes; 0:
// all) with `attrs_len` bytes of room for attributes. An accelerated VLAN tag
// goes into the data and a partial checksum is completed first, as upstream.
// `unaligned`: the datapath has OVS_DP_F_UNALIGNED, so the packet's pages are
// referenced (skb_zerocopy) rather than copied where they can be. The skb is
// not consumed. Softirq or process context. 0 or -errno.
int ovsdp_upcall_begin(uint8_t cmd, int dp_ifindex, void* skb, uint32_t cutlen, uint32_t attrs_len, int unaligned,
                       struct ovsdp_upcall_msg* u);
// Claim `attrs_len` bytes of attributes, append OVS_PACKET_ATTR_PACKET and
// unicast the message to Netlink port `portid` of `net`. The message is gone
// afterwards. 0, or -errno (-ENOBUFS when the socket's queue is full).
int ovsdp_upcall_commit(void* net, uint32_t portid, struct ovsdp_upcall_msg* u, uint32_t attrs_len);
// Free a reserved message without sending it.
void ovsdp_upcall_cancel(struct ovsdp_upcall_msg* u);

// A GSO skb's segments (__skb_gso_segment, software): the first of a list
// (ovsdp_skb_next walks it; each is the caller's to free), or NULL with *err
// set (0 when the skb is not GSO: then it goes as it is).
void* ovsdp_skb_gso_segment(void* skb, int* err);
void* ovsdp_skb_next(void* seg);

#ifdef __cplusplus
} // extern "C"
#endif
