// SPDX-License-Identifier: Apache-2.0
#include "userspace-ctl/hostnet.h"

#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace ovsdp::ctl {
namespace {

// An AF_INET datagram socket for interface ioctls, closed on scope exit.
struct IoctlSocket {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ~IoctlSocket()
    {
        if (fd >= 0) {
            close(fd);
        }
    }
};

bool fill_ifreq(ifreq* ifr, const std::string& name)
{
    std::memset(ifr, 0, sizeof *ifr);
    if (name.size() >= IFNAMSIZ) {
        return false;
    }
    std::memcpy(ifr->ifr_name, name.c_str(), name.size() + 1);
    return true;
}

template <typename S>
NetdevStats from_rtnl(const S& r)
{
    NetdevStats s;
    s.rx_packets = r.rx_packets;
    s.tx_packets = r.tx_packets;
    s.rx_bytes = r.rx_bytes;
    s.tx_bytes = r.tx_bytes;
    s.rx_errors = r.rx_errors;
    s.tx_errors = r.tx_errors;
    s.rx_dropped = r.rx_dropped;
    s.tx_dropped = r.tx_dropped;
    s.multicast = r.multicast;
    s.collisions = r.collisions;
    s.rx_length_errors = r.rx_length_errors;
    s.rx_over_errors = r.rx_over_errors;
    s.rx_crc_errors = r.rx_crc_errors;
    s.rx_frame_errors = r.rx_frame_errors;
    s.rx_fifo_errors = r.rx_fifo_errors;
    s.rx_missed_errors = r.rx_missed_errors;
    s.tx_aborted_errors = r.tx_aborted_errors;
    s.tx_carrier_errors = r.tx_carrier_errors;
    s.tx_fifo_errors = r.tx_fifo_errors;
    s.tx_heartbeat_errors = r.tx_heartbeat_errors;
    s.tx_window_errors = r.tx_window_errors;
    return s;
}

}  // namespace

Status LinuxHostNet::link_exists(const std::string& name)
{
    if (name.size() >= IFNAMSIZ || !if_nametoindex(name.c_str())) {
        return Error::from_errno(ENODEV);
    }
    return Status::success();
}

Result<NetdevStats> LinuxHostNet::link_stats(const std::string& name)
{
    if (!rtnl_) {
        auto sock = NlSocket::open(NETLINK_ROUTE);
        OVSDP_TRY(sock);
        rtnl_.emplace(std::move(sock).value());
    }
    nl_msg* msg = nlmsg_alloc_simple(RTM_GETLINK, NLM_F_REQUEST);
    if (!msg) {
        return Error::from_errno(ENOMEM);
    }
    ifinfomsg ifi{};
    ifi.ifi_family = AF_UNSPEC;
    if (nlmsg_append(msg, &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0 ||
        nla_put_string(msg, IFLA_IFNAME, name.c_str()) < 0) {
        nlmsg_free(msg);
        return Error::from_errno(ENOBUFS);
    }
    auto replies = rtnl_->transact(msg);
    nlmsg_free(msg);
    OVSDP_TRY(replies);
    for (const NlMessage& m : *replies) {
        auto* hdr = const_cast<nlmsghdr*>(m.hdr());
        if (hdr->nlmsg_type != RTM_NEWLINK) {
            continue;
        }
        nlattr* tb[IFLA_MAX + 1];
        if (nlmsg_parse(hdr, sizeof(ifinfomsg), tb, IFLA_MAX, nullptr) < 0) {
            break;
        }
        if (tb[IFLA_STATS64] && nla_len(tb[IFLA_STATS64]) >= (int)sizeof(rtnl_link_stats64)) {
            rtnl_link_stats64 r;
            std::memcpy(&r, nla_data(tb[IFLA_STATS64]), sizeof r);
            return from_rtnl(r);
        }
        if (tb[IFLA_STATS] && nla_len(tb[IFLA_STATS]) >= (int)sizeof(rtnl_link_stats)) {
            rtnl_link_stats r;
            std::memcpy(&r, nla_data(tb[IFLA_STATS]), sizeof r);
            return from_rtnl(r);
        }
    }
    Error e = Error::from_errno(EPROTO);
    e.detail = "RTM_GETLINK reply for " + name + " lacks stats";
    return e;
}

Status LinuxHostNet::set_up(const std::string& name)
{
    IoctlSocket s;
    ifreq ifr;
    if (s.fd < 0) {
        return Error::from_errno(errno);
    }
    if (!fill_ifreq(&ifr, name)) {
        return Error::from_errno(ENODEV);
    }
    if (ioctl(s.fd, SIOCGIFFLAGS, &ifr) < 0) {
        return Error::from_errno(errno);
    }
    if (ifr.ifr_flags & IFF_UP) {
        return Status::success();
    }
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s.fd, SIOCSIFFLAGS, &ifr) < 0) {
        return Error::from_errno(errno);
    }
    return Status::success();
}

void LinuxHostNet::disable_lro(const std::string& name)
{
    IoctlSocket s;
    ifreq ifr;
    ethtool_value ev{};
    if (s.fd < 0 || !fill_ifreq(&ifr, name)) {
        return;
    }
    ev.cmd = ETHTOOL_GFLAGS;
    ifr.ifr_data = reinterpret_cast<char*>(&ev);
    if (ioctl(s.fd, SIOCETHTOOL, &ifr) < 0 || !(ev.data & ETH_FLAG_LRO)) {
        return;
    }
    ev.cmd = ETHTOOL_SFLAGS;
    ev.data &= ~ETH_FLAG_LRO;
    (void)ioctl(s.fd, SIOCETHTOOL, &ifr);
}

}  // namespace ovsdp::ctl
