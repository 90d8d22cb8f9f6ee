// SPDX-License-Identifier: Apache-2.0
#include "userspace-ctl/options.h"

#include <cstdlib>
#include <string_view>

namespace ovsdp::ctl {
namespace {

enum class Opt { statistics, more, names, no_names, read_only, clear, may_create,
                 numa, json, format, timeout, help, version };

struct OptDef {
    std::string_view long_name;
    char short_name;  // 0 if none
    bool has_arg;
    Opt id;
};

constexpr OptDef kOptions[] = {
    {"statistics", 's', false, Opt::statistics},
    {"more", 'm', false, Opt::more},
    {"names", 0, false, Opt::names},
    {"no-names", 0, false, Opt::no_names},
    {"read-only", 0, false, Opt::read_only},
    {"clear", 0, false, Opt::clear},
    {"may-create", 0, false, Opt::may_create},
    {"numa", 0, false, Opt::numa},
    {"json", 'j', false, Opt::json},
    {"format", 0, true, Opt::format},
    {"timeout", 't', true, Opt::timeout},
    {"help", 'h', false, Opt::help},
    {"version", 'V', false, Opt::version},
};

Error usage_error(std::string msg)
{
    Error e = Error::from_errno(EINVAL);
    e.detail = std::move(msg);
    return e;
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
                if (!match->has_arg) {
                    return usage_error("option '--" + std::string(match->long_name) +
                                       "' doesn't allow an argument");
                }
                value = std::string(body.substr(eq + 1));
            } else if (match->has_arg) {
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
            if (!match->has_arg) {
                OVSDP_TRY(apply(cl.opts, match->id, {}));
                continue;
            }
            std::string value;
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
