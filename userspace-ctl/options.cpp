// SPDX-License-Identifier: Apache-2.0
#include "userspace-ctl/options.h"

#include <cstdlib>
#include <string_view>

namespace ovsdp::ctl {
namespace {

enum class Opt { statistics, more, names, no_names, read_only, clear, may_create,
                 numa, json, format, timeout, help, version,
                 verbose, log_file, syslog_method, syslog_target };

enum Arg { kNoArg, kArg, kOptionalArg };  // as getopt_long's has_arg

struct OptDef {
    std::string_view long_name;
    char short_name;  // 0 if none
    Arg has_arg;      // kOptionalArg: only attached ("-vSPEC", "--verbose=SPEC")
    Opt id;
};

constexpr OptDef kOptions[] = {
    {"statistics", 's', kNoArg, Opt::statistics},
    {"more", 'm', kNoArg, Opt::more},
    {"names", 0, kNoArg, Opt::names},
    {"no-names", 0, kNoArg, Opt::no_names},
    {"read-only", 0, kNoArg, Opt::read_only},
    {"clear", 0, kNoArg, Opt::clear},
    {"may-create", 0, kNoArg, Opt::may_create},
    {"numa", 0, kNoArg, Opt::numa},
    {"json", 'j', kNoArg, Opt::json},
    {"format", 0, kArg, Opt::format},
    {"timeout", 't', kArg, Opt::timeout},
    {"help", 'h', kNoArg, Opt::help},
    {"version", 'V', kNoArg, Opt::version},
    {"verbose", 'v', kOptionalArg, Opt::verbose},
    {"log-file", 0, kOptionalArg, Opt::log_file},
    {"syslog-method", 0, kArg, Opt::syslog_method},
    {"syslog-target", 0, kArg, Opt::syslog_target},
};



Error usage_error(std::string msg)
{
    Error e = Error::from_errno(EINVAL);
    e.detail = std::move(msg);
    return e;
}

// A -v/--verbose SPEC: words separated by ':', ',' or ' ', each a destination
// (console, syslog, file, any), a level (off, emer, err, warn, info, dbg), a
// "PATTERN:..." setting (accepted as it is) or a module name; as vlog, at
// most one of each kind.
Status check_verbose_spec(const std::string& spec)
{
    if (spec.starts_with("PATTERN:") || spec.starts_with("FACILITY:")) {
        return Status::success();
    }
    static constexpr std::string_view kDest[] = {"console", "syslog", "file", "any"};
    static constexpr std::string_view kLevel[] = {"off", "emer", "err", "warn", "info", "dbg"};
    int n_dest = 0, n_level = 0, n_module = 0;
    size_t i = 0;
    while (i <= spec.size()) {
        size_t j = spec.find_first_of(":, ", i);
        std::string_view w = std::string_view(spec).substr(i, j == std::string::npos ? std::string::npos : j - i);
        i = j == std::string::npos ? spec.size() + 1 : j + 1;
        if (w.empty()) {
            continue;
        }
        bool is_dest = false, is_level = false;
        for (std::string_view d : kDest) {
            is_dest = is_dest || w == d;
        }
        for (std::string_view l : kLevel) {
            is_level = is_level || w == l;
        }
        int& n = is_dest ? n_dest : is_level ? n_level : n_module;
        if (++n > 1) {
            return usage_error("processing \"" + spec + "\": cannot specify multiple " +
                               std::string(is_dest ? "destinations" : is_level ? "levels" : "modules"));
        }
    }
    return Status::success();
}

Status apply(GlobalOptions& o, Opt id, const std::string& arg)
{
    switch (id) {
    case Opt::statistics: o.statistics = true; break;
    case Opt::more: o.more++; break;
    case Opt::names: o.names = true; break;
    case Opt::no_names: o.names = false; break;
    case Opt::read_only: o.read_only = true; break;
    case Opt::clear: o.clear = true; break;
    case Opt::may_create: o.may_create = true; break;
    case Opt::numa: o.numa = true; break;
    case Opt::json: o.json = true; break;
    case Opt::format:
        if (arg == "json") {
            o.json = true;
        } else if (arg == "text") {
            o.json = false;
        } else {
            return usage_error("unknown output format '" + arg + "' (use json or text)");
        }
        break;
    case Opt::help: o.help = true; break;
    case Opt::version: o.version = true; break;
    case Opt::verbose:
        OVSDP_TRY(check_verbose_spec(arg));
        o.verbose.push_back(arg);
        break;
    case Opt::log_file: o.log_file = arg; break;
    case Opt::syslog_method: o.syslog_method = arg; break;
    case Opt::syslog_target: o.syslog_target = arg; break;
    case Opt::timeout: {
        char* end = nullptr;
        errno = 0;
        unsigned long v = std::strtoul(arg.c_str(), &end, 10);
        if (arg.empty() || *end != '\0' || errno || v == 0 || v > 0xffffffffUL) {
            return usage_error("value " + arg + " on -t or --timeout is invalid");
        }
        o.timeout = static_cast<unsigned>(v);
        break;
    }
    }
    return Status::success();
}

}  // namespace

Result<CommandLine> parse_command_line(std::span<const std::string> args)
{
    CommandLine cl;
    for (size_t i = 0; i < args.size(); i++) {
        const std::string& a = args[i];
        if (a == "--") {
            cl.operands.insert(cl.operands.end(), args.begin() + i + 1, args.end());
            break;
        }
        if (a.size() < 2 || a[0] != '-') {
            cl.operands.push_back(a);
            continue;
        }
        if (a[1] == '-') {
            std::string_view body = std::string_view(a).substr(2);
            size_t eq = body.find('=');
            std::string_view name = body.substr(0, eq);
            const OptDef* match = nullptr;
            std::vector<const OptDef*> prefixed;
            for (const OptDef& d : kOptions) {
                if (d.long_name == name) {
                    match = &d;
                    break;
                }
                if (d.long_name.starts_with(name)) {
                    prefixed.push_back(&d);
                }
            }
            if (!match) {
                if (prefixed.size() == 1) {
                    match = prefixed[0];
                } else if (prefixed.size() > 1) {
                    std::string msg = "option '" + a.substr(0, 2 + name.size()) +
                                      "' is ambiguous; possibilities:";
                    for (const OptDef* d : prefixed) {
                        msg += " '--" + std::string(d->long_name) + "'";
                    }
                    return usage_error(msg);
                } else {
                    return usage_error("unrecognized option '" + a + "'");
                }
            }
            std::string value;
            if (eq != std::string_view::npos) {
                if (match->has_arg == kNoArg) {
                    return usage_error("option '--" + std::string(match->long_name) +
                                       "' doesn't allow an argument");
                }
                value = std::string(body.substr(eq + 1));
            } else if (match->has_arg == kArg) {
                if (i + 1 >= args.size()) {
                    return usage_error("option '--" + std::string(match->long_name) +
                                       "' requires an argument");
                }
                value = args[++i];
            }
            OVSDP_TRY(apply(cl.opts, match->id, value));
            continue;
        }
        // Cluster of short options.
        for (size_t j = 1; j < a.size(); j++) {
            const OptDef* match = nullptr;
            for (const OptDef& d : kOptions) {
                if (d.short_name && d.short_name == a[j]) {
                    match = &d;
                }
            }
            if (!match) {
                return usage_error(std::string("invalid option -- '") + a[j] + "'");
            }
            if (match->has_arg == kNoArg) {
                OVSDP_TRY(apply(cl.opts, match->id, {}));
                continue;
            }
            std::string value;
            if (match->has_arg == kOptionalArg) {
                OVSDP_TRY(apply(cl.opts, match->id, a.substr(j + 1)));  // "-v" or "-vSPEC"
                break;
            }
            if (j + 1 < a.size()) {
                value = a.substr(j + 1);
            } else if (i + 1 < args.size()) {
                value = args[++i];
            } else {
                return usage_error(std::string("option requires an argument -- '") + a[j] + "'");
            }
            OVSDP_TRY(apply(cl.opts, match->id, value));
            break;
        }
    }
    return cl;
}

}  // namespace ovsdp::ctl
