// SPDX-License-Identifier: Apache-2.0
// Conntrack commands as ovs-dpctl 3.1 has them: ct-set-limits, ct-del-limits
// and ct-get-limits over the ovs_ct_limit family (limits belong to the
// network namespace; the datapath argument is only opened, as ovs-dpctl
// does), with ovs-dpctl's argument syntax, messages and output.
#include <linux/openvswitch.h>

#include <cerrno>
#include <cinttypes>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "userspace-ctl/commands.h"
#include "userspace-ctl/dpif.h"

namespace ovsdp::ctl {
namespace {

// Digits only, as OVS's str_to_u32 / ovs_scan("%"SCNu16) take them.
bool parse_uint(const std::string& s, unsigned long long max, unsigned long long* out)
{
    if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) {
        return false;
    }
    errno = 0;
    unsigned long long v = std::strtoull(s.c_str(), nullptr, 10);
    if (errno || v > max) {
        return false;
    }
    *out = v;
    return true;
}

// The datapath (args[1] when it names one, else the only one) and where
// the command's own arguments start.
Result<DpInfo> open_ct_dp(Context& ctx, std::span<const std::string> args, size_t max_args, size_t* first)
{
    *first = 1;
    if (args.size() > 1 && args[1].find('=') == std::string::npos) {
        auto dp = dpif_open(ctx, parse_dp_name(args[1]));
        if (dp.ok()) {
            *first = 2;
            return dp;
        }
    }
    return open_flow_dp(ctx, args, max_args);
}

// ct_dpif_parse_zone_limit_tuple(): "zone=N,limit=L" in any order.
bool parse_zone_limit(const std::string& s, ZoneLimit* z, std::string* msg)
{
    bool have_zone = false, have_limit = false;
    size_t pos = 0;
    while (pos < s.size()) {
        size_t end = s.find(',', pos);
        std::string item = s.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        pos = end == std::string::npos ? s.size() : end + 1;
        if (item.empty()) {
            continue;
        }
        size_t eq = item.find_first_of("=:");
        std::string key = item.substr(0, eq);
        std::string value = eq == std::string::npos ? "" : item.substr(eq + 1);
        if (value.empty()) {
            *msg = "field " + key + " missing value";
            return false;
        }
        unsigned long long v;
        if (key == "zone") {
            if (!parse_uint(value, UINT16_MAX, &v)) {
                *msg = "failed to parse field zone";
                return false;
            }
            z->zone_id = static_cast<int32_t>(v);
            have_zone = true;
        } else if (key == "limit") {
            if (!parse_uint(value, UINT32_MAX, &v)) {
                *msg = "failed to parse field limit";
                return false;
            }
            z->limit = static_cast<uint32_t>(v);
            have_limit = true;
        } else {
            *msg = "invalid zone limit field: " + key;
            return false;
        }
    }
    if (!have_zone || !have_limit) {
        *msg = "failed to parse zone limit";
        return false;
    }
    return true;
}

// dpctl's parse_ct_limit_zones(): "zone=N1[,N2]...".
bool parse_zones(const std::string& arg, std::vector<ZoneLimit>* zones, std::string* msg)
{
    if (arg.compare(0, 5, "zone=") != 0) {
        *msg = "invalid argument " + arg;
        return false;
    }
    std::string rest = arg.substr(5);
    size_t pos = 0;
    do {
        size_t end = rest.find(',', pos);
        std::string item = rest.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        pos = end == std::string::npos ? std::string::npos : end + 1;
        if (item.empty()) {
            continue; // strtok_r skips empty fields
        }
        unsigned long long v;
        if (!parse_uint(item, UINT16_MAX, &v)) {
            *msg = "invalid zone";
            return false;
        }
        zones->push_back(ZoneLimit{static_cast<int32_t>(v), 0, 0});
    } while (pos != std::string::npos);
    return true;
}

// ct-set-limits [DP] [default=L] [zone=N,limit=L]...
int cmd_ct_set_limits(Context& ctx, std::span<const std::string> args)
{
    size_t i;
    auto dp = open_ct_dp(ctx, args, INT_MAX, &i);
    if (!dp.ok()) {
        return dp.error().code;
    }
    std::vector<ZoneLimit> zones;
    if (i < args.size() && args[i].compare(0, 8, "default=") == 0) {
        unsigned long long v;
        if (!parse_uint(args[i].substr(8), UINT32_MAX, &v)) {
            ctx.error(EINVAL, "invalid default limit");
            return EINVAL;
        }
        zones.push_back(ZoneLimit{OVS_ZONE_LIMIT_DEFAULT_ZONE, static_cast<uint32_t>(v), 0});
        i++;
    }
    for (; i < args.size(); i++) {
        ZoneLimit z;
        std::string msg;
        if (!parse_zone_limit(args[i], &z, &msg)) {
            ctx.error(EINVAL, msg);
            return EINVAL;
        }
        zones.push_back(z);
    }
    auto r = ctx.dp.ct_limit_transact(OVS_CT_LIMIT_CMD_SET, zones);
    if (!r.ok()) {
        ctx.error(r.error().code, "failed to set conntrack limit");
        return r.error().code;
    }
    return 0;
}

// ct-del-limits [DP] zone=N1[,N2]...
int cmd_ct_del_limits(Context& ctx, std::span<const std::string> args)
{
    size_t i;
    auto dp = open_ct_dp(ctx, args, 3, &i);
    if (!dp.ok()) {
        return dp.error().code;
    }
    std::vector<ZoneLimit> zones;
    std::string msg;
    if (i >= args.size() || !parse_zones(args[i], &zones, &msg)) {
        ctx.error(EINVAL, i >= args.size() ? "invalid argument (null)" : msg);
        return EINVAL;
    }
    auto r = ctx.dp.ct_limit_transact(OVS_CT_LIMIT_CMD_DEL, zones);
    if (!r.ok()) {
        ctx.error(r.error().code, "failed to delete conntrack limit");
        return r.error().code;
    }
    return 0;
}

// ct-get-limits [DP] [zone=N1[,N2]...]: "default limit=L", then a
// "zone=N,limit=L,count=C" line per zone, in the reply's order.
int cmd_ct_get_limits(Context& ctx, std::span<const std::string> args)
{
    size_t i;
    auto dp = open_ct_dp(ctx, args, 3, &i);
    if (!dp.ok()) {
        return dp.error().code;
    }
    std::optional<std::vector<ZoneLimit>> query;
    if (i < args.size()) {
        std::vector<ZoneLimit> zones;
        std::string msg;
        if (!parse_zones(args[i], &zones, &msg)) {
            ctx.error(EINVAL, msg);
            return EINVAL;
        }
        // OVS asks for the default first.
        zones.insert(zones.begin(), ZoneLimit{OVS_ZONE_LIMIT_DEFAULT_ZONE, 0, 0});
        query = std::move(zones);
    }
    auto r = ctx.dp.ct_limit_transact(OVS_CT_LIMIT_CMD_GET, query);
    if (!r.ok()) {
        std::string msg = std::string("failed to get conntrack limit ") + std::strerror(r.error().code);
        ctx.error(r.error().code, msg);
        return r.error().code;
    }
    uint32_t default_limit = 0;
    std::string out;
    for (const ZoneLimit& z : *r) {
        if (z.zone_id == OVS_ZONE_LIMIT_DEFAULT_ZONE) {
            default_limit = z.limit;
        } else if (z.zone_id >= 0 && z.zone_id <= UINT16_MAX) {
            char line[80];
            std::snprintf(line, sizeof line, "\nzone=%" PRIu16 ",limit=%" PRIu32 ",count=%" PRIu32,
                          static_cast<uint16_t>(z.zone_id), z.limit, z.count);
            out += line;
        }
    }
    char head[40];
    std::snprintf(head, sizeof head, "default limit=%" PRIu32, default_limit);
    ctx.print(head + out + "\n");
    return 0;
}

constexpr Command kCtCommands[] = {
    {"ct-set-limits", "[dp] [default=L] [zone=N,limit=L]...", "set conntrack limits", 1, INT_MAX,
     cmd_ct_set_limits, false},
    {"ct-del-limits", "[dp] zone=N1[,N2]...", "delete conntrack limits", 1, 2, cmd_ct_del_limits, false},
    {"ct-get-limits", "[dp] [zone=N1[,N2]...]", "get conntrack limits", 0, 2, cmd_ct_get_limits, false},
};

}  // namespace

std::span<const Command> ct_commands()
{
    return kCtCommands;
}

}  // namespace ovsdp::ctl
