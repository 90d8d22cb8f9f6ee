// SPDX-License-Identifier: Apache-2.0
// The kernel datapath as ovsdp-ctl sees it: typed ovs_datapath / ovs_vport
// requests and replies (<linux/openvswitch.h>), behind an interface so that
// command logic can be unit-tested against an in-memory fake.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "userspace-ctl/result.h"

namespace ovsdp::ctl {

// Feature bit OVS userspace sets to detect kernels that accept unknown bits.
inline constexpr uint32_t kDpFeatureProbeUnsupported = 1u << 31;

struct DpStats {                 // OVS_DP_ATTR_STATS (struct ovs_dp_stats)
    uint64_t n_hit = 0;
    uint64_t n_missed = 0;
    uint64_t n_lost = 0;
    uint64_t n_flows = 0;
};

struct MegaflowStats {           // OVS_DP_ATTR_MEGAFLOW_STATS
    uint64_t n_mask_hit = 0;
    uint32_t n_masks = 0;
    uint64_t n_cache_hit = 0;
};

// A datapath as the kernel describes it in an ovs_datapath reply.
struct DpInfo {
    int dp_ifindex = 0;                           // ovs_header.dp_ifindex
    std::string name;                             // OVS_DP_ATTR_NAME
    std::optional<DpStats> stats;                 // OVS_DP_ATTR_STATS
    std::optional<MegaflowStats> megaflow;        // OVS_DP_ATTR_MEGAFLOW_STATS
    std::optional<uint32_t> user_features;        // OVS_DP_ATTR_USER_FEATURES
    std::optional<uint32_t> masks_cache_size;     // OVS_DP_ATTR_MASKS_CACHE_SIZE
    std::vector<uint32_t> per_cpu_pids;           // OVS_DP_ATTR_PER_CPU_PIDS
    std::optional<uint64_t> budget_drops;         // OVSDP_DP_EXT_BUDGET_DROPS (ovsdp only, when asked)
};

// An ovs_datapath request.  Unset optionals are not sent.
struct DpRequest {
    uint8_t cmd = 0;                              // OVS_DP_CMD_*
    int dp_ifindex = 0;
    std::optional<std::string> name;
    std::optional<uint32_t> upcall_pid;
    std::optional<uint32_t> user_features;
    std::optional<uint32_t> masks_cache_size;
    std::optional<std::vector<uint32_t>> per_cpu_pids;  // OVS_DP_ATTR_PER_CPU_PIDS
    bool ext_stats = false;                       // ask for OVSDP_DP_ATTR_EXT_STATS (ovsdp_ext.h)
};

struct VportStats {              // OVS_VPORT_ATTR_STATS (struct ovs_vport_stats)
    uint64_t rx_packets = 0;
    uint64_t tx_packets = 0;
    uint64_t rx_bytes = 0;
    uint64_t tx_bytes = 0;
    uint64_t rx_errors = 0;
    uint64_t tx_errors = 0;
    uint64_t rx_dropped = 0;
    uint64_t tx_dropped = 0;
};

// A vport as the kernel describes it in an ovs_vport reply.
struct VportInfo {
    int dp_ifindex = 0;
    uint32_t port_no = 0;                         // OVS_VPORT_ATTR_PORT_NO
    uint32_t type = 0;                            // OVS_VPORT_ATTR_TYPE
    std::string name;                             // OVS_VPORT_ATTR_NAME
    std::optional<VportStats> stats;              // OVS_VPORT_ATTR_STATS
    std::vector<uint32_t> upcall_pids;            // OVS_VPORT_ATTR_UPCALL_PID
    std::optional<int32_t> ifindex;               // OVS_VPORT_ATTR_IFINDEX
    std::optional<int32_t> netnsid;               // OVS_VPORT_ATTR_NETNSID
    std::optional<uint16_t> tunnel_dst_port;      // OVS_VPORT_ATTR_OPTIONS/OVS_TUNNEL_ATTR_DST_PORT
};

// An ovs_vport request.  Unset optionals are not sent.
struct VportRequest {
    uint8_t cmd = 0;                              // OVS_VPORT_CMD_*
    int dp_ifindex = 0;
    std::optional<uint32_t> port_no;
    std::optional<uint32_t> type;
    std::optional<std::string> name;
    std::optional<std::vector<uint32_t>> upcall_pids;
};

struct FlowStats {                // OVS_FLOW_ATTR_STATS (struct ovs_flow_stats)
    uint64_t n_packets = 0;
    uint64_t n_bytes = 0;
};

// One NUMA node's share of a flow's statistics (ovsdp extension,
// datapath/ovsdp_ext.h).
struct NumaFlowStats {
    uint32_t node = 0;
    uint64_t packets = 0;
    uint64_t bytes = 0;
    std::optional<uint64_t> used;                 // msecs, absent if never used
    uint16_t tcp_flags = 0;
};

// A flow as the kernel describes it in an ovs_flow reply.  Key, mask and
// actions are the raw attribute streams (see odp.h).
struct FlowInfo {
    int dp_ifindex = 0;
    std::vector<uint8_t> key;                     // OVS_FLOW_ATTR_KEY
    std::optional<std::vector<uint8_t>> mask;     // OVS_FLOW_ATTR_MASK
    std::optional<std::vector<uint8_t>> actions;  // OVS_FLOW_ATTR_ACTIONS
    std::vector<uint8_t> ufid;                    // OVS_FLOW_ATTR_UFID, empty if none
    FlowStats stats;                              // zeros if absent
    std::optional<uint64_t> used;                 // OVS_FLOW_ATTR_USED (msecs)
    uint8_t tcp_flags = 0;                        // OVS_FLOW_ATTR_TCP_FLAGS
    std::optional<std::vector<NumaFlowStats>> numa;  // OVSDP_FLOW_ATTR_NUMA_STATS
};

// An ovs_flow request.  Unset optionals are not sent.
struct FlowRequest {
    uint8_t cmd = 0;                              // OVS_FLOW_CMD_*
    uint16_t nlm_flags = 0;                       // extra NLM_F_* (NLM_F_CREATE...)
    int dp_ifindex = 0;
    std::optional<std::vector<uint8_t>> key;
    std::optional<std::vector<uint8_t>> mask;
    std::optional<std::vector<uint8_t>> actions;
    std::optional<std::vector<uint8_t>> ufid;
    std::optional<uint32_t> ufid_flags;
    bool clear = false;                           // OVS_FLOW_ATTR_CLEAR
    bool probe = false;                           // OVS_FLOW_ATTR_PROBE
    bool numa_stats = false;                      // OVSDP_FLOW_ATTR_NUMA_STATS
};

// An OVS_PACKET_CMD_EXECUTE request.
struct PacketExecRequest {
    int dp_ifindex = 0;
    std::vector<uint8_t> packet;                  // OVS_PACKET_ATTR_PACKET
    std::vector<uint8_t> key;                     // OVS_PACKET_ATTR_KEY (metadata)
    std::vector<uint8_t> actions;                 // OVS_PACKET_ATTR_ACTIONS
    std::optional<uint16_t> mru;                  // OVS_PACKET_ATTR_MRU
};

// A meter as an ovs_meter reply describes it.  GET, DEL and SET replies carry
// the id, statistics, last use and each band's statistics; ovsdp's dump adds
// kbps and each band's type, rate and burst.
struct MeterBandInfo {
    std::optional<uint32_t> type;                 // OVS_BAND_ATTR_TYPE
    std::optional<uint32_t> rate;                 // OVS_BAND_ATTR_RATE
    std::optional<uint32_t> burst;                // OVS_BAND_ATTR_BURST
    std::optional<FlowStats> stats;               // OVS_BAND_ATTR_STATS
};

struct MeterInfo {
    int dp_ifindex = 0;
    std::optional<uint32_t> id;                   // OVS_METER_ATTR_ID
    bool kbps = false;                            // OVS_METER_ATTR_KBPS
    std::optional<FlowStats> stats;               // OVS_METER_ATTR_STATS
    std::optional<uint64_t> used;                 // OVS_METER_ATTR_USED (msecs)
    std::optional<uint32_t> max_meters;           // OVS_METER_ATTR_MAX_METERS (FEATURES)
    std::optional<uint32_t> max_bands;            // OVS_METER_ATTR_MAX_BANDS (FEATURES)
    std::vector<MeterBandInfo> bands;             // OVS_METER_ATTR_BANDS
};

// An ovs_meter request.  Unset optionals are not sent.
struct MeterRequest {
    uint8_t cmd = 0;                              // OVS_METER_CMD_*
    int dp_ifindex = 0;
    std::optional<uint32_t> id;
    bool kbps = false;
    bool clear = false;
    std::vector<MeterBandInfo> bands;             // sent when cmd is SET
};

// One struct ovs_zone_limit of an ovs_ct_limit request or reply.
struct ZoneLimit {
    int32_t zone_id = 0;                          // OVS_ZONE_LIMIT_DEFAULT_ZONE: the default
    uint32_t limit = 0;
    uint32_t count = 0;                           // GET replies
};

class DpClient {
public:
    virtual ~DpClient() = default;

    // Sends one request with NLM_F_ECHO and returns the kernel's reply, or
    // nullopt if it sent none.
    virtual Result<std::optional<DpInfo>> dp_transact(const DpRequest& req) = 0;
    // Dumps all datapaths, in the kernel's order.
    virtual Result<std::vector<DpInfo>> dp_dump() = 0;

    virtual Result<std::optional<VportInfo>> vport_transact(const VportRequest& req) = 0;
    // Dumps the vports of the datapath with 'dp_ifindex', in the kernel's order.
    virtual Result<std::vector<VportInfo>> vport_dump(int dp_ifindex) = 0;

    // Sends one ovs_flow request with NLM_F_ECHO (plus req.nlm_flags) and
    // returns the kernel's reply, or nullopt if it sent none.
    virtual Result<std::optional<FlowInfo>> flow_transact(const FlowRequest& req) = 0;
    // Dumps the flows of req.dp_ifindex (req.cmd is ignored: GET).
    virtual Result<std::vector<FlowInfo>> flow_dump(const FlowRequest& req) = 0;

    // Runs 'req' in the datapath (acknowledged, no reply).
    virtual Status packet_execute(const PacketExecRequest&) { return Error::from_errno(EOPNOTSUPP); }

    // Sends one ovs_meter request and returns the kernel's reply, or nullopt.
    virtual Result<std::optional<MeterInfo>> meter_transact(const MeterRequest&)
    {
        return Error::from_errno(EOPNOTSUPP);
    }
    // Dumps the meters of 'dp_ifindex' (ovsdp only: the kernel's module has
    // no meter dump and answers EOPNOTSUPP).
    virtual Result<std::vector<MeterInfo>> meter_dump(int) { return Error::from_errno(EOPNOTSUPP); }

    // Sends one ovs_ct_limit request (OVS_CT_LIMIT_CMD_*; 'zones' as
    // OVS_CT_LIMIT_ATTR_ZONE_LIMIT, or no attribute when nullopt) with
    // NLM_F_ECHO, as OVS does, and returns the reply's array.
    virtual Result<std::vector<ZoneLimit>> ct_limit_transact(uint8_t, const std::optional<std::vector<ZoneLimit>>&)
    {
        return Error::from_errno(EOPNOTSUPP);
    }
};

}  // namespace ovsdp::ctl
