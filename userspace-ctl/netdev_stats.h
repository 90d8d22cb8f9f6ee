// SPDX-License-Identifier: Apache-2.0
// Per-port counters as ovs-dpctl prints them, and the rules by which Open
// vSwitch 3.1 merges vport counters (ovs_vport) with device counters
// (rtnetlink) for each port type.  Pure functions.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "userspace-ctl/dp_client.h"
#include "userspace-ctl/result.h"

namespace ovsdp::ctl {

inline constexpr uint64_t kStatUnknown = std::numeric_limits<uint64_t>::max();

// The counters of struct rtnl_link_stats64 that OVS keeps (its netdev_stats).
// kStatUnknown means "not available" and prints as '?'.
struct NetdevStats {
    uint64_t rx_packets = kStatUnknown;
    uint64_t tx_packets = kStatUnknown;
    uint64_t rx_bytes = kStatUnknown;
    uint64_t tx_bytes = kStatUnknown;
    uint64_t rx_errors = kStatUnknown;
    uint64_t tx_errors = kStatUnknown;
    uint64_t rx_dropped = kStatUnknown;
    uint64_t tx_dropped = kStatUnknown;
    uint64_t multicast = kStatUnknown;
    uint64_t collisions = kStatUnknown;
    uint64_t rx_length_errors = kStatUnknown;
    uint64_t rx_over_errors = kStatUnknown;
    uint64_t rx_crc_errors = kStatUnknown;
    uint64_t rx_frame_errors = kStatUnknown;
    uint64_t rx_fifo_errors = kStatUnknown;
    uint64_t rx_missed_errors = kStatUnknown;
    uint64_t tx_aborted_errors = kStatUnknown;
    uint64_t tx_carrier_errors = kStatUnknown;
    uint64_t tx_fifo_errors = kStatUnknown;
    uint64_t tx_heartbeat_errors = kStatUnknown;
    uint64_t tx_window_errors = kStatUnknown;
};

// Vport counters widened to NetdevStats: the eight vport counters, every
// other counter 0.
NetdevStats netdev_stats_from_vport(const VportStats& v);

// A "system" (OVS_VPORT_TYPE_NETDEV) port: packets and bytes from the
// device, errors and drops summed from both, the rest from the device.
// Either source may have failed; if both did, the device's error wins.
Result<NetdevStats> merge_system_port_stats(const Result<VportStats>& vport,
                                            const Result<NetdevStats>& dev);

// Internal and tunnel ports: the vport counters alone.
Result<NetdevStats> vport_only_port_stats(const Result<VportStats>& vport);

}  // namespace ovsdp::ctl
