// SPDX-License-Identifier: Apache-2.0
// Meter commands (ovs_meter family), for inspection and tests; ovs-dpctl has
// none.  add-meter sets a meter with one band, del-meter deletes one and
// prints its final statistics, dump-meters lists a datapath's meters (ovsdp
// only: the kernel's module has no meter dump), meter-features prints the
// datapath's limits.
#include <linux/openvswitch.h>

#include <cerrno>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "userspace-ctl/commands.h"
#include "userspace-ctl/dpif.h"

namespace ovsdp::ctl {
namespace {

bool parse_u32(const std::string& s, uint32_t* out)
{
    if (s.empty()) {
        return false;
    }
    char* end = nullptr;
    errno = 0;
    unsigned long long v = std::strtoull(s.c_str(), &end, 10);
    if (errno || *end || v > UINT32_MAX) {
        return false;
    }
    *out = static_cast<uint32_t>(v);
    return true;
}

Result<DpInfo> open_dp(Context& ctx, const std::string& name)
{
    auto dp = dpif_open(ctx, parse_dp_name(name));
    if (!dp.ok()) {
        ctx.error(dp.error(), "opening datapath " + name + " failed");
    }
    return dp;
}

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, f);
    std::vsnprintf(buf, sizeof buf, f, ap);
    va_end(ap);
    return buf;
}

uint64_t now_ms(const Context& ctx)
{
    if (ctx.now_ms) {
        return ctx.now_ms;
    }
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

// "meter:ID [kbps|pktps] packets:N bytes:N used:Ts bands: [drop rate:R burst:B] packets:N bytes:N"
// (used: how long ago, as dump-flows prints it; the kernel's clock is
// CLOCK_MONOTONIC in msecs)
std::string format_meter(const Context& ctx, const MeterInfo& m)
{
    std::string s = fmt("meter:%" PRIu32, m.id.value_or(0));
    bool config = !m.bands.empty() && m.bands.front().rate.has_value();
    if (config) {
        s += m.kbps ? " kbps" : " pktps";
    }
    FlowStats st = m.stats.value_or(FlowStats{});
    s += fmt(" packets:%" PRIu64 " bytes:%" PRIu64, st.n_packets, st.n_bytes);
    if (m.used) {
        uint64_t now = now_ms(ctx);
        uint64_t ago = now > *m.used ? now - *m.used : 0;
        s += fmt(" used:%" PRIu64 ".%03" PRIu64 "s", ago / 1000, ago % 1000);
    }
    s += " bands:";
    if (m.bands.empty()) {
        s += " none";
    }
    for (const MeterBandInfo& b : m.bands) {
        if (b.type) {
            s += *b.type == OVS_METER_BAND_TYPE_DROP ? " drop" : fmt(" type%" PRIu32, *b.type);
        }
        if (b.rate) {
            s += fmt(" rate:%" PRIu32, *b.rate);
        }
        if (b.burst) {
            s += fmt(" burst:%" PRIu32, *b.burst);
        }
        FlowStats bs = b.stats.value_or(FlowStats{});
        s += fmt(" packets:%" PRIu64 " bytes:%" PRIu64, bs.n_packets, bs.n_bytes);
    }
    return s + "\n";
}

// add-meter DP meter=ID,pktps|kbps,rate=R[,burst=B][,type=drop|N][,clear]
int cmd_add_meter(Context& ctx, std::span<const std::string> args)
{
    auto dp = open_dp(ctx, args[1]);
    if (!dp.ok()) {
        return dp.error().code;
    }
    MeterRequest req;
    req.cmd = OVS_METER_CMD_SET;
    req.dp_ifindex = dp->dp_ifindex;
    MeterBandInfo band;
    band.type = OVS_METER_BAND_TYPE_DROP;
    bool no_band = false;
    std::string spec = args[2];
    size_t pos = 0;
    while (pos <= spec.size()) {
        size_t comma = spec.find(',', pos);
        std::string item = spec.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        pos = comma == std::string::npos ? spec.size() + 1 : comma + 1;
        size_t eq = item.find('=');
        std::string key = item.substr(0, eq);
        std::string val = eq == std::string::npos ? "" : item.substr(eq + 1);
        uint32_t v = 0;
        if (key == "kbps" || key == "pktps") {
            req.kbps = key == "kbps";
        } else if (key == "clear") {
            req.clear = true;
        } else if (key == "no_band") {
            no_band = true;
        } else if (key == "meter" && parse_u32(val, &v)) {
            req.id = v;
        } else if (key == "rate" && parse_u32(val, &v)) {
            band.rate = v;
        } else if (key == "burst" && parse_u32(val, &v)) {
            band.burst = v;
        } else if (key == "type" && val == "drop") {
            band.type = OVS_METER_BAND_TYPE_DROP;
        } else if (key == "type" && parse_u32(val, &v)) {
            band.type = v;
        } else {
            ctx.error(0, "add-meter: bad meter option '" + item + "'");
            return EINVAL;
        }
    }
    if (!req.id || (!no_band && !band.rate)) {
        ctx.error(0, "add-meter: meter=ID and rate=N are required");
        return EINVAL;
    }
    // OVS sets a missing burst to the rate.
    if (!band.burst) {
        band.burst = band.rate;
    }
    if (!no_band) {
        req.bands.push_back(band);
    }
    auto r = ctx.dp.meter_transact(req);
    if (!r.ok()) {
        ctx.error(r.error(), "add-meter failed");
        return r.error().code;
    }
    return 0;
}

// del-meter DP ID: prints the deleted meter's statistics (nothing if none).
int cmd_del_meter(Context& ctx, std::span<const std::string> args)
{
    auto dp = open_dp(ctx, args[1]);
    if (!dp.ok()) {
        return dp.error().code;
    }
    MeterRequest req;
    req.cmd = OVS_METER_CMD_DEL;
    req.dp_ifindex = dp->dp_ifindex;
    uint32_t id;
    if (!parse_u32(args[2], &id)) {
        ctx.error(0, "del-meter: bad meter id '" + args[2] + "'");
        return EINVAL;
    }
    req.id = id;
    auto r = ctx.dp.meter_transact(req);
    if (!r.ok()) {
        ctx.error(r.error(), "del-meter failed");
        return r.error().code;
    }
    if (*r && (*r)->id) {
        ctx.print(format_meter(ctx, **r));
    }
    return 0;
}

// dump-meters DP [ID]: every meter (ovsdp's dump), or meter ID (GET: works
// on the kernel's module too).
int cmd_dump_meters(Context& ctx, std::span<const std::string> args)
{
    auto dp = open_dp(ctx, args[1]);
    if (!dp.ok()) {
        return dp.error().code;
    }
    if (args.size() > 2) {
        MeterRequest req;
        req.cmd = OVS_METER_CMD_GET;
        req.dp_ifindex = dp->dp_ifindex;
        uint32_t id;
        if (!parse_u32(args[2], &id)) {
            ctx.error(0, "dump-meters: bad meter id '" + args[2] + "'");
            return EINVAL;
        }
        req.id = id;
        auto r = ctx.dp.meter_transact(req);
        if (!r.ok()) {
            ctx.error(r.error(), "dump-meters failed");
            return r.error().code;
        }
        if (*r) {
            ctx.print(format_meter(ctx, **r));
        }
        return 0;
    }
    auto meters = ctx.dp.meter_dump(dp->dp_ifindex);
    if (!meters.ok()) {
        ctx.error(meters.error(), "dump-meters failed");
        return meters.error().code;
    }
    for (const MeterInfo& m : *meters) {
        ctx.print(format_meter(ctx, m));
    }
    return 0;
}

// meter-features DP
int cmd_meter_features(Context& ctx, std::span<const std::string> args)
{
    auto dp = open_dp(ctx, args[1]);
    if (!dp.ok()) {
        return dp.error().code;
    }
    MeterRequest req;
    req.cmd = OVS_METER_CMD_FEATURES;
    req.dp_ifindex = dp->dp_ifindex;
    auto r = ctx.dp.meter_transact(req);
    if (!r.ok()) {
        ctx.error(r.error(), "meter-features failed");
        return r.error().code;
    }
    if (*r) {
        std::string bands;
        for (const MeterBandInfo& b : (*r)->bands) {
            bands += b.type && *b.type == OVS_METER_BAND_TYPE_DROP ? " drop" : " other";
        }
        ctx.print(fmt("max_meters:%" PRIu32 " max_bands:%" PRIu32 " band_types:%s\n",
                      (*r)->max_meters.value_or(0), (*r)->max_bands.value_or(0), bands.c_str()));
    }
    return 0;
}

constexpr Command kMeterCommands[] = {
    {"add-meter", "DP meter=ID,pktps|kbps,rate=N[,burst=N]", "add or replace meter ID (one drop band)", 2, 2,
     cmd_add_meter, true},
    {"del-meter", "DP ID", "delete meter ID, print its statistics", 2, 2, cmd_del_meter, true},
    {"dump-meters", "DP [ID]", "display meters and their statistics", 1, 2, cmd_dump_meters, false},
    {"meter-features", "DP", "display the datapath's meter limits", 1, 1, cmd_meter_features, false},
};

}  // namespace

std::span<const Command> meter_commands()
{
    return kMeterCommands;
}

}  // namespace ovsdp::ctl
