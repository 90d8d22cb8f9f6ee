// SPDX-License-Identifier: GPL-2.0
// A vport: one port of a datapath, backed by a network device (netdev or
// internal, later tunnels). The datapath keeps its vports in a hash table by
// port number; readers find them under RCU, writers hold ovs_mutex.
#pragma once

#include "base/list.h"
#include "base/netlink.h"
#include "base/ovs_abi.h"
#include "base/result.h"
#include "platform/platform.h"

namespace ovsdp {

struct Datapath;

// The Netlink port ids upcalls from this vport go to (RCU-replaced as a whole).
struct VportUpcallPids {
    ovsdp_rcu_head rcu;
    u32 n_ids;
    u32 ids[];
};

struct Vport {
    HListNode hash_node;   // Datapath::ports[port_no % kVportHashBuckets]
    Datapath* dp = nullptr;
    void* dev = nullptr;   // struct net_device*
    u32 port_no = 0;
    u32 type = 0;          // uapi::OVS_VPORT_TYPE_*
    VportUpcallPids* upcall_pids = nullptr; // RCU
    bool detached = false; // device gone, removal pending (set under RTNL)
    ovsdp_rcu_head rcu;
};

// Replace the vport's upcall port ids from an OVS_VPORT_ATTR_UPCALL_PID
// attribute (a non-empty array of at most nr_cpu_ids u32). Called with
// ovs_mutex.
Status vport_set_upcall_pids(Vport* vport, const NlAttr* ids);
// The port id for a packet with flow hash `hash` (0: upcalls disabled). RCU.
u32 vport_find_upcall_pid(const Vport* vport, u32 hash);
// Append OVS_VPORT_ATTR_UPCALL_PID: all ids when the datapath negotiated
// OVS_DP_F_VPORT_PIDS, else only the first.
bool vport_put_upcall_pids(const Vport* vport, bool all, NlWriter& w);

// Free the vport and what it owns after a grace period (the device release
// included). The vport must already be unhashed and detached.
void vport_free_rcu(Vport* vport);

} // namespace ovsdp
