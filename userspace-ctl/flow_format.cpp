// SPDX-License-Identifier: Apache-2.0
#include "userspace-ctl/flow_format.h"

#include <cinttypes>
#include <cstdio>

namespace ovsdp::ctl {
namespace {

std::string used_str(std::optional<uint64_t> used, uint64_t now_ms)
{
    if (!used || !*used) {
        return "never";
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3fs",
                  (static_cast<double>(now_ms) - static_cast<double>(*used)) / 1000.0);
    return buf;
}

std::string u64(uint64_t v)
{
    return std::to_string(v);
}

}  // namespace

std::string format_tcp_flag_chars(uint16_t f)
{
    if (!f) {
        return "none";
    }
    std::string s;
    if (f & 0x002) s += 'S';
    if (f & 0x001) s += 'F';
    if (f & 0x008) s += 'P';
    if (f & 0x004) s += 'R';
    if (f & 0x020) s += 'U';
    if (f & 0x010) s += '.';
    if (f & 0x040) s += 'E';
    if (f & 0x080) s += 'C';
    if (f & 0x100) s += 'N';
    if (f & 0x200) s += "[200]";
    if (f & 0x400) s += "[400]";
    if (f & 0x800) s += "[800]";
    return s;
}

std::string format_flow_stats(const FlowInfo& f, uint64_t now_ms)
{
    std::string s = "packets:" + u64(f.stats.n_packets) + ", bytes:" + u64(f.stats.n_bytes) +
                    ", used:" + used_str(f.used, now_ms);
    if (f.tcp_flags) {
        s += ", flags:" + format_tcp_flag_chars(f.tcp_flags);
    }
    return s;
}

std::string format_numa_stats(const FlowInfo& f, uint64_t now_ms)
{
    if (!f.numa) {
        return "numa:unavailable";
    }
    std::string s = "numa:[";
    bool first = true;
    for (const NumaFlowStats& n : *f.numa) {
        if (!first) {
            s += ' ';
        }
        first = false;
        s += std::to_string(n.node) + ":packets:" + u64(n.packets) + ",bytes:" + u64(n.bytes) +
             ",used:" + used_str(n.used, now_ms);
        if (n.tcp_flags) {
            s += ",flags:" + format_tcp_flag_chars(n.tcp_flags);
        }
    }
    return s + "]";
}

std::string format_flow_line(const FlowInfo& f, const FlowPrintOptions& o)
{
    std::string s;
    if (o.verbose && !f.ufid.empty()) {
        s += format_ufid(f.ufid) + ", ";
    }
    std::span<const uint8_t> mask;
    if (f.mask) {
        mask = *f.mask;
    }
    s += format_flow_key(f.key, mask, o.names, o.verbose);
    s += ", " + format_flow_stats(f, o.now_ms);
    if (o.verbose) {
        s += ", dp:ovs";
    }
    if (o.numa) {
        s += ", " + format_numa_stats(f, o.now_ms);
    }
    s += ", actions:";
    std::span<const uint8_t> acts;
    if (f.actions) {
        acts = *f.actions;
    }
    s += format_actions(acts, o.names);
    return s;
}

std::string json_string(std::string_view in)
{
    std::string s = "\"";
    for (char c : in) {
        switch (c) {
        case '"': s += "\\\""; break;
        case '\\': s += "\\\\"; break;
        case '\n': s += "\\n"; break;
        case '\t': s += "\\t"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                s += buf;
            } else {
                s += c;
            }
        }
    }
    return s + "\"";
}

namespace {

// {"name": "value", ...} for each attribute of a key (or mask) stream,
// each printed exactly and verbosely as ovs-dpctl would print it alone.
std::string json_attrs(std::span<const uint8_t> stream, const PortNames* names)
{
    std::string s = "{";
    bool first = true;
    for (const AttrView& a : split_attrs(stream)) {
        Bytes one;
        put_attr(one, a.type, a.data);
        std::string text = format_flow_key(one, {}, names, true);
        size_t paren = text.find('(');
        std::string name = text.substr(0, paren);
        std::string value;
        if (paren != std::string::npos && text.size() > paren + 1) {
            value = text.substr(paren + 1, text.size() - paren - 2);
        }
        if (!first) {
            s += ",";
        }
        first = false;
        s += json_string(name) + ":" + json_string(value);
    }
    return s + "}";
}

std::string json_used(std::optional<uint64_t> used, uint64_t now_ms)
{
    if (!used || !*used) {
        return "null";
    }
    return std::to_string(static_cast<int64_t>(now_ms - *used));
}

}  // namespace

std::string format_flow_json(const std::string& dp_name, const FlowInfo& f,
                             const FlowPrintOptions& o)
{
    std::span<const uint8_t> mask, acts;
    if (f.mask) {
        mask = *f.mask;
    }
    if (f.actions) {
        acts = *f.actions;
    }
    std::string s = "{\"dp\":" + json_string(dp_name);
    s += ",\"ufid\":" + (f.ufid.empty() ? std::string("null") : json_string(format_ufid(f.ufid).substr(5)));
    s += ",\"flow\":" + json_string(format_flow_key(f.key, mask, o.names, o.verbose));
    s += ",\"key\":" + json_attrs(f.key, o.names);
    s += ",\"mask\":" + (f.mask ? json_attrs(*f.mask, nullptr) : std::string("null"));
    s += ",\"packets\":" + std::to_string(f.stats.n_packets);
    s += ",\"bytes\":" + std::to_string(f.stats.n_bytes);
    s += ",\"used\":" + json_string(used_str(f.used, o.now_ms).c_str());
    s += ",\"used_ms_ago\":" + json_used(f.used, o.now_ms);
    s += ",\"tcp_flags\":" + json_string(f.tcp_flags ? format_tcp_flag_chars(f.tcp_flags) : "");
    s += ",\"actions\":" + json_string(format_actions(acts, o.names));
    if (o.numa) {
        if (!f.numa) {
            s += ",\"numa\":null";
        } else {
            s += ",\"numa\":[";
            bool first = true;
            for (const NumaFlowStats& n : *f.numa) {
                if (!first) {
                    s += ",";
                }
                first = false;
                s += "{\"node\":" + std::to_string(n.node) +
                     ",\"packets\":" + std::to_string(n.packets) +
                     ",\"bytes\":" + std::to_string(n.bytes) +
                     ",\"used_ms_ago\":" + json_used(n.used, o.now_ms) +
                     ",\"tcp_flags\":" +
                     json_string(n.tcp_flags ? format_tcp_flag_chars(n.tcp_flags) : "") + "}";
            }
            s += "]";
        }
    }
    return s + "}";
}

}  // namespace ovsdp::ctl
