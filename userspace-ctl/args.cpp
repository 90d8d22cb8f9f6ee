// SPDX-License-Identifier: Apache-2.0
#include "userspace-ctl/args.h"

#include <climits>
#include <cstdlib>

namespace ovsdp::ctl {

DpName parse_dp_name(std::string_view arg)
{
    DpName dp;
    size_t at = arg.find('@');
    if (at == std::string_view::npos) {
        dp.name = std::string(arg);
    } else {
        dp.type = std::string(arg.substr(0, at));
        dp.name = std::string(arg.substr(at + 1));
    }
    if (dp.type.empty()) {
        dp.type = "system";
    }
    return dp;
}

IfaceSpec parse_iface_spec(std::string_view arg)
{
    IfaceSpec spec;
    bool first = true;
    size_t pos = 0;
    while (pos <= arg.size()) {
        size_t comma = arg.find(',', pos);
        std::string_view field =
            arg.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
        pos = comma == std::string_view::npos ? arg.size() + 1 : comma + 1;
        if (field.empty()) {
            continue;
        }
        if (first) {
            spec.name = std::string(field);
            first = false;
            continue;
        }
        size_t k = field.find_first_not_of('=');
        if (k == std::string_view::npos) {
            continue;  // strtok_r finds no key in "===": the option vanishes
        }
        std::string_view rest = field.substr(k);
        size_t eq = rest.find('=');
        if (eq == std::string_view::npos) {
            spec.options.emplace_back(std::string(rest), std::string());
        } else {
            spec.options.emplace_back(std::string(rest.substr(0, eq)),
                                      std::string(rest.substr(eq + 1)));
        }
    }
    return spec;
}

int c_atoi(std::string_view s)
{
    // glibc's atoi() is (int) strtol(s, NULL, 10): saturate to long, then
    // keep the low 32 bits.
    std::string copy(s);
    long v = std::strtol(copy.c_str(), nullptr, 10);
    return static_cast<int>(static_cast<uint32_t>(static_cast<unsigned long>(v)));
}

std::optional<uint32_t> parse_u32(std::string_view s)
{
    if (s.empty() || s.size() > 10) {
        return std::nullopt;
    }
    uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        v = v * 10 + (c - '0');
    }
    if (v > UINT32_MAX) {
        return std::nullopt;
    }
    return static_cast<uint32_t>(v);
}

AddIfArgs interpret_add_if(const IfaceSpec& spec)
{
    AddIfArgs a;
    a.name = spec.name;
    for (const auto& [key, value] : spec.options) {
        if (key == "type") {
            a.type = value;
        } else if (key == "port_no") {
            a.port_no = static_cast<uint32_t>(c_atoi(value));
        } else if (key == "upcall_pid") {
            if (auto pid = parse_u32(value)) {
                a.upcall_pids.push_back(*pid);
            } else if (!a.bad_upcall_pid) {
                a.bad_upcall_pid = value;
            }
        } else {
            bool dup = false;
            for (const auto& kv : a.config) {
                dup = dup || kv.first == key;
            }
            if (dup) {
                a.duplicates.push_back(key);
            } else {
                a.config.emplace_back(key, value);
            }
        }
    }
    return a;
}

bool is_port_number(std::string_view arg)
{
    return arg.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace ovsdp::ctl
