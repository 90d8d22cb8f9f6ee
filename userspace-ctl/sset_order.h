// SPDX-License-Identifier: Apache-2.0
// ovs-dpctl lists datapaths (dump-dps, show without arguments) by iterating
// an OVS "sset" of the names the kernel returned, i.e. in hash-table order,
// not in kernel order.  To print the same lines in the same order we
// reproduce that order: OVS's portable hash_string() (Murmur3-based, used by
// builds without SSE4.2 such as Debian's) and its hmap bucket layout.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ovsdp::ctl {

// OVS hash_bytes(s, strlen(s), basis), portable variant.
uint32_t ovs_hash_string(std::string_view s, uint32_t basis = 0);

// The order in which OVS iterates an sset after inserting 'names' in order
// (later duplicates are ignored, as sset_add() does).
std::vector<std::string> ovs_sset_order(std::span<const std::string> names);

}  // namespace ovsdp::ctl
