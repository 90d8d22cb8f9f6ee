// SPDX-License-Identifier: GPL-2.0
// The genetlink commands of the four families, in one table: for each
// (family, cmd) its entry points, whether it needs CAP_NET_ADMIN in the
// user namespace (GENL_UNS_ADMIN_PERM) and the lock context it runs in.
// kmod/genl.c builds its genl_small_ops from the table and runs each command
// through it; the userspace dispatcher (platform/user/dispatch.h) runs tests
// and fuzzers through the same table with the same locking. C and C++.
#pragma once

#include "platform/genl.h"

#ifdef __cplusplus
extern "C" {
#endif

// What holds on entry to a command, and what it may take itself.
enum ovsdp_lock_ctx {
    // The dispatcher holds ovs_mutex around the command (datapath and vport
    // commands, flow DEL).
    OVSDP_CTX_OVS_MUTEX = 0,
    // Nothing held on entry; the command parses and allocates (may sleep),
    // then runs its lookups and actions under rcu_read_lock with BH disabled
    // (EXECUTE, as upstream's ovs_packet_cmd_execute). Never ovs_mutex.
    OVSDP_CTX_RCU_BH = 1,
    // Nothing held on entry; the command parses and allocates, then takes
    // ovs_mutex itself (flow NEW/SET, upstream's "before locking").
    OVSDP_CTX_SELF = 2,
    // Nothing held on entry; the command reads under rcu_read_lock (flow GET
    // and dump). Never ovs_mutex.
    OVSDP_CTX_RCU = 3,
};

#define OVSDP_CMD_F_ADMIN 0x1u // GENL_UNS_ADMIN_PERM
// The command reads ovsdp's extension flags (datapath/ovsdp_ext.h: its
// replies carry the extension when asked). Only such commands look for them
// in the request; elsewhere they are ignored like any attribute above the
// family's maxattr.
#define OVSDP_CMD_F_EXT 0x2u

typedef int (*ovsdp_doit_fn)(struct ovsdp_request* req);
typedef int (*ovsdp_dumpit_fn)(struct ovsdp_dump* dump);

struct ovsdp_cmd_desc {
    uint8_t family;            // enum ovsdp_family
    uint8_t cmd;               // OVS_*_CMD_*
    uint8_t flags;             // OVSDP_CMD_F_*
    uint8_t doit_ctx;          // enum ovsdp_lock_ctx of doit
    uint8_t dump_ctx;          // enum ovsdp_lock_ctx of dumpit
    ovsdp_doit_fn doit;
    ovsdp_dumpit_fn dumpit;    // NULL: the command has no dump
};

extern const struct ovsdp_cmd_desc ovsdp_cmds[];
extern const unsigned int ovsdp_n_cmds;

// The entry of (family, cmd), or NULL.
const struct ovsdp_cmd_desc* ovsdp_cmd_find(int family, unsigned int cmd);

// EXECUTE's entry point: each host (kmod/packet_cmd.cpp, platform/user)
// provides it.
int ovsdp_packet_cmd_execute(struct ovsdp_request* req);

#ifdef __cplusplus
} // extern "C"
#endif
