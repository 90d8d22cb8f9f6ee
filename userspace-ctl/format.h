// SPDX-License-Identifier: Apache-2.0
// Text output of ovsdp-ctl, byte-for-byte in the shape ovs-dpctl 3.1
// prints.  Pure functions over plain data; the commands gather the data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "userspace-ctl/dp_client.h"
#include "userspace-ctl/netdev_stats.h"
#include "userspace-ctl/result.h"

namespace ovsdp::ctl {

// strerror() text, as OVS's ovs_strerror() gives it.
std::string errno_text(int errnum);

// "PROGRAM: MESSAGE\n", or "PROGRAM: MESSAGE (ERRNO TEXT)\n" if errnum != 0.
std::string format_error_line(std::string_view program, std::string_view message, int errnum);

// The name OVS gives a vport type in "show" ("system" for netdev ports);
// "unknown" for a type it does not know.
std::string vport_type_name(uint32_t type);

// " (1.5 KiB)"-style suffix for byte counters; "" below 1 KiB or if unknown.
std::string format_human_size(uint64_t value);

// One port of "show".
struct ShowPort {
    uint32_t port_no = 0;
    std::string name;
    std::string type;                                          // vport_type_name()
    std::vector<std::pair<std::string, std::string>> config;  // printed sorted by key
    std::optional<Result<NetdevStats>> stats;                  // set with -s
};

// One datapath of "show".
struct ShowDp {
    std::string name;                    // "system@dp0"
    bool have_stats = false;             // the datapath query succeeded
    DpStats stats;                       // zeros if the kernel sent none
    std::optional<MegaflowStats> megaflow;
    std::optional<uint32_t> masks_cache_size;  // "caches:" section if set
    std::optional<uint64_t> budget_drops;      // ovsdp: printed when not 0
    std::vector<ShowPort> ports;         // any order; printed by port number
};

// Whether ovs-dpctl 3.1 prints the "cache:" line for these megaflow stats.
// OVS reads a zero n_cache_hit as "kernel does not count cache hits".
bool cache_hits_reported(const MegaflowStats& m);

std::string format_show_dp(const ShowDp& dp, bool with_stats);

// The same as one JSON object on one line (ovsdp-ctl's -j): name, lookups,
// flows, masks, cache (when reported), masks_cache_size, and ports by
// number with type, config and (with -s) counters; unknown counters are null.
std::string format_show_dp_json(const ShowDp& dp, bool with_stats);

}  // namespace ovsdp::ctl
