// SPDX-License-Identifier: GPL-2.0
// A datapath: its ports, counters, negotiated user features and upcall
// targets. Datapaths of every network namespace sit on one list; writers hold
// ovs_mutex; the packet path, EXECUTE and flow GET/dump find a datapath and
// read it under RCU (it is freed after a grace period, its flow table's
// structures too). Each command's lock context: datapath/commands.cpp.
#pragma once

#include "base/list.h"
#include "base/netlink.h"
#include "base/ovs_abi.h"
#include "base/result.h"
#include "flow_table/flow_table.h"
#include "meter/meter.h"
#include "platform/genl.h"
#include "platform/platform.h"
#include "vport/vport.h"

namespace ovsdp {

inline constexpr u32 kDefaultMasksCacheSize = kMaskCacheDefaultSize;
inline constexpr u32 kMaxMasksCacheSize = kMaskCacheMaxSize;
inline constexpr u32 kKnownUserFeatures = uapi::kDpFUnaligned | uapi::kDpFVportPids | uapi::kDpFDispatchUpcallPerCpu;

// Per-CPU datapath counters. Each CPU writes only its own instance (BH
// disabled); readers sum them with relaxed loads (64-bit hosts only).
struct DpPerCpuStats {
    u64 n_hit;
    u64 n_missed;
    u64 n_lost;
    u64 n_mask_hit;
    u64 n_cache_hit;
    u64 n_budget_drops; // executions cut short by the action budget (ovsdp_ext.h)
};

struct Datapath {
    ListNode list_node;            // g_datapaths, under ovs_mutex
    ovsdp_rcu_head rcu;
    void* net = nullptr;           // struct net*
    VportTable ports;              // by port number
    u32 user_features = 0;
    DpPerCpuStats* stats_percpu = nullptr; // per-CPU area
    UpcallPids upcall_pids;        // per-CPU dispatch targets (OVS_DP_ATTR_PER_CPU_PIDS)
    FlowTable table;
    MeterTable meters;             // freed with the datapath (free_dp_cb)
};

// A request's attribute of `type`, or nullptr (absent or above maxattr). An
// extension attribute (ovsdp_ext.h) comes from ext_attrs.
inline const NlAttr* req_attr(const ovsdp_request* req, int type)
{
    if (type >= OVSDP_EXT_ATTR_BASE)
        return type < OVSDP_EXT_ATTR_BASE + OVSDP_EXT_ATTR_COUNT
            ? static_cast<const NlAttr*>(req->ext_attrs[type - OVSDP_EXT_ATTR_BASE])
            : nullptr;
    return type > req->maxattr ? nullptr : static_cast<const NlAttr*>(req->attrs[type]);
}

// Fail a request with `e`: its message (and `bad`, when given, as the
// offending attribute) go to extack. Returns -errno.
inline int req_fail(ovsdp_request* req, Error e, const NlAttr* bad = nullptr)
{
    req->extack_msg = e.msg;
    if (bad)
        req->extack_attr = bad;
    return e.negative();
}

// The datapath whose local port has ifindex `dp_ifindex` in `net`, or nullptr.
// Under ovs_mutex or RCU.
Datapath* dp_lookup_by_ifindex(void* net, int dp_ifindex);

// Port lookup by number: under RCU or ovs_mutex.
inline Vport* dp_lookup_vport(const Datapath* dp, u32 port_no) { return dp->ports.lookup(port_no); }
// The datapath's name: its local port's device name.
const char* dp_name(const Datapath* dp);
int dp_ifindex(const Datapath* dp);
void dp_get_stats(const Datapath* dp, uapi::DpStats* stats, uapi::DpMegaflowStats* mega);
// OVSDP_DP_EXT_BUDGET_DROPS: summed over CPUs.
u64 dp_budget_drops(const Datapath* dp);
// Per-CPU dispatch: the port id for upcalls from `cpu`. RCU.
inline u32 dp_upcall_pid_for_cpu(const Datapath* dp, u32 cpu) { return dp->upcall_pids.by_cpu(cpu); }
// Call f(dp) for every datapath of every namespace; f must not destroy any.
// ovs_mutex.
void dp_for_each_locked(void (*f)(Datapath* dp)) OVSDP_REQUIRES(ovsdp_ovs_mutex);

} // namespace ovsdp

// genetlink command handlers, run through the command table
// (datapath/commands.h) in the lock context it gives each: REQUIRES ones
// with ovs_mutex held by the dispatcher, EXCLUDES ones lock (or read under
// RCU) themselves. The ovs_vport ones are declared in vport/vport.h.
extern "C" {
int ovsdp_dp_cmd_new(struct ovsdp_request* req) OVSDP_REQUIRES(ovsdp_ovs_mutex);
int ovsdp_dp_cmd_del(struct ovsdp_request* req) OVSDP_REQUIRES(ovsdp_ovs_mutex);
int ovsdp_dp_cmd_get(struct ovsdp_request* req) OVSDP_REQUIRES(ovsdp_ovs_mutex);
int ovsdp_dp_cmd_set(struct ovsdp_request* req) OVSDP_REQUIRES(ovsdp_ovs_mutex);
int ovsdp_dp_cmd_dump(struct ovsdp_dump* dump) OVSDP_REQUIRES(ovsdp_ovs_mutex);
int ovsdp_flow_cmd_new(struct ovsdp_request* req) OVSDP_EXCLUDES(ovsdp_ovs_mutex);
int ovsdp_flow_cmd_del(struct ovsdp_request* req) OVSDP_REQUIRES(ovsdp_ovs_mutex);
int ovsdp_flow_cmd_get(struct ovsdp_request* req) OVSDP_EXCLUDES(ovsdp_ovs_mutex);
int ovsdp_flow_cmd_set(struct ovsdp_request* req) OVSDP_EXCLUDES(ovsdp_ovs_mutex);
int ovsdp_flow_cmd_dump(struct ovsdp_dump* dump) OVSDP_EXCLUDES(ovsdp_ovs_mutex);
// Module unload: destroy every datapath (ovs_mutex held, families gone).
void ovsdp_destroy_all(void) OVSDP_REQUIRES(ovsdp_ovs_mutex);
// Periodic (every 4 s, ovs_mutex held): re-rank every datapath's masks by use.
void ovsdp_masks_rebalance_all(void) OVSDP_REQUIRES(ovsdp_ovs_mutex);
}
