// SPDX-License-Identifier: GPL-2.0
// Generic netlink between kmod/ (which owns the families, sockets and skbs) and
// the core (which interprets requests and writes reply attributes). C and C++.
#pragma once

#include "datapath/ovsdp_ext.h"
#include "platform/platform.h"

#ifdef __cplusplus
extern "C" {
#endif

// The upstream families (and their multicast groups).
enum ovsdp_family {
    OVSDP_FAMILY_DATAPATH = 0,
    OVSDP_FAMILY_VPORT = 1,
    OVSDP_FAMILY_FLOW = 2,
    OVSDP_FAMILY_PACKET = 3,
    OVSDP_FAMILY_METER = 4,
    OVSDP_FAMILY_CT_LIMIT = 5,
    OVSDP_FAMILY_COUNT
};

// One request as the core sees it. kmod/ fills the inputs; the core may set
// extack_msg (a static string) and extack_attr (the offending attribute).
struct ovsdp_request {
    void* net;                     // struct net* of the requesting socket
    const void* const* attrs;      // attrs[type]: const struct nlattr*, or NULL
    int maxattr;                   // highest valid index of attrs
    int dp_ifindex;                // struct ovs_header.dp_ifindex
    uint8_t version;               // genl header version of the request
    uint8_t cmd;
    uint16_t nlmsg_flags;          // of the request's netlink header (NLM_F_*)
    void* info;                    // struct genl_info*, for replies and notifications
    void* msg;                     // the request's struct sk_buff* (kernel; null in userspace)
    const char* extack_msg;        // out
    const void* extack_attr;       // out
    // ovsdp's extension attributes (datapath/ovsdp_ext.h: numbers from
    // OVSDP_EXT_ATTR_BASE), found in the message apart from attrs[] so that the
    // family's attribute table stays upstream's size: ext_attrs[type - base].
    const void* ext_attrs[OVSDP_EXT_ATTR_COUNT];
};

// A dump in progress: the core writes whole messages into the skb
// (ovsdp_dump_begin) and keeps its cursor in args[], which survive between
// calls of the same dump.
struct ovsdp_dump {
    void* net;
    void* skb;                     // struct sk_buff* being filled
    uint32_t portid;
    uint32_t seq;
    long* args;                    // netlink_callback.args (6 longs)
    const void* const* attrs;      // parsed request attributes (may be NULL)
    int maxattr;
    int dp_ifindex;
    const void* ext_attrs[OVSDP_EXT_ATTR_COUNT]; // as in ovsdp_request
};

// A message being written in place: kmod/ reserved it in a netlink skb
// (headers and ovs_header written) and the core writes its attributes at
// data[0, room), then sends or commits it with the length written, or
// cancels it. Nothing is copied.
struct ovsdp_genl_msg {
    void* skb;                     // struct sk_buff* holding the message
    void* hdr;                     // its user header (genlmsg_put's return)
    uint8_t* data;                 // where the attributes go: the skb's tail
    size_t room;                   // bytes writable at data
};

// Reserve a message of `family`/`cmd` answering `req` (its portid and
// sequence number), ovs_header.dp_ifindex = dp_ifindex, with room for `len`
// bytes of attributes. 0, or -ENOMEM. `notify`: the message will be a
// notification whose loss must be told to the multicast group's listeners
// (netlink_set_err(-ENOMEM), as upstream's ovs_notify callers); pass 0 when
// the failure aborts the command instead (nothing happened to notify).
int ovsdp_genl_msg_begin(struct ovsdp_request* req, int family, uint8_t cmd, int dp_ifindex, size_t len,
                         int notify, struct ovsdp_genl_msg* msg);
// Send a message begun by ovsdp_genl_msg_begin with `len` (<= room) bytes of
// attributes: notify=1: to the family's multicast group (and to the requester
// if it asked for an echo), as ovs_notify(); notify=0: unicast reply
// (genlmsg_reply). The message is gone afterwards. 0 or -errno.
int ovsdp_genl_msg_send(struct ovsdp_request* req, int family, struct ovsdp_genl_msg* msg, size_t len, int notify);
// Reserve a message not tied to a request (e.g. a port removed because its
// device went away), to be multicast by ovsdp_genl_msg_multicast. 0 or -ENOMEM.
int ovsdp_genl_mcast_begin(int family, uint8_t cmd, int dp_ifindex, size_t len, struct ovsdp_genl_msg* msg);
// Multicast it to the family's group in network namespace `net`.
int ovsdp_genl_msg_multicast(void* net, int family, struct ovsdp_genl_msg* msg, size_t len);
// Free a begun message without sending it.
void ovsdp_genl_msg_cancel(struct ovsdp_genl_msg* msg);

// Whether a notification for `req` reaches anyone: the request asked for an
// echo (NLM_F_ECHO) or the family's multicast group has listeners. When not,
// a notifying command need not build its message at all (upstream's
// ovs_must_notify).
int ovsdp_genl_must_notify(struct ovsdp_request* req, int family);

// Start one message (NLM_F_MULTI) in the dump skb: its headers are written and
// the rest of the skb's room is the window. 0, or -EMSGSIZE when not even the
// headers fit (the dump resumes in the next call). Then exactly one of:
// commit with the length written (the message ends there), or cancel (the
// skb is as before begin).
int ovsdp_dump_begin(struct ovsdp_dump* dump, int family, uint8_t cmd, int dp_ifindex, struct ovsdp_genl_msg* msg);
void ovsdp_dump_commit(struct ovsdp_dump* dump, struct ovsdp_genl_msg* msg, size_t len);
void ovsdp_dump_cancel(struct ovsdp_dump* dump, struct ovsdp_genl_msg* msg);
// Whether the dump skb holds no message yet (a message that does not fit then
// never will: upstream's ovs_flow_cmd_fill_info drops a flow's actions then).
int ovsdp_dump_empty(const struct ovsdp_dump* dump);

#ifdef __cplusplus
} // extern "C"
#endif
