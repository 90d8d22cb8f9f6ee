// SPDX-License-Identifier: GPL-2.0
// The kernel build of the C++ core: one translation unit, so that every
// template and inline function is emitted once and the compiler can inline
// across the fast path. Each part's sources are listed here.
#include "kmod/cxx_runtime.cpp"

#include "flow_table/flow.cpp"
#include "flow_table/flow_stats.cpp"
#include "flow_table/flow_table.cpp"
#include "flow_table/mask_prefilter.cpp"
#include "flow_netlink/flow_netlink.cpp"
#include "flow_netlink/flow_actions.cpp"
#include "vport/upcall_pids.cpp"
#include "vport/vport.cpp"
#include "vport/vport_ops.cpp"
#include "vport/vport_cmds.cpp"
#include "datapath/datapath.cpp"
#include "datapath/flow_cmds.cpp"
#include "meter/meter.cpp"
#include "meter/meter_cmds.cpp"
#include "conntrack/ct_limit.cpp"
#include "conntrack/ct_limit_cmds.cpp"
#include "datapath/commands.cpp"
#include "kmod/receive.cpp"
#include "kmod/packet_cmd.cpp"
