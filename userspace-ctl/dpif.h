// SPDX-License-Identifier: Apache-2.0
// Opening and creating datapaths the way ovs-dpctl's dpif layer does:
// datapath type handling, and OVS_DP_ATTR_USER_FEATURES negotiation.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "userspace-ctl/args.h"
#include "userspace-ctl/commands.h"
#include "userspace-ctl/dp_client.h"
#include "userspace-ctl/result.h"

namespace ovsdp::ctl {

// Checks that 'dp' names a kernel ("system") datapath.  Other types fail
// with EAFNOSUPPORT after a warning naming the type.
Status check_dp_type(Context& ctx, const DpName& dp);

// Looks up an existing datapath by name (OVS_DP_CMD_GET).  A missing
// datapath is the kernel's ENODEV.
Result<DpInfo> dpif_open(Context& ctx, const DpName& dp);

// Creates a datapath (OVS_DP_CMD_NEW with OVS_DP_ATTR_UPCALL_PID 0) and
// negotiates user features exactly as Open vSwitch 3.1 does:
//   1. NEW with UNALIGNED | VPORT_PIDS | an undefined bit: a kernel that
//      accepts an undefined bit cannot negotiate, so then SET plain
//      UNALIGNED | VPORT_PIDS and stop;
//   2. otherwise NEW with UNALIGNED | DISPATCH_UPCALL_PER_CPU, and if that
//      is EOPNOTSUPP, NEW with UNALIGNED | VPORT_PIDS;
//   3. then SET TC_RECIRC_SHARING in addition, ignoring failure.
Result<DpInfo> dpif_create(Context& ctx, const DpName& dp);

// Names of all kernel datapaths, in the order ovs-dpctl lists them.
Result<std::vector<std::string>> enumerate_dps(Context& ctx);

}  // namespace ovsdp::ctl
