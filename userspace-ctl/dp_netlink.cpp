// SPDX-License-Identifier: Apache-2.0
#include "userspace-ctl/dp_netlink.h"

#include <linux/genetlink.h>
#include <linux/openvswitch.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <cstring>

#include "datapath/ovsdp_ext.h"

namespace ovsdp::ctl {
namespace {

Error malformed(const char* what)
{
    Error e = Error::from_errno(EPROTO);
    e.detail = std::string("malformed ") + what + " in kernel reply";
    return e;
}

template <typename T>
bool read_attr(const nlattr* a, T* out)
{
    if (nla_len(a) < static_cast<int>(sizeof(T))) {
        return false;
    }
    std::memcpy(out, nla_data(a), sizeof(T));
    return true;
}

bool read_string(const nlattr* a, std::string* out)
{
    int len = nla_len(a);
    if (len <= 0) {
        return false;
    }
    const char* s = static_cast<const char*>(nla_data(a));
    *out = std::string(s, strnlen(s, len));
    return true;
}

std::vector<uint32_t> read_u32_array(const nlattr* a)
{
    std::vector<uint32_t> v(nla_len(a) / sizeof(uint32_t));
    std::memcpy(v.data(), nla_data(a), v.size() * sizeof(uint32_t));
    return v;
}

// Parses the genl header and the ovs_header of 'hdr' into 'tb'.
Result<int> parse_ovs_msg(const nlmsghdr* hdr, nlattr** tb, int maxtype)
{
    auto* h = const_cast<nlmsghdr*>(hdr);
    if (!genlmsg_valid_hdr(h, sizeof(ovs_header))) {
        return malformed("ovs_header");
    }
    if (genlmsg_parse(h, sizeof(ovs_header), tb, maxtype, nullptr) < 0) {
        return malformed("attributes");
    }
    const auto* oh = static_cast<const ovs_header*>(genlmsg_user_hdr(genlmsg_hdr(h)));
    return oh->dp_ifindex;
}

nl_msg* start_msg(nl_msg* msg, int family, uint8_t cmd, uint8_t version, int dp_ifindex,
                  int extra_flags = 0)
{
    void* user = genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, sizeof(ovs_header),
                             NLM_F_ECHO | extra_flags, cmd, version);
    if (!user) {
        return nullptr;
    }
    static_cast<ovs_header*>(user)->dp_ifindex = dp_ifindex;
    return msg;
}

// An ovs_meter request: no NLM_F_ECHO (the meter commands always reply).
// A dump gets its NLM_F_DUMP from NlSocket::dump().
nl_msg* start_msg_meter(nl_msg* msg, int family, uint8_t cmd, int dp_ifindex, bool)
{
    void* user = genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, sizeof(ovs_header), 0, cmd,
                             OVS_METER_VERSION);
    if (!user) {
        return nullptr;
    }
    static_cast<ovs_header*>(user)->dp_ifindex = dp_ifindex;
    return msg;
}

}  // namespace

Status encode_dp_request(nl_msg* msg, int family, const DpRequest& req)
{
    if (!start_msg(msg, family, req.cmd, OVS_DATAPATH_VERSION, req.dp_ifindex)) {
        return Error::from_errno(ENOBUFS);
    }
    int err = 0;
    if (req.name) {
        err |= nla_put_string(msg, OVS_DP_ATTR_NAME, req.name->c_str());
    }
    if (req.upcall_pid) {
        err |= nla_put_u32(msg, OVS_DP_ATTR_UPCALL_PID, *req.upcall_pid);
    }
    if (req.user_features) {
        err |= nla_put_u32(msg, OVS_DP_ATTR_USER_FEATURES, *req.user_features);
    }
    if (req.masks_cache_size) {
        err |= nla_put_u32(msg, OVS_DP_ATTR_MASKS_CACHE_SIZE, *req.masks_cache_size);
    }
    if (req.per_cpu_pids) {
        err |= nla_put(msg, OVS_DP_ATTR_PER_CPU_PIDS,
                       static_cast<int>(req.per_cpu_pids->size() * sizeof(uint32_t)),
                       req.per_cpu_pids->data());
    }
    if (req.ext_stats) {
        err |= nla_put_flag(msg, OVSDP_DP_ATTR_EXT_STATS);
    }
    return err ? Status(Error::from_errno(ENOBUFS)) : Status::success();
}

Status encode_vport_request(nl_msg* msg, int family, const VportRequest& req)
{
    if (!start_msg(msg, family, req.cmd, OVS_VPORT_VERSION, req.dp_ifindex)) {
        return Error::from_errno(ENOBUFS);
    }
    int err = 0;
    if (req.port_no) {
        err |= nla_put_u32(msg, OVS_VPORT_ATTR_PORT_NO, *req.port_no);
    }
    if (req.type) {
        err |= nla_put_u32(msg, OVS_VPORT_ATTR_TYPE, *req.type);
    }
    if (req.name) {
        err |= nla_put_string(msg, OVS_VPORT_ATTR_NAME, req.name->c_str());
    }
    if (req.upcall_pids) {
        err |= nla_put(msg, OVS_VPORT_ATTR_UPCALL_PID,
                       static_cast<int>(req.upcall_pids->size() * sizeof(uint32_t)),
                       req.upcall_pids->data());
    }
    return err ? Status(Error::from_errno(ENOBUFS)) : Status::success();
}

Status encode_flow_request(nl_msg* msg, int family, const FlowRequest& req)
{
    if (!start_msg(msg, family, req.cmd, OVS_FLOW_VERSION, req.dp_ifindex, req.nlm_flags)) {
        return Error::from_errno(ENOBUFS);
    }
    int err = 0;
    auto put_bytes = [&](int type, const std::optional<std::vector<uint8_t>>& v) {
        if (v) {
            err |= nla_put(msg, type, static_cast<int>(v->size()), v->data());
        }
    };
    put_bytes(OVS_FLOW_ATTR_KEY, req.key);
    put_bytes(OVS_FLOW_ATTR_MASK, req.mask);
    put_bytes(OVS_FLOW_ATTR_ACTIONS, req.actions);
    put_bytes(OVS_FLOW_ATTR_UFID, req.ufid);
    if (req.ufid_flags) {
        err |= nla_put_u32(msg, OVS_FLOW_ATTR_UFID_FLAGS, *req.ufid_flags);
    }
    if (req.clear) {
        err |= nla_put_flag(msg, OVS_FLOW_ATTR_CLEAR);
    }
    if (req.probe) {
        err |= nla_put_flag(msg, OVS_FLOW_ATTR_PROBE);
    }
    if (req.numa_stats) {
        err |= nla_put_flag(msg, OVSDP_FLOW_ATTR_NUMA_STATS);
    }
    return err ? Status(Error::from_errno(ENOBUFS)) : Status::success();
}

Status encode_packet_execute(nl_msg* msg, int family, const PacketExecRequest& req)
{
    // No NLM_F_ECHO: the kernel acknowledges EXECUTE without a reply.
    void* user = genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, sizeof(ovs_header), 0,
                             OVS_PACKET_CMD_EXECUTE, OVS_PACKET_VERSION);
    if (!user) {
        return Error::from_errno(ENOBUFS);
    }
    static_cast<ovs_header*>(user)->dp_ifindex = req.dp_ifindex;
    int err = 0;
    err |= nla_put(msg, OVS_PACKET_ATTR_PACKET, static_cast<int>(req.packet.size()), req.packet.data());
    err |= nla_put(msg, OVS_PACKET_ATTR_KEY, static_cast<int>(req.key.size()), req.key.data());
    err |= nla_put(msg, OVS_PACKET_ATTR_ACTIONS, static_cast<int>(req.actions.size()), req.actions.data());
    if (req.mru) {
        err |= nla_put_u16(msg, OVS_PACKET_ATTR_MRU, *req.mru);
    }
    return err ? Status(Error::from_errno(ENOBUFS)) : Status::success();
}

namespace {

std::vector<uint8_t> read_bytes(const nlattr* a)
{
    const auto* p = static_cast<const uint8_t*>(nla_data(a));
    return std::vector<uint8_t>(p, p + nla_len(a));
}

Result<std::vector<NumaFlowStats>> decode_numa_stats(nlattr* nest)
{
    std::vector<NumaFlowStats> out;
    nlattr* node;
    int rem;
    nla_for_each_nested(node, nest, rem)
    {
        if (nla_type(node) != OVSDP_NUMA_ATTR_NODE) {
            continue;
        }
        nlattr* tb[__OVSDP_NUMA_NODE_MAX];
        if (nla_parse_nested(tb, __OVSDP_NUMA_NODE_MAX - 1, node, nullptr) < 0) {
            return malformed("OVSDP_NUMA_ATTR_NODE");
        }
        NumaFlowStats s;
        if (!tb[OVSDP_NUMA_NODE_ID] || !read_attr(tb[OVSDP_NUMA_NODE_ID], &s.node)) {
            return malformed("OVSDP_NUMA_NODE_ID");
        }
        if (tb[OVSDP_NUMA_NODE_PACKETS] && !read_attr(tb[OVSDP_NUMA_NODE_PACKETS], &s.packets)) {
            return malformed("OVSDP_NUMA_NODE_PACKETS");
        }
        if (tb[OVSDP_NUMA_NODE_BYTES] && !read_attr(tb[OVSDP_NUMA_NODE_BYTES], &s.bytes)) {
            return malformed("OVSDP_NUMA_NODE_BYTES");
        }
        if (tb[OVSDP_NUMA_NODE_USED]) {
            uint64_t used;
            if (!read_attr(tb[OVSDP_NUMA_NODE_USED], &used)) {
                return malformed("OVSDP_NUMA_NODE_USED");
            }
            s.used = used;
        }
        if (tb[OVSDP_NUMA_NODE_TCP_FLAGS] &&
            !read_attr(tb[OVSDP_NUMA_NODE_TCP_FLAGS], &s.tcp_flags)) {
            return malformed("OVSDP_NUMA_NODE_TCP_FLAGS");
        }
        out.push_back(s);
    }
    return out;
}

}  // namespace

Result<FlowInfo> decode_flow_reply(const nlmsghdr* hdr)
{
    constexpr int kMax = OVSDP_FLOW_ATTR_NUMA_STATS;
    nlattr* tb[kMax + 1];
    auto ifindex = parse_ovs_msg(hdr, tb, kMax);
    OVSDP_TRY(ifindex);
    FlowInfo f;
    f.dp_ifindex = *ifindex;
    if (const nlattr* a = tb[OVS_FLOW_ATTR_KEY]) {
        f.key = read_bytes(a);
    }
    if (const nlattr* a = tb[OVS_FLOW_ATTR_MASK]) {
        f.mask = read_bytes(a);
    }
    if (const nlattr* a = tb[OVS_FLOW_ATTR_ACTIONS]) {
        f.actions = read_bytes(a);
    }
    if (const nlattr* a = tb[OVS_FLOW_ATTR_UFID]) {
        f.ufid = read_bytes(a);
    }
    if (const nlattr* a = tb[OVS_FLOW_ATTR_STATS]) {
        ovs_flow_stats s;
        if (!read_attr(a, &s)) {
            return malformed("OVS_FLOW_ATTR_STATS");
        }
        f.stats = FlowStats{s.n_packets, s.n_bytes};
    }
    if (const nlattr* a = tb[OVS_FLOW_ATTR_USED]) {
        uint64_t used;
        if (!read_attr(a, &used)) {
            return malformed("OVS_FLOW_ATTR_USED");
        }
        f.used = used;
    }
    if (const nlattr* a = tb[OVS_FLOW_ATTR_TCP_FLAGS]) {
        if (!read_attr(a, &f.tcp_flags)) {
            return malformed("OVS_FLOW_ATTR_TCP_FLAGS");
        }
    }
    if (nlattr* a = tb[OVSDP_FLOW_ATTR_NUMA_STATS]) {
        auto numa = decode_numa_stats(a);
        OVSDP_TRY(numa);
        f.numa = std::move(numa).value();
    }
    return f;
}

Result<DpInfo> decode_dp_reply(const nlmsghdr* hdr)
{
    constexpr int kMax = OVSDP_DP_ATTR_EXT_STATS;
    nlattr* tb[kMax + 1];
    auto ifindex = parse_ovs_msg(hdr, tb, kMax);
    OVSDP_TRY(ifindex);
    DpInfo dp;
    dp.dp_ifindex = *ifindex;
    if (!tb[OVS_DP_ATTR_NAME] || !read_string(tb[OVS_DP_ATTR_NAME], &dp.name)) {
        return malformed("OVS_DP_ATTR_NAME");
    }
    if (const nlattr* a = tb[OVS_DP_ATTR_STATS]) {
        ovs_dp_stats s;
        if (!read_attr(a, &s)) {
            return malformed("OVS_DP_ATTR_STATS");
        }
        dp.stats = DpStats{s.n_hit, s.n_missed, s.n_lost, s.n_flows};
    }
    if (const nlattr* a = tb[OVS_DP_ATTR_MEGAFLOW_STATS]) {
        // Kernels before 5.9 send a 24-byte struct whose last word is padding.
        int len = nla_len(a);
        if (len < 16) {
            return malformed("OVS_DP_ATTR_MEGAFLOW_STATS");
        }
        ovs_dp_megaflow_stats s{};
        std::memcpy(&s, nla_data(a), std::min<size_t>(len, sizeof s));
        dp.megaflow = MegaflowStats{s.n_mask_hit, s.n_masks, len >= 24 ? s.n_cache_hit : 0};
    }
    if (const nlattr* a = tb[OVS_DP_ATTR_USER_FEATURES]) {
        uint32_t v;
        if (!read_attr(a, &v)) {
            return malformed("OVS_DP_ATTR_USER_FEATURES");
        }
        dp.user_features = v;
    }
    if (const nlattr* a = tb[OVS_DP_ATTR_MASKS_CACHE_SIZE]) {
        uint32_t v;
        if (!read_attr(a, &v)) {
            return malformed("OVS_DP_ATTR_MASKS_CACHE_SIZE");
        }
        dp.masks_cache_size = v;
    }
    if (const nlattr* a = tb[OVS_DP_ATTR_PER_CPU_PIDS]) {
        dp.per_cpu_pids = read_u32_array(a);
    }
    if (nlattr* ext = tb[OVSDP_DP_ATTR_EXT_STATS]) {
        nlattr* a;
        int rem;
        nla_for_each_nested(a, ext, rem) {
            uint64_t v;
            if (nla_type(a) == OVSDP_DP_EXT_BUDGET_DROPS) {
                if (!read_attr(a, &v)) {
                    return malformed("OVSDP_DP_EXT_BUDGET_DROPS");
                }
                dp.budget_drops = v;
            }
        }
    }
    return dp;
}

Result<VportInfo> decode_vport_reply(const nlmsghdr* hdr)
{
    nlattr* tb[OVS_VPORT_ATTR_MAX + 1];
    auto ifindex = parse_ovs_msg(hdr, tb, OVS_VPORT_ATTR_MAX);
    OVSDP_TRY(ifindex);
    VportInfo v;
    v.dp_ifindex = *ifindex;
    if (!tb[OVS_VPORT_ATTR_PORT_NO] || !read_attr(tb[OVS_VPORT_ATTR_PORT_NO], &v.port_no)) {
        return malformed("OVS_VPORT_ATTR_PORT_NO");
    }
    if (!tb[OVS_VPORT_ATTR_TYPE] || !read_attr(tb[OVS_VPORT_ATTR_TYPE], &v.type)) {
        return malformed("OVS_VPORT_ATTR_TYPE");
    }
    if (!tb[OVS_VPORT_ATTR_NAME] || !read_string(tb[OVS_VPORT_ATTR_NAME], &v.name)) {
        return malformed("OVS_VPORT_ATTR_NAME");
    }
    if (const nlattr* a = tb[OVS_VPORT_ATTR_STATS]) {
        ovs_vport_stats s;
        if (!read_attr(a, &s)) {
            return malformed("OVS_VPORT_ATTR_STATS");
        }
        v.stats = VportStats{s.rx_packets, s.tx_packets, s.rx_bytes, s.tx_bytes,
                             s.rx_errors, s.tx_errors, s.rx_dropped, s.tx_dropped};
    }
    if (const nlattr* a = tb[OVS_VPORT_ATTR_UPCALL_PID]) {
        v.upcall_pids = read_u32_array(a);
    }
    if (const nlattr* a = tb[OVS_VPORT_ATTR_IFINDEX]) {
        int32_t x;
        if (read_attr(a, &x)) {
            v.ifindex = x;
        }
    }
    if (const nlattr* a = tb[OVS_VPORT_ATTR_NETNSID]) {
        int32_t x;
        if (read_attr(a, &x)) {
            v.netnsid = x;
        }
    }
    if (nlattr* a = tb[OVS_VPORT_ATTR_OPTIONS]) {
        nlattr* opts[OVS_TUNNEL_ATTR_MAX + 1];
        if (nla_parse_nested(opts, OVS_TUNNEL_ATTR_MAX, a, nullptr) == 0 &&
            opts[OVS_TUNNEL_ATTR_DST_PORT]) {
            uint16_t port;
            if (read_attr(opts[OVS_TUNNEL_ATTR_DST_PORT], &port)) {
                v.tunnel_dst_port = port;
            }
        }
    }
    return v;
}

Result<std::unique_ptr<NetlinkDpClient>> NetlinkDpClient::open()
{
    auto sock = NlSocket::open(NETLINK_GENERIC);
    OVSDP_TRY(sock);
    return std::unique_ptr<NetlinkDpClient>(new NetlinkDpClient(std::move(sock).value()));
}

namespace {

struct MsgGuard {
    nl_msg* msg = nlmsg_alloc();
    ~MsgGuard() { nlmsg_free(msg); }
};

}  // namespace

Result<std::optional<DpInfo>> NetlinkDpClient::dp_transact(const DpRequest& req)
{
    auto family = sock_.genl_family(OVS_DATAPATH_FAMILY);
    OVSDP_TRY(family);
    MsgGuard m;
    if (!m.msg) {
        return Error::from_errno(ENOMEM);
    }
    OVSDP_TRY(encode_dp_request(m.msg, *family, req));
    auto replies = sock_.transact(m.msg);
    OVSDP_TRY(replies);
    if (replies->empty()) {
        return std::optional<DpInfo>();
    }
    auto dp = decode_dp_reply(replies->front().hdr());
    OVSDP_TRY(dp);
    return std::optional<DpInfo>(std::move(dp).value());
}

Result<std::vector<DpInfo>> NetlinkDpClient::dp_dump()
{
    auto family = sock_.genl_family(OVS_DATAPATH_FAMILY);
    OVSDP_TRY(family);
    MsgGuard m;
    if (!m.msg) {
        return Error::from_errno(ENOMEM);
    }
    DpRequest req;
    req.cmd = OVS_DP_CMD_GET;
    req.ext_stats = true;
    OVSDP_TRY(encode_dp_request(m.msg, *family, req));
    auto replies = sock_.dump(m.msg);
    OVSDP_TRY(replies);
    std::vector<DpInfo> out;
    for (const NlMessage& msg : *replies) {
        auto dp = decode_dp_reply(msg.hdr());
        OVSDP_TRY(dp);
        out.push_back(std::move(dp).value());
    }
    return out;
}

Result<std::optional<VportInfo>> NetlinkDpClient::vport_transact(const VportRequest& req)
{
    auto family = sock_.genl_family(OVS_VPORT_FAMILY);
    OVSDP_TRY(family);
    MsgGuard m;
    if (!m.msg) {
        return Error::from_errno(ENOMEM);
    }
    OVSDP_TRY(encode_vport_request(m.msg, *family, req));
    auto replies = sock_.transact(m.msg);
    OVSDP_TRY(replies);
    if (replies->empty()) {
        return std::optional<VportInfo>();
    }
    auto v = decode_vport_reply(replies->front().hdr());
    OVSDP_TRY(v);
    return std::optional<VportInfo>(std::move(v).value());
}

Result<std::vector<VportInfo>> NetlinkDpClient::vport_dump(int dp_ifindex)
{
    auto family = sock_.genl_family(OVS_VPORT_FAMILY);
    OVSDP_TRY(family);
    MsgGuard m;
    if (!m.msg) {
        return Error::from_errno(ENOMEM);
    }
    VportRequest req;
    req.cmd = OVS_VPORT_CMD_GET;
    req.dp_ifindex = dp_ifindex;
    OVSDP_TRY(encode_vport_request(m.msg, *family, req));
    auto replies = sock_.dump(m.msg);
    OVSDP_TRY(replies);
    std::vector<VportInfo> out;
    for (const NlMessage& msg : *replies) {
        auto v = decode_vport_reply(msg.hdr());
        OVSDP_TRY(v);
        out.push_back(std::move(v).value());
    }
    return out;
}

Result<std::optional<FlowInfo>> NetlinkDpClient::flow_transact(const FlowRequest& req)
{
    auto family = sock_.genl_family(OVS_FLOW_FAMILY);
    OVSDP_TRY(family);
    MsgGuard m;
    if (!m.msg) {
        return Error::from_errno(ENOMEM);
    }
    OVSDP_TRY(encode_flow_request(m.msg, *family, req));
    auto replies = sock_.transact(m.msg);
    OVSDP_TRY(replies);
    if (replies->empty()) {
        return std::optional<FlowInfo>();
    }
    auto f = decode_flow_reply(replies->front().hdr());
    OVSDP_TRY(f);
    return std::optional<FlowInfo>(std::move(f).value());
}

Result<std::vector<FlowInfo>> NetlinkDpClient::flow_dump(const FlowRequest& req)
{
    auto family = sock_.genl_family(OVS_FLOW_FAMILY);
    OVSDP_TRY(family);
    MsgGuard m;
    if (!m.msg) {
        return Error::from_errno(ENOMEM);
    }
    FlowRequest get = req;
    get.cmd = OVS_FLOW_CMD_GET;
    OVSDP_TRY(encode_flow_request(m.msg, *family, get));
    auto replies = sock_.dump(m.msg);
    OVSDP_TRY(replies);
    std::vector<FlowInfo> out;
    for (const NlMessage& msg : *replies) {
        auto f = decode_flow_reply(msg.hdr());
        OVSDP_TRY(f);
        out.push_back(std::move(f).value());
    }
    return out;
}

Status NetlinkDpClient::packet_execute(const PacketExecRequest& req)
{
    auto family = sock_.genl_family(OVS_PACKET_FAMILY);
    OVSDP_TRY(family);
    // nlmsg_alloc() gives a page: too small for a large packet.
    MsgGuard m;
    nlmsg_free(m.msg);
    m.msg = nlmsg_alloc_size(static_cast<size_t>(
        4096 + NLA_ALIGN(req.packet.size()) + NLA_ALIGN(req.key.size()) + NLA_ALIGN(req.actions.size())));
    if (!m.msg) {
        return Error::from_errno(ENOMEM);
    }
    OVSDP_TRY(encode_packet_execute(m.msg, *family, req));
    auto replies = sock_.transact(m.msg);
    OVSDP_TRY(replies);
    return Status::success();
}

}  // namespace ovsdp::ctl

// ---- ovs_meter ------------------------------------------------------------------

namespace ovsdp::ctl {

Status encode_meter_request(nl_msg* msg, int family, const MeterRequest& req, bool dump)
{
    if (!start_msg_meter(msg, family, req.cmd, req.dp_ifindex, dump)) {
        return Error::from_errno(ENOBUFS);
    }
    int err = 0;
    if (req.id) {
        err |= nla_put_u32(msg, OVS_METER_ATTR_ID, *req.id);
    }
    if (req.kbps) {
        err |= nla_put_flag(msg, OVS_METER_ATTR_KBPS);
    }
    if (req.clear) {
        err |= nla_put_flag(msg, OVS_METER_ATTR_CLEAR);
    }
    if (req.cmd == OVS_METER_CMD_SET) {
        nlattr* bands = nla_nest_start(msg, OVS_METER_ATTR_BANDS);
        err |= bands ? 0 : -1;
        for (const MeterBandInfo& b : req.bands) {
            nlattr* band = nla_nest_start(msg, OVS_BAND_ATTR_UNSPEC);
            err |= band ? 0 : -1;
            if (b.type) {
                err |= nla_put_u32(msg, OVS_BAND_ATTR_TYPE, *b.type);
            }
            if (b.rate) {
                err |= nla_put_u32(msg, OVS_BAND_ATTR_RATE, *b.rate);
            }
            if (b.burst) {
                err |= nla_put_u32(msg, OVS_BAND_ATTR_BURST, *b.burst);
            }
            if (band) {
                nla_nest_end(msg, band);
            }
        }
        if (bands) {
            nla_nest_end(msg, bands);
        }
    }
    return err ? Status(Error::from_errno(ENOBUFS)) : Status::success();
}

Result<MeterInfo> decode_meter_reply(const nlmsghdr* hdr)
{
    nlattr* tb[OVS_METER_ATTR_MAX + 1];
    auto ifindex = parse_ovs_msg(hdr, tb, OVS_METER_ATTR_MAX);
    OVSDP_TRY(ifindex);
    MeterInfo m;
    m.dp_ifindex = *ifindex;
    auto read_stats = [](const nlattr* a, std::optional<FlowStats>* out) {
        ovs_flow_stats s;
        if (!read_attr(a, &s)) {
            return false;
        }
        *out = FlowStats{s.n_packets, s.n_bytes};
        return true;
    };
    if (const nlattr* a = tb[OVS_METER_ATTR_ID]) {
        uint32_t v;
        if (!read_attr(a, &v)) {
            return malformed("OVS_METER_ATTR_ID");
        }
        m.id = v;
    }
    m.kbps = tb[OVS_METER_ATTR_KBPS] != nullptr;
    if (const nlattr* a = tb[OVS_METER_ATTR_STATS]; a && !read_stats(a, &m.stats)) {
        return malformed("OVS_METER_ATTR_STATS");
    }
    if (const nlattr* a = tb[OVS_METER_ATTR_USED]) {
        uint64_t v;
        if (!read_attr(a, &v)) {
            return malformed("OVS_METER_ATTR_USED");
        }
        m.used = v;
    }
    if (const nlattr* a = tb[OVS_METER_ATTR_MAX_METERS]) {
        uint32_t v;
        if (read_attr(a, &v)) {
            m.max_meters = v;
        }
    }
    if (const nlattr* a = tb[OVS_METER_ATTR_MAX_BANDS]) {
        uint32_t v;
        if (read_attr(a, &v)) {
            m.max_bands = v;
        }
    }
    if (nlattr* bands = tb[OVS_METER_ATTR_BANDS]) {
        nlattr* band;
        int rem;
        nla_for_each_nested(band, bands, rem)
        {
            nlattr* bt[OVS_BAND_ATTR_MAX + 1];
            if (nla_parse_nested(bt, OVS_BAND_ATTR_MAX, band, nullptr) < 0) {
                return malformed("meter band");
            }
            MeterBandInfo b;
            uint32_t v;
            if (bt[OVS_BAND_ATTR_TYPE] && read_attr(bt[OVS_BAND_ATTR_TYPE], &v)) {
                b.type = v;
            }
            if (bt[OVS_BAND_ATTR_RATE] && read_attr(bt[OVS_BAND_ATTR_RATE], &v)) {
                b.rate = v;
            }
            if (bt[OVS_BAND_ATTR_BURST] && read_attr(bt[OVS_BAND_ATTR_BURST], &v)) {
                b.burst = v;
            }
            if (bt[OVS_BAND_ATTR_STATS] && !read_stats(bt[OVS_BAND_ATTR_STATS], &b.stats)) {
                return malformed("OVS_BAND_ATTR_STATS");
            }
            m.bands.push_back(b);
        }
    }
    return m;
}

Result<std::optional<MeterInfo>> NetlinkDpClient::meter_transact(const MeterRequest& req)
{
    auto family = sock_.genl_family(OVS_METER_FAMILY);
    OVSDP_TRY(family);
    MsgGuard m;
    if (!m.msg) {
        return Error::from_errno(ENOMEM);
    }
    OVSDP_TRY(encode_meter_request(m.msg, *family, req));
    auto replies = sock_.transact(m.msg);
    OVSDP_TRY(replies);
    if (replies->empty()) {
        return std::optional<MeterInfo>();
    }
    auto r = decode_meter_reply(replies->front().hdr());
    OVSDP_TRY(r);
    return std::optional<MeterInfo>(std::move(r).value());
}

Result<std::vector<MeterInfo>> NetlinkDpClient::meter_dump(int dp_ifindex)
{
    auto family = sock_.genl_family(OVS_METER_FAMILY);
    OVSDP_TRY(family);
    MsgGuard m;
    if (!m.msg) {
        return Error::from_errno(ENOMEM);
    }
    MeterRequest req;
    req.cmd = OVS_METER_CMD_GET;
    req.dp_ifindex = dp_ifindex;
    OVSDP_TRY(encode_meter_request(m.msg, *family, req, true));
    auto replies = sock_.dump(m.msg);
    OVSDP_TRY(replies);
    std::vector<MeterInfo> out;
    for (const NlMessage& msg : *replies) {
        auto r = decode_meter_reply(msg.hdr());
        OVSDP_TRY(r);
        out.push_back(std::move(r).value());
    }
    return out;
}

}  // namespace ovsdp::ctl

// ---- ovs_ct_limit ----------------------------------------------------------------

namespace ovsdp::ctl {

Status encode_ct_limit_request(nl_msg* msg, int family, uint8_t cmd, const std::optional<std::vector<ZoneLimit>>& zones)
{
    // dp_ifindex 0, as OVS sends (limits belong to the namespace).
    if (!start_msg(msg, family, cmd, OVS_CT_LIMIT_VERSION, 0)) {
        return Error::from_errno(ENOBUFS);
    }
    if (!zones) {
        return Status::success();
    }
    std::vector<ovs_zone_limit> raw;
    for (const ZoneLimit& z : *zones) {
        raw.push_back(ovs_zone_limit{z.zone_id, z.limit, z.count});
    }
    if (nla_put(msg, OVS_CT_LIMIT_ATTR_ZONE_LIMIT, static_cast<int>(raw.size() * sizeof(ovs_zone_limit)),
                raw.data()) < 0) {
        return Error::from_errno(ENOBUFS);
    }
    return Status::success();
}

Result<std::vector<ZoneLimit>> decode_ct_limit_reply(const nlmsghdr* hdr)
{
    nlattr* tb[OVS_CT_LIMIT_ATTR_MAX + 1];
    auto ifindex = parse_ovs_msg(hdr, tb, OVS_CT_LIMIT_ATTR_MAX);
    OVSDP_TRY(ifindex);
    const nlattr* a = tb[OVS_CT_LIMIT_ATTR_ZONE_LIMIT];
    if (!a) {
        return malformed("OVS_CT_LIMIT_ATTR_ZONE_LIMIT");
    }
    std::vector<ZoneLimit> out;
    size_t len = static_cast<size_t>(nla_len(a));
    const auto* p = static_cast<const uint8_t*>(nla_data(a));
    for (size_t off = 0; off + sizeof(ovs_zone_limit) <= len; off += sizeof(ovs_zone_limit)) {
        ovs_zone_limit z;
        std::memcpy(&z, p + off, sizeof z);
        out.push_back(ZoneLimit{z.zone_id, z.limit, z.count});
    }
    return out;
}

Result<std::vector<ZoneLimit>> NetlinkDpClient::ct_limit_transact(uint8_t cmd,
                                                                  const std::optional<std::vector<ZoneLimit>>& zones)
{
    auto family = sock_.genl_family(OVS_CT_LIMIT_FAMILY);
    if (!family.ok()) {
        // OVS: no family, no conntrack limit feature.
        return Error::from_errno(EOPNOTSUPP);
    }
    MsgGuard m;
    if (!m.msg) {
        return Error::from_errno(ENOMEM);
    }
    OVSDP_TRY(encode_ct_limit_request(m.msg, *family, cmd, zones));
    auto replies = sock_.transact(m.msg);
    OVSDP_TRY(replies);
    if (replies->empty() || cmd != OVS_CT_LIMIT_CMD_GET) {
        return std::vector<ZoneLimit>{}; // SET and DEL replies carry nothing
    }
    return decode_ct_limit_reply(replies->front().hdr());
}

}  // namespace ovsdp::ctl
