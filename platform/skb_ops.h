// SPDX-License-Identifier: GPL-2.0
// The sk_buff operations behind the action engine's MutablePacket
// (actions/packet_ops.h), implemented by kmod/skb.c. Each call that can move
// the packet data refreshes the caller's ovsdp_skb_state.
#pragma once

#include "platform/skb.h"

#ifdef __cplusplus
extern "C" {
#endif

// Scalar fields, read and written by number.
enum ovsdp_skb_field {
    OVSDP_SKB_MARK,
    OVSDP_SKB_PRIORITY,
    OVSDP_SKB_PROTOCOL,          // network order
    OVSDP_SKB_MAC_LEN,
    OVSDP_SKB_NETWORK_OFFSET,    // skb_network_offset() (from data); set: skb_set_network_header
    OVSDP_SKB_TRANSPORT_OFFSET,
    OVSDP_SKB_INNER_NETWORK_OFFSET,
    OVSDP_SKB_INNER_PROTOCOL,    // network order
    OVSDP_SKB_ENCAPSULATION,
    OVSDP_SKB_IP_SUMMED,
    OVSDP_SKB_CSUM,
    OVSDP_SKB_CSUM_START_OFFSET, // skb_checksum_start_offset()
    OVSDP_SKB_HASH,              // get: skb_get_hash(); set (any value): skb_clear_hash()
    OVSDP_SKB_CUTLEN,            // OVS control block
    OVSDP_SKB_MRU,               // OVS control block; set: also skb->ignore_df
    OVSDP_SKB_HASH_RAW,          // skb->hash in the low 32 bits, bit 32 sw_hash, bit 33 l4_hash
                                 // (OVS_PACKET_ATTR_HASH's layout); get: as it is (no
                                 // computing); set: __skb_set_hash()
};

int64_t ovsdp_skb_get(void* skb, int field);
void ovsdp_skb_set(void* skb, int field, int64_t value);

// Return the (refreshed) data pointer, or NULL on failure.
uint8_t* ovsdp_skb_make_writable(void* skb, uint32_t n, struct ovsdp_skb_state* st);
uint8_t* ovsdp_skb_push_head(void* skb, uint32_t n, struct ovsdp_skb_state* st);
void ovsdp_skb_pull_head(void* skb, uint32_t n, struct ovsdp_skb_state* st);
int ovsdp_skb_trim(void* skb, uint32_t n, struct ovsdp_skb_state* st);
void ovsdp_skb_vlan_set(void* skb, uint16_t proto, uint16_t tci, struct ovsdp_skb_state* st);
int ovsdp_skb_gso_mac_len_fits(void* skb, uint32_t n);

// A new packet holding data[0, len) (OVS_PACKET_CMD_EXECUTE), whose device is
// `dev`; NULL when memory is short. Process context. When the bytes lie in
// the linear kmalloc'd buffer of `msg` (the request's sk_buff, or NULL), the
// packet is a clone sharing that buffer; otherwise a copy.
void* ovsdp_skb_from_data(const void* data, uint32_t len, void* dev, void* msg);
// The skb was received on `dev` (skb->dev).
void ovsdp_skb_set_dev(void* skb, void* dev);

// Tunnel metadata (upstream's ip_tunnel_info, as far as OVS can express it).
// Multi-byte fields in network order; IPv4 addresses in the first 4 bytes.
struct ovsdp_tunnel {
    uint64_t tun_id;
    uint8_t src[16];
    uint8_t dst[16];
    uint16_t tun_flags;          // TUNNEL_* bits
    uint8_t tos;
    uint8_t ttl;
    uint16_t tp_src;
    uint16_t tp_dst;
    uint8_t mode;                // IP_TUNNEL_INFO_* (TX, IPV6, BRIDGE)
    uint8_t options_len;         // bytes at `options`
};

// set(tunnel)'s metadata, made once when the actions are validated (upstream's
// validate_and_copy_set_tun): a struct metadata_dst holding `t` (mode TX...)
// and its options, with a route cache for the device that encapsulates; the
// caller holds its one reference. NULL when memory is short. Process context.
void* ovsdp_tunnel_dst_create(const struct ovsdp_tunnel* t, const void* options);
// Drop the actions' reference (dst_release; packets keep theirs). Any context.
void ovsdp_tunnel_dst_release(void* dst);
// set(tunnel): the skb's dst becomes a new reference to `dst` (upstream's
// execute_set_action: skb_dst_drop, dst_hold, skb_dst_set). A later output
// to a collect-metadata tunnel device encapsulates with it; recirculation
// keeps it with the skb.
void ovsdp_skb_set_tunnel_dst(void* skb, void* dst);

// The egress tunnel of a userspace action with OVS_USERSPACE_ATTR_EGRESS_TUN_PORT
// (upstream: dev_fill_metadata_dst(vport dev) then skb_tunnel_info): fills `t`
// and up to `options_cap` option bytes. A device that cannot fill tunnel
// metadata (anything but a tunnel device), or an skb without tunnel info, is
// -EINVAL and nothing is reported, as upstream.
int ovsdp_skb_egress_tunnel(void* dev, void* skb, struct ovsdp_tunnel* t, void* options, uint32_t options_cap);

// The tunnel of a packet received with metadata `info` (the struct
// ip_tunnel_info its device attached, as upstream's ovs_vport_receive takes
// it): 1 with `t` and t->options_len bytes at `options` (room for 255)
// filled. 0 when the skb's device is in another network namespace than
// `dp_net`: then the skb is scrubbed (skb_scrub_packet, xnet, skb->mark
// kept) and carries no tunnel, no dst and no connection any more.
int ovsdp_skb_rx_tunnel(void* skb, const void* info, void* dp_net, struct ovsdp_tunnel* t, void* options);

// Lifetime: a clone sharing the data (skb_clone, GFP_ATOMIC), or NULL.
void* ovsdp_skb_clone(void* skb);
void ovsdp_skb_consume(void* skb);
// Transmit on a vport's device (ovs_vport_send): netdev ports transmit,
// internal ports receive the packet into the host stack. Consumes the skb.
void ovsdp_vport_send(void* dev, uint32_t type, void* skb, uint8_t mac_proto);

// ovsdp_vport_send for a packet that may carry an MRU (reassembled by
// conntrack, or OVS_PACKET_ATTR_MRU on EXECUTE), as upstream's do_output:
// without MRU, or when it fits in MRU plus the link-layer header, sent as is
// (a packet above the device's MTU is then dropped and counted); otherwise
// IPv4 and IPv6 (`eth_type`, network order) are fragmented to the MRU with
// the kernel's ip_do_fragment / ipv6_fragment, each fragment getting the
// packet's link-layer header back; an MRU above the MTU, or another
// ethertype, drops it. Consumes the skb. BHs disabled.
void ovsdp_vport_send_mru(void* dev, uint32_t type, void* skb, uint8_t mac_proto, uint16_t eth_type);

#ifdef __cplusplus
} // extern "C"
#endif
