// SPDX-License-Identifier: Apache-2.0
// In-memory stand-ins for the kernel datapath and the host's devices, with
// the errno behaviour of Linux 6.1's openvswitch module for the requests
// ovsdp-ctl makes.  For command tests; not a model of packet processing.
#pragma once

#include <linux/netlink.h>
#include <linux/openvswitch.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "userspace-ctl/dp_client.h"
#include "userspace-ctl/hostnet.h"

namespace ovsdp::ctl::testing {

struct FakeDevice {
    bool up = false;
    bool lro = true;
    NetdevStats stats = netdev_stats_from_vport(VportStats{});
};

class FakeHost final : public HostNet {
public:
    std::map<std::string, FakeDevice> devices;
    std::vector<std::string> lro_disabled;

    Status link_exists(const std::string& name) override
    {
        return devices.count(name) ? Status::success() : Status(Error::from_errno(ENODEV));
    }
    Result<NetdevStats> link_stats(const std::string& name) override
    {
        auto it = devices.find(name);
        if (it == devices.end()) {
            return Error::from_errno(ENODEV);
        }
        return it->second.stats;
    }
    Status set_up(const std::string& name) override
    {
        auto it = devices.find(name);
        if (it == devices.end()) {
            return Error::from_errno(ENODEV);
        }
        it->second.up = true;
        return Status::success();
    }
    void disable_lro(const std::string& name) override
    {
        lro_disabled.push_back(name);
        if (auto it = devices.find(name); it != devices.end()) {
            it->second.lro = false;
        }
    }
};

struct FakePort {
    std::string name;
    uint32_t type = OVS_VPORT_TYPE_NETDEV;
    std::vector<uint32_t> pids;
    VportStats stats;
};

struct FakeFlow {
    FlowInfo info;                    // key, mask, actions, ufid, stats...
};

struct FakeDp {
    std::vector<FakeFlow> flows;      // in insertion order
    int ifindex = 0;
    std::string name;
    uint32_t features = 0;
    DpStats stats;
    MegaflowStats megaflow;
    std::map<uint32_t, FakePort> ports;
};

class FakeKernel final : public DpClient {
public:
    explicit FakeKernel(FakeHost& host) : host_(host) {}

    // Knobs for older or different kernels.
    bool accepts_unknown_features = false;   // pre-negotiation kernels
    bool supports_per_cpu = true;            // OVS_DP_F_DISPATCH_UPCALL_PER_CPU
    std::string extack_on_error;             // sent with every error if set

    std::map<std::string, FakeDp> dps;
    std::vector<DpRequest> dp_log;
    std::vector<VportRequest> vport_log;
    std::vector<FlowRequest> flow_log;
    bool supports_numa_stats = true;         // ovsdp's OVSDP_FLOW_ATTR_NUMA_STATS
    std::vector<NumaFlowStats> numa_for_new_flows{NumaFlowStats{0, 0, 0, std::nullopt, 0}};

    // Linux 6.1 ovs_flow_cmd_{new,set,get,del}: flows are found by UFID if
    // the request has one, else by key.
    Result<std::optional<FlowInfo>> flow_transact(const FlowRequest& req) override
    {
        flow_log.push_back(req);
        FakeDp* dp = dp_by_ifindex(req.dp_ifindex);
        if (!dp) {
            return fail(ENODEV);
        }
        auto find = [&]() -> std::vector<FakeFlow>::iterator {
            return std::find_if(dp->flows.begin(), dp->flows.end(), [&](const FakeFlow& f) {
                if (req.ufid) {
                    return f.info.ufid == *req.ufid;
                }
                return req.key && f.info.key == *req.key;
            });
        };
        switch (req.cmd) {
        case OVS_FLOW_CMD_NEW: {
            if (!req.key || !req.actions) {
                return fail(EINVAL);
            }
            auto it = find();
            if (it != dp->flows.end()) {
                if (req.nlm_flags & (NLM_F_CREATE | NLM_F_EXCL)) {
                    return fail(EEXIST);
                }
                it->info.actions = *req.actions;
                return std::optional<FlowInfo>(reply(*it, req));
            }
            FakeFlow f;
            f.info.dp_ifindex = dp->ifindex;
            f.info.key = *req.key;
            f.info.mask = req.mask.value_or(*req.key);
            if (!req.mask) {
                std::fill(f.info.mask->begin(), f.info.mask->end(), 0xff);
            }
            f.info.actions = *req.actions;
            f.info.ufid = req.ufid.value_or(std::vector<uint8_t>{});
            f.info.numa = numa_for_new_flows;
            dp->flows.push_back(f);
            return std::optional<FlowInfo>(reply(dp->flows.back(), req));
        }
        case OVS_FLOW_CMD_SET: {
            if (!req.key && !req.ufid) {
                return fail(EINVAL);
            }
            auto it = find();
            if (it == dp->flows.end()) {
                return fail(ENOENT);
            }
            if (req.actions) {
                it->info.actions = *req.actions;
            }
            FlowInfo r = reply(*it, req);
            if (req.clear) {
                it->info.stats = FlowStats{};
                it->info.used.reset();
                it->info.tcp_flags = 0;
            }
            return std::optional<FlowInfo>(r);
        }
        case OVS_FLOW_CMD_GET: {
            if (!req.key && !req.ufid) {
                return fail(EINVAL);
            }
            auto it = find();
            if (it == dp->flows.end()) {
                return fail(ENOENT);
            }
            return std::optional<FlowInfo>(reply(*it, req));
        }
        case OVS_FLOW_CMD_DEL: {
            if (!req.key && !req.ufid) {
                dp->flows.clear();
                return std::optional<FlowInfo>();
            }
            auto it = find();
            if (it == dp->flows.end()) {
                return fail(ENOENT);
            }
            FlowInfo r = reply(*it, req);
            dp->flows.erase(it);
            return std::optional<FlowInfo>(r);
        }
        }
        return fail(EOPNOTSUPP);
    }

    Result<std::vector<FlowInfo>> flow_dump(const FlowRequest& req) override
    {
        flow_log.push_back(req);
        FakeDp* dp = dp_by_ifindex(req.dp_ifindex);
        if (!dp) {
            return fail(ENODEV);
        }
        std::vector<FlowInfo> out;
        for (const FakeFlow& f : dp->flows) {
            out.push_back(reply(f, req));
        }
        return out;
    }

    Result<std::optional<DpInfo>> dp_transact(const DpRequest& req) override
    {
        dp_log.push_back(req);
        switch (req.cmd) {
        case OVS_DP_CMD_NEW: {
            if (!req.name || !req.upcall_pid) {
                return fail(EINVAL);
            }
            if (auto st = check_features(req); !st.ok()) {
                return st.take_error();
            }
            if (dps.count(*req.name) || host_.devices.count(*req.name)) {
                return fail(EEXIST);
            }
            FakeDp dp;
            dp.ifindex = next_ifindex_++;
            dp.name = *req.name;
            dp.features = req.user_features.value_or(0);
            dp.ports[0] = FakePort{*req.name, OVS_VPORT_TYPE_INTERNAL, {*req.upcall_pid}, {}};
            host_.devices[*req.name] = FakeDevice{};
            dps[*req.name] = dp;
            return std::optional<DpInfo>(info(dps[*req.name]));
        }
        case OVS_DP_CMD_GET:
        case OVS_DP_CMD_SET:
        case OVS_DP_CMD_DEL: {
            FakeDp* dp = lookup_dp(req);
            if (!dp) {
                return fail(ENODEV);
            }
            if (req.cmd == OVS_DP_CMD_SET) {
                if (auto st = check_features(req); !st.ok()) {
                    return st.take_error();
                }
                dp->features = req.user_features.value_or(0);
            }
            DpInfo reply = info(*dp);
            if (req.cmd == OVS_DP_CMD_DEL) {
                for (const auto& [no, port] : dp->ports) {
                    if (port.type == OVS_VPORT_TYPE_INTERNAL) {
                        host_.devices.erase(port.name);
                    }
                }
                dps.erase(dp->name);
            }
            return std::optional<DpInfo>(reply);
        }
        }
        return fail(EOPNOTSUPP);
    }

    Result<std::vector<DpInfo>> dp_dump() override
    {
        std::vector<std::pair<int, DpInfo>> by_index;
        for (const auto& [name, dp] : dps) {
            by_index.emplace_back(dp.ifindex, info(dp));
        }
        std::sort(by_index.begin(), by_index.end(),
                  [](const auto& a, const auto& b) { return a.first < b.first; });
        std::vector<DpInfo> out;
        for (auto& p : by_index) {
            out.push_back(p.second);
        }
        return out;
    }

    Result<std::optional<VportInfo>> vport_transact(const VportRequest& req) override
    {
        vport_log.push_back(req);
        if (req.cmd == OVS_VPORT_CMD_NEW) {
            FakeDp* dp = dp_by_ifindex(req.dp_ifindex);
            if (!req.name || !req.type || !req.upcall_pids) {
                return fail(EINVAL);
            }
            if (!dp) {
                return fail(ENODEV);
            }
            uint32_t port_no = req.port_no.value_or(0);
            if (port_no) {
                if (port_no >= 65535) {
                    return fail(EFBIG);
                }
                if (dp->ports.count(port_no)) {
                    return fail(EBUSY);
                }
            } else {
                for (port_no = 1; dp->ports.count(port_no); port_no++) {
                }
            }
            if (*req.type == OVS_VPORT_TYPE_NETDEV) {
                if (!host_.devices.count(*req.name)) {
                    return fail(ENODEV);
                }
                if (find_port(*req.name).first) {
                    return fail(EEXIST);  // 6.1: the device already has an rx_handler
                }
            } else if (*req.type == OVS_VPORT_TYPE_INTERNAL) {
                if (host_.devices.count(*req.name)) {
                    return fail(EEXIST);
                }
                host_.devices[*req.name] = FakeDevice{};
            } else {
                return fail(EAFNOSUPPORT);
            }
            dp->ports[port_no] = FakePort{*req.name, *req.type, *req.upcall_pids, {}};
            return std::optional<VportInfo>(vinfo(*dp, port_no));
        }
        auto [dp, port_no] = lookup_port(req);
        if (!dp) {
            return fail(last_lookup_error_);
        }
        VportInfo reply = vinfo(*dp, port_no);
        if (req.cmd == OVS_VPORT_CMD_DEL) {
            if (port_no == 0) {
                return fail(EINVAL);
            }
            if (dp->ports[port_no].type == OVS_VPORT_TYPE_INTERNAL) {
                host_.devices.erase(dp->ports[port_no].name);
            }
            dp->ports.erase(port_no);
        } else if (req.cmd == OVS_VPORT_CMD_SET && req.upcall_pids) {
            dp->ports[port_no].pids = *req.upcall_pids;
            reply.upcall_pids = *req.upcall_pids;
        }
        return std::optional<VportInfo>(reply);
    }

    Result<std::vector<VportInfo>> vport_dump(int dp_ifindex) override
    {
        FakeDp* dp = dp_by_ifindex(dp_ifindex);
        if (!dp) {
            return fail(ENODEV);
        }
        std::vector<VportInfo> out;
        for (const auto& [no, port] : dp->ports) {
            out.push_back(vinfo(*dp, no));
        }
        return out;
    }

    FakeDp* dp_by_ifindex(int ifindex)
    {
        for (auto& [name, dp] : dps) {
            if (dp.ifindex == ifindex) {
                return &dp;
            }
        }
        return nullptr;
    }

private:
    FlowInfo reply(const FakeFlow& f, const FlowRequest& req) const
    {
        FlowInfo r = f.info;
        if (!(req.numa_stats && supports_numa_stats)) {
            r.numa.reset();
        }
        return r;
    }

    Error fail(int code)
    {
        Error e = Error::from_errno(code);
        e.extack = extack_on_error;
        return e;
    }

    Status check_features(const DpRequest& req)
    {
        uint32_t f = req.user_features.value_or(0);
        uint32_t known = OVS_DP_F_UNALIGNED | OVS_DP_F_VPORT_PIDS | OVS_DP_F_TC_RECIRC_SHARING;
        if (supports_per_cpu) {
            known |= OVS_DP_F_DISPATCH_UPCALL_PER_CPU;
        }
        if (!accepts_unknown_features && (f & ~known)) {
            return fail(EOPNOTSUPP);
        }
        return Status::success();
    }

    FakeDp* lookup_dp(const DpRequest& req)
    {
        if (req.dp_ifindex) {
            return dp_by_ifindex(req.dp_ifindex);
        }
        if (req.name) {
            auto it = dps.find(*req.name);
            return it == dps.end() ? nullptr : &it->second;
        }
        return nullptr;
    }

    std::pair<FakeDp*, uint32_t> find_port(const std::string& name)
    {
        for (auto& [dpname, dp] : dps) {
            for (auto& [no, port] : dp.ports) {
                if (port.name == name) {
                    return {&dp, no};
                }
            }
        }
        return {nullptr, 0};
    }

    // Linux 6.1 lookup_vport(): by name (any datapath, then checked against
    // dp_ifindex if given), else by port number within dp_ifindex.
    std::pair<FakeDp*, uint32_t> lookup_port(const VportRequest& req)
    {
        last_lookup_error_ = ENODEV;
        if (req.name) {
            auto [dp, no] = find_port(*req.name);
            if (dp && req.dp_ifindex && dp->ifindex != req.dp_ifindex) {
                return {nullptr, 0};
            }
            return {dp, no};
        }
        if (req.port_no) {
            if (*req.port_no >= 65535) {
                last_lookup_error_ = EFBIG;
                return {nullptr, 0};
            }
            FakeDp* dp = dp_by_ifindex(req.dp_ifindex);
            if (!dp || !dp->ports.count(*req.port_no)) {
                return {nullptr, 0};
            }
            return {dp, *req.port_no};
        }
        last_lookup_error_ = EINVAL;
        return {nullptr, 0};
    }

    DpInfo info(const FakeDp& dp) const
    {
        DpInfo i;
        i.dp_ifindex = dp.ifindex;
        i.name = dp.name;
        i.stats = dp.stats;
        i.megaflow = dp.megaflow;
        i.user_features = dp.features;
        i.masks_cache_size = 256;
        return i;
    }

    VportInfo vinfo(const FakeDp& dp, uint32_t port_no) const
    {
        const FakePort& p = dp.ports.at(port_no);
        VportInfo v;
        v.dp_ifindex = dp.ifindex;
        v.port_no = port_no;
        v.type = p.type;
        v.name = p.name;
        v.stats = p.stats;
        v.upcall_pids = p.pids;
        return v;
    }

    FakeHost& host_;
    int next_ifindex_ = 10;
    int last_lookup_error_ = ENODEV;
};

}  // namespace ovsdp::ctl::testing
