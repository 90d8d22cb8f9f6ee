// SPDX-License-Identifier: GPL-2.0
// A vport: one port of a datapath, backed by a network device (netdev or
// internal, later tunnels). A datapath keeps its vports in a VportTable by
// port number; readers find them under RCU, writers hold ovs_mutex. What
// differs between vport types is in one table of VportOps (vport_ops.cpp);
// the ovs_vport genetlink commands are in vport_cmds.cpp.
#pragma once

#include "base/list.h"
#include "base/netlink.h"
#include "base/ovs_abi.h"
#include "base/result.h"
#include "platform/genl.h"
#include "platform/platform.h"
#include "vport/upcall_pids.h"

namespace ovsdp {

struct Datapath;

inline constexpr u32 kVportHashBuckets = 1024;

struct Vport {
    HListNode hash_node;   // VportTable bucket port_no % kVportHashBuckets
    Datapath* dp = nullptr;
    void* dev = nullptr;   // struct net_device*
    u32 port_no = 0;
    u32 type = 0;          // uapi::OVS_VPORT_TYPE_*
    UpcallPids upcall_pids; // by flow hash, unless the datapath dispatches per CPU
    bool detached = false; // device gone, removal pending (set under RTNL)
    ovsdp_rcu_head rcu;
};

// What a new port is made of (OVS_VPORT_CMD_NEW, or a datapath's local port).
struct VportParms {
    const char* name;
    u32 type;
    u32 port_no;
    int ifindex;                // OVS_VPORT_ATTR_IFINDEX, 0 when absent
    const NlAttr* upcall_pids;  // OVS_VPORT_ATTR_UPCALL_PID
    const NlAttr* options;      // OVS_VPORT_ATTR_OPTIONS, or nullptr
};

// What one vport type does (upstream's struct vport_ops). Control path only:
// the packet path reaches a port's device through vport->dev and vport->type.
struct VportOps {
    // Create or take the device behind `vport` in namespace `net` and set
    // vport->dev. `master` is the datapath's local device (nullptr when
    // attaching the local port itself). 0, or -errno and a static message in
    // *msg. ovs_mutex.
    int (*attach)(Vport* vport, void* net, const VportParms& parms, void* master, const char** msg);
    // Stop the device from delivering packets to the vport and undo attach,
    // but for what release() drops. ovs_mutex, maybe inside a device batch.
    void (*detach)(Vport* vport);
    // After a grace period: drop what attach held; nullptr when nothing is.
    void (*release)(Vport* vport);
    // OVS_VPORT_ATTR_OPTIONS on SET, validated before anything changes
    // (NEW hands them to attach in parms.options). nullptr: the type takes no
    // options and NEW and SET refuse them with EOPNOTSUPP.
    Status (*set_options)(Vport* vport, const NlAttr* options);
    // Write the port's OVS_VPORT_ATTR_OPTIONS into a reply, and the room that
    // takes at most; nullptr: replies carry none.
    bool (*put_options)(const Vport* vport, NlWriter& w);
    usize (*options_size)(const Vport* vport);
    // The device to create may be given an ifindex (OVS_VPORT_ATTR_IFINDEX).
    bool takes_ifindex;
};

// The operations of vport type `type` (uapi::OVS_VPORT_TYPE_*), or nullptr for
// a type this datapath does not support (refused with EAFNOSUPPORT).
const VportOps* vport_ops(u32 type);

// A datapath's ports by number: kVportHashBuckets hash chains and a bitmap
// of the numbers in use (for the lowest free one). Lookups run under RCU or
// ovs_mutex; changes hold ovs_mutex. Freed with its owner, after a grace period.
class VportTable {
public:
    VportTable() = default;
    ~VportTable();
    VportTable(const VportTable&) = delete;
    VportTable& operator=(const VportTable&) = delete;

    // Allocate the (empty) table. False when out of memory.
    [[nodiscard]] bool init();
    Vport* lookup(u32 port_no) const;
    void insert(Vport* vport) OVSDP_REQUIRES(ovsdp_ovs_mutex);
    void remove(Vport* vport) OVSDP_REQUIRES(ovsdp_ovs_mutex);
    // Lowest free port number >= 1, or 0 when all kDpMaxPorts are taken.
    u32 first_free() const;
    u32 size() const { return n_ports_; }
    const HListHead* bucket(u32 i) const { return &buckets_[i]; }
    // Call f(vport) for every port; f may remove the port it is given.
    template <typename F>
    void for_each_safe(F&& f)
    {
        for (u32 i = 0; i < kVportHashBuckets; i++) {
            HListNode* n = buckets_[i].first;
            while (n) {
                HListNode* next = n->next;
                f(container_of(n, &Vport::hash_node));
                n = next;
            }
        }
    }

private:
    struct Bitmap {
        u64 words[(uapi::kDpMaxPorts + 63) / 64];
    };
    Bitmap* bitmap() const;

    HListHead* buckets_ = nullptr; // the buckets, then the Bitmap (one allocation)
    u32 n_ports_ = 0;
};

// Create port `parms.port_no` of `dp` (the number must be free): its upcall
// PIDs, its device (through its type's attach), then hashed. On error
// nothing is left, and an offending attribute goes to req->extack_attr.
// ovs_mutex.
Result<Vport*> vport_add(Datapath* dp, const VportParms& parms, ovsdp_request* req) OVSDP_REQUIRES(ovsdp_ovs_mutex);
// Unhash and detach; the vport is freed (its device released) after a
// grace period. ovs_mutex.
void vport_del(Vport* vport) OVSDP_REQUIRES(ovsdp_ovs_mutex);
// Every port of `dp`, the local port last (the others' devices are linked to
// its device), with their devices unregistered in one batch. ovs_mutex.
void vport_del_all(Datapath* dp) OVSDP_REQUIRES(ovsdp_ovs_mutex);

// Room for a vport message, and its attributes. `all_pids`: every upcall
// PID if the datapath negotiated OVS_DP_F_VPORT_PIDS; false, or without that
// feature, the first only. RCU or ovs_mutex.
usize vport_msg_size(const Vport* vport);
bool vport_fill_info(const Vport* vport, void* net, NlWriter& w, bool all_pids);

// Replace the vport's upcall port ids from an OVS_VPORT_ATTR_UPCALL_PID
// attribute (a non-empty array of at most nr_cpu_ids u32). ovs_mutex.
inline Status vport_set_upcall_pids(Vport* vport, const NlAttr* ids) OVSDP_REQUIRES(ovsdp_ovs_mutex)
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

} // namespace ovsdp

// The ovs_vport genetlink commands (lock context OVSDP_CTX_OVS_MUTEX: the
// dispatcher holds ovs_mutex; dumps too).
extern "C" {
int ovsdp_vport_cmd_new(struct ovsdp_request* req) OVSDP_REQUIRES(ovsdp_ovs_mutex);
int ovsdp_vport_cmd_del(struct ovsdp_request* req) OVSDP_REQUIRES(ovsdp_ovs_mutex);
int ovsdp_vport_cmd_get(struct ovsdp_request* req) OVSDP_REQUIRES(ovsdp_ovs_mutex);
int ovsdp_vport_cmd_set(struct ovsdp_request* req) OVSDP_REQUIRES(ovsdp_ovs_mutex);
int ovsdp_vport_cmd_dump(struct ovsdp_dump* dump) OVSDP_REQUIRES(ovsdp_ovs_mutex);
}
