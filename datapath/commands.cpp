// SPDX-License-Identifier: GPL-2.0
// The command table (datapath/commands.h).
#include "datapath/commands.h"

#include "base/ovs_abi.h"
#include "datapath/datapath.h"
#include "conntrack/ct_limit.h"
#include "meter/meter.h"
#include "vport/vport.h"

using namespace ovsdp;

namespace {

constexpr u8 kAdmin = OVSDP_CMD_F_ADMIN;
constexpr u8 kExt = OVSDP_CMD_F_EXT;
constexpr u8 kMutex = OVSDP_CTX_OVS_MUTEX;
constexpr u8 kRcuBh = OVSDP_CTX_RCU_BH;
constexpr u8 kSelf = OVSDP_CTX_SELF;
constexpr u8 kRcu = OVSDP_CTX_RCU;

} // namespace

extern "C" {

extern constexpr ovsdp_cmd_desc ovsdp_cmds[] = {
    { OVSDP_FAMILY_DATAPATH, uapi::OVS_DP_CMD_NEW, kAdmin, kMutex, kMutex, ovsdp_dp_cmd_new, nullptr },
    { OVSDP_FAMILY_DATAPATH, uapi::OVS_DP_CMD_DEL, kAdmin, kMutex, kMutex, ovsdp_dp_cmd_del, nullptr },
    { OVSDP_FAMILY_DATAPATH, uapi::OVS_DP_CMD_GET, kExt, kMutex, kMutex, ovsdp_dp_cmd_get, ovsdp_dp_cmd_dump },
    { OVSDP_FAMILY_DATAPATH, uapi::OVS_DP_CMD_SET, kAdmin, kMutex, kMutex, ovsdp_dp_cmd_set, nullptr },
    { OVSDP_FAMILY_VPORT, uapi::OVS_VPORT_CMD_NEW, kAdmin, kMutex, kMutex, ovsdp_vport_cmd_new, nullptr },
    { OVSDP_FAMILY_VPORT, uapi::OVS_VPORT_CMD_DEL, kAdmin, kMutex, kMutex, ovsdp_vport_cmd_del, nullptr },
    { OVSDP_FAMILY_VPORT, uapi::OVS_VPORT_CMD_GET, 0, kMutex, kMutex, ovsdp_vport_cmd_get, ovsdp_vport_cmd_dump },
    { OVSDP_FAMILY_VPORT, uapi::OVS_VPORT_CMD_SET, kAdmin, kMutex, kMutex, ovsdp_vport_cmd_set, nullptr },
    { OVSDP_FAMILY_FLOW, uapi::OVS_FLOW_CMD_NEW, kAdmin, kSelf, kSelf, ovsdp_flow_cmd_new, nullptr },
    { OVSDP_FAMILY_FLOW, uapi::OVS_FLOW_CMD_DEL, kAdmin, kMutex, kMutex, ovsdp_flow_cmd_del, nullptr },
    { OVSDP_FAMILY_FLOW, uapi::OVS_FLOW_CMD_GET, kExt, kRcu, kRcu, ovsdp_flow_cmd_get, ovsdp_flow_cmd_dump },
    { OVSDP_FAMILY_FLOW, uapi::OVS_FLOW_CMD_SET, kAdmin, kSelf, kSelf, ovsdp_flow_cmd_set, nullptr },
    { OVSDP_FAMILY_PACKET, uapi::OVS_PACKET_CMD_EXECUTE, kAdmin, kRcuBh, kRcuBh, ovsdp_packet_cmd_execute, nullptr },
    { OVSDP_FAMILY_METER, uapi::OVS_METER_CMD_FEATURES, 0, kMutex, kMutex, ovsdp_meter_cmd_features, nullptr },
    { OVSDP_FAMILY_METER, uapi::OVS_METER_CMD_SET, kAdmin, kSelf, kSelf, ovsdp_meter_cmd_set, nullptr },
    { OVSDP_FAMILY_METER, uapi::OVS_METER_CMD_DEL, kAdmin, kMutex, kMutex, ovsdp_meter_cmd_del, nullptr },
    { OVSDP_FAMILY_METER, uapi::OVS_METER_CMD_GET, 0, kMutex, kMutex, ovsdp_meter_cmd_get, ovsdp_meter_cmd_dump },
    { OVSDP_FAMILY_CT_LIMIT, uapi::OVS_CT_LIMIT_CMD_SET, kAdmin, kSelf, kSelf, ovsdp_ct_limit_cmd_set, nullptr },
    { OVSDP_FAMILY_CT_LIMIT, uapi::OVS_CT_LIMIT_CMD_DEL, kAdmin, kSelf, kSelf, ovsdp_ct_limit_cmd_del, nullptr },
    { OVSDP_FAMILY_CT_LIMIT, uapi::OVS_CT_LIMIT_CMD_GET, 0, kMutex, kMutex, ovsdp_ct_limit_cmd_get, nullptr },
};

constinit const unsigned int ovsdp_n_cmds = sizeof(ovsdp_cmds) / sizeof(ovsdp_cmds[0]);

} // extern "C"

namespace {

// (family, cmd) -> 1 + the command's index in ovsdp_cmds, 0 for none: found
// for every request without a search.
constexpr unsigned kCmdSlots = 8;

// Not constexpr: reaching it makes the index below fail to compile.
inline void cmd_table_invalid() {}

struct CmdIndex {
    u8 at[OVSDP_FAMILY_COUNT][kCmdSlots];
};

constexpr CmdIndex make_cmd_index()
{
    CmdIndex ix {};
    for (unsigned i = 0; i < sizeof(ovsdp_cmds) / sizeof(ovsdp_cmds[0]); i++) {
        const ovsdp_cmd_desc& c = ovsdp_cmds[i];
        // A command number beyond the slots or a duplicate entry stops the
        // build here.
        if (c.family >= OVSDP_FAMILY_COUNT || c.cmd >= kCmdSlots || ix.at[c.family][c.cmd] != 0) {
            cmd_table_invalid();
            continue;
        }
        ix.at[c.family][c.cmd] = static_cast<u8>(i + 1);
    }
    return ix;
}

constexpr CmdIndex kCmdIndex = make_cmd_index();

} // namespace

extern "C" {

const ovsdp_cmd_desc* ovsdp_cmd_find(int family, unsigned int cmd)
{
    if (family < 0 || family >= OVSDP_FAMILY_COUNT || cmd >= kCmdSlots)
        return nullptr;
    u8 i = kCmdIndex.at[family][cmd];
    return i ? &ovsdp_cmds[i - 1] : nullptr;
}

} // extern "C"
