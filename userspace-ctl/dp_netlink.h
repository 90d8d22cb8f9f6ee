// SPDX-License-Identifier: Apache-2.0
// DpClient over Generic Netlink, and the attribute encoders/decoders it uses
// (exposed for unit tests).
#pragma once

#include <memory>

#include "userspace-ctl/dp_client.h"
#include "userspace-ctl/netlink.h"

struct nl_msg;
struct nlmsghdr;

namespace ovsdp::ctl {

// Appends genl + ovs_header + attributes for 'req' to the empty 'msg'.
Status encode_dp_request(nl_msg* msg, int family, const DpRequest& req);
Status encode_vport_request(nl_msg* msg, int family, const VportRequest& req);
Status encode_flow_request(nl_msg* msg, int family, const FlowRequest& req);
Status encode_packet_execute(nl_msg* msg, int family, const PacketExecRequest& req);
Status encode_meter_request(nl_msg* msg, int family, const MeterRequest& req, bool dump = false);

// Parses one ovs_datapath / ovs_vport message.  Malformed attributes are
// EPROTO (with Error::detail naming the attribute).
Result<DpInfo> decode_dp_reply(const nlmsghdr* hdr);
Result<VportInfo> decode_vport_reply(const nlmsghdr* hdr);
Result<FlowInfo> decode_flow_reply(const nlmsghdr* hdr);
Result<MeterInfo> decode_meter_reply(const nlmsghdr* hdr);
// An ovs_ct_limit request and its reply's zone limit array (as OVS reads
// it: entries walked 12 bytes at a time over the attribute's aligned length).
Status encode_ct_limit_request(nl_msg* msg, int family, uint8_t cmd, const std::optional<std::vector<ZoneLimit>>& zones);
Result<std::vector<ZoneLimit>> decode_ct_limit_reply(const nlmsghdr* hdr);

class NetlinkDpClient final : public DpClient {
public:
    // Opens a Generic Netlink socket; families are resolved on first use.
    static Result<std::unique_ptr<NetlinkDpClient>> open();

    Result<std::optional<DpInfo>> dp_transact(const DpRequest& req) override;
    Result<std::vector<DpInfo>> dp_dump() override;
    Result<std::optional<VportInfo>> vport_transact(const VportRequest& req) override;
    Result<std::vector<VportInfo>> vport_dump(int dp_ifindex) override;
    Result<std::optional<FlowInfo>> flow_transact(const FlowRequest& req) override;
    Result<std::vector<FlowInfo>> flow_dump(const FlowRequest& req) override;
    Status packet_execute(const PacketExecRequest& req) override;
    Result<std::optional<MeterInfo>> meter_transact(const MeterRequest& req) override;
    Result<std::vector<MeterInfo>> meter_dump(int dp_ifindex) override;
    Result<std::vector<ZoneLimit>> ct_limit_transact(uint8_t cmd,
                                                     const std::optional<std::vector<ZoneLimit>>& zones) override;

private:
    explicit NetlinkDpClient(NlSocket sock) : sock_(std::move(sock)) {}
    NlSocket sock_;
};

}  // namespace ovsdp::ctl
