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
#include "vport/upcall_pids.h"

namespace ovsdp {

struct Datapath;

struct Vport {
    HListNode hash_node;   // Datapath::ports[port_no % kVportHashBuckets]
    Datapath* dp = nullptr;
    void* dev = nullptr;   // struct net_device*
    u32 port_no = 0;
    u32 type = 0;          // uapi::OVS_VPORT_TYPE_*
    UpcallPids upcall_pids; // by flow hash, unless the datapath dispatches per CPU
    bool detached = false; // device gone, removal pending (set under RTNL)
    ovsdp_rcu_head rcu;
};

// Replace the vport's upcall port ids from an OVS_VPORT_ATTR_UPCALL_PID
// attribute (a non-empty array of at most nr_cpu_ids u32). ovs_mutex.
inline Status vport_set_upcall_pids(Vport* vport, const NlAttr* ids)
{
    // At most one PID per possible CPU (ovs-vswitchd gives one per handler
    // thread), as the kernel's module since its fix for replies too small
    // for the array: every reply then has a bounded size.
    return vport->upcall_pids.replace(ids, "Upcall PID attribute must be a non-empty array of u32",
                                      /*one_per_cpu_at_most=*/true);
}
// The port id for a packet with flow hash `hash` (0: upcalls disabled). RCU.
inline u32 vport_find_upcall_pid(const Vport* vport, u32 hash)
{
    return vport->upcall_pids.by_hash(hash);
}

// Free the vport and what it owns after a grace period (the device release
// included). The vport must already be unhashed and detached.
void vport_free_rcu(Vport* vport);

} // namespace ovsdp
