// SPDX-License-Identifier: GPL-2.0
// The core's sources that hold or need ovs_mutex, as one translation unit
// (as kmod/core.cpp composes them), for clang's thread-safety analysis
// (thread_safety_check.cmake).
#include "flow_table/flow.cpp"
#include "flow_table/flow_stats.cpp"
#include "flow_table/flow_table.cpp"
#include "flow_netlink/flow_netlink.cpp"
#include "flow_netlink/flow_actions.cpp"
#include "vport/upcall_pids.cpp"
#include "vport/vport.cpp"
#include "vport/vport_ops.cpp"
#include "vport/vport_cmds.cpp"
#include "datapath/datapath.cpp"
#include "datapath/flow_cmds.cpp"
#include "datapath/commands.cpp"
#include "datapath/execute.h"
