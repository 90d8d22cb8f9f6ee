// SPDX-License-Identifier: GPL-2.0
// Actions as userspace sends them, validated and copied by flow_netlink
// (copy_actions) into the blob the engine executes: the internal forms the
// two agree on (SET_TO_MASKED, set(tunnel) info, sample/clone/check_pkt_len
// arguments, dec_ttl) run end to end.
#include "act_test_util.h"
#include "flow_netlink/flow_actions.h"

using namespace ovsdp;
using namespace ovsdp::test;

namespace {

class Validated : public ActionsTest {
protected:
    // Validates `userspace` for r's key and runs the blob on r.
    int run_validated(Received& r, const NlWriter& userspace)
    {
        ActionsBuf blob;
        Status s = copy_actions({ userspace.data(), userspace.size() }, r.key, blob, false);
        EXPECT_TRUE(s.ok()) << (s.error().msg ? s.error().msg : "") << " (" << s.error().code << ")";
        if (!s.ok())
            return -1000;
        return execute_actions(env, move(r.pkt), r.key, blob.data(), blob.size());
    }
};

struct Writer {
    std::vector<u8> buf = std::vector<u8>(4096);
    NlWriter w { buf.data(), buf.size() };
};

Buf ipv4_udp() { return ipv4_packet(eth(kEthPIp), Ip4 {}, udp(1000, 53, 26)); }

TEST_F(Validated, PlainSetOfIpv4BecomesAFullMaskedSet)
{
    Received r = receive(ipv4_udp());
    Writer u;
    uapi::OvsKeyIpv4 k {};
    k.ipv4_src = htonl(0x0a000001);
    k.ipv4_dst = htonl(0xc0000201);
    k.ipv4_proto = kIpProtoUdp;
    k.ipv4_tos = 0x10;
    k.ipv4_ttl = 9;
    usize set = u.w.nest_begin(uapi::OVS_ACTION_ATTR_SET);
    u.w.put_value(uapi::OVS_KEY_ATTR_IPV4, k);
    u.w.nest_end(set);
    u.w.put_u32(uapi::OVS_ACTION_ATTR_OUTPUT, 2);
    ASSERT_EQ(run_validated(r, u.w), 0);
    Ip4 want;
    want.dst = 0xc0000201;
    want.tos = 0x10;
    want.ttl = 9;
    EXPECT_EQ(hex(only_output(2)), hex(ipv4_packet(eth(kEthPIp), want, udp(1000, 53, 26))));
}

TEST_F(Validated, PlainSetOfIpv6LabelLeavesTheTrafficClassNibble)
{
    Ip6 ip;
    ip.tclass = 0xfe;
    Received r = receive(ipv6_packet(eth(kEthPIpv6), ip, tcp(1, 2)));
    Writer u;
    uapi::OvsKeyIpv6 k {};
    std::memcpy(k.ipv6_src, ip.src.data(), 16);
    std::memcpy(k.ipv6_dst, ip.dst.data(), 16);
    k.ipv6_label = htonl(0x54321);
    k.ipv6_proto = kIpProtoTcp;
    k.ipv6_tclass = 0xfe;
    k.ipv6_hlimit = 64;
    usize set = u.w.nest_begin(uapi::OVS_ACTION_ATTR_SET);
    u.w.put_value(uapi::OVS_KEY_ATTR_IPV6, k);
    u.w.nest_end(set);
    u.w.put_u32(uapi::OVS_ACTION_ATTR_OUTPUT, 2);
    ASSERT_EQ(run_validated(r, u.w), 0);
    Ip6 want = ip;
    want.label = 0x54321;
    EXPECT_EQ(hex(only_output(2)), hex(ipv6_packet(eth(kEthPIpv6), want, tcp(1, 2))));
}

TEST_F(Validated, SetMaskedOfTcpPorts)
{
    Received r = receive(ipv4_packet(eth(kEthPIp), Ip4 {}, tcp(1000, 80)));
    Writer u;
    uapi::OvsKeyPorts v[2] = { { 0, htons(8080) }, { 0, 0xffff } };
    usize set = u.w.nest_begin(uapi::OVS_ACTION_ATTR_SET_MASKED);
    u.w.put(uapi::OVS_KEY_ATTR_TCP, v, sizeof(v));
    u.w.nest_end(set);
    u.w.put_u32(uapi::OVS_ACTION_ATTR_OUTPUT, 2);
    ASSERT_EQ(run_validated(r, u.w), 0);
    EXPECT_EQ(only_output(2), ipv4_packet(eth(kEthPIp), Ip4 {}, tcp(1000, 8080)));
}

TEST_F(Validated, SampleCloneAndCheckPktLen)
{
    env.random_values = { 1 };
    Received r = receive(ipv4_udp());
    Writer u;
    usize s = u.w.nest_begin(uapi::OVS_ACTION_ATTR_SAMPLE);
    u.w.put_u32(uapi::OVS_SAMPLE_ATTR_PROBABILITY, 0x10000000);
    usize sa = u.w.nest_begin(uapi::OVS_SAMPLE_ATTR_ACTIONS);
    u.w.put_u32(uapi::OVS_ACTION_ATTR_OUTPUT, 10);
    u.w.nest_end(sa);
    u.w.nest_end(s);
    usize c = u.w.nest_begin(uapi::OVS_ACTION_ATTR_CLONE);
    u.w.put_u32(uapi::OVS_ACTION_ATTR_OUTPUT, 11);
    u.w.nest_end(c);
    usize cpl = u.w.nest_begin(uapi::OVS_ACTION_ATTR_CHECK_PKT_LEN);
    u.w.put_u16(uapi::OVS_CHECK_PKT_LEN_ATTR_PKT_LEN, 60);
    usize gt = u.w.nest_begin(uapi::OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER);
    u.w.put_u32(uapi::OVS_ACTION_ATTR_OUTPUT, 12);
    u.w.nest_end(gt);
    usize le = u.w.nest_begin(uapi::OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL);
    u.w.put_u32(uapi::OVS_ACTION_ATTR_OUTPUT, 13);
    u.w.nest_end(le);
    u.w.nest_end(cpl);
    ASSERT_EQ(run_validated(r, u.w), 0);
    ASSERT_GT(ipv4_udp().size(), 60u);
    EXPECT_EQ(env.trace(), "output:10 output:11 output:12 ");
}

TEST_F(Validated, DecTtlWithExpiryActions)
{
    Ip4 ip;
    ip.ttl = 1;
    Received r = receive(ipv4_packet(eth(kEthPIp), ip, udp(1, 2)));
    Writer u;
    usize d = u.w.nest_begin(uapi::OVS_ACTION_ATTR_DEC_TTL);
    usize a = u.w.nest_begin(uapi::OVS_DEC_TTL_ATTR_ACTION);
    u.w.put_u32(uapi::OVS_ACTION_ATTR_OUTPUT, 99);
    u.w.nest_end(a);
    u.w.nest_end(d);
    u.w.put_u32(uapi::OVS_ACTION_ATTR_OUTPUT, 2);
    ASSERT_EQ(run_validated(r, u.w), 0);
    EXPECT_EQ(env.trace(), "output:99 ");
}

TEST_F(Validated, SetTunnelReachesTheEnvironmentAsTunnelInfo)
{
    Received r = receive(ipv4_udp());
    Writer u;
    usize set = u.w.nest_begin(uapi::OVS_ACTION_ATTR_SET);
    usize tun = u.w.nest_begin(uapi::OVS_KEY_ATTR_TUNNEL);
    u.w.put_value<be64>(uapi::OVS_TUNNEL_KEY_ATTR_ID, htonll(42));
    u.w.put_value<be32>(uapi::OVS_TUNNEL_KEY_ATTR_IPV4_DST, htonl(0xc0a80002));
    u.w.put_u8(uapi::OVS_TUNNEL_KEY_ATTR_TTL, 64);
    u.w.nest_end(tun);
    u.w.nest_end(set);
    u.w.put_u32(uapi::OVS_ACTION_ATTR_OUTPUT, 4);
    ASSERT_EQ(run_validated(r, u.w), 0);
    auto t = env.of("tunnel");
    ASSERT_EQ(t.size(), 1u);
    ASSERT_GE(t[0]->userdata.size(), sizeof(ActionTunnelInfo));
    ActionTunnelInfo info;
    std::memcpy(&info, t[0]->userdata.data(), sizeof(info));
    EXPECT_EQ(info.key.tun_id, htonll(42));
    EXPECT_EQ(info.key.ipv4.dst, htonl(0xc0a80002));
    EXPECT_EQ(info.key.ttl, 64);
    EXPECT_EQ(only_output(4), ipv4_udp());
}

} // namespace
