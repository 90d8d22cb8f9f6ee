// SPDX-License-Identifier: GPL-2.0
// The conntrack part of the platform interface: what the core asks of the
// host's connection tracker (the kernel's nf_conntrack in kmod/conntrack.c;
// a small deterministic model in platform/user/conntrack_user.cpp). The core
// parses and validates the ct key fields and actions and keeps the key; the
// host owns every connection-tracking structure.
#pragma once

#ifdef __cplusplus
#include "base/types.h"
extern "C" {
#else
#include <linux/types.h>
#endif

// Whether this datapath tracks connections: the conntrack key attributes
// (OVS_KEY_ATTR_CT_*) and the ct action are accepted only then, as upstream
// accepts them only when ovs_ct_verify() does. Constant after module init.
int ovsdp_ct_enabled(void);

// ---- The ct action ------------------------------------------------------------

// ovsdp_ct_action::flags.
#define OVSDP_CT_F_COMMIT 0x01u    // OVS_CT_ATTR_COMMIT or FORCE_COMMIT
#define OVSDP_CT_F_FORCE 0x02u     // OVS_CT_ATTR_FORCE_COMMIT
#define OVSDP_CT_F_EVENTMASK 0x04u // OVS_CT_ATTR_EVENTMASK given
#define OVSDP_CT_F_NAT 0x08u       // OVS_CT_ATTR_NAT given (alone: un-NAT existing connections)
#define OVSDP_CT_F_SRC_NAT 0x10u   // OVS_NAT_ATTR_SRC
#define OVSDP_CT_F_DST_NAT 0x20u   // OVS_NAT_ATTR_DST

// ovsdp_ct_action::nat_range_flags: the kernel's NF_NAT_RANGE_* values.
#define OVSDP_NAT_RANGE_MAP_IPS 0x01u
#define OVSDP_NAT_RANGE_PROTO_SPECIFIED 0x02u
#define OVSDP_NAT_RANGE_PROTO_RANDOM 0x04u       // OVS_NAT_ATTR_PROTO_HASH
#define OVSDP_NAT_RANGE_PERSISTENT 0x08u
#define OVSDP_NAT_RANGE_PROTO_RANDOM_FULLY 0x10u // OVS_NAT_ATTR_PROTO_RANDOM

// A validated ct action (upstream's ovs_conntrack_info without kernel
// pointers): flow_netlink fills it from OVS_CT_ATTR_*, the host adds its
// resources at install (`handle`) and releases them when the actions are
// freed. Stored whole in the validated actions (at 4-byte alignment: copy it
// out before use).
struct ovsdp_ct_action {
	void *handle;               // the host's per-action state (zone template, helper, timeout policy)
	uint32_t eventmask;         // with OVSDP_CT_F_EVENTMASK: 1 << IPCT_* bits
	uint32_t mark;              // OVS_CT_ATTR_MARK value ...
	uint32_t mark_mask;         // ... and mask (0: no mark to set)
	uint16_t zone;              // OVS_CT_ATTR_ZONE (0 by default)
	uint8_t flags;              // OVSDP_CT_F_*
	uint8_t family;             // 2 (IPv4) or 10 (IPv6): the flow's (NFPROTO_*)
	uint8_t ip_proto;           // the flow key's IP protocol (helper and timeout lookups)
	uint8_t nat_range_flags;    // OVSDP_NAT_RANGE_*
	uint16_t nat_proto_min;     // ports, host order
	uint16_t nat_proto_max;
	uint8_t labels[16];         // OVS_CT_ATTR_LABELS value ...
	uint8_t labels_mask[16];    // ... and mask (all zero: no labels to set)
	uint8_t nat_addr_min[16];   // IPv4 in the first 4 bytes
	uint8_t nat_addr_max[16];
	char helper[16];            // NUL-terminated helper name, "" for none
	char timeout[32];           // NUL-terminated timeout policy name, "" for none
};

// At flow install (process context, may sleep): the action's host state in
// act->handle (which may stay null when it needs none). `net` is the
// requesting socket's namespace (ovsdp_genl_request::net), or null in
// userspace tests. 0, or -errno with *msg set to an extack message (e.g. an
// unknown helper: -EINVAL; upstream refuses those too).
int ovsdp_ct_action_init(struct ovsdp_ct_action *act, void *net, const char **msg);
// When the actions are freed (process context, or an RCU callback after the
// last packet that could use them): releases what init made. act->handle may
// be null.
void ovsdp_ct_action_release(struct ovsdp_ct_action *act);

// ---- The kernel host (kmod/conntrack.c) ------------------------------------------

// The key's conntrack fields, laid out as the core's FlowKeyCt (checked in
// kmod/dp_env.h). Ports and addresses in network order.
struct ovsdp_ct_key {
	uint8_t state;
	uint8_t orig_proto;
	uint16_t zone;
	uint32_t mark;
	uint8_t labels[16];
	uint16_t orig_tp_src;
	uint16_t orig_tp_dst;
	union {
		struct {
			uint32_t src, dst;
		} ipv4;
		struct {
			uint8_t src[16], dst[16];
		} ipv6;
	} orig;
	uint8_t pad[4];
};

// What the tracker needs of the flow key besides its ct fields.
struct ovsdp_ct_pkt {
	uint16_t eth_type; // network order
	uint8_t frag;      // OVS_FRAG_TYPE_*
	uint8_t is_nd;     // an IPv6 neighbour solicitation or advertisement
	uint8_t nat_done;  // out: NAT rewrote addresses or ports (re-read them)
	uint8_t reassembled; // out: a fragment completed its datagram: the packet is
	                   // the whole datagram (re-read it; its MRU is set)
	uint8_t stolen;    // out: the host took the packet (a fragment kept for
	                   // reassembly, -EINPROGRESS, or freed with another -errno)
};

// The ct action on skb (its data at the MAC header, its network header set)
// in namespace net: 0 with key updated; -errno to drop the packet. The skb's
// data may have moved or shrunk (refresh what was cached of it). A fragment
// (pkt->frag) is reassembled first in the action's zone (upstream's
// handle_fragments()): until its datagram is complete the host keeps it
// (pkt->stolen, -EINPROGRESS); the fragment that completes it comes back as
// the whole datagram (pkt->reassembled) with its MRU in the datapath's
// control block, for output to fragment again.
int ovsdp_ct_execute(void *skb, void *net, const struct ovsdp_ct_action *act, struct ovsdp_ct_pkt *pkt,
	struct ovsdp_ct_key *key);
// ct_clear: the skb's connection reference dropped, the skb untracked.
void ovsdp_skb_ct_clear(void *skb);
// At receive: the key's ct fields from a connection already on the skb (the
// host stack tracked it), as upstream's ovs_ct_fill_key(); zero without one.
void ovsdp_ct_fill_key_rx(void *skb, const struct ovsdp_ct_pkt *pkt, struct ovsdp_ct_key *key);

// ---- Connection limits (conntrack/ct_limit.h, the ovs_ct_limit family) --------

// The host keeps one pointer per network namespace for the core's limit
// table, null until a limit is first set. The core writes it under
// ovs_mutex (publishing with release order); the host reads it under RCU on
// commit and, once the namespace goes and no reader can see it any more,
// frees the table with ovsdp_ct_limit_table_free().
void **ovsdp_ct_limit_slot(void *net);
// The connections the host counts in `zone` of `net` (upstream's
// nf_conncount count for GET replies). Process context.
uint32_t ovsdp_ct_limit_count(void *net, uint16_t zone);

// Core entry points for the host. The limit for `zone` in `table` (the
// slot's value): its own, else the default; 0 is unlimited. Under RCU.
uint32_t ovsdp_ct_limit_get(const void *table, uint16_t zone);
// Free a table no reader can see any more (null: nothing).
void ovsdp_ct_limit_table_free(void *table);

#ifdef __cplusplus
} // extern "C"
#endif
