// SPDX-License-Identifier: Apache-2.0
// dump-flows "filter=..." as ovs-dpctl reads it: an OpenFlow-style match
// ("in_port=1,tcp,tp_dst=80", "arp", "ip,nw_src=10.0.0.0/8") that a flow
// passes unless a field both the filter and the flow match on differs.
// Supports the common OpenFlow field names (see flow_filter.cpp); others are
// refused as unknown.  Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "userspace-ctl/dp_client.h"
#include "userspace-ctl/odp.h"
#include "userspace-ctl/result.h"

namespace ovsdp::ctl {

// One matched field: a place in the flattened flow key, value and mask.
struct FilterTerm {
    int field = 0;                 // index into flow_filter.cpp's field table
    std::vector<uint8_t> value;
    std::vector<uint8_t> mask;
};

struct FlowFilter {
    std::vector<FilterTerm> terms;
};

// Errors carry the message ovs-dpctl puts in parentheses in Error::detail.
Result<FlowFilter> parse_flow_filter(const std::string& s, const PortNumbers& ports);

bool flow_filter_matches(const FlowFilter& filter, const FlowInfo& flow);

}  // namespace ovsdp::ctl
