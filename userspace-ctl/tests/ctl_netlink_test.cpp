// SPDX-License-Identifier: Apache-2.0
// Encoding and decoding of ovs_datapath / ovs_vport messages and extended
// ACK parsing, on messages built in memory (no kernel).
#include <gtest/gtest.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/openvswitch.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <cstring>

#include "userspace-ctl/dp_netlink.h"

namespace ovsdp::ctl {
namespace {

constexpr int kFamily = 0x1234;

struct Msg {
    nl_msg* msg = nlmsg_alloc();
    ~Msg() { nlmsg_free(msg); }
    nlmsghdr* hdr() { return nlmsg_hdr(msg); }
};

ovs_header* put_reply_header(nl_msg* msg, uint8_t cmd, int dp_ifindex)
{
    auto* oh = static_cast<ovs_header*>(
        genlmsg_put(msg, 0, 0, kFamily, sizeof(ovs_header), 0, cmd, OVS_DATAPATH_VERSION));
    oh->dp_ifindex = dp_ifindex;
    return oh;
}

TEST(DpNetlink, EncodeDpRequest)
{
    Msg m;
    DpRequest req;
    req.cmd = OVS_DP_CMD_NEW;
    req.name = "dp0";
    req.upcall_pid = 0;
    req.user_features = OVS_DP_F_UNALIGNED | OVS_DP_F_DISPATCH_UPCALL_PER_CPU;
    ASSERT_TRUE(encode_dp_request(m.msg, kFamily, req).ok());

    nlmsghdr* h = m.hdr();
    EXPECT_EQ(h->nlmsg_type, kFamily);
    EXPECT_TRUE(h->nlmsg_flags & NLM_F_ECHO);
    genlmsghdr* g = genlmsg_hdr(h);
    EXPECT_EQ(g->cmd, OVS_DP_CMD_NEW);
    EXPECT_EQ(g->version, OVS_DATAPATH_VERSION);
    EXPECT_EQ(static_cast<ovs_header*>(genlmsg_user_hdr(g))->dp_ifindex, 0);

    nlattr* tb[OVS_DP_ATTR_MAX + 1];
    ASSERT_EQ(genlmsg_parse(h, sizeof(ovs_header), tb, OVS_DP_ATTR_MAX, nullptr), 0);
    ASSERT_TRUE(tb[OVS_DP_ATTR_NAME]);
    EXPECT_STREQ(nla_get_string(tb[OVS_DP_ATTR_NAME]), "dp0");
    ASSERT_TRUE(tb[OVS_DP_ATTR_UPCALL_PID]);
    EXPECT_EQ(nla_get_u32(tb[OVS_DP_ATTR_UPCALL_PID]), 0u);
    ASSERT_TRUE(tb[OVS_DP_ATTR_USER_FEATURES]);
    EXPECT_EQ(nla_get_u32(tb[OVS_DP_ATTR_USER_FEATURES]), req.user_features);
    EXPECT_FALSE(tb[OVS_DP_ATTR_MASKS_CACHE_SIZE]);
}

TEST(DpNetlink, EncodeVportRequest)
{
    Msg m;
    VportRequest req;
    req.cmd = OVS_VPORT_CMD_NEW;
    req.dp_ifindex = 7;
    req.type = OVS_VPORT_TYPE_INTERNAL;
    req.name = "p1";
    req.port_no = 4;
    req.upcall_pids = std::vector<uint32_t>{0, 99};
    ASSERT_TRUE(encode_vport_request(m.msg, kFamily, req).ok());

    genlmsghdr* g = genlmsg_hdr(m.hdr());
    EXPECT_EQ(g->version, OVS_VPORT_VERSION);
    EXPECT_EQ(static_cast<ovs_header*>(genlmsg_user_hdr(g))->dp_ifindex, 7);
    nlattr* tb[OVS_VPORT_ATTR_MAX + 1];
    ASSERT_EQ(genlmsg_parse(m.hdr(), sizeof(ovs_header), tb, OVS_VPORT_ATTR_MAX, nullptr), 0);
    EXPECT_EQ(nla_get_u32(tb[OVS_VPORT_ATTR_TYPE]), static_cast<uint32_t>(OVS_VPORT_TYPE_INTERNAL));
    EXPECT_EQ(nla_get_u32(tb[OVS_VPORT_ATTR_PORT_NO]), 4u);
    EXPECT_STREQ(nla_get_string(tb[OVS_VPORT_ATTR_NAME]), "p1");
    ASSERT_EQ(nla_len(tb[OVS_VPORT_ATTR_UPCALL_PID]), 8);
    uint32_t pids[2];
    std::memcpy(pids, nla_data(tb[OVS_VPORT_ATTR_UPCALL_PID]), sizeof pids);
    EXPECT_EQ(pids[0], 0u);
    EXPECT_EQ(pids[1], 99u);
}

TEST(DpNetlink, DecodeDpReply)
{
    Msg m;
    put_reply_header(m.msg, OVS_DP_CMD_NEW, 12);
    nla_put_string(m.msg, OVS_DP_ATTR_NAME, "dp0");
    ovs_dp_stats st{1, 2, 3, 4};
    nla_put(m.msg, OVS_DP_ATTR_STATS, sizeof st, &st);
    ovs_dp_megaflow_stats mf{};
    mf.n_mask_hit = 5;
    mf.n_masks = 6;
    mf.n_cache_hit = 7;
    nla_put(m.msg, OVS_DP_ATTR_MEGAFLOW_STATS, sizeof mf, &mf);
    nla_put_u32(m.msg, OVS_DP_ATTR_USER_FEATURES, 0xd);
    nla_put_u32(m.msg, OVS_DP_ATTR_MASKS_CACHE_SIZE, 256);

    auto dp = decode_dp_reply(m.hdr());
    ASSERT_TRUE(dp.ok()) << dp.error().detail;
    EXPECT_EQ(dp->dp_ifindex, 12);
    EXPECT_EQ(dp->name, "dp0");
    ASSERT_TRUE(dp->stats);
    EXPECT_EQ(dp->stats->n_hit, 1u);
    EXPECT_EQ(dp->stats->n_flows, 4u);
    ASSERT_TRUE(dp->megaflow);
    EXPECT_EQ(dp->megaflow->n_mask_hit, 5u);
    EXPECT_EQ(dp->megaflow->n_masks, 6u);
    EXPECT_EQ(dp->megaflow->n_cache_hit, 7u);
    EXPECT_EQ(dp->user_features, 0xdu);
    EXPECT_EQ(dp->masks_cache_size, 256u);
}

TEST(DpNetlink, DecodeDpReplyRejectsMalformed)
{
    Msg m;
    put_reply_header(m.msg, OVS_DP_CMD_NEW, 12);
    nla_put_u32(m.msg, OVS_DP_ATTR_USER_FEATURES, 1);
    EXPECT_EQ(decode_dp_reply(m.hdr()).code(), EPROTO);  // no name

    Msg m2;
    put_reply_header(m2.msg, OVS_DP_CMD_NEW, 12);
    nla_put_string(m2.msg, OVS_DP_ATTR_NAME, "dp0");
    uint32_t short_stats = 0;
    nla_put(m2.msg, OVS_DP_ATTR_STATS, sizeof short_stats, &short_stats);
    auto r = decode_dp_reply(m2.hdr());
    EXPECT_EQ(r.code(), EPROTO);
    EXPECT_EQ(r.error().detail, "malformed OVS_DP_ATTR_STATS in kernel reply");
}

TEST(DpNetlink, DecodeVportReply)
{
    Msg m;
    put_reply_header(m.msg, OVS_VPORT_CMD_NEW, 3);
    nla_put_u32(m.msg, OVS_VPORT_ATTR_PORT_NO, 2);
    nla_put_u32(m.msg, OVS_VPORT_ATTR_TYPE, OVS_VPORT_TYPE_NETDEV);
    nla_put_string(m.msg, OVS_VPORT_ATTR_NAME, "veth0");
    ovs_vport_stats vs{1, 2, 3, 4, 5, 6, 7, 8};
    nla_put(m.msg, OVS_VPORT_ATTR_STATS, sizeof vs, &vs);
    uint32_t pids[] = {0};
    nla_put(m.msg, OVS_VPORT_ATTR_UPCALL_PID, sizeof pids, pids);
    nla_put_u32(m.msg, OVS_VPORT_ATTR_IFINDEX, 44);
    nlattr* opts = nla_nest_start(m.msg, OVS_VPORT_ATTR_OPTIONS);
    nla_put_u16(m.msg, OVS_TUNNEL_ATTR_DST_PORT, 4789);
    nla_nest_end(m.msg, opts);

    auto v = decode_vport_reply(m.hdr());
    ASSERT_TRUE(v.ok()) << v.error().detail;
    EXPECT_EQ(v->dp_ifindex, 3);
    EXPECT_EQ(v->port_no, 2u);
    EXPECT_EQ(v->type, static_cast<uint32_t>(OVS_VPORT_TYPE_NETDEV));
    EXPECT_EQ(v->name, "veth0");
    ASSERT_TRUE(v->stats);
    EXPECT_EQ(v->stats->rx_packets, 1u);
    EXPECT_EQ(v->stats->tx_dropped, 8u);
    EXPECT_EQ(v->upcall_pids, std::vector<uint32_t>{0});
    EXPECT_EQ(v->ifindex, 44);
    EXPECT_EQ(v->tunnel_dst_port, 4789);
}

// Builds the NLMSG_ERROR the kernel sends for 'request', with an extack
// message, capped (request header only) or not.
std::vector<uint32_t> error_message(const nlmsghdr* request, int err, const char* text, bool capped)
{
    size_t payload = sizeof(nlmsgerr) + (capped ? 0 : request->nlmsg_len - NLMSG_HDRLEN);
    size_t tlv_off = NLMSG_ALIGN(NLMSG_HDRLEN + payload);
    size_t tlv_len = NLA_HDRLEN + std::strlen(text) + 1;
    size_t total = tlv_off + NLA_ALIGN(tlv_len);
    std::vector<uint32_t> buf((total + 3) / 4, 0);
    auto* base = reinterpret_cast<uint8_t*>(buf.data());
    auto* h = reinterpret_cast<nlmsghdr*>(base);
    h->nlmsg_len = total;
    h->nlmsg_type = NLMSG_ERROR;
    h->nlmsg_flags = NLM_F_ACK_TLVS | (capped ? NLM_F_CAPPED : 0);
    auto* e = static_cast<nlmsgerr*>(NLMSG_DATA(h));
    e->error = -err;
    std::memcpy(&e->msg, request, capped ? sizeof(nlmsghdr) : request->nlmsg_len);
    auto* a = reinterpret_cast<nlattr*>(base + tlv_off);
    a->nla_len = tlv_len;
    a->nla_type = NLMSGERR_ATTR_MSG;
    std::memcpy(base + tlv_off + NLA_HDRLEN, text, std::strlen(text) + 1);
    return buf;
}

TEST(DpNetlink, EncodeMeterSet)
{
    Msg m;
    MeterRequest req;
    req.cmd = OVS_METER_CMD_SET;
    req.dp_ifindex = 7;
    req.id = 3;
    req.kbps = true;
    MeterBandInfo b;
    b.type = OVS_METER_BAND_TYPE_DROP;
    b.rate = 800;
    b.burst = 100;
    req.bands.push_back(b);
    ASSERT_TRUE(encode_meter_request(m.msg, kFamily, req).ok());
    nlmsghdr* h = m.hdr();
    genlmsghdr* g = genlmsg_hdr(h);
    EXPECT_EQ(g->cmd, OVS_METER_CMD_SET);
    EXPECT_EQ(g->version, OVS_METER_VERSION);
    EXPECT_EQ(static_cast<ovs_header*>(genlmsg_user_hdr(g))->dp_ifindex, 7);
    nlattr* tb[OVS_METER_ATTR_MAX + 1];
    ASSERT_EQ(genlmsg_parse(h, sizeof(ovs_header), tb, OVS_METER_ATTR_MAX, nullptr), 0);
    ASSERT_TRUE(tb[OVS_METER_ATTR_ID]);
    EXPECT_EQ(nla_get_u32(tb[OVS_METER_ATTR_ID]), 3u);
    EXPECT_TRUE(tb[OVS_METER_ATTR_KBPS]);
    EXPECT_FALSE(tb[OVS_METER_ATTR_CLEAR]);
    ASSERT_TRUE(tb[OVS_METER_ATTR_BANDS]);
    nlattr* band;
    int rem, n = 0;
    nla_for_each_nested(band, tb[OVS_METER_ATTR_BANDS], rem)
    {
        nlattr* bt[OVS_BAND_ATTR_MAX + 1];
        ASSERT_EQ(nla_parse_nested(bt, OVS_BAND_ATTR_MAX, band, nullptr), 0);
        EXPECT_EQ(nla_get_u32(bt[OVS_BAND_ATTR_TYPE]), uint32_t{OVS_METER_BAND_TYPE_DROP});
        EXPECT_EQ(nla_get_u32(bt[OVS_BAND_ATTR_RATE]), 800u);
        EXPECT_EQ(nla_get_u32(bt[OVS_BAND_ATTR_BURST]), 100u);
        n++;
    }
    EXPECT_EQ(n, 1);
}

TEST(DpNetlink, DecodeMeterReply)
{
    Msg m;
    put_reply_header(m.msg, OVS_METER_CMD_GET, 9);
    nla_put_u32(m.msg, OVS_METER_ATTR_ID, 5);
    ovs_flow_stats st{12, 1200};
    nla_put(m.msg, OVS_METER_ATTR_STATS, sizeof(st), &st);
    nla_put_u64(m.msg, OVS_METER_ATTR_USED, 4242);
    nlattr* bands = nla_nest_start(m.msg, OVS_METER_ATTR_BANDS);
    nlattr* band = nla_nest_start(m.msg, OVS_BAND_ATTR_UNSPEC);
    ovs_flow_stats bs{2, 200};
    nla_put(m.msg, OVS_BAND_ATTR_STATS, sizeof(bs), &bs);
    nla_nest_end(m.msg, band);
    nla_nest_end(m.msg, bands);
    auto r = decode_meter_reply(m.hdr());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->dp_ifindex, 9);
    EXPECT_EQ(r->id, 5u);
    EXPECT_FALSE(r->kbps);
    ASSERT_TRUE(r->stats);
    EXPECT_EQ(r->stats->n_packets, 12u);
    EXPECT_EQ(r->used, 4242u);
    ASSERT_EQ(r->bands.size(), 1u);
    EXPECT_FALSE(r->bands[0].rate);
    ASSERT_TRUE(r->bands[0].stats);
    EXPECT_EQ(r->bands[0].stats->n_bytes, 200u);
}

TEST(Extack, CappedAndUncapped)
{
    Msg req;
    DpRequest r;
    r.cmd = OVS_DP_CMD_NEW;
    r.name = "some-datapath";
    r.upcall_pid = 0;
    ASSERT_TRUE(encode_dp_request(req.msg, kFamily, r).ok());

    for (bool capped : {true, false}) {
        auto buf = error_message(req.hdr(), EINVAL, "Missing attribute", capped);
        EXPECT_EQ(parse_extack(reinterpret_cast<const nlmsghdr*>(buf.data())), "Missing attribute")
            << "capped=" << capped;
    }
    auto buf = error_message(req.hdr(), EINVAL, "x", true);
    reinterpret_cast<nlmsghdr*>(buf.data())->nlmsg_flags &= ~NLM_F_ACK_TLVS;
    EXPECT_EQ(parse_extack(reinterpret_cast<const nlmsghdr*>(buf.data())), "");
}

}  // namespace
}  // namespace ovsdp::ctl
