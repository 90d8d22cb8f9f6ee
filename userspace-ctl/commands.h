// SPDX-License-Identifier: Apache-2.0
// The command table and the context commands run in.
//
// Each family of commands (datapath and port commands here; flow commands
// later) lives in its own file and exposes a table through a function
// declared below; run_command() looks a command up in all tables, checks its
// argument count and read-only mode, and calls its handler.
#pragma once

#include <cstdio>
#include <span>
#include <string>
#include <string_view>

#include "userspace-ctl/dp_client.h"
#include "userspace-ctl/hostnet.h"
#include "userspace-ctl/options.h"
#include "userspace-ctl/result.h"

namespace ovsdp::ctl {

// Where commands write.  Standard output carries results, standard error
// carries errors and warnings.
class Output {
public:
    virtual ~Output() = default;
    virtual void out(std::string_view s) = 0;
    virtual void err(std::string_view s) = 0;
};

class StdioOutput final : public Output {
public:
    void out(std::string_view s) override;
    void err(std::string_view s) override;
};

class StringOutput final : public Output {
public:
    void out(std::string_view s) override { stdout_ += s; }
    void err(std::string_view s) override { stderr_ += s; }
    std::string stdout_;
    std::string stderr_;
};

struct Context {
    std::string program;     // name used in messages, e.g. "ovsdp-ctl"
    GlobalOptions opts;
    DpClient& dp;
    HostNet& host;
    Output& output;
    // CLOCK_MONOTONIC in msecs, the clock of flow "used" times; 0 = read it
    // when needed (tests set a fixed value).
    uint64_t now_ms = 0;
    // --log-file: warnings are also appended here, in vlog's file format.
    std::FILE* log_file = nullptr;

    void print(std::string_view s) { output.out(s); }
    // ovs-dpctl's error line: "PROGRAM: MESSAGE (ERRNO TEXT)"; errnum 0
    // omits the parenthesis.
    void error(int errnum, std::string_view message);
    // Same, for an Error: adds a "PROGRAM: kernel: ..." line if the kernel
    // sent an extended ACK message, and one for a local detail if any.
    void error(const Error& e, std::string_view message);
    // A diagnostic that ovs-dpctl would log rather than print as an error:
    // "PROGRAM: warning: MESSAGE".
    void warn(std::string_view message);
};

// Handlers get the command name in args[0], like argv, and return 0 or a
// positive errno value (the last error of the command).
using CommandHandler = int (*)(Context& ctx, std::span<const std::string> args);

struct Command {
    std::string_view name;
    std::string_view usage;   // argument synopsis, e.g. "DP [IFACE...]"
    std::string_view help;    // one line for --help
    int min_args;
    int max_args;
    CommandHandler handler;
    bool changes_datapath;    // refused with --read-only
};

// Command tables, one per family of commands.
std::span<const Command> datapath_commands();
std::span<const Command> flow_commands();
std::span<const Command> monitor_commands();
std::span<const Command> meter_commands();
std::span<const Command> ct_commands();

// ovs-dpctl's get_one_dp(): the only datapath, or an error (reported).
Result<std::string> get_one_dp(Context& ctx);
// ovs-dpctl's opt_dpif_open(): args[1] if it names a datapath; otherwise,
// with fewer than 'max_args' arguments (argv-style count, command
// included), the only datapath.  Errors are reported here.
Result<DpInfo> open_flow_dp(Context& ctx, std::span<const std::string> args, size_t max_args);

// Finds and runs operands[0].  Argument-count and unknown-command errors
// are reported like ovs-dpctl's and return EINVAL.
int run_command(Context& ctx, std::span<const std::string> operands);

// The text of --help.
std::string usage_text(std::string_view program);

}  // namespace ovsdp::ctl
