// SPDX-License-Identifier: GPL-2.0
// The userspace dispatcher: runs a request through the command table
// (datapath/commands.h) with the locking kmod/genl.c gives it, for tests and
// fuzzers. Userspace only.
#pragma once

#include "base/ovs_abi.h"
#include "datapath/commands.h"

namespace ovsdp::user {

class UserHost;

// Run (family, cmd)'s doit / dumpit in its lock context. -EOPNOTSUPP for a
// command the table does not have (as genetlink answers). Aborts if the
// command returns with ovs_mutex, an RCU read-side section or BH held.
int doit(int family, u8 cmd, ovsdp_request* req);
int dumpit(int family, u8 cmd, ovsdp_dump* dump);

// The host OVS_PACKET_CMD_EXECUTE runs over (nullptr: EXECUTE fails with
// ENODEV). Set it before dispatching EXECUTE.
void set_execute_host(UserHost* host);

// One function per command, through the dispatcher (tests call these).
namespace cmd {
inline int dp_new(ovsdp_request* r) { return doit(OVSDP_FAMILY_DATAPATH, uapi::OVS_DP_CMD_NEW, r); }
inline int dp_del(ovsdp_request* r) { return doit(OVSDP_FAMILY_DATAPATH, uapi::OVS_DP_CMD_DEL, r); }
inline int dp_get(ovsdp_request* r) { return doit(OVSDP_FAMILY_DATAPATH, uapi::OVS_DP_CMD_GET, r); }
inline int dp_set(ovsdp_request* r) { return doit(OVSDP_FAMILY_DATAPATH, uapi::OVS_DP_CMD_SET, r); }
inline int dp_dump(ovsdp_dump* d) { return dumpit(OVSDP_FAMILY_DATAPATH, uapi::OVS_DP_CMD_GET, d); }
inline int vport_new(ovsdp_request* r) { return doit(OVSDP_FAMILY_VPORT, uapi::OVS_VPORT_CMD_NEW, r); }
inline int vport_del(ovsdp_request* r) { return doit(OVSDP_FAMILY_VPORT, uapi::OVS_VPORT_CMD_DEL, r); }
inline int vport_get(ovsdp_request* r) { return doit(OVSDP_FAMILY_VPORT, uapi::OVS_VPORT_CMD_GET, r); }
inline int vport_set(ovsdp_request* r) { return doit(OVSDP_FAMILY_VPORT, uapi::OVS_VPORT_CMD_SET, r); }
inline int vport_dump(ovsdp_dump* d) { return dumpit(OVSDP_FAMILY_VPORT, uapi::OVS_VPORT_CMD_GET, d); }
inline int flow_new(ovsdp_request* r) { return doit(OVSDP_FAMILY_FLOW, uapi::OVS_FLOW_CMD_NEW, r); }
inline int flow_del(ovsdp_request* r) { return doit(OVSDP_FAMILY_FLOW, uapi::OVS_FLOW_CMD_DEL, r); }
inline int flow_get(ovsdp_request* r) { return doit(OVSDP_FAMILY_FLOW, uapi::OVS_FLOW_CMD_GET, r); }
inline int flow_set(ovsdp_request* r) { return doit(OVSDP_FAMILY_FLOW, uapi::OVS_FLOW_CMD_SET, r); }
inline int flow_dump(ovsdp_dump* d) { return dumpit(OVSDP_FAMILY_FLOW, uapi::OVS_FLOW_CMD_GET, d); }
inline int packet_execute(ovsdp_request* r) { return doit(OVSDP_FAMILY_PACKET, uapi::OVS_PACKET_CMD_EXECUTE, r); }
inline int meter_features(ovsdp_request* r) { return doit(OVSDP_FAMILY_METER, uapi::OVS_METER_CMD_FEATURES, r); }
inline int meter_set(ovsdp_request* r) { return doit(OVSDP_FAMILY_METER, uapi::OVS_METER_CMD_SET, r); }
inline int meter_del(ovsdp_request* r) { return doit(OVSDP_FAMILY_METER, uapi::OVS_METER_CMD_DEL, r); }
inline int meter_get(ovsdp_request* r) { return doit(OVSDP_FAMILY_METER, uapi::OVS_METER_CMD_GET, r); }
inline int meter_dump(ovsdp_dump* d) { return dumpit(OVSDP_FAMILY_METER, uapi::OVS_METER_CMD_GET, d); }
inline int ct_limit_set(ovsdp_request* r) { return doit(OVSDP_FAMILY_CT_LIMIT, uapi::OVS_CT_LIMIT_CMD_SET, r); }
inline int ct_limit_del(ovsdp_request* r) { return doit(OVSDP_FAMILY_CT_LIMIT, uapi::OVS_CT_LIMIT_CMD_DEL, r); }
inline int ct_limit_get(ovsdp_request* r) { return doit(OVSDP_FAMILY_CT_LIMIT, uapi::OVS_CT_LIMIT_CMD_GET, r); }
} // namespace cmd

} // namespace ovsdp::user
