// SPDX-License-Identifier: Apache-2.0
// Parsing of the arguments of datapath and port commands, with ovs-dpctl's
// exact rules (pure functions).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ovsdp::ctl {

// A datapath argument: "dp0" or "TYPE@dp0".  An empty TYPE means "system".
struct DpName {
    std::string type;
    std::string name;
    std::string full() const { return type + "@" + name; }
};
DpName parse_dp_name(std::string_view arg);

// "IFACE[,KEY[=VALUE]]..." as ovs-dpctl splits it with strtok_r: empty
// fields are skipped (so ",x" names "x"), a key runs to the first '=' after
// any leading '='s, and the value is the rest ("" if absent).  'name' is
// empty if the argument has no non-empty field.
struct IfaceSpec {
    std::string name;
    std::vector<std::pair<std::string, std::string>> options;  // in order
};
IfaceSpec parse_iface_spec(std::string_view arg);

// What add-if makes of an IfaceSpec.
struct AddIfArgs {
    std::string name;
    std::string type = "system";                 // last type= wins
    std::optional<uint32_t> port_no;             // last port_no= wins, atoi() semantics
    std::vector<uint32_t> upcall_pids;           // ovsdp extension: upcall_pid=N, repeatable
    std::vector<std::pair<std::string, std::string>> config;  // other options, first wins
    std::vector<std::string> duplicates;         // keys given twice in 'config'
    std::optional<std::string> bad_upcall_pid;   // unparsable upcall_pid value
};
AddIfArgs interpret_add_if(const IfaceSpec& spec);

// glibc atoi(): optional blanks, sign, digits; stops at the first non-digit.
int c_atoi(std::string_view s);

// Parses an unsigned 32-bit decimal number (the whole string); nullopt if
// it is not one.
std::optional<uint32_t> parse_u32(std::string_view s);

// del-if treats an argument made only of digits (including the empty
// string, as ovs-dpctl does) as a port number.
bool is_port_number(std::string_view arg);

}  // namespace ovsdp::ctl
