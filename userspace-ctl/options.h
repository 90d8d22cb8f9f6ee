// SPDX-License-Identifier: Apache-2.0
// Command-line option parsing for ovsdp-ctl (pure; no I/O).
//
// Follows GNU getopt_long conventions, as ovs-dpctl does: options and operands
// may be mixed ("show -s dp0"), "--" ends option parsing, long options may be
// abbreviated to any unique prefix and take "--opt=value" or "--opt value",
// short options may be clustered ("-sm", "-t5").
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "userspace-ctl/result.h"

namespace ovsdp::ctl {

struct GlobalOptions {
    bool statistics = false;      // -s, --statistics: per-port (later: flow) statistics
    int more = 0;                 // -m, --more: verbosity for flow dumps (repeatable)
    std::optional<bool> names;    // --names / --no-names: port names in flow output
    bool read_only = false;       // --read-only: refuse commands that change the datapath
    bool clear = false;           // --clear: reset flow statistics (mod-flow)
    bool may_create = false;      // --may-create: mod-flow may create the flow
    bool numa = false;            // --numa: per-NUMA flow statistics (ovsdp extension)
    bool json = false;            // -j, --format=json: JSON output
    unsigned timeout = 0;         // -t, --timeout=SECS: give up after SECS seconds (0: never)
    bool help = false;            // -h, --help
    bool version = false;         // -V, --version
    // ovs-dpctl's logging options (the ones scripts pass), accepted with the
    // same meaning where it applies: -v[SPEC]/--verbose[=SPEC] (ovsdp-ctl has
    // no debug messages to enable: accepted, checked, otherwise no effect),
    // --log-file[=FILE] (warnings also appended to FILE, in vlog's format),
    // --syslog-method/--syslog-target (accepted; ovsdp-ctl sends nothing to syslog).
    std::vector<std::string> verbose;  // each -v/--verbose SPEC ("" for none)
    std::optional<std::string> log_file;  // "" for the default file
    std::optional<std::string> syslog_method;
    std::optional<std::string> syslog_target;
};

// Where --log-file without a file name logs.
inline constexpr const char* kDefaultLogFile = "/var/log/openvswitch/ovsdp-ctl.log";

struct CommandLine {
    GlobalOptions opts;
    std::vector<std::string> operands;  // command name followed by its arguments
};

// Parses 'args' (argv without argv[0]).  On error, Error::detail holds the
// message to print after "PROGRAM: ", worded like getopt's.
Result<CommandLine> parse_command_line(std::span<const std::string> args);

}  // namespace ovsdp::ctl
