// SPDX-License-Identifier: GPL-2.0
// The Open vSwitch generic netlink ABI, as the core names it. The kernel build
// of the core cannot include <linux/openvswitch.h>, so the numbers the core
// needs are restated here; tests/unit/base/test_ovs_abi.cpp checks every one
// against the real header. Never change a value: they are upstream's ABI.
#pragma once

#include "base/types.h"

namespace ovsdp::uapi {

inline constexpr const char kDatapathFamily[] = "ovs_datapath";
inline constexpr const char kVportFamily[] = "ovs_vport";
inline constexpr const char kFlowFamily[] = "ovs_flow";
inline constexpr const char kPacketFamily[] = "ovs_packet";
inline constexpr u8 kDatapathVersion = 2;
inline constexpr u8 kDpVerFeatures = 2; // first version that knows user features
inline constexpr u8 kVportVersion = 1;
inline constexpr u8 kFlowVersion = 1;
inline constexpr u8 kPacketVersion = 1;

inline constexpr u32 kLocalPort = 0;     // OVSP_LOCAL
inline constexpr u32 kMaxPorts = 65536;  // port numbers are below this (DP_MAX_PORTS)
inline constexpr usize kIfNameSize = 16; // IFNAMSIZ

// ---- ovs_datapath ---------------------------------------------------------------
enum DpCmd : u8 { OVS_DP_CMD_UNSPEC, OVS_DP_CMD_NEW, OVS_DP_CMD_DEL, OVS_DP_CMD_GET, OVS_DP_CMD_SET };

enum DpAttr : u16 {
    OVS_DP_ATTR_UNSPEC,
    OVS_DP_ATTR_NAME,             // string: name of the local port's device
    OVS_DP_ATTR_UPCALL_PID,       // u32
    OVS_DP_ATTR_STATS,            // struct DpStats
    OVS_DP_ATTR_MEGAFLOW_STATS,   // struct DpMegaflowStats
    OVS_DP_ATTR_USER_FEATURES,    // u32 OVS_DP_F_*
    OVS_DP_ATTR_PAD,
    OVS_DP_ATTR_MASKS_CACHE_SIZE, // u32
    OVS_DP_ATTR_PER_CPU_PIDS,     // u32[] indexed by CPU
    OVS_DP_ATTR_IFINDEX,          // u32, NEW only
    kDpAttrMax = OVS_DP_ATTR_IFINDEX,
};

inline constexpr u32 kDpFUnaligned = 1u << 0;
inline constexpr u32 kDpFVportPids = 1u << 1;
inline constexpr u32 kDpFTcRecircSharing = 1u << 2;
inline constexpr u32 kDpFDispatchUpcallPerCpu = 1u << 3;

struct DpStats {
    u64 n_hit;
    u64 n_missed;
    u64 n_lost;
    u64 n_flows;
};
struct DpMegaflowStats {
    u64 n_mask_hit;
    u32 n_masks;
    u32 pad0;
    u64 n_cache_hit;
    u64 pad1;
};

// ---- ovs_vport ----------------------------------------------------------------
enum VportCmd : u8 { OVS_VPORT_CMD_UNSPEC, OVS_VPORT_CMD_NEW, OVS_VPORT_CMD_DEL, OVS_VPORT_CMD_GET, OVS_VPORT_CMD_SET };

enum VportType : u32 {
    OVS_VPORT_TYPE_UNSPEC,
    OVS_VPORT_TYPE_NETDEV,
    OVS_VPORT_TYPE_INTERNAL,
    OVS_VPORT_TYPE_GRE,
    OVS_VPORT_TYPE_VXLAN,
    OVS_VPORT_TYPE_GENEVE,
    kVportTypeMax = OVS_VPORT_TYPE_GENEVE,
};

enum VportAttr : u16 {
    OVS_VPORT_ATTR_UNSPEC,
    OVS_VPORT_ATTR_PORT_NO,    // u32
    OVS_VPORT_ATTR_TYPE,       // u32 OVS_VPORT_TYPE_*
    OVS_VPORT_ATTR_NAME,       // string
    OVS_VPORT_ATTR_OPTIONS,    // nested, per type
    OVS_VPORT_ATTR_UPCALL_PID, // u32[]
    OVS_VPORT_ATTR_STATS,      // struct VportStats
    OVS_VPORT_ATTR_PAD,
    OVS_VPORT_ATTR_IFINDEX,    // u32
    OVS_VPORT_ATTR_NETNSID,    // s32
    kVportAttrMax = OVS_VPORT_ATTR_NETNSID,
};

struct VportStats {
    u64 rx_packets;
    u64 tx_packets;
    u64 rx_bytes;
    u64 tx_bytes;
    u64 rx_errors;
    u64 tx_errors;
    u64 rx_dropped;
    u64 tx_dropped;
};

// ---- ovs_flow ------------------------------------------------------------------
enum FlowCmd : u8 { OVS_FLOW_CMD_UNSPEC, OVS_FLOW_CMD_NEW, OVS_FLOW_CMD_DEL, OVS_FLOW_CMD_GET, OVS_FLOW_CMD_SET };

enum FlowAttr : u16 {
    OVS_FLOW_ATTR_UNSPEC,
    OVS_FLOW_ATTR_KEY,        // nested OVS_KEY_ATTR_*
    OVS_FLOW_ATTR_ACTIONS,    // nested OVS_ACTION_ATTR_*
    OVS_FLOW_ATTR_STATS,      // struct FlowStats
    OVS_FLOW_ATTR_TCP_FLAGS,  // u8
    OVS_FLOW_ATTR_USED,       // u64 msecs since boot
    OVS_FLOW_ATTR_CLEAR,      // flag
    OVS_FLOW_ATTR_MASK,       // nested OVS_KEY_ATTR_*
    OVS_FLOW_ATTR_PROBE,      // flag
    OVS_FLOW_ATTR_UFID,       // 1-16 bytes
    OVS_FLOW_ATTR_UFID_FLAGS, // u32 OVS_UFID_F_*
    OVS_FLOW_ATTR_PAD,
    kFlowAttrMax = OVS_FLOW_ATTR_PAD,
};

inline constexpr u32 kUfidFOmitKey = 1u << 0;
inline constexpr u32 kUfidFOmitMask = 1u << 1;
inline constexpr u32 kUfidFOmitActions = 1u << 2;

struct FlowStats {
    u64 n_packets;
    u64 n_bytes;
};

// ---- ovs_packet ----------------------------------------------------------------
enum PacketCmd : u8 { OVS_PACKET_CMD_UNSPEC, OVS_PACKET_CMD_MISS, OVS_PACKET_CMD_ACTION, OVS_PACKET_CMD_EXECUTE };

enum PacketAttr : u16 {
    OVS_PACKET_ATTR_UNSPEC,
    OVS_PACKET_ATTR_PACKET,
    OVS_PACKET_ATTR_KEY,
    OVS_PACKET_ATTR_ACTIONS,
    OVS_PACKET_ATTR_USERDATA,
    OVS_PACKET_ATTR_EGRESS_TUN_KEY,
    OVS_PACKET_ATTR_UNUSED1,
    OVS_PACKET_ATTR_UNUSED2,
    OVS_PACKET_ATTR_PROBE,
    OVS_PACKET_ATTR_MRU,
    OVS_PACKET_ATTR_LEN,
    OVS_PACKET_ATTR_HASH,
    kPacketAttrMax = OVS_PACKET_ATTR_HASH,
};

} // namespace ovsdp::uapi
