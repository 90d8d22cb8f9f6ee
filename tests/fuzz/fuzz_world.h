// SPDX-License-Identifier: GPL-2.0
// What the datapath fuzzers share: the failure check, a datapath "dp0" with
// internal ports made through the real commands, and the teardown every
// input ends with.
#pragma once

#include "datapath/datapath.h"
#include "platform/netdev.h"
#include "platform/user/dispatch.h"
#include "platform/user/fake_kernel.h"
#include "platform/user/user_platform.h"

namespace ovsdp::fuzz {

// A failed expectation is a finding.
inline void check(bool cond)
{
    if (!cond)
        __builtin_trap();
}

// Datapath "dp0" (UNALIGNED | VPORT_PIDS, upcalls to `upcall_pid`) in `net`;
// returns its ifindex.
inline int new_dp0(fake::Kernel& kernel, fake::Net& net, u32 upcall_pid)
{
    fake::Request r(&net, uapi::kDpAttrMax, 0, 2, 256);
    r.str(uapi::OVS_DP_ATTR_NAME, "dp0").u32(uapi::OVS_DP_ATTR_UPCALL_PID, upcall_pid);
    r.u32(uapi::OVS_DP_ATTR_USER_FEATURES, uapi::kDpFUnaligned | uapi::kDpFVportPids);
    check(user::cmd::dp_new(r.finish()) == 0);
    return kernel.find(&net, "dp0")->ifindex;
}

// An internal port `name` as port `port_no` of the datapath `ifindex`.
inline int new_port(fake::Net& net, int ifindex, const char* name, u32 port_no, u32 upcall_pid)
{
    fake::Request r(&net, uapi::kVportAttrMax, ifindex, 1, 256);
    r.str(uapi::OVS_VPORT_ATTR_NAME, name).u32(uapi::OVS_VPORT_ATTR_TYPE, uapi::OVS_VPORT_TYPE_INTERNAL);
    r.u32(uapi::OVS_VPORT_ATTR_UPCALL_PID, upcall_pid);
    r.u32(uapi::OVS_VPORT_ATTR_PORT_NO, port_no);
    return user::cmd::vport_new(r.finish());
}

// Every datapath (and every port detached from one) destroyed, their RCU
// callbacks run.
inline void destroy_datapaths()
{
    {
        OvsLock ovsl;
        ovsdp_reap_detached_vports();
        ovsdp_destroy_all();
    }
    ovsdp_rcu_barrier();
}

} // namespace ovsdp::fuzz
