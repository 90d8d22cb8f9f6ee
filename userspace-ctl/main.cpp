// SPDX-License-Identifier: Apache-2.0
// ovsdp-ctl: an ovs-dpctl-style command-line tool for the kernel datapath.
#include <csignal>
#include <cstdio>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

#include "userspace-ctl/commands.h"
#include "userspace-ctl/dp_netlink.h"
#include "userspace-ctl/format.h"
#include "userspace-ctl/hostnet.h"
#include "userspace-ctl/options.h"

#ifndef OVSDP_CTL_VERSION
#define OVSDP_CTL_VERSION "0.0.0"
#endif

using namespace ovsdp::ctl;

int main(int argc, char* argv[])
{
    std::string program = argc > 0 ? argv[0] : "ovsdp-ctl";
    if (size_t slash = program.rfind('/'); slash != std::string::npos) {
        program = program.substr(slash + 1);
    }
    std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);

    auto cl = parse_command_line(args);
    if (!cl.ok()) {
        std::fputs(format_error_line(program, cl.error().detail, 0).c_str(), stderr);
        return EXIT_FAILURE;
    }
    if (cl->opts.help) {
        std::fputs(usage_text(program).c_str(), stdout);
        return EXIT_SUCCESS;
    }
    if (cl->opts.version) {
        std::printf("%s (ovsdp) %s\n", program.c_str(), OVSDP_CTL_VERSION);
        return EXIT_SUCCESS;
    }
    if (cl->opts.timeout) {
        alarm(cl->opts.timeout);
    }
    std::signal(SIGPIPE, SIG_IGN);

    StdioOutput output;
    auto dp = NetlinkDpClient::open();
    if (!dp.ok()) {
        const Error& e = dp.error();
        std::string msg = "opening Generic Netlink socket";
        if (!e.detail.empty()) {
            msg += ": " + e.detail;
        }
        output.err(format_error_line(program, msg, e.code));
        return EXIT_FAILURE;
    }
    LinuxHostNet host;
    Context ctx{program, cl->opts, **dp, host, output};
    if (cl->opts.log_file) {
        const std::string path = cl->opts.log_file->empty() ? kDefaultLogFile : *cl->opts.log_file;
        ctx.log_file = std::fopen(path.c_str(), "a");
        if (!ctx.log_file) {
            ctx.warn("failed to open " + path + " for logging: " + std::strerror(errno));
        }
    }
    int error = run_command(ctx, cl->operands);
    std::fflush(stdout);
    if (ctx.log_file) {
        std::fclose(ctx.log_file);
    }
    return error ? EXIT_FAILURE : EXIT_SUCCESS;
}
