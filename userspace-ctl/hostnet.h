// SPDX-License-Identifier: Apache-2.0
// The host's network devices, as far as ovsdp-ctl needs them: existence,
// rtnetlink counters, IFF_UP, and LRO (which ovs-dpctl turns off on ports).
// An interface so that command logic can be tested with a fake.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "userspace-ctl/netdev_stats.h"
#include "userspace-ctl/netlink.h"
#include "userspace-ctl/result.h"

namespace ovsdp::ctl {

class HostNet {
public:
    virtual ~HostNet() = default;
    // Succeeds if a network device named 'name' exists (ENODEV otherwise).
    virtual Status link_exists(const std::string& name) = 0;
    // The device's rtnetlink counters (IFLA_STATS64, else IFLA_STATS).
    virtual Result<NetdevStats> link_stats(const std::string& name) = 0;
    // Sets IFF_UP on the device.
    virtual Status set_up(const std::string& name) = 0;
    // Turns off large receive offload, if the device has it; best effort.
    virtual void disable_lro(const std::string& name) = 0;
};

class LinuxHostNet final : public HostNet {
public:
    Status link_exists(const std::string& name) override;
    Result<NetdevStats> link_stats(const std::string& name) override;
    Status set_up(const std::string& name) override;
    void disable_lro(const std::string& name) override;

private:
    std::optional<NlSocket> rtnl_;
};

}  // namespace ovsdp::ctl
