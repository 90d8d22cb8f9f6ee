// SPDX-License-Identifier: Apache-2.0
// The datapath flow language of ovs-dpctl 3.1 (OVS lib/odp-util.c): flow
// keys with masks and action lists, between text and netlink attribute
// streams (pure functions, no I/O).
//
// Keys, masks and actions are kept as the raw attribute streams the kernel
// takes and gives (a sequence of struct nlattr, each padded to 4 bytes), so
// attributes this tool does not know survive a round trip and print the way
// ovs-dpctl prints them ("key40(01 02)", "action30(0a0b)").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "userspace-ctl/result.h"

namespace ovsdp::ctl {

using Bytes = std::vector<uint8_t>;

// OVS 3.1's userspace action cookie (struct user_action_cookie): its size
// and the types ovs-dpctl decodes.
inline constexpr size_t kOvsCookieSize = 48;
inline constexpr size_t kOvsCookieUnion = 24;  // offset of the per-type fields
enum : uint16_t {
    kCookieUnspec,
    kCookieSflow,
    kCookieSlowPath,
    kCookieFlowSample,
    kCookieIpfix,
    kCookieController,
};

// One attribute of a stream: its type (flags stripped) and payload.
struct AttrView {
    uint16_t type = 0;
    std::span<const uint8_t> data;
};

// Splits a stream into attributes.  'leftover' gets the number of trailing
// bytes that do not form a whole attribute (0 for a well-formed stream).
std::vector<AttrView> split_attrs(std::span<const uint8_t> stream, size_t* leftover = nullptr);
// The first attribute of 'type' in 'stream', if any.
std::optional<AttrView> find_attr(std::span<const uint8_t> stream, uint16_t type);

void put_attr(Bytes& out, uint16_t type, std::span<const uint8_t> payload);
void put_u32_attr(Bytes& out, uint16_t type, uint32_t v);
// Starts a nested attribute; finish it with end_nest(out, returned offset).
size_t begin_nest(Bytes& out, uint16_t type);
void end_nest(Bytes& out, size_t offset);

// Port number -> name, for in_port() and output actions (ovs-dpctl -m).
using PortNames = std::map<uint32_t, std::string>;
// Name -> port number, for parsing in_port(NAME).
using PortNumbers = std::map<std::string, uint32_t>;

// odp_flow_format(): the key with its mask.  An empty 'mask' means exact
// match everywhere.  'verbose' prints wildcarded fields too (ovs-dpctl -m).
std::string format_flow_key(std::span<const uint8_t> key, std::span<const uint8_t> mask,
                            const PortNames* names, bool verbose);

// format_odp_actions(): "drop" for an empty list.
std::string format_actions(std::span<const uint8_t> actions, const PortNames* names);

// "ufid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" for a 16-byte UFID; other sizes
// print as "ufid:" and hex.
std::string format_ufid(std::span<const uint8_t> ufid);

// odp_ufid_from_string(): if 's' starts with "ufid:", parses the UFID into
// 'ufid' and returns the characters consumed (including one following
// comma or blank, as OVS does); returns 0 if 's' has no UFID; EINVAL as an
// Error on a malformed one.
Result<size_t> parse_ufid_prefix(std::string_view s, Bytes* ufid);

struct ParsedKey {
    Bytes key;
    Bytes mask;
};

// odp_flow_from_string(): fields not given are wildcarded, "/MASK" gives a
// mask, in_port(NAME) is looked up in 'ports' if given.  Errors carry a
// message in Error::detail naming the place that failed.
Result<ParsedKey> parse_flow_key(std::string_view s, const PortNumbers* ports);

// odp_actions_from_string(), except that "drop" alone gives an empty list
// (the DROP action OVS 3.1 sends is unknown to Linux 6.1).
Result<Bytes> parse_actions(std::string_view s);

// A userspace action's userdata as the action prints it: one of OVS's
// cookies ("sFlow(...)", "slow_path(...)"...) or "userdata(HEX)".
std::string format_userdata(std::span<const uint8_t> userdata, const PortNames* names);

// Flag names of TCP flags as OVS prints them ("syn|ack").
std::string format_tcp_flags(uint16_t flags);

// The name of one TCP flag bit (host order: 0x002 is "syn") or of one
// OVS_CS_F_* conntrack state bit, as the flow syntax spells it; nullptr for
// a bit without a name. Printing and parsing share them.
const char* tcp_flag_name(uint32_t bit);
const char* ct_state_name(uint32_t bit);

}  // namespace ovsdp::ctl
