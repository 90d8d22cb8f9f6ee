// SPDX-License-Identifier: Apache-2.0
#include "userspace-ctl/commands.h"

#include <cstdio>
#include <ctime>

#include "userspace-ctl/format.h"

namespace ovsdp::ctl {
namespace {

using CommandTable = std::span<const Command> (*)();

std::span<const Command> help_commands();

// Every family of commands; add new tables here.
constexpr CommandTable kTables[] = {
    datapath_commands,
    flow_commands,
    monitor_commands,
    meter_commands,
    ct_commands,
    help_commands,
};

// help: the usage text, as --help (ovs-dpctl's "help" command).
int cmd_help(Context& ctx, std::span<const std::string>)
{
    ctx.print(usage_text(ctx.program));
    return 0;
}

// list-commands: every command with its arguments, in ovs-dpctl's layout.
int cmd_list_commands(Context& ctx, std::span<const std::string>)
{
    std::string s = "The available commands are:\n";
    for (CommandTable table : kTables) {
        for (const Command& c : table()) {
            char line[160];
            std::snprintf(line, sizeof line, "  %-23s %.*s\n", std::string(c.name).c_str(),
                          static_cast<int>(c.usage.size()), c.usage.data());
            s += line;
        }
    }
    ctx.print(s);
    return 0;
}

constexpr Command kHelpCommands[] = {
    {"help", "", "display this help message", 0, 1000, cmd_help, false},
    {"list-commands", "", "list the commands and their arguments", 0, 0, cmd_list_commands, false},
};

std::span<const Command> help_commands()
{
    return kHelpCommands;
}

const Command* find_command(std::string_view name)
{
    for (CommandTable table : kTables) {
        for (const Command& c : table()) {
            if (c.name == name) {
                return &c;
            }
        }
    }
    return nullptr;
}

}  // namespace

void StdioOutput::out(std::string_view s)
{
    std::fwrite(s.data(), 1, s.size(), stdout);
}

void StdioOutput::err(std::string_view s)
{
    std::fflush(stdout);
    std::fwrite(s.data(), 1, s.size(), stderr);
}

void Context::error(int errnum, std::string_view message)
{
    output.err(format_error_line(program, message, errnum));
}

void Context::error(const Error& e, std::string_view message)
{
    error(e.code, message);
    if (!e.extack.empty()) {
        output.err(format_error_line(program, "kernel: " + e.extack, 0));
    }
    if (!e.detail.empty()) {
        output.err(format_error_line(program, e.detail, 0));
    }
}

void Context::warn(std::string_view message)
{
    output.err(format_error_line(program, "warning: " + std::string(message), 0));
    if (log_file) {
        // vlog's default file format: time|sequence|module|level|message.
        static unsigned seq;
        timespec ts{};
        clock_gettime(CLOCK_REALTIME, &ts);
        tm t{};
        gmtime_r(&ts.tv_sec, &t);
        char when[32];
        std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &t);
        std::fprintf(log_file, "%s.%03ldZ|%05u|ovsdp_ctl|WARN|%.*s\n", when, ts.tv_nsec / 1000000, ++seq,
                     static_cast<int>(message.size()), message.data());
        std::fflush(log_file);
    }
}

int run_command(Context& ctx, std::span<const std::string> operands)
{
    if (operands.empty()) {
        ctx.error(0, "missing command name; use --help for help");
        return EINVAL;
    }
    const Command* c = find_command(operands[0]);
    if (!c) {
        ctx.error(0, "unknown command '" + operands[0] + "'; use --help for help");
        return EINVAL;
    }
    int n_args = static_cast<int>(operands.size()) - 1;
    if (n_args < c->min_args) {
        ctx.error(0, "'" + std::string(c->name) + "' command requires at least " +
                         std::to_string(c->min_args) + " arguments");
        return EINVAL;
    }
    if (n_args > c->max_args) {
        ctx.error(0, "'" + std::string(c->name) + "' command takes at most " +
                         std::to_string(c->max_args) + " arguments");
        return EINVAL;
    }
    if (c->changes_datapath && ctx.opts.read_only) {
        ctx.error(0, "'" + std::string(c->name) + "' command does not work in read only mode");
        return EINVAL;
    }
    return c->handler(ctx, operands);
}

std::string usage_text(std::string_view program)
{
    std::string p(program);
    std::string s = p + ": ovsdp datapath management utility\n" +
                    "usage: " + p + " [OPTIONS] COMMAND [ARG...]\n";
    for (CommandTable table : kTables) {
        for (const Command& c : table()) {
            std::string synopsis = std::string(c.name);
            if (!c.usage.empty()) {
                synopsis += " " + std::string(c.usage);
            }
            char line[160];
            std::snprintf(line, sizeof line, "  %-23s  %.*s\n", synopsis.c_str(),
                          static_cast<int>(c.help.size()), c.help.data());
            s += line;
        }
    }
    s += "DP is a datapath name, \"dp0\" or \"system@dp0\".  Each IFACE on add-dp,\n"
         "add-if and set-if may be followed by comma-separated options:\n"
         "  type=system|netdev|internal  kind of port (default: system, an existing\n"
         "                               device; internal: a new device)\n"
         "  port_no=N                    port number to request\n"
         "  upcall_pid=PID               Netlink port for upcalls (repeatable; default 0)\n"
         "FLOW and ACTIONS use ovs-dpctl's syntax; FLOW may start with ufid:UUID.\n"
         "monitor: count=N exits after N upcalls, hex dumps each packet, execute=ACTIONS\n"
         "re-injects each packet with ACTIONS (OVS_PACKET_CMD_EXECUTE).\n"
         "\n"
         "Options:\n"
         "  -s, --statistics            print statistics for ports (and flows on\n"
         "                              add-flow, mod-flow, del-flow)\n"
         "  -m, --more                  verbose flow output (ufid, wildcarded fields,\n"
         "                              port names)\n"
         "  --names, --no-names         port names in flow output (default: with -m)\n"
         "  --clear                     mod-flow: reset the flow's statistics\n"
         "  --may-create                mod-flow: create the flow if it is missing\n"
         "  --numa                      dump-flows, get-flow: per-NUMA-node statistics\n"
         "  -j, --format=json|text      dump-flows, get-flow, show: JSON output\n"
         "  --read-only                 do not run commands that change the datapath\n"
         "  -t, --timeout=SECS          give up after SECS seconds\n"
         "  -h, --help                  display this help message\n"
         "  -V, --version               display version information\n"
         "\n"
         "Logging options (as ovs-dpctl's; ovsdp-ctl logs only its warnings):\n"
         "  -vSPEC, --verbose=SPEC      set logging levels (accepted)\n"
         "  -v, --verbose               set maximum verbosity level (accepted)\n"
         "  --log-file[=FILE]           also log warnings to FILE\n"
         "                              (default: /var/log/openvswitch/ovsdp-ctl.log)\n"
         "  --syslog-method=METHOD      accepted (nothing is sent to syslog)\n"
         "  --syslog-target=HOST:PORT   accepted (nothing is sent to syslog)\n";
    return s;
}

}  // namespace ovsdp::ctl
