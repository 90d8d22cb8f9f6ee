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
    OVSDP_SKB_HASH_RAW,          // set only: __skb_set_hash(low 32 bits, bit 32 sw, bit 33 l4)
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

// A new packet holding a copy of data[0, len) (OVS_PACKET_CMD_EXECUTE), whose
// device is `dev`; NULL when memory is short. Process context.
void* ovsdp_skb_from_data(const void* data, uint32_t len, void* dev);

// Lifetime: a clone sharing the data (skb_clone, GFP_ATOMIC), or NULL.
void* ovsdp_skb_clone(void* skb);
void ovsdp_skb_consume(void* skb);
// Transmit on a vport's device (ovs_vport_send): netdev ports transmit,
// internal ports receive the packet into the host stack. Consumes the skb.
void ovsdp_vport_send(void* dev, uint32_t type, void* skb, uint8_t mac_proto);

#ifdef __cplusplus
} // extern "C"
#endif
