// SPDX-License-Identifier: Apache-2.0
// `ovsdp-ctl monitor`: a listener for the datapath's upcalls
// (OVS_PACKET_CMD_MISS and OVS_PACKET_CMD_ACTION on the ovs_packet family).
//
// The pure parts live here, for unit tests: decoding an upcall message,
// printing it in ovs-dpctl's flow syntax, the command's arguments, and which
// requests make a Netlink port the datapath's upcall destination (and put
// the old one back).  The socket loop is in monitor_command.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "userspace-ctl/dp_client.h"
#include "userspace-ctl/odp.h"
#include "userspace-ctl/result.h"

struct nlmsghdr;

namespace ovsdp::ctl {

// One upcall as the kernel sends it (<linux/openvswitch.h>, ovs_packet_attr).
struct Upcall {
    uint8_t cmd = 0;                          // OVS_PACKET_CMD_MISS / _ACTION
    int dp_ifindex = 0;                       // ovs_header
    Bytes packet;                             // OVS_PACKET_ATTR_PACKET
    Bytes key;                                // OVS_PACKET_ATTR_KEY (nested key attributes)
    std::optional<Bytes> userdata;            // OVS_PACKET_ATTR_USERDATA
    std::optional<Bytes> actions;             // OVS_PACKET_ATTR_ACTIONS (nested)
    std::optional<Bytes> egress_tun_key;      // OVS_PACKET_ATTR_EGRESS_TUN_KEY (nested tunnel key)
    std::optional<uint16_t> mru;              // OVS_PACKET_ATTR_MRU
    std::optional<uint32_t> orig_len;         // OVS_PACKET_ATTR_LEN (before truncation)
    std::optional<uint64_t> hash;             // OVS_PACKET_ATTR_HASH
};

// Parses one ovs_packet message.  A missing packet or key, or an attribute
// of the wrong size, is EPROTO with Error::detail naming it.  'len' is the
// number of bytes 'hdr' spans (checked against nlmsg_len).
Result<Upcall> decode_upcall(const nlmsghdr* hdr, size_t len);

// One line (ending in '\n'):
//   miss: in_port(1),eth(...),...,udp(src=1,dst=2) len=60 hash=0x1f2e3d4c
//   action: KEY len=60 [orig_len=1514] [mru=1400] hash=0x.. userdata(0102...)
//           [actions:ACTIONS] [egress_tun_key:tunnel(...)]
// The key prints as ovs-dpctl prints a flow with an exact mask; userdata as
// in a userspace() action (OVS cookies decoded).  With 'hex', the packet
// follows as a hex dump (hex_dump()).
std::string format_upcall(const Upcall& u, const PortNames* names, bool hex);

// OVS's ovs_hex_dump() layout with offsets and ASCII:
//   00000000  00 11 22 33 44 55 66 77-88 99 aa bb cc dd ee ff  |.."3DUfw........|
std::string hex_dump(std::span<const uint8_t> data);

// monitor [DP] [count=N] [hex] [execute=ACTIONS]
struct MonitorArgs {
    std::optional<std::string> dp;            // default: the only datapath
    uint64_t count = 0;                       // exit after N upcalls (0: never)
    bool hex = false;                         // hex dump of each packet
    std::optional<Bytes> execute;             // re-inject each packet with these actions
};
// 'args' as a command handler gets them (args[0] is "monitor").  Errors
// carry a message in Error::detail.
Result<MonitorArgs> parse_monitor_args(std::span<const std::string> args);

// The requests that make 'pid' the destination of every upcall of 'dp':
// with per-CPU dispatch (OVS_DP_F_DISPATCH_UPCALL_PER_CPU in its features)
// a datapath SET of OVS_DP_ATTR_PER_CPU_PIDS (one entry per CPU, features
// restated because a SET without them clears them); always a vport SET of
// OVS_VPORT_ATTR_UPCALL_PID per port (the destination without per-CPU
// dispatch).  restore_requests() gives the ones that put back what 'dp' and
// 'ports' had.
struct ListenPlan {
    std::optional<DpRequest> dp;
    std::vector<VportRequest> vports;
};
ListenPlan listen_requests(const DpInfo& dp, const std::vector<VportInfo>& ports, uint32_t pid,
                           unsigned n_cpus);
ListenPlan restore_requests(const DpInfo& dp, const std::vector<VportInfo>& ports);

// The OVS_PACKET_CMD_EXECUTE request that re-injects 'u' with 'actions':
// its packet, its key (metadata: in_port, marks, recirc_id...), its MRU.
PacketExecRequest execute_request(const Upcall& u, const Bytes& actions);

}  // namespace ovsdp::ctl
