// SPDX-License-Identifier: Apache-2.0
#include "userspace-ctl/format.h"

#include <linux/openvswitch.h>

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "userspace-ctl/flow_format.h"

namespace ovsdp::ctl {
namespace {

std::string printf_string(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

std::string printf_string(const char* fmt, ...)
{
    char buf[256];
    va_list args;
    va_start(args, fmt);
    int n = std::vsnprintf(buf, sizeof buf, fmt, args);
    va_end(args);
    if (n < 0) {
        return {};
    }
    if (static_cast<size_t>(n) < sizeof buf) {
        return std::string(buf, n);
    }
    std::string s(n, '\0');
    va_start(args, fmt);
    std::vsnprintf(s.data(), n + 1, fmt, args);
    va_end(args);
    return s;
}

void put_stat(std::string& out, const char* leader, uint64_t value)
{
    out += leader;
    out += value == kStatUnknown ? std::string("?") : std::to_string(value);
}

// The tunnel types OVS userspace knows, by OVS_VPORT_TYPE_* value (those
// above the upstream kernel's enum are OVS's out-of-tree numbers).
struct TypeName {
    uint32_t type;
    const char* name;
};
constexpr TypeName kTypeNames[] = {
    {OVS_VPORT_TYPE_NETDEV, "system"},
    {OVS_VPORT_TYPE_INTERNAL, "internal"},
    {OVS_VPORT_TYPE_GRE, "gre"},
    {OVS_VPORT_TYPE_VXLAN, "vxlan"},
    {OVS_VPORT_TYPE_GENEVE, "geneve"},
    {105, "lisp"},
    {106, "stt"},
    {107, "erspan"},
    {108, "ip6erspan"},
    {109, "ip6gre"},
    {110, "gtpu"},
    {111, "srv6"},
    {112, "bareudp"},
};

}  // namespace

std::string errno_text(int errnum)
{
    char buf[128];
    // GNU strerror_r returns a pointer that may or may not be 'buf'.
    const char* s = strerror_r(errnum, buf, sizeof buf);
    return s;
}

std::string format_error_line(std::string_view program, std::string_view message, int errnum)
{
    std::string s(program);
    s += ": ";
    s += message;
    if (errnum) {
        s += " (" + errno_text(errnum) + ")";
    }
    s += "\n";
    return s;
}

std::string vport_type_name(uint32_t type)
{
    for (const TypeName& t : kTypeNames) {
        if (t.type == type) {
            return t.name;
        }
    }
    return "unknown";
}

std::string format_human_size(uint64_t value)
{
    const double v = static_cast<double>(value);
    if (value == kStatUnknown) {
        return {};
    } else if (value >= 1024ULL * 1024 * 1024 * 1024) {
        return printf_string(" (%.1f TiB)", v / (1024.0 * 1024 * 1024 * 1024));
    } else if (value >= 1024ULL * 1024 * 1024) {
        return printf_string(" (%.1f GiB)", v / (1024.0 * 1024 * 1024));
    } else if (value >= 1024ULL * 1024) {
        return printf_string(" (%.1f MiB)", v / (1024.0 * 1024));
    } else if (value >= 1024) {
        return printf_string(" (%.1f KiB)", v / 1024.0);
    }
    return {};
}

bool cache_hits_reported(const MegaflowStats& m)
{
    return m.n_cache_hit != 0 && m.n_cache_hit != kStatUnknown;
}

std::string format_show_dp(const ShowDp& dp, bool with_stats)
{
    std::string out = dp.name + ":\n";
    if (dp.have_stats) {
        const DpStats& s = dp.stats;
        out += printf_string("  lookups: hit:%" PRIu64 " missed:%" PRIu64 " lost:%" PRIu64
                             "\n  flows: %" PRIu64 "\n",
                             s.n_hit, s.n_missed, s.n_lost, s.n_flows);
        if (dp.budget_drops && *dp.budget_drops) {
            // Not in ovs-dpctl's output: only when something was cut short.
            out += printf_string("  budget drops: %" PRIu64 "\n", *dp.budget_drops);
        }
        if (dp.megaflow && dp.megaflow->n_masks != UINT32_MAX) {
            const MegaflowStats& m = *dp.megaflow;
            uint64_t n_pkts = s.n_hit + s.n_missed;
            double avg = n_pkts ? static_cast<double>(m.n_mask_hit) / n_pkts : 0.0;
            out += printf_string("  masks: hit:%" PRIu64 " total:%" PRIu32 " hit/pkt:%.2f\n",
                                 m.n_mask_hit, m.n_masks, avg);
            if (cache_hits_reported(m)) {
                double rate = n_pkts ? static_cast<double>(m.n_cache_hit) / n_pkts * 100 : 0.0;
                out += printf_string("  cache: hit:%" PRIu64 " hit-rate:%.2f%%\n",
                                     m.n_cache_hit, rate);
            }
        }
    }
    if (dp.masks_cache_size) {
        out += "  caches:\n";
        out += printf_string("    masks-cache: size:%" PRIu32 "\n", *dp.masks_cache_size);
    }

    std::vector<const ShowPort*> ports;
    for (const ShowPort& p : dp.ports) {
        ports.push_back(&p);
    }
    std::stable_sort(ports.begin(), ports.end(),
                     [](const ShowPort* a, const ShowPort* b) { return a->port_no < b->port_no; });
    for (const ShowPort* p : ports) {
        out += printf_string("  port %" PRIu32 ": ", p->port_no) + p->name;
        if (p->type != "system") {
            out += " (" + p->type;
            auto config = p->config;
            std::sort(config.begin(), config.end());
            for (size_t j = 0; j < config.size(); j++) {
                out += (j ? ", " : ": ") + config[j].first + "=" + config[j].second;
            }
            out += ")";
        }
        out += "\n";
        if (!with_stats || !p->stats) {
            continue;
        }
        if (!p->stats->ok()) {
            out += ", could not retrieve stats (" + errno_text(p->stats->error().code) + ")";
            continue;
        }
        const NetdevStats& s = p->stats->value();
        put_stat(out, "    RX packets:", s.rx_packets);
        put_stat(out, " errors:", s.rx_errors);
        put_stat(out, " dropped:", s.rx_dropped);
        put_stat(out, " overruns:", s.rx_over_errors);
        put_stat(out, " frame:", s.rx_frame_errors);
        out += "\n";
        put_stat(out, "    TX packets:", s.tx_packets);
        put_stat(out, " errors:", s.tx_errors);
        put_stat(out, " dropped:", s.tx_dropped);
        put_stat(out, " aborted:", s.tx_aborted_errors);
        put_stat(out, " carrier:", s.tx_carrier_errors);
        out += "\n";
        put_stat(out, "    collisions:", s.collisions);
        out += "\n";
        put_stat(out, "    RX bytes:", s.rx_bytes);
        out += format_human_size(s.rx_bytes);
        put_stat(out, "  TX bytes:", s.tx_bytes);
        out += format_human_size(s.tx_bytes);
        out += "\n";
    }
    return out;
}

namespace {

std::string json_u64(uint64_t v)
{
    return v == kStatUnknown ? "null" : std::to_string(v);
}

}  // namespace

std::string format_show_dp_json(const ShowDp& dp, bool with_stats)
{
    std::string out = "{\"name\":" + json_string(dp.name);
    if (dp.have_stats) {
        const DpStats& s = dp.stats;
        out += ",\"lookups\":{\"hit\":" + std::to_string(s.n_hit) +
               ",\"missed\":" + std::to_string(s.n_missed) +
               ",\"lost\":" + std::to_string(s.n_lost) + "}";
        out += ",\"flows\":" + std::to_string(s.n_flows);
        if (dp.budget_drops) {
            out += ",\"budget_drops\":" + std::to_string(*dp.budget_drops);
        }
        if (dp.megaflow && dp.megaflow->n_masks != UINT32_MAX) {
            const MegaflowStats& m = *dp.megaflow;
            uint64_t n_pkts = s.n_hit + s.n_missed;
            out += ",\"masks\":{\"hit\":" + std::to_string(m.n_mask_hit) +
                   ",\"total\":" + std::to_string(m.n_masks) +
                   printf_string(",\"hit_per_pkt\":%.2f}",
                                 n_pkts ? static_cast<double>(m.n_mask_hit) / n_pkts : 0.0);
            if (cache_hits_reported(m)) {
                out += ",\"cache\":{\"hit\":" + std::to_string(m.n_cache_hit) +
                       printf_string(",\"hit_rate\":%.2f}",
                                     n_pkts ? static_cast<double>(m.n_cache_hit) / n_pkts * 100
                                            : 0.0);
            }
        }
    }
    if (dp.masks_cache_size) {
        out += ",\"masks_cache_size\":" + std::to_string(*dp.masks_cache_size);
    }
    std::vector<const ShowPort*> ports;
    for (const ShowPort& p : dp.ports) {
        ports.push_back(&p);
    }
    std::stable_sort(ports.begin(), ports.end(),
                     [](const ShowPort* a, const ShowPort* b) { return a->port_no < b->port_no; });
    out += ",\"ports\":[";
    for (size_t i = 0; i < ports.size(); i++) {
        const ShowPort& p = *ports[i];
        out += i ? "," : "";
        out += "{\"port_no\":" + std::to_string(p.port_no) + ",\"name\":" + json_string(p.name) +
               ",\"type\":" + json_string(p.type) + ",\"config\":{";
        auto config = p.config;
        std::sort(config.begin(), config.end());
        for (size_t j = 0; j < config.size(); j++) {
            out += (j ? "," : "") + json_string(config[j].first) + ":" + json_string(config[j].second);
        }
        out += "}";
        if (with_stats && p.stats) {
            if (!p.stats->ok()) {
                out += ",\"stats_error\":" + json_string(errno_text(p.stats->error().code));
            } else {
                const NetdevStats& s = p.stats->value();
                out += ",\"stats\":{\"rx_packets\":" + json_u64(s.rx_packets) +
                       ",\"rx_bytes\":" + json_u64(s.rx_bytes) +
                       ",\"rx_errors\":" + json_u64(s.rx_errors) +
                       ",\"rx_dropped\":" + json_u64(s.rx_dropped) +
                       ",\"rx_over_errors\":" + json_u64(s.rx_over_errors) +
                       ",\"rx_frame_errors\":" + json_u64(s.rx_frame_errors) +
                       ",\"tx_packets\":" + json_u64(s.tx_packets) +
                       ",\"tx_bytes\":" + json_u64(s.tx_bytes) +
                       ",\"tx_errors\":" + json_u64(s.tx_errors) +
                       ",\"tx_dropped\":" + json_u64(s.tx_dropped) +
                       ",\"tx_aborted_errors\":" + json_u64(s.tx_aborted_errors) +
                       ",\"tx_carrier_errors\":" + json_u64(s.tx_carrier_errors) +
                       ",\"collisions\":" + json_u64(s.collisions) + "}";
            }
        }
        out += "}";
    }
    return out + "]}";
}

}  // namespace ovsdp::ctl
