// SPDX-License-Identifier: Apache-2.0
// One flow as ovs-dpctl prints it (dump-flows, get-flow), the statistics
// line of add-flow/mod-flow/del-flow -s, and ovsdp-ctl's JSON form.  Pure.
#pragma once

#include <cstdint>
#include <string>

#include "userspace-ctl/dp_client.h"
#include "userspace-ctl/odp.h"

namespace ovsdp::ctl {

struct FlowPrintOptions {
    bool verbose = false;            // -m: ufid, wildcarded fields, dp:ovs
    const PortNames* names = nullptr;  // port names for in_port and output
    uint64_t now_ms = 0;             // CLOCK_MONOTONIC msecs, for "used:"
    bool numa = false;               // --numa: per-node statistics
};

// "packets:N, bytes:N, used:X.XXXs|never[, flags:F]" (dpif_flow_stats_format).
std::string format_flow_stats(const FlowInfo& f, uint64_t now_ms);

// OVS's packet_format_tcp_flags(): "S.", "none" for 0.
std::string format_tcp_flag_chars(uint16_t flags);

// "numa:[0:packets:N,bytes:N,used:Xs[,flags:F] 1:...]", or "numa:unavailable"
// when the kernel sent no per-node statistics (e.g. the stock module).
std::string format_numa_stats(const FlowInfo& f, uint64_t now_ms);

// One line of dump-flows (without the newline):
// [ufid:U, ]KEY, STATS[, dp:ovs][, numa:[...]], actions:ACTIONS
std::string format_flow_line(const FlowInfo& f, const FlowPrintOptions& o);

// One JSON object (one line) for the flow.
std::string format_flow_json(const std::string& dp_name, const FlowInfo& f,
                             const FlowPrintOptions& o);

// JSON string literal with escapes.
std::string json_string(std::string_view s);

}  // namespace ovsdp::ctl
