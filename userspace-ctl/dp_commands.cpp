// SPDX-License-Identifier: Apache-2.0
// Datapath and port commands: add-dp, del-dp, dump-dps, show, add-if,
// set-if, del-if.  Output, messages and exit statuses follow ovs-dpctl 3.1,
// except that every error names its datapath: where ovs-dpctl prints
// "opening datapath (...)", "add_dp (...)" or "del_dp (...)" we print
// "opening/creating/deleting datapath DP failed (...)".
#include <linux/openvswitch.h>

#include <climits>
#include <cstdlib>
#include <cerrno>
#include <cctype>
#include <string_view>

#include "userspace-ctl/args.h"
#include "userspace-ctl/commands.h"
#include "userspace-ctl/dpif.h"
#include "userspace-ctl/format.h"

namespace ovsdp::ctl {
namespace {

// Port types OVS knows but ovsdp-ctl cannot create yet: tunnels need
// rtnetlink devices (or compat OVS_VPORT_ATTR_OPTIONS), not done here.
constexpr std::string_view kTunnelTypes[] = {
    "gre", "vxlan", "geneve", "erspan", "ip6erspan", "ip6gre", "gtpu", "srv6", "bareudp",
    "stt", "lisp",
};

// The OVS_VPORT_TYPE_* for an add-if "type=" value, or an error printed
// the way ovs-dpctl reports a netdev it cannot open.
Result<uint32_t> vport_type_for(Context& ctx, const AddIfArgs& a)
{
    if (a.type == "system" || a.type == "tap" || a.type == "netdev") {
        return static_cast<uint32_t>(OVS_VPORT_TYPE_NETDEV);
    }
    if (a.type == "internal") {
        return static_cast<uint32_t>(OVS_VPORT_TYPE_INTERNAL);
    }
    for (std::string_view t : kTunnelTypes) {
        if (a.type == t) {
            ctx.error(EOPNOTSUPP, a.name + ": " + a.type + " ports are not supported by " +
                                      ctx.program + " yet");
            return Error::from_errno(EOPNOTSUPP);
        }
    }
    ctx.error(EAFNOSUPPORT, a.name + ": failed to open network device");
    return Error::from_errno(EAFNOSUPPORT);
}

// Adds one "IFACE[,OPTIONS]" argument to the datapath; returns 0 or errno.
int add_one_if(Context& ctx, const DpInfo& dp, const std::string& dp_arg, const std::string& arg)
{
    IfaceSpec spec = parse_iface_spec(arg);
    if (spec.name.empty()) {
        ctx.error(0, arg + " is not a valid network device name");
        return EINVAL;
    }
    AddIfArgs a = interpret_add_if(spec);
    for (const std::string& key : a.duplicates) {
        ctx.error(0, "duplicate \"" + key + "\" option");
    }
    if (a.bad_upcall_pid) {
        ctx.error(0, a.name + ": invalid upcall_pid \"" + *a.bad_upcall_pid + "\"");
        return EINVAL;
    }
    auto type = vport_type_for(ctx, a);
    if (!type.ok()) {
        return type.code();
    }
    if (a.name == "default" || a.name == "all") {
        // /proc/sys/net/ipv4/conf/ reserves these; OVS refuses to open them.
        ctx.warn(a.name + ": Linux forbids network device with this name");
        ctx.error(EINVAL, a.name + ": failed to open network device");
        return EINVAL;
    }
    if (*type == OVS_VPORT_TYPE_NETDEV) {
        if (Status st = ctx.host.link_exists(a.name); !st.ok()) {
            ctx.error(st.error(), a.name + ": failed to open network device");
            return st.code();
        }
    }
    if (!a.config.empty()) {
        ctx.warn(a.name + ": arguments provided to device that is not configurable");
    }
    if (*type == OVS_VPORT_TYPE_NETDEV) {
        ctx.host.disable_lro(a.name);
    }

    VportRequest req;
    req.cmd = OVS_VPORT_CMD_NEW;
    req.dp_ifindex = dp.dp_ifindex;
    req.type = *type;
    req.name = a.name;
    req.port_no = a.port_no;
    req.upcall_pids = a.upcall_pids.empty() ? std::vector<uint32_t>{0} : a.upcall_pids;
    auto added = ctx.dp.vport_transact(req);
    if (!added.ok()) {
        ctx.error(added.error(), "adding " + a.name + " to " + dp_arg + " failed");
        return added.code();
    }
    if (Status st = ctx.host.set_up(a.name); !st.ok()) {
        ctx.error(st.error(), a.name + ": failed bringing interface up");
        return st.code();
    }
    return 0;
}

int cmd_add_if(Context& ctx, std::span<const std::string> args)
{
    auto dp = dpif_open(ctx, parse_dp_name(args[1]));
    if (!dp.ok()) {
        ctx.error(dp.error(), "opening datapath " + args[1] + " failed");
        return dp.code();
    }
    int last = 0;
    for (size_t i = 2; i < args.size(); i++) {
        if (int err = add_one_if(ctx, *dp, args[1], args[i])) {
            last = err;
        }
    }
    return last;
}

int cmd_add_dp(Context& ctx, std::span<const std::string> args)
{
    auto dp = dpif_create(ctx, parse_dp_name(args[1]));
    if (!dp.ok()) {
        ctx.error(dp.error(), "creating datapath " + args[1] + " failed");
        return dp.code();
    }
    return args.size() > 2 ? cmd_add_if(ctx, args) : 0;
}

int cmd_del_dp(Context& ctx, std::span<const std::string> args)
{
    auto dp = dpif_open(ctx, parse_dp_name(args[1]));
    if (!dp.ok()) {
        ctx.error(dp.error(), "opening datapath " + args[1] + " failed");
        return dp.code();
    }
    DpRequest req;
    req.cmd = OVS_DP_CMD_DEL;
    req.dp_ifindex = dp->dp_ifindex;
    auto r = ctx.dp.dp_transact(req);
    if (!r.ok()) {
        ctx.error(r.error(), "deleting datapath " + args[1] + " failed");
        return r.code();
    }
    return 0;
}

// Looks a port up by name within 'dp' (a port of another datapath is ENODEV).
Result<VportInfo> query_port_by_name(Context& ctx, const DpInfo& dp, const std::string& name)
{
    VportRequest req;
    req.cmd = OVS_VPORT_CMD_GET;
    req.dp_ifindex = dp.dp_ifindex;
    req.name = name;
    auto r = ctx.dp.vport_transact(req);
    OVSDP_TRY(r);
    if (!r->has_value() || (*r)->dp_ifindex != dp.dp_ifindex) {
        return Error::from_errno(ENODEV);
    }
    return std::move(**r);
}

int set_one_if(Context& ctx, const DpInfo& dp, const std::string& dp_arg, const std::string& arg)
{
    IfaceSpec spec = parse_iface_spec(arg);
    if (spec.name.empty()) {
        // ovs-dpctl reports this but does not count it as a failure.
        ctx.error(0, arg + " is not a valid network device name");
        return 0;
    }
    const std::string& name = spec.name;
    auto port = query_port_by_name(ctx, dp, name);
    if (!port.ok()) {
        ctx.error(port.error(), name + ": failed to query port in " + dp_arg);
        return port.code();
    }
    std::string type = vport_type_name(port->type);
    if (type != "system" && type != "internal") {
        ctx.error(EOPNOTSUPP, name + ": reconfiguring " + type + " ports is not supported by " +
                                  ctx.program + " yet");
        return EOPNOTSUPP;
    }

    // Netdev and internal ports have no configuration: start from none.
    std::vector<std::pair<std::string, std::string>> config;
    std::vector<uint32_t> upcall_pids;
    for (const auto& [key, value] : spec.options) {
        if (key == "type") {
            if (value != type) {
                ctx.error(0, name + ": can't change type from " + type + " to " + value);
                return EINVAL;
            }
        } else if (key == "port_no") {
            int want = c_atoi(value);
            if (port->port_no != static_cast<uint32_t>(want)) {
                ctx.error(0, name + ": can't change port number from " +
                                 std::to_string(port->port_no) + " to " + std::to_string(want));
                return EINVAL;
            }
        } else if (key == "upcall_pid") {
            auto pid = parse_u32(value);
            if (!pid) {
                ctx.error(0, name + ": invalid upcall_pid \"" + value + "\"");
                return EINVAL;
            }
            upcall_pids.push_back(*pid);
        } else {
            const std::string& option = key; // clang 14 cannot capture structured bindings
            std::erase_if(config, [&](const auto& kv) { return kv.first == option; });
            if (!value.empty()) {
                config.emplace_back(key, value);
            }
        }
    }
    if (!config.empty()) {
        ctx.error(0, name + ": arguments provided to device that is not configurable");
    }
    if (!upcall_pids.empty()) {
        VportRequest req;
        req.cmd = OVS_VPORT_CMD_SET;
        req.dp_ifindex = dp.dp_ifindex;
        req.port_no = port->port_no;
        req.upcall_pids = upcall_pids;
        auto r = ctx.dp.vport_transact(req);
        if (!r.ok()) {
            ctx.error(r.error(), name + ": setting upcall_pid failed");
            return r.code();
        }
    }
    return 0;
}

int cmd_set_if(Context& ctx, std::span<const std::string> args)
{
    auto dp = dpif_open(ctx, parse_dp_name(args[1]));
    if (!dp.ok()) {
        ctx.error(dp.error(), "opening datapath " + args[1] + " failed");
        return dp.code();
    }
    int last = 0;
    for (size_t i = 2; i < args.size(); i++) {
        if (int err = set_one_if(ctx, *dp, args[1], args[i])) {
            last = err;
        }
    }
    return last;
}

int cmd_del_if(Context& ctx, std::span<const std::string> args)
{
    auto dp = dpif_open(ctx, parse_dp_name(args[1]));
    if (!dp.ok()) {
        ctx.error(dp.error(), "opening datapath " + args[1] + " failed");
        return dp.code();
    }
    int last = 0;
    for (size_t i = 2; i < args.size(); i++) {
        const std::string& name = args[i];
        uint32_t port_no;
        if (is_port_number(name)) {
            port_no = static_cast<uint32_t>(c_atoi(name));
        } else if (auto port = query_port_by_name(ctx, *dp, name); port.ok()) {
            port_no = port->port_no;
        } else {
            ctx.error(0, "no port named " + name);
            last = ENOENT;
            continue;
        }
        // Like OVS, make sure the port number exists before deleting it.
        VportRequest req;
        req.cmd = OVS_VPORT_CMD_GET;
        req.dp_ifindex = dp->dp_ifindex;
        req.port_no = port_no;
        auto r = ctx.dp.vport_transact(req);
        if (r.ok()) {
            req.cmd = OVS_VPORT_CMD_DEL;
            r = ctx.dp.vport_transact(req);
        }
        if (!r.ok()) {
            ctx.error(r.error(), "deleting port " + name + " from " + args[1] + " failed");
            last = r.code();
        }
    }
    return last;
}

// Gathers what "show" prints about one open datapath.
ShowDp collect_show(Context& ctx, const DpInfo& dp)
{
    ShowDp s;
    s.name = "system@" + dp.name;
    s.have_stats = true;
    s.stats = dp.stats.value_or(DpStats{});
    s.megaflow = dp.megaflow;
    s.masks_cache_size = dp.masks_cache_size;
    s.budget_drops = dp.budget_drops;

    auto ports = ctx.dp.vport_dump(dp.dp_ifindex);
    if (!ports.ok()) {
        return s;  // ovs-dpctl silently shows no ports if the dump fails
    }
    for (const VportInfo& v : *ports) {
        ShowPort p;
        p.port_no = v.port_no;
        p.name = v.name;
        p.type = vport_type_name(v.type);
        if (p.type == "unknown") {
            ctx.warn("dp" + std::to_string(v.dp_ifindex) + ": port `" + v.name +
                     "' has unsupported type " + std::to_string(v.type));
        }
        if (ctx.opts.statistics) {
            Result<VportStats> vstats = v.stats ? Result<VportStats>(*v.stats)
                                                : Result<VportStats>(Error::from_errno(EOPNOTSUPP));
            if (v.type == OVS_VPORT_TYPE_NETDEV) {
                p.stats = merge_system_port_stats(vstats, ctx.host.link_stats(v.name));
            } else {
                p.stats = vport_only_port_stats(vstats);
            }
        }
        s.ports.push_back(std::move(p));
    }
    return s;
}

// Runs 'each' on every kernel datapath in ovs-dpctl's order, reporting
// datapaths that cannot be opened; returns 0 or the last error.
template <typename F>
int for_each_dp(Context& ctx, F each)
{
    auto names = enumerate_dps(ctx);
    if (!names.ok()) {
        const Error& e = names.error();
        ctx.warn("failed to enumerate system datapaths: " + errno_text(e.code));
        if (!e.detail.empty()) {
            ctx.warn(e.detail);
        }
        return e.code;
    }
    int open_error = 0;
    for (const std::string& name : *names) {
        auto dp = dpif_open(ctx, DpName{"system", name});
        if (dp.ok()) {
            each(*dp);
        } else {
            ctx.error(dp.error(), "opening datapath " + name + " failed");
            open_error = dp.code();
        }
    }
    return open_error;
}

int cmd_dump_dps(Context& ctx, std::span<const std::string>)
{
    return for_each_dp(ctx, [&](const DpInfo& dp) { ctx.print("system@" + dp.name + "\n"); });
}

int cmd_show(Context& ctx, std::span<const std::string> args)
{
    auto show = [&](const DpInfo& dp) {
        ShowDp s = collect_show(ctx, dp);
        ctx.print(ctx.opts.json ? format_show_dp_json(s, ctx.opts.statistics) + "\n"
                                : format_show_dp(s, ctx.opts.statistics));
    };
    if (args.size() <= 1) {
        return for_each_dp(ctx, show);
    }
    int last = 0;
    for (size_t i = 1; i < args.size(); i++) {
        auto dp = dpif_open(ctx, parse_dp_name(args[i]));
        if (dp.ok()) {
            show(*dp);
        } else {
            ctx.error(dp.error(), "opening datapath " + args[i] + " failed");
            last = dp.code();
        }
    }
    return last;
}

// The one cache level a kernel datapath has (ovs-dpctl's name for it), when
// the datapath reports its size.
constexpr const char* kMasksCache = "masks-cache";

void show_cache(Context& ctx, const DpInfo& dp)
{
    if (!dp.masks_cache_size) {
        return;  // no cache levels: ovs-dpctl prints nothing for the datapath
    }
    ctx.print("system@" + dp.name + ":\n  caches:\n    " + kMasksCache +
              ": size:" + std::to_string(*dp.masks_cache_size) + "\n");
}

int cmd_cache_get_size(Context& ctx, std::span<const std::string> args)
{
    if (args.size() <= 1) {
        return for_each_dp(ctx, [&](const DpInfo& dp) { show_cache(ctx, dp); });
    }
    auto dp = dpif_open(ctx, parse_dp_name(args[1]));
    if (!dp.ok()) {
        ctx.error(dp.error(), "Opening datapath " + args[1] + " failed");
        return dp.code();
    }
    show_cache(ctx, *dp);
    return 0;
}

int cmd_cache_set_size(Context& ctx, std::span<const std::string> args)
{
    const std::string& text = args[3];
    char* end = nullptr;
    errno = 0;
    unsigned long long size = std::strtoull(text.c_str(), &end, 10);
    if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0])) || *end || errno ||
        size > UINT32_MAX) {
        ctx.error(EINVAL, "size is malformed");
        return EINVAL;
    }
    auto dp = dpif_open(ctx, parse_dp_name(args[1]));
    if (!dp.ok()) {
        ctx.error(dp.error(), "Opening datapath " + args[1] + " failed");
        return dp.code();
    }
    if (!dp->masks_cache_size) {
        ctx.error(0, "Setting caches not supported");
        return EOPNOTSUPP;
    }
    if (args[2] != kMasksCache) {
        ctx.error(EINVAL, "Cache name \"" + args[2] + "\" not found on dpif");
        return EINVAL;
    }
    DpRequest req;
    req.cmd = OVS_DP_CMD_SET;
    req.dp_ifindex = dp->dp_ifindex;
    req.name = dp->name;
    req.masks_cache_size = static_cast<uint32_t>(size);
    auto r = ctx.dp.dp_transact(req);
    if (!r.ok()) {
        ctx.error(r.error(), "Setting cache size failed");
        return r.code();
    }
    auto now = dpif_open(ctx, DpName{"system", dp->name});
    uint32_t new_size = now.ok() && now->masks_cache_size ? *now->masks_cache_size : static_cast<uint32_t>(size);
    ctx.print("Setting cache size successful, new size " + std::to_string(new_size) + "\n");
    return 0;
}

constexpr Command kDatapathCommands[] = {
    {"add-dp", "DP [IFACE...]", "add new datapath DP (with IFACEs)", 1, INT_MAX, cmd_add_dp, true},
    {"del-dp", "DP", "delete local datapath DP", 1, 1, cmd_del_dp, true},
    {"add-if", "DP IFACE...", "add each IFACE as a port on DP", 2, INT_MAX, cmd_add_if, true},
    {"set-if", "DP IFACE...", "reconfigure each IFACE within DP", 2, INT_MAX, cmd_set_if, true},
    {"del-if", "DP IFACE...", "delete each IFACE from DP", 2, INT_MAX, cmd_del_if, true},
    {"dump-dps", "", "display names of all datapaths", 0, 0, cmd_dump_dps, false},
    {"show", "[DP...]", "show basic info on all datapaths or each DP", 0, INT_MAX, cmd_show, false},
    {"cache-get-size", "[DP]", "show the size of DP's caches (masks-cache)", 0, 1, cmd_cache_get_size, false},
    {"cache-set-size", "DP CACHE SIZE", "set the size of cache CACHE (masks-cache) of DP", 3, 3,
     cmd_cache_set_size, true},
};

}  // namespace

std::span<const Command> datapath_commands()
{
    return kDatapathCommands;
}

}  // namespace ovsdp::ctl
