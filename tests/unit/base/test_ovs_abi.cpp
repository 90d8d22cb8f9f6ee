// SPDX-License-Identifier: GPL-2.0
// base/ovs_abi.h restates upstream's ABI for the kernel build; check it here
// against the real <linux/openvswitch.h>, value by value.
#include "base/ovs_abi.h"

#include <cstring>
#include <gtest/gtest.h>
#include <linux/openvswitch.h>



#define SAME(x) static_assert(static_cast<long>(ovsdp::uapi::x) == static_cast<long>(::x), #x)

SAME(OVS_DP_CMD_NEW); SAME(OVS_DP_CMD_DEL); SAME(OVS_DP_CMD_GET); SAME(OVS_DP_CMD_SET);
SAME(OVS_DP_ATTR_NAME); SAME(OVS_DP_ATTR_UPCALL_PID); SAME(OVS_DP_ATTR_STATS);
SAME(OVS_DP_ATTR_MEGAFLOW_STATS); SAME(OVS_DP_ATTR_USER_FEATURES); SAME(OVS_DP_ATTR_PAD);
SAME(OVS_DP_ATTR_MASKS_CACHE_SIZE); SAME(OVS_DP_ATTR_PER_CPU_PIDS); SAME(OVS_DP_ATTR_IFINDEX);
static_assert(ovsdp::uapi::kDpAttrMax == OVS_DP_ATTR_MAX);
static_assert(ovsdp::uapi::kDpFUnaligned == OVS_DP_F_UNALIGNED); static_assert(ovsdp::uapi::kDpFVportPids == OVS_DP_F_VPORT_PIDS); static_assert(ovsdp::uapi::kDpFTcRecircSharing == OVS_DP_F_TC_RECIRC_SHARING);
static_assert(ovsdp::uapi::kDpFDispatchUpcallPerCpu == OVS_DP_F_DISPATCH_UPCALL_PER_CPU);
SAME(OVS_VPORT_CMD_NEW); SAME(OVS_VPORT_CMD_DEL); SAME(OVS_VPORT_CMD_GET); SAME(OVS_VPORT_CMD_SET);
SAME(OVS_VPORT_TYPE_NETDEV); SAME(OVS_VPORT_TYPE_INTERNAL); SAME(OVS_VPORT_TYPE_GRE);
SAME(OVS_VPORT_TYPE_VXLAN); SAME(OVS_VPORT_TYPE_GENEVE); static_assert(ovsdp::uapi::kVportTypeMax == OVS_VPORT_TYPE_MAX);
SAME(OVS_VPORT_ATTR_PORT_NO); SAME(OVS_VPORT_ATTR_TYPE); SAME(OVS_VPORT_ATTR_NAME);
SAME(OVS_VPORT_ATTR_OPTIONS); SAME(OVS_VPORT_ATTR_UPCALL_PID); SAME(OVS_VPORT_ATTR_STATS);
SAME(OVS_VPORT_ATTR_PAD); SAME(OVS_VPORT_ATTR_IFINDEX); SAME(OVS_VPORT_ATTR_NETNSID);
static_assert(ovsdp::uapi::kVportAttrMax == OVS_VPORT_ATTR_MAX);
SAME(OVS_FLOW_CMD_NEW); SAME(OVS_FLOW_CMD_DEL); SAME(OVS_FLOW_CMD_GET); SAME(OVS_FLOW_CMD_SET);
SAME(OVS_FLOW_ATTR_KEY); SAME(OVS_FLOW_ATTR_ACTIONS); SAME(OVS_FLOW_ATTR_STATS);
SAME(OVS_FLOW_ATTR_TCP_FLAGS); SAME(OVS_FLOW_ATTR_USED); SAME(OVS_FLOW_ATTR_CLEAR);
SAME(OVS_FLOW_ATTR_MASK); SAME(OVS_FLOW_ATTR_PROBE); SAME(OVS_FLOW_ATTR_UFID);
SAME(OVS_FLOW_ATTR_UFID_FLAGS); SAME(OVS_FLOW_ATTR_PAD); static_assert(ovsdp::uapi::kFlowAttrMax == OVS_FLOW_ATTR_MAX);
static_assert(ovsdp::uapi::kUfidFOmitKey == OVS_UFID_F_OMIT_KEY); static_assert(ovsdp::uapi::kUfidFOmitMask == OVS_UFID_F_OMIT_MASK); static_assert(ovsdp::uapi::kUfidFOmitActions == OVS_UFID_F_OMIT_ACTIONS);
SAME(OVS_PACKET_CMD_MISS); SAME(OVS_PACKET_CMD_ACTION); SAME(OVS_PACKET_CMD_EXECUTE);
SAME(OVS_PACKET_ATTR_PACKET); SAME(OVS_PACKET_ATTR_KEY); SAME(OVS_PACKET_ATTR_ACTIONS);
SAME(OVS_PACKET_ATTR_USERDATA); SAME(OVS_PACKET_ATTR_EGRESS_TUN_KEY); SAME(OVS_PACKET_ATTR_PROBE);
SAME(OVS_PACKET_ATTR_MRU); SAME(OVS_PACKET_ATTR_LEN); SAME(OVS_PACKET_ATTR_HASH);
static_assert(ovsdp::uapi::kPacketAttrMax == OVS_PACKET_ATTR_MAX);

static_assert(ovsdp::uapi::kLocalPort == OVSP_LOCAL);
static_assert(ovsdp::uapi::kDatapathVersion == OVS_DATAPATH_VERSION);
static_assert(ovsdp::uapi::kVportVersion == OVS_VPORT_VERSION);
static_assert(ovsdp::uapi::kFlowVersion == OVS_FLOW_VERSION);
static_assert(ovsdp::uapi::kPacketVersion == OVS_PACKET_VERSION);
static_assert(sizeof(ovsdp::uapi::DpStats) == sizeof(ovs_dp_stats));
static_assert(sizeof(ovsdp::uapi::DpMegaflowStats) == sizeof(ovs_dp_megaflow_stats));
static_assert(offsetof(ovsdp::uapi::DpMegaflowStats, n_cache_hit) == offsetof(ovs_dp_megaflow_stats, n_cache_hit));
static_assert(sizeof(ovsdp::uapi::VportStats) == sizeof(ovs_vport_stats));
static_assert(offsetof(ovsdp::uapi::VportStats, tx_dropped) == offsetof(ovs_vport_stats, tx_dropped));
static_assert(sizeof(ovsdp::uapi::FlowStats) == sizeof(ovs_flow_stats));

TEST(OvsAbi, FamilyNames)
{
    EXPECT_STREQ(ovsdp::uapi::kDatapathFamily, OVS_DATAPATH_FAMILY);
    EXPECT_STREQ(ovsdp::uapi::kVportFamily, OVS_VPORT_FAMILY);
    EXPECT_STREQ(ovsdp::uapi::kFlowFamily, OVS_FLOW_FAMILY);
    EXPECT_STREQ(ovsdp::uapi::kPacketFamily, OVS_PACKET_FAMILY);
}
