// SPDX-License-Identifier: GPL-2.0
// The command table (datapath/commands.h).
#include "datapath/commands.h"

#include "base/ovs_abi.h"
#include "datapath/datapath.h"
#include "meter/meter.h"
#include "vport/vport.h"

using namespace ovsdp;

namespace {

constexpr u8 kAdmin = OVSDP_CMD_F_ADMIN;
constexpr u8 kMutex = OVSDP_CTX_OVS_MUTEX;
constexpr u8 kRcuBh = OVSDP_CTX_RCU_BH;
constexpr u8 kSelf = OVSDP_CTX_SELF;
constexpr u8 kRcu = OVSDP_CTX_RCU;

} // namespace

extern "C" {

constinit const ovsdp_cmd_desc ovsdp_cmds[] = {
    { OVSDP_FAMILY_DATAPATH, uapi::OVS_DP_CMD_NEW, kAdmin, kMutex, kMutex, ovsdp_dp_cmd_new, nullptr },
    { OVSDP_FAMILY_DATAPATH, uapi::OVS_DP_CMD_DEL, kAdmin, kMutex, kMutex, ovsdp_dp_cmd_del, nullptr },
    { OVSDP_FAMILY_DATAPATH, uapi::OVS_DP_CMD_GET, 0, kMutex, kMutex, ovsdp_dp_cmd_get, ovsdp_dp_cmd_dump },
    { OVSDP_FAMILY_DATAPATH, uapi::OVS_DP_CMD_SET, kAdmin, kMutex, kMutex, ovsdp_dp_cmd_set, nullptr },
    { OVSDP_FAMILY_VPORT, uapi::OVS_VPORT_CMD_NEW, kAdmin, kMutex, kMutex, ovsdp_vport_cmd_new, nullptr },
    { OVSDP_FAMILY_VPORT, uapi::OVS_VPORT_CMD_DEL, kAdmin, kMutex, kMutex, ovsdp_vport_cmd_del, nullptr },
    { OVSDP_FAMILY_VPORT, uapi::OVS_VPORT_CMD_GET, 0, kMutex, kMutex, ovsdp_vport_cmd_get, ovsdp_vport_cmd_dump },
    { OVSDP_FAMILY_VPORT, uapi::OVS_VPORT_CMD_SET, kAdmin, kMutex, kMutex, ovsdp_vport_cmd_set, nullptr },
    { OVSDP_FAMILY_FLOW, uapi::OVS_FLOW_CMD_NEW, kAdmin, kSelf, kSelf, ovsdp_flow_cmd_new, nullptr },
    { OVSDP_FAMILY_FLOW, uapi::OVS_FLOW_CMD_DEL, kAdmin, kMutex, kMutex, ovsdp_flow_cmd_del, nullptr },
    { OVSDP_FAMILY_FLOW, uapi::OVS_FLOW_CMD_GET, 0, kRcu, kRcu, ovsdp_flow_cmd_get, ovsdp_flow_cmd_dump },
    { OVSDP_FAMILY_FLOW, uapi::OVS_FLOW_CMD_SET, kAdmin, kSelf, kSelf, ovsdp_flow_cmd_set, nullptr },
    { OVSDP_FAMILY_PACKET, uapi::OVS_PACKET_CMD_EXECUTE, kAdmin, kRcuBh, kRcuBh, ovsdp_packet_cmd_execute, nullptr },
    { OVSDP_FAMILY_METER, uapi::OVS_METER_CMD_FEATURES, 0, kMutex, kMutex, ovsdp_meter_cmd_features, nullptr },
    { OVSDP_FAMILY_METER, uapi::OVS_METER_CMD_SET, kAdmin, kSelf, kSelf, ovsdp_meter_cmd_set, nullptr },
    { OVSDP_FAMILY_METER, uapi::OVS_METER_CMD_DEL, kAdmin, kMutex, kMutex, ovsdp_meter_cmd_del, nullptr },
    { OVSDP_FAMILY_METER, uapi::OVS_METER_CMD_GET, 0, kMutex, kMutex, ovsdp_meter_cmd_get, ovsdp_meter_cmd_dump },
};

constinit const unsigned int ovsdp_n_cmds = sizeof(ovsdp_cmds) / sizeof(ovsdp_cmds[0]);

const ovsdp_cmd_desc* ovsdp_cmd_find(int family, unsigned int cmd)
{
    for (const ovsdp_cmd_desc& c : ovsdp_cmds)
        if (c.family == family && c.cmd == cmd)
            return &c;
    return nullptr;
}

} // extern "C"
