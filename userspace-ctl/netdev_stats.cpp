// SPDX-License-Identifier: Apache-2.0
#include "userspace-ctl/netdev_stats.h"

namespace ovsdp::ctl {

NetdevStats netdev_stats_from_vport(const VportStats& v)
{
    NetdevStats s;
    s.rx_packets = v.rx_packets;
    s.tx_packets = v.tx_packets;
    s.rx_bytes = v.rx_bytes;
    s.tx_bytes = v.tx_bytes;
    s.rx_errors = v.rx_errors;
    s.tx_errors = v.tx_errors;
    s.rx_dropped = v.rx_dropped;
    s.tx_dropped = v.tx_dropped;
    s.multicast = 0;
    s.collisions = 0;
    s.rx_length_errors = 0;
    s.rx_over_errors = 0;
    s.rx_crc_errors = 0;
    s.rx_frame_errors = 0;
    s.rx_fifo_errors = 0;
    s.rx_missed_errors = 0;
    s.tx_aborted_errors = 0;
    s.tx_carrier_errors = 0;
    s.tx_fifo_errors = 0;
    s.tx_heartbeat_errors = 0;
    s.tx_window_errors = 0;
    return s;
}

Result<NetdevStats> merge_system_port_stats(const Result<VportStats>& vport,
                                            const Result<NetdevStats>& dev)
{
    if (!dev.ok()) {
        if (vport.ok()) {
            return netdev_stats_from_vport(*vport);
        }
        return dev.error();
    }
    if (!vport.ok()) {
        return *dev;
    }
    const NetdevStats& d = *dev;
    NetdevStats s = netdev_stats_from_vport(*vport);
    // Vport counters miss GSO/GRO segmentation, so OVS prefers the device's
    // packet and byte counts.
    s.rx_packets = d.rx_packets;
    s.rx_bytes = d.rx_bytes;
    s.tx_packets = d.tx_packets;
    s.tx_bytes = d.tx_bytes;
    s.rx_errors += d.rx_errors;
    s.tx_errors += d.tx_errors;
    s.rx_dropped += d.rx_dropped;
    s.tx_dropped += d.tx_dropped;
    s.multicast += d.multicast;
    s.collisions += d.collisions;
    s.rx_length_errors += d.rx_length_errors;
    s.rx_over_errors += d.rx_over_errors;
    s.rx_crc_errors += d.rx_crc_errors;
    s.rx_frame_errors += d.rx_frame_errors;
    s.rx_fifo_errors += d.rx_fifo_errors;
    s.rx_missed_errors += d.rx_missed_errors;
    s.tx_aborted_errors += d.tx_aborted_errors;
    s.tx_carrier_errors += d.tx_carrier_errors;
    s.tx_fifo_errors += d.tx_fifo_errors;
    s.tx_heartbeat_errors += d.tx_heartbeat_errors;
    s.tx_window_errors += d.tx_window_errors;
    return s;
}

Result<NetdevStats> vport_only_port_stats(const Result<VportStats>& vport)
{
    if (!vport.ok()) {
        return vport.error();
    }
    return netdev_stats_from_vport(*vport);
}

}  // namespace ovsdp::ctl
