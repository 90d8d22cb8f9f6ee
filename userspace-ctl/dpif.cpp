// SPDX-License-Identifier: Apache-2.0
#include "userspace-ctl/dpif.h"

#include <linux/openvswitch.h>

#include "userspace-ctl/sset_order.h"

namespace ovsdp::ctl {
namespace {

Result<DpInfo> expect_reply(Result<std::optional<DpInfo>> r)
{
    if (!r.ok()) {
        return r.take_error();
    }
    if (!r->has_value()) {
        Error e = Error::from_errno(EPROTO);
        e.detail = "kernel sent no reply to an ovs_datapath request";
        return e;
    }
    return std::move(**r);
}

DpRequest dp_request(uint8_t cmd, const std::string& name, uint32_t features)
{
    DpRequest req;
    req.cmd = cmd;
    req.name = name;
    req.upcall_pid = 0;
    req.user_features = features;
    return req;
}

}  // namespace

Status check_dp_type(Context& ctx, const DpName& dp)
{
    if (dp.type == "system") {
        return Status::success();
    }
    if (dp.type == "netdev") {
        ctx.warn("userspace (netdev) datapaths are not supported; " + dp.name + " not opened");
    } else {
        ctx.warn("could not create datapath " + dp.name + " of unknown type " + dp.type);
    }
    return Error::from_errno(EAFNOSUPPORT);
}

Result<DpInfo> dpif_open(Context& ctx, const DpName& dp)
{
    OVSDP_TRY(check_dp_type(ctx, dp));
    DpRequest req;
    req.cmd = OVS_DP_CMD_GET;
    req.name = dp.name;
    req.upcall_pid = 0;
    req.ext_stats = true;  // ovsdp's counters; other kernels ignore the flag
    return expect_reply(ctx.dp.dp_transact(req));
}

Result<DpInfo> dpif_create(Context& ctx, const DpName& dp)
{
    OVSDP_TRY(check_dp_type(ctx, dp));

    uint32_t features = OVS_DP_F_UNALIGNED | OVS_DP_F_VPORT_PIDS | kDpFeatureProbeUnsupported;
    auto probe = ctx.dp.dp_transact(dp_request(OVS_DP_CMD_NEW, dp.name, features));
    if (probe.ok()) {
        // The kernel took an undefined feature bit: it cannot negotiate.
        features = OVS_DP_F_UNALIGNED | OVS_DP_F_VPORT_PIDS;
        return expect_reply(ctx.dp.dp_transact(dp_request(OVS_DP_CMD_SET, dp.name, features)));
    }

    features = OVS_DP_F_UNALIGNED | OVS_DP_F_DISPATCH_UPCALL_PER_CPU;
    auto created = expect_reply(ctx.dp.dp_transact(dp_request(OVS_DP_CMD_NEW, dp.name, features)));
    if (!created.ok() && created.error().code == EOPNOTSUPP) {
        features = OVS_DP_F_UNALIGNED | OVS_DP_F_VPORT_PIDS;
        created = expect_reply(ctx.dp.dp_transact(dp_request(OVS_DP_CMD_NEW, dp.name, features)));
    }
    OVSDP_TRY(created);

    DpRequest set;
    set.cmd = OVS_DP_CMD_SET;
    set.dp_ifindex = created->dp_ifindex;
    set.name = created->name;
    set.user_features = created->user_features.value_or(features) | OVS_DP_F_TC_RECIRC_SHARING;
    auto shared = ctx.dp.dp_transact(set);
    if (shared.ok() && shared->has_value()) {
        return std::move(**shared);
    }
    return created;
}

Result<std::vector<std::string>> enumerate_dps(Context& ctx)
{
    auto dps = ctx.dp.dp_dump();
    OVSDP_TRY(dps);
    std::vector<std::string> names;
    for (const DpInfo& dp : *dps) {
        names.push_back(dp.name);
    }
    return ovs_sset_order(names);
}

}  // namespace ovsdp::ctl
