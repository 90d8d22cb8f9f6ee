// SPDX-License-Identifier: GPL-2.0
// Generic netlink between kmod/ (which owns the families, sockets and skbs) and
// the core (which interprets requests and writes reply attributes). C and C++.
#pragma once

#include "datapath/ovsdp_ext.h"
#include "platform/platform.h"

#ifdef __cplusplus
extern "C" {
#endif

// The four upstream families (and their multicast groups).
enum ovsdp_family {
    OVSDP_FAMILY_DATAPATH = 0,
    OVSDP_FAMILY_VPORT = 1,
    OVSDP_FAMILY_FLOW = 2,
    OVSDP_FAMILY_PACKET = 3,
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
    const char* extack_msg;        // out
    const void* extack_attr;       // out
    // ovsdp's extension attributes (datapath/ovsdp_ext.h: numbers from
    // OVSDP_EXT_ATTR_BASE), found in the message apart from attrs[] so that the
    // family's attribute table stays upstream's size: ext_attrs[type - base].
    const void* ext_attrs[OVSDP_EXT_ATTR_COUNT];
};

// A dump in progress: the core appends whole messages to the skb and keeps its
// cursor in args[], which survive between calls of the same dump.
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

// Send a reply to the request: a genl message of `family`/`cmd` whose
// ovs_header carries dp_ifindex and whose attributes are attrs[0, len).
// notify=1: multicast to the family's group (and to the requester if it asked
// for an echo), as ovs_notify(); notify=0: unicast reply (genlmsg_reply).
int ovsdp_genl_reply(struct ovsdp_request* req, int family, uint8_t cmd, int dp_ifindex,
                     const void* attrs, size_t len, int notify);

// Whether a notification for `req` reaches anyone: the request asked for an
// echo (NLM_F_ECHO) or the family's multicast group has listeners. When not,
// a notifying command need not build its message at all (upstream's
// ovs_must_notify).
int ovsdp_genl_must_notify(struct ovsdp_request* req, int family);

// Multicast a message not tied to a request (e.g. a port removed because its
// device went away) in network namespace `net`.
int ovsdp_genl_multicast(void* net, int family, uint8_t cmd, int dp_ifindex, const void* attrs,
                         size_t len);

// Append one message to a dump skb (NLM_F_MULTI). Returns 0 or -EMSGSIZE when
// the skb has no room left (the dump resumes in the next call).
int ovsdp_dump_append(struct ovsdp_dump* dump, int family, uint8_t cmd, int dp_ifindex,
                      const void* attrs, size_t len);
// Whether the dump skb holds no message yet (a message that does not fit then
// never will: upstream's ovs_flow_cmd_fill_info drops a flow's actions then).
int ovsdp_dump_empty(const struct ovsdp_dump* dump);

#ifdef __cplusplus
} // extern "C"
#endif
