// SPDX-License-Identifier: GPL-2.0
// set(tunnel) as the kernel environment runs it: the validated
// ActionTunnelInfo becomes the shim's struct ovsdp_tunnel (what kmod/skb.c
// puts in the metadata dst) and back (what an upcall reports as the egress
// tunnel); a recirculation after set(tunnel) keeps the key's own tunnel.
#include "act_test_util.h"
#include "actions/tunnel_shim.h"
#include "flow_netlink/flow_actions.h"

using namespace ovsdp;
using namespace ovsdp::test;

namespace {

struct Writer {
    std::vector<u8> buf = std::vector<u8>(4096);
    NlWriter w { buf.data(), buf.size() };
};

Buf ipv4_udp() { return ipv4_packet(eth(kEthPIp), Ip4 {}, udp(1000, 53, 26)); }

class TunnelShim : public ActionsTest {
protected:
    // Validates set(tunnel(...)) followed by `then` (written by the caller
    // into the same writer) and runs it; returns the "tunnel" event's bytes.
    Buf run_set_tunnel(Received& r, Writer& u)
    {
        ActionsBuf blob;
        Status s = copy_actions({ u.w.data(), u.w.size() }, r.key, blob, false);
        EXPECT_TRUE(s.ok()) << (s.error().msg ? s.error().msg : "");
        if (!s.ok())
            return {};
        EXPECT_EQ(execute_actions(env, move(r.pkt), r.key, blob.data(), blob.size()), 0);
        auto t = env.of("tunnel");
        EXPECT_EQ(t.size(), 1u);
        return t.empty() ? Buf {} : t[0]->userdata;
    }
};

TEST_F(TunnelShim, Ipv4TunnelFieldsReachTheShimAndComeBack)
{
    Received r = receive(ipv4_udp());
    Writer u;
    usize set = u.w.nest_begin(uapi::OVS_ACTION_ATTR_SET);
    usize tun = u.w.nest_begin(uapi::OVS_KEY_ATTR_TUNNEL);
    u.w.put_value<be64>(uapi::OVS_TUNNEL_KEY_ATTR_ID, htonll(0x123456));
    u.w.put_value<be32>(uapi::OVS_TUNNEL_KEY_ATTR_IPV4_SRC, htonl(0xc0000201));
    u.w.put_value<be32>(uapi::OVS_TUNNEL_KEY_ATTR_IPV4_DST, htonl(0xc0000202));
    u.w.put_u8(uapi::OVS_TUNNEL_KEY_ATTR_TOS, 0x28);
    u.w.put_u8(uapi::OVS_TUNNEL_KEY_ATTR_TTL, 17);
    u.w.put(uapi::OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT, nullptr, 0);
    u.w.put(uapi::OVS_TUNNEL_KEY_ATTR_CSUM, nullptr, 0);
    u.w.put_value<be16>(uapi::OVS_TUNNEL_KEY_ATTR_TP_SRC, htons(40000));
    u.w.put_value<be16>(uapi::OVS_TUNNEL_KEY_ATTR_TP_DST, htons(4789));
    u.w.nest_end(tun);
    u.w.nest_end(set);
    u.w.put_u32(uapi::OVS_ACTION_ATTR_OUTPUT, 2);
    Buf info = run_set_tunnel(r, u);
    ovsdp_tunnel t;
    const u8* opts = nullptr;
    ASSERT_TRUE(tunnel_to_shim({ info.data(), info.size() }, &t, &opts));
    EXPECT_EQ(t.tun_id, htonll(0x123456));
    EXPECT_EQ(hex(Buf(t.src, t.src + 4)), "c000 0201 ");
    EXPECT_EQ(hex(Buf(t.dst, t.dst + 4)), "c000 0202 ");
    EXPECT_EQ(t.tos, 0x28);
    EXPECT_EQ(t.ttl, 17);
    EXPECT_EQ(t.tun_flags, htons(kTunnelDontFragment | kTunnelCsum | kTunnelKey));
    EXPECT_EQ(t.tp_src, htons(40000));
    EXPECT_EQ(t.tp_dst, htons(4789));
    EXPECT_EQ(t.mode, kTunnelInfoTx);
    EXPECT_EQ(t.options_len, 0);
    EXPECT_EQ(only_output(2), ipv4_udp());

    FlowTunnelKey k = tunnel_from_shim(t);
    ActionTunnelInfo ti;
    std::memcpy(&ti, info.data(), sizeof(ti));
    EXPECT_EQ(std::memcmp(&k, &ti.key, sizeof(k)), 0) << "round trip";
    EXPECT_EQ(k.ip_family, kAfInet);
}

TEST_F(TunnelShim, Ipv6TunnelWithGeneveOptions)
{
    Received r = receive(ipv4_udp());
    Writer u;
    const u8 src[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
    const u8 dst[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };
    // One Geneve option: class 0x0102, type 0x80 (critical), 4 bytes of data.
    const u8 geneve[8] = { 0x01, 0x02, 0x80, 0x01, 0xde, 0xad, 0xbe, 0xef };
    usize set = u.w.nest_begin(uapi::OVS_ACTION_ATTR_SET);
    usize tun = u.w.nest_begin(uapi::OVS_KEY_ATTR_TUNNEL);
    u.w.put_value<be64>(uapi::OVS_TUNNEL_KEY_ATTR_ID, htonll(7));
    u.w.put(uapi::OVS_TUNNEL_KEY_ATTR_IPV6_SRC, src, 16);
    u.w.put(uapi::OVS_TUNNEL_KEY_ATTR_IPV6_DST, dst, 16);
    u.w.put_u8(uapi::OVS_TUNNEL_KEY_ATTR_TTL, 5);
    u.w.put(uapi::OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS, geneve, sizeof(geneve));
    u.w.nest_end(tun);
    u.w.nest_end(set);
    u.w.put_u32(uapi::OVS_ACTION_ATTR_OUTPUT, 2);
    Buf info = run_set_tunnel(r, u);
    ovsdp_tunnel t;
    const u8* opts = nullptr;
    ASSERT_TRUE(tunnel_to_shim({ info.data(), info.size() }, &t, &opts));
    EXPECT_EQ(t.mode, kTunnelInfoTx | kTunnelInfoIpv6);
    EXPECT_EQ(std::memcmp(t.src, src, 16), 0);
    EXPECT_EQ(std::memcmp(t.dst, dst, 16), 0);
    ASSERT_EQ(t.options_len, sizeof(geneve));
    EXPECT_EQ(std::memcmp(opts, geneve, sizeof(geneve)), 0);
    EXPECT_EQ(t.tun_flags, htons(kTunnelKey | kTunnelGeneveOpt | kTunnelCritOpt));
    FlowTunnelKey k = tunnel_from_shim(t);
    EXPECT_EQ(k.ip_family, kAfInet6);
    EXPECT_EQ(std::memcmp(k.ipv6.dst, dst, 16), 0);
}

TEST_F(TunnelShim, ShortInfoIsRefused)
{
    ActionTunnelInfo ti {};
    ti.options_len = 8;
    Buf b(reinterpret_cast<u8*>(&ti), reinterpret_cast<u8*>(&ti) + sizeof(ti));
    ovsdp_tunnel t;
    const u8* opts;
    EXPECT_FALSE(tunnel_to_shim({ b.data(), b.size() }, &t, &opts)) << "options missing";
    EXPECT_FALSE(tunnel_to_shim({ b.data(), sizeof(ti) - 1 }, &t, &opts));
    b.resize(sizeof(ti) + 8);
    EXPECT_TRUE(tunnel_to_shim({ b.data(), b.size() }, &t, &opts));
}

// Upstream's set(tunnel) changes the skb's dst, not the flow key: the
// second pass of a recirculation sees the tunnel the packet came in on.
TEST_F(TunnelShim, RecirculationKeepsTheReceivedTunnelInTheKey)
{
    Received r = receive(ipv4_udp());
    r.key.tun_key.ip_family = kAfInet;
    r.key.tun_key.tun_id = htonll(99);
    r.key.tun_key.ipv4.dst = htonl(0x0a0a0a0a);
    FlowTunnelKey received = r.key.tun_key;
    Writer u;
    usize set = u.w.nest_begin(uapi::OVS_ACTION_ATTR_SET);
    usize tun = u.w.nest_begin(uapi::OVS_KEY_ATTR_TUNNEL);
    u.w.put_value<be64>(uapi::OVS_TUNNEL_KEY_ATTR_ID, htonll(5));
    u.w.put_value<be32>(uapi::OVS_TUNNEL_KEY_ATTR_IPV4_DST, htonl(0xc0000202));
    u.w.put_u8(uapi::OVS_TUNNEL_KEY_ATTR_TTL, 64);
    u.w.nest_end(tun);
    u.w.nest_end(set);
    u.w.put_u32(uapi::OVS_ACTION_ATTR_RECIRC, 7);
    run_set_tunnel(r, u);
    auto rec = env.of("recirc");
    ASSERT_EQ(rec.size(), 1u);
    EXPECT_EQ(rec[0]->arg, 7u);
    EXPECT_EQ(std::memcmp(&rec[0]->key.tun_key, &received, sizeof(received)), 0);
    EXPECT_EQ(env.trace(), "tunnel:72 recirc:7 ");
}

} // namespace
