// SPDX-License-Identifier: Apache-2.0
// ovsdp-ctl monitor: upcall messages as the kernel builds them -> Upcall ->
// text; its arguments; the requests that make it the upcall destination and
// put the old one back; the EXECUTE request that re-injects a packet.
#include <gtest/gtest.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/openvswitch.h>
#include <netlink/msg.h>

#include <cstring>

#include "userspace-ctl/dp_netlink.h"
#include "userspace-ctl/monitor.h"

namespace ovsdp::ctl {
namespace {

constexpr const char* kKeyText =
    "skb_priority(0),in_port(1),skb_mark(0),eth(src=02:00:00:00:00:01,dst=02:00:00:00:00:02),"
    "eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=17,tos=0,ttl=64,frag=no),"
    "udp(src=1000,dst=2000)";

Bytes exact_key(const char* text)
{
    auto k = parse_flow_key(text, nullptr);
    EXPECT_TRUE(k.ok()) << text << ": " << (k.ok() ? "" : k.error().detail);
    return k.ok() ? k->key : Bytes{};
}

// A message as kmod/upcall.c lays it out: nlmsghdr, genlmsghdr, ovs_header,
// then the attributes.
std::vector<uint32_t> upcall_msg(uint8_t cmd, int dp_ifindex, const Bytes& attrs)
{
    size_t len = NLMSG_HDRLEN + GENL_HDRLEN + sizeof(ovs_header) + attrs.size();
    std::vector<uint32_t> words((len + 3) / 4);
    auto* p = reinterpret_cast<uint8_t*>(words.data());
    nlmsghdr h{};
    h.nlmsg_len = static_cast<uint32_t>(len);
    h.nlmsg_type = 0x20;
    std::memcpy(p, &h, sizeof h);
    genlmsghdr g{};
    g.cmd = cmd;
    g.version = OVS_PACKET_VERSION;
    std::memcpy(p + NLMSG_HDRLEN, &g, sizeof g);
    ovs_header oh{dp_ifindex};
    std::memcpy(p + NLMSG_HDRLEN + GENL_HDRLEN, &oh, sizeof oh);
    std::memcpy(p + NLMSG_HDRLEN + GENL_HDRLEN + sizeof oh, attrs.data(), attrs.size());
    return words;
}

const nlmsghdr* hdr_of(const std::vector<uint32_t>& w)
{
    return reinterpret_cast<const nlmsghdr*>(w.data());
}

Bytes packet_bytes(size_t n)
{
    Bytes b(n);
    for (size_t i = 0; i < n; i++) {
        b[i] = static_cast<uint8_t>(i);
    }
    return b;
}

TEST(CtlMonitor, MissPrintsKeyLengthAndHash)
{
    Bytes attrs;
    Bytes pkt = packet_bytes(60);
    put_attr(attrs, OVS_PACKET_ATTR_PACKET, pkt);
    put_attr(attrs, OVS_PACKET_ATTR_KEY, exact_key(kKeyText));
    uint64_t hash = 0x1f2e3d4c;
    put_attr(attrs, OVS_PACKET_ATTR_HASH, {reinterpret_cast<uint8_t*>(&hash), 8});
    auto w = upcall_msg(OVS_PACKET_CMD_MISS, 7, attrs);
    auto u = decode_upcall(hdr_of(w), w.size() * 4);
    ASSERT_TRUE(u.ok()) << u.error().detail;
    EXPECT_EQ(u->cmd, OVS_PACKET_CMD_MISS);
    EXPECT_EQ(u->dp_ifindex, 7);
    EXPECT_EQ(u->packet, pkt);
    EXPECT_FALSE(u->userdata);
    EXPECT_EQ(format_upcall(*u, nullptr, false),
              std::string("miss: ") + kKeyText + " len=60 hash=0x1f2e3d4c\n");
}

TEST(CtlMonitor, ActionPrintsUserdataActionsAndTunnel)
{
    Bytes attrs;
    put_attr(attrs, OVS_PACKET_ATTR_PACKET, packet_bytes(100));
    put_attr(attrs, OVS_PACKET_ATTR_KEY, exact_key(kKeyText));
    const uint8_t ud[] = {1, 2, 3, 4, 5, 6, 7, 8};
    put_attr(attrs, OVS_PACKET_ATTR_USERDATA, ud);
    auto acts = parse_actions("2,set(eth(src=02:00:00:00:00:09,dst=02:00:00:00:00:0a))");
    ASSERT_TRUE(acts.ok());
    put_attr(attrs, OVS_PACKET_ATTR_ACTIONS, *acts);
    auto tun = parse_flow_key("tunnel(tun_id=0x5,src=192.0.2.1,dst=192.0.2.2,ttl=64,tp_dst=4789,flags(key))",
                              nullptr);
    ASSERT_TRUE(tun.ok()) << tun.error().detail;
    auto tun_attr = find_attr(tun->key, OVS_KEY_ATTR_TUNNEL);
    ASSERT_TRUE(tun_attr);
    put_attr(attrs, OVS_PACKET_ATTR_EGRESS_TUN_KEY, tun_attr->data);
    uint16_t mru = 1400;
    put_attr(attrs, OVS_PACKET_ATTR_MRU, {reinterpret_cast<uint8_t*>(&mru), 2});
    uint32_t orig = 1514;
    put_attr(attrs, OVS_PACKET_ATTR_LEN, {reinterpret_cast<uint8_t*>(&orig), 4});
    auto w = upcall_msg(OVS_PACKET_CMD_ACTION, 3, attrs);
    auto u = decode_upcall(hdr_of(w), w.size() * 4);
    ASSERT_TRUE(u.ok()) << u.error().detail;
    std::string line = format_upcall(*u, nullptr, false);
    EXPECT_EQ(line, std::string("action: ") + kKeyText +
                        " len=100 orig_len=1514 mru=1400 userdata(0102030405060708)"
                        " actions:2,set(eth(src=02:00:00:00:00:09,dst=02:00:00:00:00:0a))"
                        " egress_tun_key:tunnel(tun_id=0x5,src=192.0.2.1,dst=192.0.2.2,ttl=64,"
                        "tp_dst=4789,flags(key))\n");
}

TEST(CtlMonitor, PortNamesAndOvsCookies)
{
    Bytes attrs;
    put_attr(attrs, OVS_PACKET_ATTR_PACKET, packet_bytes(14));
    put_attr(attrs, OVS_PACKET_ATTR_KEY, exact_key("in_port(2),eth(),eth_type(0x0806)"));
    Bytes cookie(kOvsCookieSize, 0);
    cookie[0] = kCookieIpfix;
    cookie[kOvsCookieUnion] = 2;
    put_attr(attrs, OVS_PACKET_ATTR_USERDATA, cookie);
    auto w = upcall_msg(OVS_PACKET_CMD_ACTION, 3, attrs);
    auto u = decode_upcall(hdr_of(w), w.size() * 4);
    ASSERT_TRUE(u.ok());
    PortNames names{{2, "h2"}};
    std::string line = format_upcall(*u, &names, false);
    EXPECT_NE(line.find("in_port(h2)"), std::string::npos) << line;
    EXPECT_NE(line.find(" ipfix(output_port=h2)"), std::string::npos) << line;
}

TEST(CtlMonitor, HexDump)
{
    Bytes d = packet_bytes(18);
    d[16] = 'A';
    EXPECT_EQ(hex_dump(d),
              "00000000  00 01 02 03 04 05 06 07-08 09 0a 0b 0c 0d 0e 0f  |................|\n"
              "00000010  41 11                                            |A.|\n");
    Upcall u;
    u.cmd = OVS_PACKET_CMD_MISS;
    u.packet = packet_bytes(2);
    u.key = exact_key("in_port(1)");
    EXPECT_EQ(format_upcall(u, nullptr, true),
              "miss: in_port(1) len=2\n"
              "00000000  00 01                                            |..|\n");
    EXPECT_EQ(hex_dump({}), "");
}

TEST(CtlMonitor, MalformedUpcallsAreRefused)
{
    Bytes key = exact_key("in_port(1)");
    Bytes no_packet;
    put_attr(no_packet, OVS_PACKET_ATTR_KEY, key);
    auto w = upcall_msg(OVS_PACKET_CMD_MISS, 1, no_packet);
    auto u = decode_upcall(hdr_of(w), w.size() * 4);
    ASSERT_FALSE(u.ok());
    EXPECT_EQ(u.error().code, EPROTO);
    EXPECT_NE(u.error().detail.find("PACKET"), std::string::npos);

    Bytes no_key;
    put_attr(no_key, OVS_PACKET_ATTR_PACKET, packet_bytes(4));
    w = upcall_msg(OVS_PACKET_CMD_MISS, 1, no_key);
    EXPECT_FALSE(decode_upcall(hdr_of(w), w.size() * 4).ok());

    Bytes bad_mru;
    put_attr(bad_mru, OVS_PACKET_ATTR_PACKET, packet_bytes(4));
    put_attr(bad_mru, OVS_PACKET_ATTR_KEY, key);
    put_u32_attr(bad_mru, OVS_PACKET_ATTR_MRU, 1400);
    w = upcall_msg(OVS_PACKET_CMD_MISS, 1, bad_mru);
    u = decode_upcall(hdr_of(w), w.size() * 4);
    ASSERT_FALSE(u.ok());
    EXPECT_NE(u.error().detail.find("MRU"), std::string::npos);

    // nlmsg_len beyond what was received, or shorter than the headers.
    Bytes ok;
    put_attr(ok, OVS_PACKET_ATTR_PACKET, packet_bytes(4));
    put_attr(ok, OVS_PACKET_ATTR_KEY, key);
    w = upcall_msg(OVS_PACKET_CMD_MISS, 1, ok);
    EXPECT_TRUE(decode_upcall(hdr_of(w), w.size() * 4).ok());
    EXPECT_FALSE(decode_upcall(hdr_of(w), hdr_of(w)->nlmsg_len - 1).ok());
    EXPECT_FALSE(decode_upcall(hdr_of(w), 8).ok());
    // An attribute running past the end.
    w = upcall_msg(OVS_PACKET_CMD_MISS, 1, ok);
    reinterpret_cast<nlmsghdr*>(w.data())->nlmsg_len -= 2;
    EXPECT_FALSE(decode_upcall(hdr_of(w), w.size() * 4).ok());
}

TEST(CtlMonitor, Arguments)
{
    auto args = [](std::initializer_list<const char*> l) {
        std::vector<std::string> v{"monitor"};
        v.insert(v.end(), l.begin(), l.end());
        return parse_monitor_args(v);
    };
    auto m = args({});
    ASSERT_TRUE(m.ok());
    EXPECT_FALSE(m->dp);
    EXPECT_EQ(m->count, 0u);
    EXPECT_FALSE(m->hex);
    EXPECT_FALSE(m->execute);

    m = args({"dp0", "count=3", "hex", "execute=2,1"});
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->dp, "dp0");
    EXPECT_EQ(m->count, 3u);
    EXPECT_TRUE(m->hex);
    ASSERT_TRUE(m->execute);
    EXPECT_EQ(format_actions(*m->execute, nullptr), "2,1");

    m = args({"count=2"});
    ASSERT_TRUE(m.ok());
    EXPECT_FALSE(m->dp);

    EXPECT_FALSE(args({"count=0"}).ok());
    EXPECT_FALSE(args({"count=x"}).ok());
    EXPECT_FALSE(args({"dp0", "dp1"}).ok());
    EXPECT_FALSE(args({"bogus=1"}).ok());
    auto bad = args({"execute=set(nonsense)"});
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().detail.find("execute="), std::string::npos);
}

TEST(CtlMonitor, ListenAndRestoreWithPerCpuDispatch)
{
    DpInfo dp;
    dp.dp_ifindex = 9;
    dp.name = "dp0";
    dp.user_features = OVS_DP_F_UNALIGNED | OVS_DP_F_DISPATCH_UPCALL_PER_CPU;
    std::vector<VportInfo> ports(2);
    ports[0].port_no = 0;
    ports[1].port_no = 3;
    ports[1].upcall_pids = {55, 56};
    ListenPlan p = listen_requests(dp, ports, 1234, 2);
    ASSERT_TRUE(p.dp);
    EXPECT_EQ(p.dp->cmd, OVS_DP_CMD_SET);
    EXPECT_EQ(p.dp->dp_ifindex, 9);
    EXPECT_EQ(p.dp->user_features, dp.user_features);
    EXPECT_EQ(p.dp->per_cpu_pids, (std::vector<uint32_t>{1234, 1234}));
    ASSERT_EQ(p.vports.size(), 2u);
    EXPECT_EQ(p.vports[1].cmd, OVS_VPORT_CMD_SET);
    EXPECT_EQ(p.vports[1].port_no, 3u);
    EXPECT_EQ(p.vports[1].upcall_pids, (std::vector<uint32_t>{1234}));

    ListenPlan r = restore_requests(dp, ports);
    ASSERT_TRUE(r.dp);
    EXPECT_EQ(r.dp->per_cpu_pids, (std::vector<uint32_t>{0}));  // had none
    EXPECT_EQ(r.vports[0].upcall_pids, (std::vector<uint32_t>{0}));
    EXPECT_EQ(r.vports[1].upcall_pids, (std::vector<uint32_t>{55, 56}));
    dp.per_cpu_pids = {7, 8};
    EXPECT_EQ(restore_requests(dp, ports).dp->per_cpu_pids, (std::vector<uint32_t>{7, 8}));
}

TEST(CtlMonitor, ListenWithVportPids)
{
    DpInfo dp;
    dp.dp_ifindex = 4;
    dp.user_features = OVS_DP_F_UNALIGNED | OVS_DP_F_VPORT_PIDS;
    std::vector<VportInfo> ports(1);
    ports[0].port_no = 1;
    ListenPlan p = listen_requests(dp, ports, 77, 4);
    EXPECT_FALSE(p.dp);
    ASSERT_EQ(p.vports.size(), 1u);
    EXPECT_EQ(p.vports[0].upcall_pids, (std::vector<uint32_t>{77}));
    EXPECT_FALSE(restore_requests(dp, ports).dp);
}

TEST(CtlMonitor, ExecuteRequestEncodes)
{
    Upcall u;
    u.dp_ifindex = 5;
    u.packet = packet_bytes(3000);
    u.key = exact_key(kKeyText);
    u.mru = 1400;
    auto acts = parse_actions("2");
    ASSERT_TRUE(acts.ok());
    PacketExecRequest r = execute_request(u, *acts);
    EXPECT_EQ(r.dp_ifindex, 5);
    EXPECT_EQ(r.mru, 1400);
    nl_msg* msg = nlmsg_alloc_size(8192);
    ASSERT_TRUE(msg);
    ASSERT_TRUE(encode_packet_execute(msg, 0x30, r).ok());
    const nlmsghdr* h = nlmsg_hdr(msg);
    EXPECT_EQ(h->nlmsg_type, 0x30);
    // Decoding it as an upcall gives the same packet, key and MRU back.
    auto back = decode_upcall(h, h->nlmsg_len);
    ASSERT_TRUE(back.ok()) << back.error().detail;
    EXPECT_EQ(back->cmd, OVS_PACKET_CMD_EXECUTE);
    EXPECT_EQ(back->packet, u.packet);
    EXPECT_EQ(back->key, u.key);
    EXPECT_EQ(back->mru, 1400);
    nlmsg_free(msg);
}

}  // namespace
}  // namespace ovsdp::ctl

namespace ovsdp::ctl {
namespace {

// struct ovs_action_push_mpls is 8 bytes (padded), as the kernel checks it;
// add_mpls's 8 end with tun_flags 0.
TEST(CtlMonitor, MplsActionsAreEightBytes)
{
    for (const char* text : {"push_mpls(label=7,tc=0,ttl=2,bos=1,eth_type=0x8847)",
                             "add_mpls(label=7,tc=0,ttl=2,bos=1,eth_type=0x8847)"}) {
        auto acts = parse_actions(text);
        ASSERT_TRUE(acts.ok()) << text;
        auto attrs = split_attrs(*acts);
        ASSERT_EQ(attrs.size(), 1u);
        EXPECT_EQ(attrs[0].data.size(), 8u) << text;
        EXPECT_EQ(format_actions(*acts, nullptr), text);
    }
}

}  // namespace
}  // namespace ovsdp::ctl
