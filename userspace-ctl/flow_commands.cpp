// SPDX-License-Identifier: Apache-2.0
// Flow commands: add-flow, mod-flow, del-flow, get-flow, dump-flows,
// del-flows.  Syntax, output and messages follow ovs-dpctl 3.1 (lib/dpctl.c),
// with the differences listed in README.md: failures of every command are
// reported in the exit status, "drop" is an empty action list, get-flow also
// takes a flow key, and --numa / --format=json are ours.
#include <linux/openvswitch.h>
#include <linux/netlink.h>
#include <time.h>

#include <cinttypes>
#include <climits>
#include <cerrno>
#include <cstdio>

#include "userspace-ctl/commands.h"
#include "userspace-ctl/dpif.h"
#include "userspace-ctl/flow_filter.h"
#include "userspace-ctl/flow_format.h"
#include "userspace-ctl/format.h"
#include "userspace-ctl/odp.h"

namespace ovsdp::ctl {
namespace {

uint64_t now_ms(const Context& ctx)
{
    if (ctx.now_ms) {
        return ctx.now_ms;
    }
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

}  // namespace

// ovs-dpctl's get_one_dp(): the only datapath, or an error.
Result<std::string> get_one_dp(Context& ctx)
{
    auto names = enumerate_dps(ctx);
    if (!names.ok()) {
        return names.take_error();
    }
    if (names->empty()) {
        ctx.error(0, "no datapaths exist");
    } else if (names->size() > 1) {
        ctx.error(0, "multiple datapaths, specify one");
    } else {
        return names->front();
    }
    return Error::from_errno(EINVAL);
}

// ovs-dpctl's opt_dpif_open(): args[1] if it names a datapath; otherwise,
// with fewer than 'max_args' arguments (argv-style count, command
// included), the only datapath.  Errors are reported here.
Result<DpInfo> open_flow_dp(Context& ctx, std::span<const std::string> args, size_t max_args)
{
    if (args.size() > 1) {
        auto dp = dpif_open(ctx, parse_dp_name(args[1]));
        if (dp.ok()) {
            return dp;
        }
    }
    if (args.size() != max_args) {
        auto name = get_one_dp(ctx);
        if (name.ok()) {
            auto dp = dpif_open(ctx, DpName{"system", *name});
            if (dp.ok()) {
                return dp;
            }
            ctx.error(dp.error(), "opening datapath " + *name + " failed");
            return dp.take_error();
        }
    }
    ctx.error(EINVAL, "datapath not found");
    return Error::from_errno(EINVAL);
}

namespace {

Result<std::vector<VportInfo>> ports_of(Context& ctx, const DpInfo& dp)
{
    return ctx.dp.vport_dump(dp.dp_ifindex);
}

PortNumbers port_numbers(Context& ctx, const DpInfo& dp)
{
    PortNumbers out;
    if (auto ports = ports_of(ctx, dp); ports.ok()) {
        for (const VportInfo& v : *ports) {
            out[v.name] = v.port_no;
        }
    }
    return out;
}

std::optional<PortNames> port_names(Context& ctx, const DpInfo& dp)
{
    if (!ctx.opts.names.value_or(ctx.opts.more > 0)) {
        return std::nullopt;
    }
    PortNames out;
    if (auto ports = ports_of(ctx, dp); ports.ok()) {
        for (const VportInfo& v : *ports) {
            out[v.port_no] = v.name;
        }
    }
    return out;
}

FlowPrintOptions print_options(const Context& ctx, const std::optional<PortNames>& names)
{
    FlowPrintOptions o;
    o.verbose = ctx.opts.more > 0;
    o.names = names ? &*names : nullptr;
    o.now_ms = now_ms(ctx);
    o.numa = ctx.opts.numa;
    return o;
}

void print_flow(Context& ctx, const std::string& dp_name, const FlowInfo& f,
                const FlowPrintOptions& o)
{
    ctx.print((ctx.opts.json ? format_flow_json(dp_name, f, o) : format_flow_line(f, o)) + "\n");
}

// Adds (or with 'modify', changes) one flow in 'dp'; returns 0 or errno.
int put_flow_on(Context& ctx, const DpInfo& dp, std::string_view key_s,
                std::string_view actions_s, bool modify)
{
    const DpInfo* dpp = &dp;
    Bytes ufid;
    auto n = parse_ufid_prefix(key_s, &ufid);
    if (!n.ok()) {
        ctx.error(n.error().code, "parsing flow ufid");
        return n.code();
    }
    key_s.remove_prefix(*n);
    PortNumbers ports = port_numbers(ctx, dp);
    auto key = parse_flow_key(key_s, &ports);
    if (!key.ok()) {
        ctx.error(key.error().code, "parsing flow key (" + key.error().detail + ")");
        return key.code();
    }
    auto actions = parse_actions(actions_s);
    if (!actions.ok()) {
        ctx.error(actions.error().code, "parsing actions");
        return actions.code();
    }

    // dpif-netlink's mapping of DPIF_FP_* flags.
    FlowRequest req;
    req.dp_ifindex = dpp->dp_ifindex;
    bool create = !modify || ctx.opts.may_create;
    req.cmd = create ? OVS_FLOW_CMD_NEW : OVS_FLOW_CMD_SET;
    req.nlm_flags = modify ? 0 : NLM_F_CREATE;
    req.clear = modify && ctx.opts.clear;
    req.key = key->key;
    if (!key->mask.empty()) {
        req.mask = key->mask;
    }
    req.actions = *actions;
    if (!ufid.empty()) {
        req.ufid = ufid;
    }
    auto r = ctx.dp.flow_transact(req);
    if (!r.ok()) {
        ctx.error(r.error(), "updating flow table");
        return r.code();
    }
    if (ctx.opts.statistics) {
        FlowInfo stats;
        if (modify && r->has_value()) {
            stats = **r;
        }
        ctx.print(format_flow_stats(stats, now_ms(ctx)) + "\n");
    }
    return 0;
}

int put_flow(Context& ctx, std::span<const std::string> args, bool modify)
{
    auto dp = open_flow_dp(ctx, args, 4);
    if (!dp.ok()) {
        return dp.code();
    }
    return put_flow_on(ctx, *dp, args[args.size() - 2], args[args.size() - 1], modify);
}

int cmd_add_flow(Context& ctx, std::span<const std::string> args)
{
    return put_flow(ctx, args, false);
}

int cmd_mod_flow(Context& ctx, std::span<const std::string> args)
{
    return put_flow(ctx, args, true);
}

// Deletes one flow (by key or ufid:) from 'dp'; returns 0 or errno.
int del_flow_on(Context& ctx, const DpInfo& dp, std::string_view key_s)
{
    const DpInfo* dpp = &dp;
    Bytes ufid;
    auto n = parse_ufid_prefix(key_s, &ufid);
    if (!n.ok()) {
        ctx.error(n.error().code, "parsing flow ufid");
        return n.code();
    }
    key_s.remove_prefix(*n);
    PortNumbers ports = port_numbers(ctx, dp);
    auto key = parse_flow_key(key_s, &ports);
    if (!key.ok()) {
        ctx.error(key.error().code, key.error().detail);
        return key.code();
    }
    FlowRequest req;
    req.cmd = OVS_FLOW_CMD_DEL;
    req.dp_ifindex = dpp->dp_ifindex;
    if (!key->key.empty()) {
        req.key = key->key;
    }
    if (!ufid.empty()) {
        req.ufid = ufid;
    }
    auto r = ctx.dp.flow_transact(req);
    if (!r.ok()) {
        ctx.error(r.error(), "deleting flow");
        if (r.code() == ENOENT) {  // ovs-dpctl 3.1 says so with a UFID too
            ctx.print("Perhaps you need to specify a UFID?\n");
        }
        return r.code();
    }
    if (ctx.opts.statistics) {
        FlowInfo stats = r->value_or(FlowInfo{});
        ctx.print(format_flow_stats(stats, now_ms(ctx)) + "\n");
    }
    return 0;
}

int cmd_del_flow(Context& ctx, std::span<const std::string> args)
{
    auto dp = open_flow_dp(ctx, args, 3);
    if (!dp.ok()) {
        return dp.code();
    }
    return del_flow_on(ctx, *dp, args.back());
}

// One line of a flows file, as ovs-dpctl splits it: an optional command
// ("add", "modify", "delete" or a prefix of one), the flow (up to white
// space), and the actions (the rest).
struct FlowLine {
    enum Cmd { add, modify, del } cmd;
    std::string flow;
    std::string actions;
};

FlowLine split_flow_line(FlowLine::Cmd def, std::string_view line)
{
    constexpr std::string_view ws = " \t\r\n";
    auto skip = [&](std::string_view chars) {
        size_t n = line.find_first_not_of(chars);
        line.remove_prefix(n == std::string_view::npos ? line.size() : n);
    };
    auto token_len = [&](std::string_view stop) {
        size_t n = line.find_first_of(stop);
        return n == std::string_view::npos ? line.size() : n;
    };
    FlowLine fl{def, {}, {}};
    skip(ws);
    size_t len = token_len(", \t\r\n");
    std::string_view word = line.substr(0, len);
    if (std::string_view("add").starts_with(word)) {
        fl.cmd = FlowLine::add;
    } else if (std::string_view("delete").starts_with(word)) {
        fl.cmd = FlowLine::del;
    } else if (std::string_view("modify").starts_with(word)) {
        fl.cmd = FlowLine::modify;
    } else {
        len = 0;
    }
    line.remove_prefix(len);
    skip(ws);
    len = token_len(ws);
    fl.flow = line.substr(0, len);
    line.remove_prefix(len);
    skip(ws);
    fl.actions = line;
    return fl;
}

// Reads the next line as ovs-dpctl 3.1 does: '#' starts a comment, blank
// lines are skipped (a trailing backslash does not continue a line).
// Returns false at end of file.
bool read_preprocessed_line(std::FILE* f, std::string* out, unsigned* line_number)
{
    for (;;) {
        std::string line;
        int c;
        while ((c = std::fgetc(f)) != EOF && c != '\n') {
            line += static_cast<char>(c);
        }
        if (c == EOF && line.empty()) {
            return false;
        }
        (*line_number)++;
        if (size_t hash = line.find('#'); hash != std::string::npos) {
            line.erase(hash);
        }
        if (line.find_first_not_of(" \t\r\n") != std::string::npos) {
            *out = line;
            return true;
        }
    }
}

// add-flows, mod-flows, del-flows FILE: one flow per line.  Unlike
// ovs-dpctl, which exits 0 whatever happened, failures set the exit status
// (the last line's error).
int process_flows(Context& ctx, std::span<const std::string> args, FlowLine::Cmd def)
{
    auto dp = open_flow_dp(ctx, args, 4);  // as ovs-dpctl (4, not 3)
    if (!dp.ok()) {
        return dp.code();
    }
    const std::string& file = args.back();
    std::FILE* f = file == "-" ? stdin : std::fopen(file.c_str(), "r");
    if (!f) {
        int err = errno;
        ctx.error(err, "Opening file \"" + file + "\" failed");
        return err;
    }
    int last = 0;
    unsigned line_number = 0;
    std::string line;
    while (read_preprocessed_line(f, &line, &line_number)) {
        FlowLine fl = split_flow_line(def, line);
        if (fl.flow.empty() ||
            ((fl.cmd == FlowLine::add || fl.cmd == FlowLine::modify) && fl.actions.empty()) ||
            (fl.cmd == FlowLine::del && !fl.actions.empty())) {
            ctx.error(0, "Failed parsing line number " + std::to_string(line_number) +
                             ", skipped!");
            last = EINVAL;
            continue;
        }
        int err = fl.cmd == FlowLine::del
                      ? del_flow_on(ctx, *dp, fl.flow)
                      : put_flow_on(ctx, *dp, fl.flow, fl.actions, fl.cmd == FlowLine::modify);
        if (err) {
            last = err;
        }
    }
    if (f != stdin) {
        std::fclose(f);
    }
    return last;
}

int cmd_add_flows(Context& ctx, std::span<const std::string> args)
{
    return process_flows(ctx, args, FlowLine::add);
}

int cmd_mod_flows(Context& ctx, std::span<const std::string> args)
{
    return process_flows(ctx, args, FlowLine::modify);
}

int cmd_get_flow(Context& ctx, std::span<const std::string> args)
{
    auto dp = open_flow_dp(ctx, args, 3);
    if (!dp.ok()) {
        return dp.code();
    }
    std::optional<PortNames> names = port_names(ctx, *dp);
    std::string_view key_s = args.back();
    Bytes ufid;
    auto n = parse_ufid_prefix(key_s, &ufid);
    if (!n.ok()) {
        ctx.error(n.error().code, "parsing flow ufid");
        return n.code();
    }
    key_s.remove_prefix(*n);
    FlowRequest req;
    req.cmd = OVS_FLOW_CMD_GET;
    req.dp_ifindex = dp->dp_ifindex;
    req.numa_stats = ctx.opts.numa;
    if (!ufid.empty()) {
        req.ufid = ufid;
    } else {
        // ovsdp-ctl extension: get a flow by its key.
        PortNumbers ports = port_numbers(ctx, *dp);
        auto key = parse_flow_key(key_s, &ports);
        if (!key.ok()) {
            ctx.error(key.error().code, "parsing flow key (" + key.error().detail + ")");
            return key.code();
        }
        if (key->key.empty()) {
            ctx.error(EINVAL, "parsing flow ufid");
            return EINVAL;
        }
        req.key = key->key;
    }
    auto r = ctx.dp.flow_transact(req);
    if (!r.ok()) {
        ctx.error(r.error(), "getting flow");
        return r.code();
    }
    if (!r->has_value()) {
        ctx.error(EPROTO, "getting flow: the kernel sent no flow");
        return EPROTO;
    }
    print_flow(ctx, "system@" + dp->name, **r, print_options(ctx, names));
    return 0;
}

int cmd_dump_flows(Context& ctx, std::span<const std::string> all_args)
{
    std::vector<std::string> args(all_args.begin(), all_args.end());
    std::optional<std::string> filter, types, pmd;
    for (size_t last = 0; args.size() > 1 && last != args.size();) {
        last = args.size();
        if (args.back().starts_with("filter=") && !filter) {
            filter = args.back().substr(7);
            args.pop_back();
        } else if (args.back().starts_with("type=") && !types) {
            types = args.back().substr(5);
            args.pop_back();
        } else if (args.back().starts_with("pmd=") && !pmd) {
            pmd = args.back().substr(4);
            args.pop_back();
        }
    }
    if (types) {
        // ovs-dpctl leaves type= to ovs-appctl (the userspace datapath).
        ctx.error(0, "Invalid argument 'type'. Use 'ovs-appctl dpctl/dump-flows' instead.");
        return EINVAL;
    }
    // pmd=N: one thread's flows of the userspace datapath. A kernel
    // datapath's flows belong to no thread, so ovs-dpctl shows none of them
    // for any N (-1, the main thread, included); N must be a number (else it
    // fails with no message, as ovs-dpctl).
    bool no_flows = false;
    if (pmd) {
        char* end = nullptr;
        errno = 0;
        long id = std::strtol(pmd->c_str(), &end, 10);
        if (pmd->empty() || end == pmd->c_str() || errno || id < INT_MIN || id > INT_MAX) {
            return EINVAL;
        }
        no_flows = true;
    }
    auto dp = open_flow_dp(ctx, args, 2);
    if (!dp.ok()) {
        return dp.code();
    }
    std::optional<PortNames> names = port_names(ctx, *dp);
    std::optional<FlowFilter> ff;
    if (filter) {
        PortNumbers ports = port_numbers(ctx, *dp);
        auto parsed = parse_flow_filter(*filter, ports);
        if (!parsed.ok()) {
            ctx.error(0, "Failed to parse filter (" + parsed.error().detail + ")");
            return EINVAL;
        }
        ff = std::move(parsed).value();
    }
    FlowRequest req;
    req.cmd = OVS_FLOW_CMD_GET;
    req.dp_ifindex = dp->dp_ifindex;
    req.numa_stats = ctx.opts.numa;
    auto flows = ctx.dp.flow_dump(req);
    if (!flows.ok()) {
        ctx.error(flows.error(), "Failed to dump flows from datapath");
        return flows.code();
    }
    FlowPrintOptions o = print_options(ctx, names);
    std::string dp_name = "system@" + dp->name;
    for (const FlowInfo& f : *flows) {
        if (no_flows || (ff && !flow_filter_matches(*ff, f))) {
            continue;
        }
        print_flow(ctx, dp_name, f, o);
    }
    return 0;
}

int cmd_del_flows(Context& ctx, std::span<const std::string> args)
{
    // "del-flows FILE" (a lone argument that is not a datapath) or
    // "del-flows DP FILE" delete the flows listed in FILE.
    bool lone_non_dp = args.size() == 2 && !dpif_open(ctx, parse_dp_name(args[1])).ok();
    if (lone_non_dp || args.size() > 2) {
        return process_flows(ctx, args, FlowLine::del);
    }
    auto dp = open_flow_dp(ctx, args, 2);
    if (!dp.ok()) {
        return dp.code();
    }
    FlowRequest req;
    req.cmd = OVS_FLOW_CMD_DEL;
    req.dp_ifindex = dp->dp_ifindex;
    auto r = ctx.dp.flow_transact(req);
    if (!r.ok()) {
        ctx.error(r.error(), "deleting all flows");
        return r.code();
    }
    return 0;
}

constexpr Command kFlowCommands[] = {
    {"add-flow", "[DP] FLOW ACTIONS", "add FLOW with ACTIONS to DP", 2, 3, cmd_add_flow, true},
    {"mod-flow", "[DP] FLOW ACTIONS", "change FLOW actions to ACTIONS in DP", 2, 3, cmd_mod_flow,
     true},
    {"get-flow", "[DP] UFID|FLOW", "fetch the flow with UFID (or key FLOW)", 1, 2, cmd_get_flow,
     false},
    {"del-flow", "[DP] FLOW", "delete FLOW from DP", 1, 2, cmd_del_flow, true},
    {"dump-flows", "[DP] [filter=F] [pmd=N]", "display flows in DP", 0, 4, cmd_dump_flows, false},
    {"add-flows", "[DP] FILE", "add flows from FILE (- for stdin)", 1, 2, cmd_add_flows, true},
    {"mod-flows", "[DP] FILE", "modify flows from FILE", 1, 2, cmd_mod_flows, true},
    {"del-flows", "[DP] [FILE]", "delete all flows, or those in FILE", 0, 2, cmd_del_flows, true},
};

}  // namespace

std::span<const Command> flow_commands()
{
    return kFlowCommands;
}

}  // namespace ovsdp::ctl
