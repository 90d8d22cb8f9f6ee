// SPDX-License-Identifier: Apache-2.0
// `ovsdp-ctl monitor`: becomes the upcall destination of a datapath, prints
// each upcall, optionally re-injects it, and gives the datapath back its old
// destinations when it stops (count reached, SIGINT, SIGTERM, SIGHUP, or the
// -t alarm).  Decoding, printing and the request plans are in monitor.cpp.
#include <linux/netlink.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <vector>

#include "userspace-ctl/commands.h"
#include "userspace-ctl/dpif.h"
#include "userspace-ctl/monitor.h"

namespace ovsdp::ctl {
namespace {

volatile sig_atomic_t g_stop = 0;  // the signal that stopped us, 0 if none

void on_stop_signal(int sig)
{
    g_stop = sig;
}

// A Generic Netlink socket the kernel unicasts upcalls to.
class UpcallSocket {
public:
    ~UpcallSocket()
    {
        if (fd_ >= 0) {
            close(fd_);
        }
    }
    Status open()
    {
        fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
        if (fd_ < 0) {
            return Error::from_errno(errno);
        }
        // Room for bursts of large packets; FORCE works for root only.
        int size = 8 << 20;
        if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0) {
            setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        }
        sockaddr_nl addr{};
        addr.nl_family = AF_NETLINK;
        if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
            return Error::from_errno(errno);
        }
        socklen_t len = sizeof addr;
        if (getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) < 0) {
            return Error::from_errno(errno);
        }
        pid_ = addr.nl_pid;
        return Status::success();
    }
    uint32_t pid() const { return pid_; }
    int fd() const { return fd_; }

private:
    int fd_ = -1;
    uint32_t pid_ = 0;
};

Status apply(Context& ctx, const ListenPlan& plan)
{
    if (plan.dp) {
        auto r = ctx.dp.dp_transact(*plan.dp);
        if (!r.ok()) {
            return r.take_error();
        }
    }
    for (const VportRequest& v : plan.vports) {
        auto r = ctx.dp.vport_transact(v);
        if (!r.ok()) {
            return r.take_error();
        }
    }
    return Status::success();
}

Result<std::string> monitor_dp_name(Context& ctx, const MonitorArgs& m)
{
    if (m.dp) {
        return *m.dp;
    }
    auto names = enumerate_dps(ctx);
    OVSDP_TRY(names);
    if (names->size() == 1) {
        return names->front();
    }
    Error e = Error::from_errno(EINVAL);
    e.detail = names->empty() ? "no datapaths exist" : "multiple datapaths, specify one";
    return e;
}

int cmd_monitor(Context& ctx, std::span<const std::string> args)
{
    auto m = parse_monitor_args(args);
    if (!m.ok()) {
        ctx.error(0, m.error().detail);
        return m.code();
    }
    auto name = monitor_dp_name(ctx, *m);
    if (!name.ok()) {
        ctx.error(name.error(), "monitor");
        return name.code();
    }
    auto dp = dpif_open(ctx, parse_dp_name(*name));
    if (!dp.ok()) {
        ctx.error(dp.error(), "opening datapath " + *name + " failed");
        return dp.code();
    }
    auto ports = ctx.dp.vport_dump(dp->dp_ifindex);
    if (!ports.ok()) {
        ctx.error(ports.error(), "listing ports of " + *name + " failed");
        return ports.code();
    }
    PortNames names;
    for (const VportInfo& p : *ports) {
        names[p.port_no] = p.name;
    }
    const PortNames* pnames = ctx.opts.names.value_or(false) ? &names : nullptr;

    UpcallSocket sock;
    if (auto st = sock.open(); !st.ok()) {
        ctx.error(st.error(), "opening the upcall socket");
        return st.code();
    }
    long n_cpus = sysconf(_SC_NPROCESSORS_CONF);
    ListenPlan listen = listen_requests(*dp, *ports, sock.pid(), n_cpus > 0 ? n_cpus : 1);
    ListenPlan restore = restore_requests(*dp, *ports);
    if (auto st = apply(ctx, listen); !st.ok()) {
        ctx.error(st.error(), "setting the upcall port id of " + *name);
        (void)apply(ctx, restore);
        return st.code();
    }

    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;  // no SA_RESTART: recv() returns EINTR
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGALRM}) {
        sigaction(sig, &sa, nullptr);
    }

    bool per_cpu = listen.dp.has_value();
    ctx.print("listening on " + dp->name + ": port id " + std::to_string(sock.pid()) +
              (per_cpu ? " (per-CPU dispatch" : " (vport upcall PIDs") + ", " +
              std::to_string(listen.vports.size()) + " ports)\n");
    std::fflush(stdout);

    std::vector<uint32_t> buf((1 << 20) / sizeof(uint32_t));  // aligned for nlmsghdr
    uint64_t seen = 0;
    int status = 0;
    while (!g_stop && (!m->count || seen < m->count)) {
        ssize_t n = recv(sock.fd(), buf.data(), buf.size() * sizeof(uint32_t), MSG_TRUNC);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == ENOBUFS) {
                ctx.warn("upcalls lost: socket receive buffer overrun");
                continue;
            }
            ctx.error(errno, "receiving upcalls");
            status = errno;
            break;
        }
        size_t len = static_cast<size_t>(n);
        if (len > buf.size() * sizeof(uint32_t)) {
            ctx.warn("upcall of " + std::to_string(len) + " bytes truncated, skipped");
            continue;
        }
        auto* hdr = reinterpret_cast<nlmsghdr*>(buf.data());
        int left = static_cast<int>(len);
        for (; NLMSG_OK(hdr, left); hdr = NLMSG_NEXT(hdr, left)) {
            if (hdr->nlmsg_type < NLMSG_MIN_TYPE) {
                continue;  // NOOP, ERROR, DONE: not upcalls
            }
            auto u = decode_upcall(hdr, static_cast<size_t>(left));
            if (!u.ok()) {
                ctx.warn(u.error().detail);
                continue;
            }
            ctx.print(format_upcall(*u, pnames, m->hex));
            std::fflush(stdout);
            if (m->execute) {
                if (auto st = ctx.dp.packet_execute(execute_request(*u, *m->execute)); !st.ok()) {
                    ctx.error(st.error(), "execute failed");
                    status = st.code();
                }
            }
            ++seen;
            if (m->count && seen >= m->count) {
                break;
            }
        }
    }
    if (g_stop == SIGALRM && m->count && seen < m->count) {
        // -t: a test waiting for N upcalls saw fewer.
        ctx.error(ETIMEDOUT, "monitor: " + std::to_string(seen) + " of " + std::to_string(m->count) +
                                 " upcalls before the timeout");
        status = ETIMEDOUT;
    }
    if (auto st = apply(ctx, restore); !st.ok()) {
        ctx.error(st.error(), "restoring the upcall port ids of " + *name);
        status = st.code();
    }
    return status;
}

constexpr Command kMonitorCommands[] = {
    {"monitor", "[DP] [count=N] [hex] [execute=ACTIONS]",
     "print upcalls (miss, userspace action) of DP", 0, 4, cmd_monitor, true},
};

}  // namespace

std::span<const Command> monitor_commands()
{
    return kMonitorCommands;
}

}  // namespace ovsdp::ctl
