// SPDX-License-Identifier: GPL-2.0
// The packet path (datapath/packet_path.h, datapath/execute.h) as the kernel
// runs it, over the userspace host (platform/user/user_host.h): flows are
// installed with the flow commands, packets go through receive and EXECUTE,
// and what would reach devices and sockets is captured.
#include "datapath/datapath.h"
#include "datapath/execute.h"
#include "datapath/packet_path.h"
#include "flow_netlink/flow_netlink.h"
#include "platform/netdev.h"
#include "platform/user/dispatch.h"
#include "platform/user/fake_kernel.h"
#include "platform/user/user_host.h"
#include "platform/user/user_platform.h"
#include "tests/unit/flow_netlink/nl_build.h"

#include <gtest/gtest.h>
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace ovsdp;
using namespace ovsdp::user;
using fake::Net;
using fake::Request;
using test::Nl;

namespace {

using Bytes = std::vector<u8>;

// Ethernet + IPv4 + UDP from 10.0.0.1:sport to 10.0.0.2:dport with `payload`
// bytes of payload.
Bytes udp_frame(u16 sport, u16 dport, usize payload = 18)
{
    Bytes f = { 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00 };
    u16 ip_len = static_cast<u16>(20 + 8 + payload);
    u16 udp_len = static_cast<u16>(8 + payload);
    Bytes ip = { 0x45, 0, u8(ip_len >> 8), u8(ip_len), 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2 };
    Bytes udp = { u8(sport >> 8), u8(sport), u8(dport >> 8), u8(dport), u8(udp_len >> 8), u8(udp_len), 0, 0 };
    f.insert(f.end(), ip.begin(), ip.end());
    f.insert(f.end(), udp.begin(), udp.end());
    for (usize i = 0; i < payload; i++)
        f.push_back(static_cast<u8>(i));
    return f;
}

// Action lists.
Nl& output(Nl& a, u32 port) { return a.u32_(uapi::OVS_ACTION_ATTR_OUTPUT, port); }

class PacketPathTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        fake::k = &kernel;
        baseline = live_allocations();
        reset_packets_leaked();
        ASSERT_EQ(new_dp("dp0"), 0);
        ifindex = dp_ifindex("dp0");
        dp = dp_lookup_by_ifindex(&net, ifindex);
        ASSERT_NE(dp, nullptr);
        // Port 1 has one upcall PID per CPU (the most upstream takes), up to 4.
        for (int i = 0; i < ovsdp_nr_cpu_ids() && i < 4; i++)
            p1_pids.push_back(1001 + i);
        ASSERT_EQ(new_port("p1", 1, p1_pids), 0);
        ASSERT_EQ(new_port("p2", 2), 0);
        ASSERT_EQ(new_port("p3", 3), 0);
    }
    void TearDown() override
    {
        {
            OvsLock ovsl;
            ovsdp_destroy_all();
        }
        ovsdp_rcu_barrier();
        EXPECT_EQ(live_allocations(), baseline) << "leaked allocations";
        EXPECT_EQ(packets_leaked(), 0) << "packets left owned by a handle (the kernel would leak the skbs)";
        fake::k = nullptr;
    }

    int new_dp(const std::string& name, u32 features = uapi::kDpFUnaligned | uapi::kDpFVportPids,
               const std::vector<u32>& cpu_pids = {})
    {
        Request r(&net, uapi::kDpAttrMax, 0, 2);
        r.str(uapi::OVS_DP_ATTR_NAME, name).u32(uapi::OVS_DP_ATTR_UPCALL_PID, 0);
        r.u32(uapi::OVS_DP_ATTR_USER_FEATURES, features);
        if (!cpu_pids.empty())
            r.put(uapi::OVS_DP_ATTR_PER_CPU_PIDS, cpu_pids.data(), 4 * cpu_pids.size());
        return cmd::dp_new(r.finish());
    }
    int dp_ifindex(const std::string& name)
    {
        fake::Device* d = kernel.find(&net, name);
        return d ? d->ifindex : -1;
    }
    int new_port(const std::string& name, u32 port_no, const std::vector<u32>& pids = { 0 })
    {
        Request r(&net, uapi::kVportAttrMax, ifindex, 1);
        r.str(uapi::OVS_VPORT_ATTR_NAME, name).u32(uapi::OVS_VPORT_ATTR_TYPE, uapi::OVS_VPORT_TYPE_INTERNAL);
        r.put(uapi::OVS_VPORT_ATTR_UPCALL_PID, pids.data(), 4 * pids.size());
        r.u32(uapi::OVS_VPORT_ATTR_PORT_NO, port_no);
        return cmd::vport_new(r.finish());
    }
    Vport* vport(u32 port_no) { return dp_lookup_vport(dp, port_no); }

    // The key a frame received on `in_port` gets, as OVS_FLOW_ATTR_KEY's payload.
    static FlowKey key_of(const Bytes& frame, u16 in_port, u32 recirc_id = 0)
    {
        FlowKeyMetadata md;
        md.in_port = in_port;
        md.recirc_id = recirc_id;
        FlowKey key;
        UserPacket pkt(frame.data(), frame.size());
        EXPECT_TRUE(key_extract_with_metadata(pkt, md, key).ok());
        pkt.free();
        return key;
    }
    static Bytes key_attrs(const FlowKey& key)
    {
        u8 buf[2048];
        NlWriter w(buf, sizeof(buf));
        EXPECT_TRUE(put_flow_key(w, uapi::OVS_FLOW_ATTR_KEY, key, key, false));
        return Bytes(buf + 4, buf + w.size());
    }
    // An exact-match flow for `frame` from `in_port` running `actions`.
    int install(const Bytes& frame, u16 in_port, const Nl& actions, u32 recirc_id = 0, const u8* ufid = nullptr)
    {
        Bytes k = key_attrs(key_of(frame, in_port, recirc_id));
        Request r(&net, uapi::kFlowAttrMax, ifindex);
        r.put(uapi::OVS_FLOW_ATTR_KEY, k.data(), k.size());
        if (ufid)
            r.put(uapi::OVS_FLOW_ATTR_UFID, ufid, 16);
        r.put(uapi::OVS_FLOW_ATTR_ACTIONS, actions.bytes().data(), actions.size());
        int rc = cmd::flow_new(r.finish());
        last_msg = r.req.extack_msg;
        return rc;
    }
    int remove(const u8* ufid)
    {
        Request r(&net, uapi::kFlowAttrMax, ifindex);
        r.put(uapi::OVS_FLOW_ATTR_UFID, ufid, 16);
        return cmd::flow_del(r.finish());
    }
    // A packet received on port `in_port` (softirq: BH off, under RCU).
    void receive(const Bytes& frame, u32 in_port, u32 hash = 0, UserPacket* proto = nullptr)
    {
        ovsdp_local_bh_disable();
        {
            RcuReadGuard rcu;
            if (proto) {
                dp_vport_receive(host, vport(in_port), move(*proto));
            } else {
                UserPacket pkt(frame.data(), frame.size(), hash);
                dp_vport_receive(host, vport(in_port), move(pkt));
            }
        }
        ovsdp_local_bh_enable();
    }
    uapi::DpStats stats()
    {
        uapi::DpStats s;
        uapi::DpMegaflowStats m;
        dp_get_stats(dp, &s, &m);
        return s;
    }
    // OVS_PACKET_CMD_EXECUTE, through the command table.
    int execute(Request& r)
    {
        set_execute_host(&host);
        return cmd::packet_execute(r.finish());
    }
    Request& exec_req(Request& r, const Bytes& frame, const Nl& key, const Nl& actions)
    {
        r.put(uapi::OVS_PACKET_ATTR_PACKET, frame.data(), frame.size());
        r.put(uapi::OVS_PACKET_ATTR_KEY, key.bytes().data(), key.size());
        r.put(uapi::OVS_PACKET_ATTR_ACTIONS, actions.bytes().data(), actions.size());
        return r;
    }

    fake::Kernel kernel;
    Net net { 0 };
    UserHost host;
    Datapath* dp = nullptr;
    int ifindex = 0;
    long baseline = 0;
    const char* last_msg = nullptr;
    std::vector<u32> p1_pids;
};

TEST_F(PacketPathTest, LeakedPacketHandleIsCounted)
{
    Bytes f = udp_frame(1, 2);
    {
        UserPacket owned(f.data(), f.size());
        UserPacket freed(f.data(), f.size());
        freed.free();
        UserPacket moved_from(f.data(), f.size());
        UserPacket taker(move(moved_from));
        taker.free();
    }
    EXPECT_EQ(packets_leaked(), 1) << "only the handle that still owned its packet";
    reset_packets_leaked();
}

TEST_F(PacketPathTest, HitRunsTheFlowsActions)
{
    Bytes f = udp_frame(1000, 53);
    Nl acts;
    output(acts, 2);
    ASSERT_EQ(install(f, 1, acts), 0) << last_msg;
    for (int i = 0; i < 3; i++)
        receive(f, 1);
    std::vector<SentPacket> out = host.take_sent(2);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0].bytes, f);
    EXPECT_FALSE(out[0].via_mru);
    EXPECT_EQ(out[0].mac_proto, kMacProtoEthernet);
    EXPECT_TRUE(host.take_sent().empty());
    EXPECT_TRUE(host.take_upcalls().empty());
    EXPECT_EQ(stats().n_hit, 3u);
    EXPECT_EQ(stats().n_missed, 0u);

    // Another source port: a miss, to userspace.
    receive(udp_frame(1001, 53), 1);
    EXPECT_EQ(stats().n_missed, 1u);
    EXPECT_EQ(host.take_upcalls().size(), 1u);
}

// A read-only view of a frame another holder keeps (the kernel's shared
// skb, kmod/skb_packet.h's SkbView): extraction's writes are recorded and
// replayed onto the copy; its linear part can be shorter than the frame.
class SharedView {
public:
    SharedView(const Bytes& f, usize headlen) : f_(f), headlen_(std::min(headlen, f.size())) {}
    bool failed() const { return failed_; }
    const u8* data() const { return f_.data(); }
    usize len() const { return f_.size(); }
    bool pull(usize n)
    {
        if (n <= headlen_)
            return true;
        failed_ = true;
        return false;
    }
    bool vlan_untag()
    {
        failed_ = true;
        return false;
    }
    bool vlan_tag_present() const { return false; }
    u16 vlan_tci() const { return 0; }
    be16 vlan_proto() const { return 0; }
    be16 protocol() const { return proto_ ? proto_ : htons(kEthPIp); }
    void set_protocol(be16 p) { proto_ = p; }
    bool gso_udp() const { return false; }
    void set_mac_len(usize n) { mac_len_ = n; }
    void set_network_offset(usize n) { nh_ = n; }
    void set_transport_offset(usize n) { th_ = n; }
    void set_inner_network_offset(usize) {}
    u32 hash() const { return 0; }
    u32 mark_at_load() const { return 0; }
    u32 priority_at_load() const { return 0; }
    void apply_headers(UserPacket& p) const
    {
        p.set_protocol(protocol());
        p.set_mac_len(mac_len_);
        p.set_network_offset(nh_);
        p.set_transport_offset(th_);
        applied++;
    }
    mutable int applied = 0;

private:
    const Bytes& f_;
    usize headlen_;
    bool failed_ = false;
    be16 proto_ = 0;
    usize mac_len_ = 0, nh_ = 0, th_ = 0;
};

// dp_vport_receive_shared(): a drop flow is counted and needs no copy; any
// other flow gets one copy and runs on it with the key and flow found; a
// miss, or a frame that cannot be keyed without writing to it, is left to
// the usual path with nothing counted.
TEST_F(PacketPathTest, SharedPacketIsCopiedOnlyWhenItsFlowNeedsIt)
{
    Bytes drop_f = udp_frame(7, 53), out_f = udp_frame(8, 53), miss_f = udp_frame(9, 53);
    Nl none, acts;
    ASSERT_EQ(install(drop_f, 1, none), 0) << last_msg;
    ASSERT_EQ(install(out_f, 1, output(acts, 2)), 0) << last_msg;
    int copies = 0, dones = 0;
    auto run = [&](const Bytes& f, usize headlen, int* applied) {
        SharedView view(f, headlen);
        SharedReceive handled;
        ovsdp_local_bh_disable();
        {
            RcuReadGuard rcu;
            handled = dp_vport_receive_shared(
                host, vport(1), view,
                [&](void* storage) {
                    copies++;
                    new (storage) UserPacket(f.data(), f.size());
                    return true;
                },
                [&] { dones++; });
        }
        ovsdp_local_bh_enable();
        if (applied)
            *applied = view.applied;
        return handled;
    };
    uapi::DpMegaflowStats m0, m1;
    uapi::DpStats s0;
    dp_get_stats(dp, &s0, &m0);

    EXPECT_EQ(run(drop_f, drop_f.size(), nullptr), kSharedDropped);
    EXPECT_EQ(dones, 1);
    EXPECT_EQ(copies, 0) << "a drop flow needs no copy";
    EXPECT_EQ(stats().n_hit, s0.n_hit + 1);

    int applied = 0;
    EXPECT_EQ(run(out_f, out_f.size(), &applied), kSharedCopied);
    EXPECT_EQ(copies, 1);
    EXPECT_EQ(dones, 1);
    EXPECT_EQ(applied, 1) << "extraction's header writes replayed onto the copy";
    std::vector<SentPacket> out = host.take_sent(2);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].bytes, out_f);
    EXPECT_EQ(stats().n_hit, s0.n_hit + 2);

    // A miss and a frame whose headers are not linear: nothing done or counted.
    EXPECT_EQ(run(miss_f, miss_f.size(), nullptr), kSharedNotHandled);
    EXPECT_EQ(run(out_f, 20, nullptr), kSharedNotHandled);
    EXPECT_EQ(copies, 1);
    EXPECT_EQ(dones, 1);
    uapi::DpStats s1 = stats();
    dp_get_stats(dp, &s1, &m1);
    EXPECT_EQ(s1.n_hit, s0.n_hit + 2);
    EXPECT_EQ(s1.n_missed, s0.n_missed);
    EXPECT_EQ(m1.n_mask_hit, m0.n_mask_hit + 2) << "only the two hits' probes";
    EXPECT_TRUE(host.take_upcalls().empty());

    // The usual path takes them as before.
    receive(miss_f, 1);
    EXPECT_EQ(stats().n_missed, s0.n_missed + 1);
    EXPECT_EQ(host.take_upcalls().size(), 1u);
}

TEST_F(PacketPathTest, MissGoesToTheInputPortsPidChosenByHash)
{
    Bytes f = udp_frame(5000, 80);
    std::set<u32> seen;
    // Hashes in each quarter and of each remainder mod 4: every PID is chosen.
    for (u32 hash : { 0x00000001u, 0x40000002u, 0x80000003u, 0xc0000004u, 0x7fffffffu }) {
        receive(f, 1, hash);
        std::vector<Upcall> up = host.take_upcalls();
        ASSERT_EQ(up.size(), 1u);
        EXPECT_EQ(up[0].cmd, uapi::OVS_PACKET_CMD_MISS);
        EXPECT_EQ(up[0].dp_ifindex, ifindex);
        EXPECT_EQ(up[0].portid, vport_find_upcall_pid(vport(1), hash));
        seen.insert(up[0].portid);
        FlowKey k;
        ASSERT_TRUE(up[0].key(&k));
        EXPECT_EQ(k.in_port, 1u);
        EXPECT_EQ(ntohs(k.tp.src), 5000);
        EXPECT_EQ(up[0].packet(), f);
        const NlAttr* h = up[0].attr(uapi::OVS_PACKET_ATTR_HASH);
        ASSERT_NE(h, nullptr);
        EXPECT_EQ(static_cast<u32>(h->get_u64()), hash);
        EXPECT_TRUE(h->get_u64() & (1ull << 32)) << "the software-hash type bit";
        EXPECT_EQ(up[0].attr(uapi::OVS_PACKET_ATTR_USERDATA), nullptr);
    }
    EXPECT_EQ(seen, std::set<u32>(p1_pids.begin(), p1_pids.end()));
    // A port without upcall PIDs: the miss is lost.
    receive(f, 2);
    EXPECT_TRUE(host.take_upcalls().empty());
    EXPECT_EQ(stats().n_lost, 1u);
    // A socket that refuses: lost as well, the packet freed.
    host.set_upcall_error(-err::NOBUFS);
    receive(f, 1, 5);
    EXPECT_EQ(stats().n_lost, 2u);
    EXPECT_EQ(stats().n_missed, 7u);
}

TEST_F(PacketPathTest, PerCpuDispatchPicksThisCpusPid)
{
    int ncpu = ovsdp_nr_cpu_ids() < 4 ? ovsdp_nr_cpu_ids() : 4;
    std::vector<u32> cpu_pids;
    for (int cpu = 0; cpu < ncpu; cpu++)
        cpu_pids.push_back(700 + cpu);
    ASSERT_EQ(new_dp("dp1", uapi::kDpFUnaligned | uapi::kDpFDispatchUpcallPerCpu, cpu_pids), 0);
    int ifi = dp_ifindex("dp1");
    Datapath* dp1 = dp_lookup_by_ifindex(&net, ifi);
    ASSERT_NE(dp1, nullptr);
    Vport* local = dp_lookup_vport(dp1, uapi::kLocalPort);
    Bytes f = udp_frame(7, 9);
    for (int cpu = 0; cpu < ncpu; cpu++) {
        set_cpu(cpu);
        ovsdp_local_bh_disable();
        {
            RcuReadGuard rcu;
            dp_vport_receive(host, local, UserPacket(f.data(), f.size()));
        }
        ovsdp_local_bh_enable();
        set_cpu(-1);
        std::vector<Upcall> up = host.take_upcalls();
        ASSERT_EQ(up.size(), 1u);
        EXPECT_EQ(up[0].portid, 700u + cpu) << "cpu " << cpu;
        EXPECT_EQ(up[0].dp_ifindex, ifi);
    }
}

TEST_F(PacketPathTest, UserspaceActionCarriesUserdataActionsAndEgressTunnel)
{
    host.set_tunnel_port(3);
    Bytes f = udp_frame(4789, 4789);
    const u8 cookie[] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3 };
    Nl acts;
    acts.begin(uapi::OVS_ACTION_ATTR_SET).begin(uapi::OVS_KEY_ATTR_TUNNEL);
    acts.be64_(uapi::OVS_TUNNEL_KEY_ATTR_ID, 0x1234).be32_(uapi::OVS_TUNNEL_KEY_ATTR_IPV4_DST, 0xc0a80001);
    acts.u8_(uapi::OVS_TUNNEL_KEY_ATTR_TTL, 64);
    acts.end().end();
    acts.begin(uapi::OVS_ACTION_ATTR_USERSPACE);
    acts.u32_(uapi::OVS_USERSPACE_ATTR_PID, 4242);
    acts.put(uapi::OVS_USERSPACE_ATTR_USERDATA, cookie, sizeof(cookie));
    acts.u32_(uapi::OVS_USERSPACE_ATTR_EGRESS_TUN_PORT, 3);
    acts.flag(uapi::OVS_USERSPACE_ATTR_ACTIONS);
    acts.end();
    output(acts, 3);
    ASSERT_EQ(install(f, 1, acts), 0) << last_msg;
    receive(f, 1, 0x55);

    std::vector<Upcall> up = host.take_upcalls();
    ASSERT_EQ(up.size(), 1u);
    EXPECT_EQ(up[0].cmd, uapi::OVS_PACKET_CMD_ACTION);
    EXPECT_EQ(up[0].portid, 4242u);
    const NlAttr* ud = up[0].attr(uapi::OVS_PACKET_ATTR_USERDATA);
    ASSERT_NE(ud, nullptr);
    EXPECT_EQ(Bytes(ud->data(), ud->data() + ud->len()), Bytes(cookie, cookie + sizeof(cookie)));
    const NlAttr* eg = up[0].attr(uapi::OVS_PACKET_ATTR_EGRESS_TUN_KEY);
    ASSERT_NE(eg, nullptr) << "port 3 is a tunnel port and the packet has a tunnel set";
    bool id_seen = false;
    for (const NlAttr* t : nla_range(eg->payload()))
        if (t->type() == uapi::OVS_TUNNEL_KEY_ATTR_ID) {
            id_seen = true;
            EXPECT_EQ(t->get<u64>(), htonll(0x1234));
        }
    EXPECT_TRUE(id_seen);
    const NlAttr* ua = up[0].attr(uapi::OVS_PACKET_ATTR_ACTIONS);
    ASSERT_NE(ua, nullptr);
    int n_actions = 0;
    for (const NlAttr* a : nla_range(ua->payload())) {
        (void)a;
        n_actions++;
    }
    EXPECT_EQ(n_actions, 3) << "the whole list: set, userspace, output";
    EXPECT_NE(up[0].attr(uapi::OVS_PACKET_ATTR_HASH), nullptr);
    EXPECT_EQ(up[0].packet(), f);

    // The output after it got the packet with the tunnel set.
    std::vector<SentPacket> out = host.take_sent(3);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(out[0].has_tunnel);
    EXPECT_EQ(out[0].tunnel.tun_id, htonll(0x1234));

    // Egress to a port that is no tunnel port: no egress key.
    Nl acts2;
    acts2.begin(uapi::OVS_ACTION_ATTR_USERSPACE).u32_(uapi::OVS_USERSPACE_ATTR_PID, 9);
    acts2.u32_(uapi::OVS_USERSPACE_ATTR_EGRESS_TUN_PORT, 2).end();
    Bytes g = udp_frame(1, 1);
    ASSERT_EQ(install(g, 1, acts2), 0) << last_msg;
    receive(g, 1);
    up = host.take_upcalls();
    ASSERT_EQ(up.size(), 1u);
    EXPECT_EQ(up[0].attr(uapi::OVS_PACKET_ATTR_EGRESS_TUN_KEY), nullptr);
    EXPECT_EQ(up[0].attr(uapi::OVS_PACKET_ATTR_ACTIONS), nullptr);
}

TEST_F(PacketPathTest, RecirculationLooksUpAgain)
{
    Bytes f = udp_frame(10, 20);
    Nl first;
    first.u32_(uapi::OVS_ACTION_ATTR_RECIRC, 7);
    ASSERT_EQ(install(f, 1, first), 0) << last_msg;
    Nl second;
    output(second, 2);
    ASSERT_EQ(install(f, 1, second, 7), 0) << last_msg;
    receive(f, 1);
    EXPECT_EQ(host.take_sent(2).size(), 1u);
    EXPECT_EQ(stats().n_hit, 2u);
    // Recirculating to an ID without a flow: the miss goes up with it.
    Bytes g = udp_frame(11, 20);
    Nl third;
    third.u32_(uapi::OVS_ACTION_ATTR_RECIRC, 8);
    ASSERT_EQ(install(g, 1, third), 0) << last_msg;
    receive(g, 1);
    std::vector<Upcall> up = host.take_upcalls();
    ASSERT_EQ(up.size(), 1u);
    FlowKey k;
    ASSERT_TRUE(up[0].key(&k));
    EXPECT_EQ(k.recirc_id, 8u);
    EXPECT_EQ(stats().n_missed, 1u);
}

TEST_F(PacketPathTest, CloneAndSampleKeepTheCutLength)
{
    Bytes f = udp_frame(10, 20, 100);
    Nl acts;
    uapi::OvsActionTrunc t { 50 };
    acts.put(uapi::OVS_ACTION_ATTR_TRUNC, &t, sizeof(t));
    acts.begin(uapi::OVS_ACTION_ATTR_CLONE);
    output(acts, 2);
    acts.end();
    acts.begin(uapi::OVS_ACTION_ATTR_SAMPLE);
    acts.u32_(uapi::OVS_SAMPLE_ATTR_PROBABILITY, 0xffffffffu);
    acts.begin(uapi::OVS_SAMPLE_ATTR_ACTIONS);
    output(acts, 3);
    acts.end().end();
    output(acts, 1);
    ASSERT_EQ(install(f, 1, acts), 0) << last_msg;
    receive(f, 1);
    for (u32 port : { 2u, 3u, 1u }) {
        std::vector<SentPacket> out = host.take_sent(port);
        ASSERT_EQ(out.size(), 1u) << "port " << port;
        EXPECT_EQ(out[0].bytes, Bytes(f.begin(), f.begin() + 50)) << "port " << port;
    }
}

TEST_F(PacketPathTest, UdpGsoSegmentsAfterTheFirstGoUpAsLaterFragments)
{
    Bytes f = udp_frame(3000, 4000, 3000);
    UserPacket pkt(f.data(), f.size(), 0x99);
    pkt.set_gso_udp(true);
    pkt.set_gso_mac_seglen(1000);
    receive(f, 1, 0, &pkt);
    std::vector<Upcall> up = host.take_upcalls();
    ASSERT_EQ(up.size(), 4u) << "3042 bytes in segments of 1000";
    FlowKey first;
    ASSERT_TRUE(up[0].key(&first));
    EXPECT_EQ(first.ip.frag, kFragFirst) << "UDP GSO is keyed as a first fragment";
    EXPECT_EQ(ntohs(first.tp.src), 3000);
    for (usize i = 1; i < up.size(); i++) {
        FlowKey later;
        ASSERT_TRUE(up[i].key(&later));
        EXPECT_EQ(later.ip.frag, kFragLater) << "segment " << i;
        EXPECT_EQ(later.tp.src, 0) << "a later fragment has no L4 fields";
        EXPECT_EQ(later.tp.dst, 0);
        bool has_udp = false;
        for (const NlAttr* a : nla_range(up[i].attr(uapi::OVS_PACKET_ATTR_KEY)->payload()))
            has_udp |= a->type() == uapi::OVS_KEY_ATTR_UDP;
        EXPECT_FALSE(has_udp) << "segment " << i;
        EXPECT_EQ(later.in_port, 1u);
    }
    // Each segment its own message, the segment's bytes in it.
    for (usize i = 0; i < up.size(); i++) {
        usize off = i * 1000;
        EXPECT_EQ(up[i].packet(), Bytes(f.begin() + off, f.begin() + std::min(f.size(), off + 1000))) << i;
        u32 nlmsg_len;
        std::memcpy(&nlmsg_len, up[i].wire.data(), 4);
        EXPECT_EQ(nlmsg_len, up[i].wire.size());
    }
    EXPECT_EQ(host.upcalls_open(), 0);
}

// The upcall is written once into the message the host reserved: what the
// socket reads is the netlink, genl and ovs headers, then the attributes the
// core wrote (key, hash) and the packet the host appended, byte for byte what
// the attributes-then-copy encoding produced. With OVS_DP_F_UNALIGNED the
// packet attribute is not padded (the kernel may reference the packet's
// pages), without it it is.
TEST_F(PacketPathTest, UpcallIsWrittenOnceAsTheSocketReadsIt)
{
    Bytes f = udp_frame(2000, 53, 19); // 61 bytes: its attribute needs padding
    ASSERT_EQ(f.size() % 4, 1u);
    u32 hash = 0x0badf00d;
    auto expected = [&](u16 in_port) {
        FlowKey key = key_of(f, in_port);
        std::vector<u8> buf(4096);
        NlWriter w(buf.data(), buf.size());
        put_flow_key(w, uapi::OVS_PACKET_ATTR_KEY, key, key, false);
        w.put_u64(uapi::OVS_PACKET_ATTR_HASH, hash | (1ull << 32));
        w.put(uapi::OVS_PACKET_ATTR_PACKET, f.data(), f.size());
        EXPECT_FALSE(w.overflowed());
        buf.resize(w.size());
        return buf;
    };
    auto check_headers = [&](const Upcall& u, int dp_ifi) {
        ASSERT_GE(u.wire.size(), kUpcallHdrLen);
        u32 nlmsg_len;
        u16 type;
        s32 ifi;
        std::memcpy(&nlmsg_len, u.wire.data(), 4);
        std::memcpy(&type, u.wire.data() + 4, 2);
        std::memcpy(&ifi, u.wire.data() + 20, 4);
        EXPECT_EQ(nlmsg_len, u.wire.size());
        EXPECT_EQ(type, kUpcallFamilyId);
        EXPECT_EQ(u.wire[16], uapi::OVS_PACKET_CMD_MISS);
        EXPECT_EQ(ifi, dp_ifi);
        EXPECT_EQ(Bytes(u.wire.begin() + kUpcallHdrLen, u.wire.end()), u.attrs);
    };

    receive(f, 1, hash);
    std::vector<Upcall> up = host.take_upcalls();
    ASSERT_EQ(up.size(), 1u);
    check_headers(up[0], ifindex);
    Bytes want = expected(1);
    EXPECT_EQ(up[0].attrs, Bytes(want.begin(), want.end() - 3)) << "unaligned: the packet attribute unpadded";
    EXPECT_EQ(up[0].packet(), f);

    // A datapath without OVS_DP_F_UNALIGNED: padded to the netlink alignment.
    ASSERT_EQ(new_dp("dp1", uapi::kDpFVportPids), 0);
    int ifi = dp_ifindex("dp1");
    Datapath* dp1 = dp_lookup_by_ifindex(&net, ifi);
    ASSERT_NE(dp1, nullptr);
    {
        Request r(&net, uapi::kVportAttrMax, ifi, 1);
        u32 pid = 77;
        r.str(uapi::OVS_VPORT_ATTR_NAME, "q1").u32(uapi::OVS_VPORT_ATTR_TYPE, uapi::OVS_VPORT_TYPE_INTERNAL);
        r.put(uapi::OVS_VPORT_ATTR_UPCALL_PID, &pid, 4).u32(uapi::OVS_VPORT_ATTR_PORT_NO, 1);
        ASSERT_EQ(cmd::vport_new(r.finish()), 0);
    }
    ovsdp_local_bh_disable();
    {
        RcuReadGuard rcu;
        dp_vport_receive(host, dp_lookup_vport(dp1, 1), UserPacket(f.data(), f.size(), hash));
    }
    ovsdp_local_bh_enable();
    up = host.take_upcalls();
    ASSERT_EQ(up.size(), 1u);
    EXPECT_EQ(up[0].portid, 77u);
    check_headers(up[0], ifi);
    EXPECT_EQ(up[0].attrs, expected(1));
    EXPECT_EQ(host.upcalls_open(), 0) << "every reserved message sent";

    // A socket that refuses: nothing reserved stays behind.
    host.set_upcall_error(-err::NOBUFS);
    receive(f, 1, hash);
    EXPECT_TRUE(host.take_upcalls().empty());
    EXPECT_EQ(host.upcalls_open(), 0);
}

// A userspace action with a cut length: the attributes say the packet's
// length, and only the first bytes go in.
TEST_F(PacketPathTest, TruncatedUserspaceUpcallCarriesTheLength)
{
    Bytes f = udp_frame(10, 20, 100);
    Nl acts;
    uapi::OvsActionTrunc t { 50 };
    acts.put(uapi::OVS_ACTION_ATTR_TRUNC, &t, sizeof(t));
    acts.begin(uapi::OVS_ACTION_ATTR_USERSPACE).u32_(uapi::OVS_USERSPACE_ATTR_PID, 5).end();
    ASSERT_EQ(install(f, 1, acts), 0) << last_msg;
    receive(f, 1);
    std::vector<Upcall> up = host.take_upcalls();
    ASSERT_EQ(up.size(), 1u);
    EXPECT_EQ(up[0].packet(), Bytes(f.begin(), f.begin() + 50));
    const NlAttr* len = up[0].attr(uapi::OVS_PACKET_ATTR_LEN);
    ASSERT_NE(len, nullptr);
    EXPECT_EQ(len->get_u32(), f.size());
    EXPECT_EQ(host.upcalls_open(), 0);
}

// EXECUTE --------------------------------------------------------------------

Nl in_port_key(u32 port)
{
    Nl k;
    k.u32_(uapi::OVS_KEY_ATTR_IN_PORT, port);
    return k;
}

TEST_F(PacketPathTest, ExecuteRunsTheActionsOnce)
{
    Bytes f = udp_frame(1, 2);
    Nl acts;
    output(acts, 2);
    output(acts, 3);
    Request r(&net, uapi::kPacketAttrMax, ifindex);
    ASSERT_EQ(execute(exec_req(r, f, in_port_key(1), acts)), 0) << r.req.extack_msg;
    EXPECT_EQ(host.take_sent(2).size(), 1u);
    EXPECT_EQ(host.take_sent(3).size(), 1u);
    EXPECT_EQ(stats().n_hit + stats().n_missed, 0u) << "EXECUTE looks nothing up";
}

TEST_F(PacketPathTest, ExecuteNeedsPacketKeyAndActions)
{
    Bytes f = udp_frame(1, 2);
    Nl acts;
    output(acts, 2);
    Nl key = in_port_key(1);
    for (int missing = 0; missing < 3; missing++) {
        Request r(&net, uapi::kPacketAttrMax, ifindex);
        if (missing != 0)
            r.put(uapi::OVS_PACKET_ATTR_PACKET, f.data(), f.size());
        if (missing != 1)
            r.put(uapi::OVS_PACKET_ATTR_KEY, key.bytes().data(), key.size());
        if (missing != 2)
            r.put(uapi::OVS_PACKET_ATTR_ACTIONS, acts.bytes().data(), acts.size());
        EXPECT_EQ(execute(r), -err::INVAL);
        ASSERT_NE(r.req.extack_msg, nullptr);
        EXPECT_STREQ(r.req.extack_msg, "Packet, key and actions are required");
    }
    Request r(&net, uapi::kPacketAttrMax, 12345);
    EXPECT_EQ(execute(exec_req(r, f, key, acts)), -err::NODEV);
    EXPECT_STREQ(r.req.extack_msg, "No datapath with this ifindex");
    EXPECT_TRUE(host.take_sent().empty());
}

// EXECUTE runs under RCU only (OVSDP_CTX_RCU_BH): it completes while another
// thread holds ovs_mutex, and a packet refused for a vanished datapath is
// freed.
TEST_F(PacketPathTest, ExecuteDoesNotWaitForOvsMutex)
{
    Bytes f = udp_frame(1, 2);
    Nl acts;
    output(acts, 2);
    std::atomic<int> rc { 1 };
    {
        OvsLock held;
        std::thread t([&] {
            Request r(&net, uapi::kPacketAttrMax, ifindex);
            rc = execute(exec_req(r, f, in_port_key(1), acts));
        });
        for (int i = 0; i < 10000 && rc.load() == 1; i++)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        EXPECT_EQ(rc.load(), 0) << "EXECUTE waited for ovs_mutex";
        t.join();
    }
    EXPECT_EQ(host.take_sent(2).size(), 1u);
    const ovsdp_cmd_desc* c = ovsdp_cmd_find(OVSDP_FAMILY_PACKET, uapi::OVS_PACKET_CMD_EXECUTE);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->doit_ctx, OVSDP_CTX_RCU_BH);
}

// Flow NEW checks its actions before it takes ovs_mutex (OVSDP_CTX_SELF): a
// refused flow is refused while another thread holds the lock.
TEST_F(PacketPathTest, FlowNewRefusesBadActionsWithoutOvsMutex)
{
    Nl bad;
    output(bad, 0x10000); // beyond any port number
    std::atomic<int> rc { 1 };
    {
        OvsLock held;
        std::thread t([&] { rc = install(udp_frame(7, 8), 1, bad); });
        for (int i = 0; i < 10000 && rc.load() == 1; i++)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        EXPECT_EQ(rc.load(), -err::INVAL) << "flow NEW waited for ovs_mutex to refuse its actions";
        t.join();
    }
    Nl good;
    output(good, 2);
    EXPECT_EQ(install(udp_frame(7, 8), 1, good), 0);
}

TEST_F(PacketPathTest, ExecuteFromAMissingPortIsTheLocalPorts)
{
    Bytes f = udp_frame(1, 2);
    // The key keeps the in_port it was given; the packet is made on the
    // local port's device when that port does not exist.
    for (u32 in : { 1u, 77u }) {
        Nl acts;
        acts.begin(uapi::OVS_ACTION_ATTR_USERSPACE).u32_(uapi::OVS_USERSPACE_ATTR_PID, 5).end();
        Request r(&net, uapi::kPacketAttrMax, ifindex);
        ASSERT_EQ(execute(exec_req(r, f, in_port_key(in), acts)), 0) << r.req.extack_msg;
        std::vector<Upcall> up = host.take_upcalls();
        ASSERT_EQ(up.size(), 1u);
        FlowKey k;
        ASSERT_TRUE(up[0].key(&k));
        EXPECT_EQ(k.in_port, in);
        EXPECT_EQ(host.last_packet_port(), in == 1 ? 1u : uapi::kLocalPort);
    }
}

TEST_F(PacketPathTest, ExecuteValidatesActionsAgainstThePacketsKey)
{
    Bytes f = udp_frame(1, 2);
    // set(tcp ports) on a UDP packet: refused against the key.
    Nl acts;
    u16 ports[2] = { htons(80), htons(81) };
    acts.begin(uapi::OVS_ACTION_ATTR_SET).put(uapi::OVS_KEY_ATTR_TCP, ports, sizeof(ports)).end();
    Request r(&net, uapi::kPacketAttrMax, ifindex);
    exec_req(r, f, in_port_key(1), acts);
    const void* acts_attr = r.table[uapi::OVS_PACKET_ATTR_ACTIONS];
    EXPECT_EQ(execute(r), -err::INVAL);
    EXPECT_NE(r.req.extack_msg, nullptr);
    EXPECT_EQ(r.req.extack_attr, acts_attr);
    // set(udp ports) on it is fine.
    Nl ok;
    ok.begin(uapi::OVS_ACTION_ATTR_SET).put(uapi::OVS_KEY_ATTR_UDP, ports, sizeof(ports)).end();
    output(ok, 2);
    Request r2(&net, uapi::kPacketAttrMax, ifindex);
    ASSERT_EQ(execute(exec_req(r2, f, in_port_key(1), ok)), 0) << r2.req.extack_msg;
    std::vector<SentPacket> out = host.take_sent(2);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].bytes[34], 0);
    EXPECT_EQ(out[0].bytes[35], 80);

    // A key that does not parse.
    Nl bad_key;
    bad_key.u32_(uapi::OVS_KEY_ATTR_IN_PORT, 1).u8_(uapi::OVS_KEY_ATTR_PRIORITY, 1);
    Request r3(&net, uapi::kPacketAttrMax, ifindex);
    exec_req(r3, f, bad_key, ok);
    const void* key_attr = r3.table[uapi::OVS_PACKET_ATTR_KEY];
    EXPECT_EQ(execute(r3), -err::INVAL);
    EXPECT_NE(r3.req.extack_msg, nullptr);
    EXPECT_EQ(r3.req.extack_attr, key_attr);
    EXPECT_TRUE(host.take_sent().empty());
}

TEST_F(PacketPathTest, ExecuteRestoresHashAndMruAndClonesKeepTheMru)
{
    Bytes f = udp_frame(1, 2, 1400);
    Nl acts;
    acts.begin(uapi::OVS_ACTION_ATTR_USERSPACE).u32_(uapi::OVS_USERSPACE_ATTR_PID, 5).end();
    acts.begin(uapi::OVS_ACTION_ATTR_CLONE);
    output(acts, 2);
    acts.end();
    output(acts, 3);
    Request r(&net, uapi::kPacketAttrMax, ifindex);
    exec_req(r, f, in_port_key(1), acts);
    u16 mru = 600;
    r.put(uapi::OVS_PACKET_ATTR_MRU, &mru, sizeof(mru));
    u64 hash = 0xabcd0123ull | 1ull << 33; // an L4 hash
    r.put(uapi::OVS_PACKET_ATTR_HASH, &hash, sizeof(hash));
    ASSERT_EQ(execute(r), 0) << r.req.extack_msg;
    std::vector<Upcall> up = host.take_upcalls();
    ASSERT_EQ(up.size(), 1u);
    ASSERT_NE(up[0].attr(uapi::OVS_PACKET_ATTR_MRU), nullptr);
    EXPECT_EQ(up[0].attr(uapi::OVS_PACKET_ATTR_MRU)->get_u16(), 600);
    ASSERT_NE(up[0].attr(uapi::OVS_PACKET_ATTR_HASH), nullptr);
    EXPECT_EQ(up[0].attr(uapi::OVS_PACKET_ATTR_HASH)->get_u64(), hash);
    for (u32 port : { 2u, 3u }) {
        std::vector<SentPacket> out = host.take_sent(port);
        ASSERT_EQ(out.size(), 1u);
        EXPECT_TRUE(out[0].via_mru) << "port " << port;
        EXPECT_EQ(out[0].mru, 600) << "port " << port;
        EXPECT_EQ(out[0].eth_type, htons(kEthPIp));
    }
    // Without MRU: the plain transmit.
    Request r2(&net, uapi::kPacketAttrMax, ifindex);
    Nl one;
    output(one, 2);
    ASSERT_EQ(execute(exec_req(r2, f, in_port_key(1), one)), 0);
    std::vector<SentPacket> out = host.take_sent(2);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_FALSE(out[0].via_mru);
}

TEST_F(PacketPathTest, ExecuteOverTheBudgetIsE2bigWithItsMessage)
{
    // 60,000 bytes at MRU 36: 7,500 packets an output, 8 outputs fit.
    Bytes f = udp_frame(1, 2, 60000 - 28);
    Nl acts;
    for (int i = 0; i < 100; i++)
        output(acts, 2);
    Request r(&net, uapi::kPacketAttrMax, ifindex);
    exec_req(r, f, in_port_key(1), acts);
    u16 mru = 36;
    r.put(uapi::OVS_PACKET_ATTR_MRU, &mru, sizeof(mru));
    const void* acts_attr = r.table[uapi::OVS_PACKET_ATTR_ACTIONS];
    EXPECT_EQ(execute(r), -err::TOOBIG);
    EXPECT_STREQ(r.req.extack_msg, "Actions exceeded the packet budget of one execution");
    EXPECT_EQ(r.req.extack_attr, acts_attr);
    std::vector<SentPacket> out = host.take_sent(2);
    EXPECT_GT(out.size(), 0u);
    EXPECT_LT(out.size(), 100u);
    EXPECT_EQ(dp_budget_drops(dp), 1u);
}

TEST_F(PacketPathTest, ExecuteBreathesBetweenOutputsOfALongList)
{
    Bytes f = udp_frame(1, 2);
    Nl acts;
    for (int i = 0; i < 1000; i++)
        output(acts, 2);
    u64 before = host.bh_enables();
    Request r(&net, uapi::kPacketAttrMax, ifindex);
    ASSERT_EQ(execute(exec_req(r, f, in_port_key(1), acts)), 0);
    EXPECT_EQ(host.take_sent(2).size(), 1000u);
    EXPECT_GT(host.bh_enables() - before, 10u) << "a breath every 64 outputs, and one at the end";
}

TEST_F(PacketPathTest, ExecuteWithoutMemoryFailsCleanly)
{
    Bytes f = udp_frame(1, 2);
    Nl acts;
    acts.begin(uapi::OVS_ACTION_ATTR_CLONE);
    output(acts, 2);
    acts.end();
    output(acts, 3);
    host.set_alloc_failure(true);
    Request r(&net, uapi::kPacketAttrMax, ifindex);
    EXPECT_EQ(execute(exec_req(r, f, in_port_key(1), acts)), -err::NOMEM);
    host.set_alloc_failure(false);
    EXPECT_TRUE(host.take_sent().empty());
}

// EXECUTE and receive (RCU only) while flows come and go (flow NEW/DEL take
// ovs_mutex themselves or through the dispatcher) and are dumped and read
// with GET (RCU only), on several simulated CPUs, all through the command
// table with its locking.
TEST_F(PacketPathTest, ConcurrentExecuteReceiveDumpAndFlowChanges)
{
    std::atomic<bool> stop { false };
    constexpr int kFlows = 16;
    auto ufid_of = [](int i) {
        std::array<u8, 16> u {};
        u[0] = static_cast<u8>(i + 1);
        u[15] = 0x5a;
        return u;
    };
    auto churn = [&] {
        int round = 0;
        while (!stop.load()) {
            for (int i = 0; i < kFlows; i++) {
                Nl a;
                output(a, 2 + (i + round) % 2);
                auto u = ufid_of(i);
                if (install(udp_frame(static_cast<u16>(100 + i), 1), 1, a, 0, u.data()) == -err::EXIST)
                    remove(u.data());
            }
            round++;
        }
    };
    std::atomic<long> dumps { 0 }, gets_found { 0 };
    auto dumper = [&] {
        while (!stop.load()) {
            long args[6] = {};
            ovsdp_dump d {};
            d.net = &net;
            d.args = args;
            d.dp_ifindex = ifindex;
            {
                std::lock_guard<std::mutex> g(kernel.sent_mu);
                kernel.dump_capacity = 1 << 20;
                kernel.dump_used = 0;
            }
            EXPECT_EQ(cmd::flow_dump(&d), 0);
            kernel.reset();
            dumps++;
        }
    };
    auto getter = [&] {
        for (int n = 0; !stop.load(); n++) {
            auto u = ufid_of(n % kFlows);
            Request r(&net, uapi::kFlowAttrMax, ifindex);
            r.put(uapi::OVS_FLOW_ATTR_UFID, u.data(), 16);
            int rc = cmd::flow_get(r.finish());
            EXPECT_TRUE(rc == 0 || rc == -err::NOENT) << rc;
            gets_found += rc == 0;
        }
    };
    std::atomic<u64> executed { 0 }, recirculated { 0 };
    // At least 400 each, and on until a dump and a found GET ran beside them
    // (on a loaded machine the first dump may take longer than 400).
    auto executor = [&](int cpu) {
        set_cpu(cpu);
        for (int n = 0; n < 400 || ((dumps.load() < 1 || gets_found.load() < 1) && n < 1000000); n++) {
            recirculated += n % 3 == 0;
            Nl acts;
            if (n % 3 == 0)
                acts.u32_(uapi::OVS_ACTION_ATTR_RECIRC, 0);
            else
                output(acts, 2 + n % 2);
            Request r(&net, uapi::kPacketAttrMax, ifindex);
            EXPECT_EQ(execute(exec_req(r, udp_frame(static_cast<u16>(100 + n % kFlows), 1), in_port_key(1), acts)), 0);
            executed++;
        }
        set_cpu(-1);
    };
    auto receiver = [&](int cpu) {
        set_cpu(cpu);
        for (int n = 0; n < 400; n++)
            receive(udp_frame(static_cast<u16>(100 + n % (kFlows + 4)), 1), 1, static_cast<u32>(n + 1));
        set_cpu(-1);
    };
    std::thread c(churn), d(dumper), g(getter);
    std::thread e0(executor, 0), e1(executor, 1 % ovsdp_nr_cpu_ids());
    std::thread r0(receiver, 0), r1(receiver, 1 % ovsdp_nr_cpu_ids());
    e0.join();
    e1.join();
    r0.join();
    r1.join();
    stop = true;
    c.join();
    d.join();
    g.join();
    EXPECT_GE(executed.load(), 800u);
    EXPECT_GT(dumps.load(), 0);
    EXPECT_GT(gets_found.load(), 0);
    uapi::DpStats s = stats();
    EXPECT_EQ(s.n_hit + s.n_missed, 800u + recirculated.load()) << "each receive and each recirculation looked up once";
    host.take_sent();
    host.take_upcalls();
}

} // namespace

// ---- Conntrack through the packet path (the userspace tracker) -------------------

namespace {

// udp_frame() the other way: 10.0.0.2:sport to 10.0.0.1:dport.
Bytes udp_reply(u16 sport, u16 dport)
{
    Bytes f = udp_frame(sport, dport);
    for (int i = 0; i < 4; i++)
        std::swap(f[26 + i], f[30 + i]);
    return f;
}

Nl ct_nest(const Nl& attrs)
{
    Nl n;
    n.nested(uapi::OVS_ACTION_ATTR_CT, attrs);
    return n;
}

// A stateful firewall as OVS builds one: ct(zone) and recirculate, then
// commit new connections with a mark and labels, and see the reply as
// established in the same zone; another zone keeps the same tuple apart,
// ct_clear forgets it, and the flows' ct resources go with the flows.
TEST_F(PacketPathTest, ConntrackCommitStateZoneMarkLabelsAndClear)
{
    ct_flush();
    ASSERT_EQ(new_port("p4", 4, { 2001 }), 0); // another port with an upcall PID
    Bytes f = udp_frame(1000, 53);
    Bytes r = udp_reply(53, 1000);

    Nl track;
    track.append(ct_nest(Nl().u16_(uapi::OVS_CT_ATTR_ZONE, 5))).u32_(uapi::OVS_ACTION_ATTR_RECIRC, 1);
    ASSERT_EQ(install(f, 1, track), 0) << last_msg;
    EXPECT_EQ(ct_live_actions(), 1);

    // First packet: +trk+new in zone 5, the original tuple is its own.
    receive(f, 1);
    std::vector<Upcall> up = host.take_upcalls();
    ASSERT_EQ(up.size(), 1u);
    FlowKey k;
    ASSERT_TRUE(up[0].key(&k));
    EXPECT_EQ(k.recirc_id, 1u);
    EXPECT_EQ(k.ct.state, uapi::kCtStateTracked | uapi::kCtStateNew);
    EXPECT_EQ(k.ct.zone, 5);
    EXPECT_EQ(k.ct.mark, 0u);
    EXPECT_EQ(k.ct.orig_proto, 17);
    EXPECT_EQ(k.ct.orig_tp_src, htons(1000));
    EXPECT_EQ(k.ct.orig.ipv4.dst, htonl(0x0a000002));
    EXPECT_EQ(ct_connections(5, false), 1u);
    EXPECT_EQ(ct_connections(5), 0u); // not committed

    // Commit +trk+new with a mark and labels, and forward.
    uapi::OvsCtLabels labels;
    std::memset(&labels, 0, sizeof(labels));
    labels.value[0] = 0xab;
    labels.mask[0] = 0xff;
    Nl commit;
    commit.append(ct_nest(Nl().flag(uapi::OVS_CT_ATTR_COMMIT).u16_(uapi::OVS_CT_ATTR_ZONE, 5)
                              .val(uapi::OVS_CT_ATTR_MARK, uapi::OvsCtMark { 7, 0xff }).val(uapi::OVS_CT_ATTR_LABELS, labels)));
    output(commit, 2);
    Bytes key_new = key_attrs(k);
    {
        Request req(&net, uapi::kFlowAttrMax, ifindex);
        req.put(uapi::OVS_FLOW_ATTR_KEY, key_new.data(), key_new.size());
        req.put(uapi::OVS_FLOW_ATTR_ACTIONS, commit.bytes().data(), commit.size());
        ASSERT_EQ(cmd::flow_new(req.finish()), 0) << req.req.extack_msg;
    }
    receive(f, 1);
    EXPECT_EQ(host.take_sent(2).size(), 1u);
    EXPECT_EQ(ct_connections(5), 1u);

    // The reply in the same zone: +trk+est+rpl, the connection's mark and
    // labels, the original direction's tuple.
    Nl track_reply;
    track_reply.append(ct_nest(Nl().u16_(uapi::OVS_CT_ATTR_ZONE, 5))).u32_(uapi::OVS_ACTION_ATTR_RECIRC, 2);
    ASSERT_EQ(install(r, 4, track_reply), 0) << last_msg;
    receive(r, 4);
    up = host.take_upcalls();
    ASSERT_EQ(up.size(), 1u);
    ASSERT_TRUE(up[0].key(&k));
    EXPECT_EQ(k.ct.state, uapi::kCtStateTracked | uapi::kCtStateEstablished | uapi::kCtStateReplyDir);
    EXPECT_EQ(k.ct.mark, 7u);
    EXPECT_EQ(k.ct.labels[0], 0xab);
    EXPECT_EQ(k.ct.orig_tp_src, htons(1000));
    EXPECT_EQ(k.ct.orig.ipv4.src, htonl(0x0a000001));

    // The original direction after the reply: +trk+est, no longer the
    // committed flow's +new key: a miss at recirc 1.
    receive(f, 1);
    up = host.take_upcalls();
    ASSERT_EQ(up.size(), 1u);
    ASSERT_TRUE(up[0].key(&k));
    EXPECT_EQ(k.ct.state, uapi::kCtStateTracked | uapi::kCtStateEstablished);

    // Another zone: the same tuple is a new connection there; ct_clear then
    // leaves an untracked key.
    Nl other;
    other.append(ct_nest(Nl().u16_(uapi::OVS_CT_ATTR_ZONE, 6))).u32_(uapi::OVS_ACTION_ATTR_RECIRC, 3);
    ASSERT_EQ(install(f, 4, other), 0) << last_msg;
    receive(f, 4);
    up = host.take_upcalls();
    ASSERT_EQ(up.size(), 1u);
    ASSERT_TRUE(up[0].key(&k));
    EXPECT_EQ(k.ct.state, uapi::kCtStateTracked | uapi::kCtStateNew);
    EXPECT_EQ(k.ct.zone, 6);
    Bytes g = udp_frame(1001, 53);
    Nl cleared;
    cleared.append(ct_nest(Nl().u16_(uapi::OVS_CT_ATTR_ZONE, 5))).flag(uapi::OVS_ACTION_ATTR_CT_CLEAR)
        .u32_(uapi::OVS_ACTION_ATTR_RECIRC, 4);
    ASSERT_EQ(install(g, 1, cleared), 0) << last_msg;
    receive(g, 1);
    up = host.take_upcalls();
    ASSERT_EQ(up.size(), 1u);
    ASSERT_TRUE(up[0].key(&k));
    EXPECT_EQ(k.recirc_id, 4u);
    FlowKeyCt zero {};
    EXPECT_EQ(std::memcmp(&k.ct, &zero, sizeof(zero)), 0);

    // A packet that arrives carrying a connection (the host stack tracked
    // it): the key says so from the start (upstream's ovs_ct_fill_key()).
    {
        UserPacket carried(g.data(), g.size());
        FlowKey gk = key_of(g, 4);
        ovsdp_ct_action act {};
        act.zone = 5;
        act.family = 2;
        act.flags = OVSDP_CT_F_COMMIT;
        ASSERT_EQ(ct_execute(carried, gk, act), 0);
        receive(g, 4, 0, &carried);
    }
    up = host.take_upcalls();
    ASSERT_EQ(up.size(), 1u);
    ASSERT_TRUE(up[0].key(&k));
    EXPECT_EQ(k.recirc_id, 0u);
    EXPECT_EQ(k.ct.state, uapi::kCtStateTracked | uapi::kCtStateNew);
    EXPECT_EQ(k.ct.zone, 5);
    EXPECT_EQ(k.ct.orig_tp_src, htons(1001));

    EXPECT_EQ(ct_live_actions(), 5);
    {
        OvsLock ovsl;
        ovsdp_destroy_all();
    }
    ovsdp_rcu_barrier();
    EXPECT_EQ(ct_live_actions(), 0) << "ct resources left after the flows were freed";
    ct_flush();
}

// EXECUTE: the ct fields of OVS_PACKET_ATTR_KEY reach the actions (a
// packet coming back from userspace keeps its state), and ct runs there too.
TEST_F(PacketPathTest, ExecuteKeepsTheKeysConntrackFields)
{
    ct_flush();
    Bytes f = udp_frame(7, 8);
    FlowKey k = key_of(f, 1);
    k.ct.state = uapi::kCtStateTracked | uapi::kCtStateEstablished;
    k.ct.zone = 3;
    k.ct.mark = 0x55;
    Bytes ka = key_attrs(k);
    Nl key;
    key.raw(ka);
    Nl up_acts;
    up_acts.nested(uapi::OVS_ACTION_ATTR_USERSPACE, Nl().u32_(uapi::OVS_USERSPACE_ATTR_PID, 77));
    {
        Request r(&net, uapi::kPacketAttrMax, ifindex);
        ASSERT_EQ(execute(exec_req(r, f, key, up_acts)), 0) << r.req.extack_msg;
    }
    std::vector<Upcall> up = host.take_upcalls();
    ASSERT_EQ(up.size(), 1u);
    FlowKey got;
    ASSERT_TRUE(up[0].key(&got));
    EXPECT_EQ(got.ct.state, k.ct.state);
    EXPECT_EQ(got.ct.zone, 3);
    EXPECT_EQ(got.ct.mark, 0x55u);

    Nl with_ct;
    with_ct.append(ct_nest(Nl().flag(uapi::OVS_CT_ATTR_COMMIT).u16_(uapi::OVS_CT_ATTR_ZONE, 9)))
        .nested(uapi::OVS_ACTION_ATTR_USERSPACE, Nl().u32_(uapi::OVS_USERSPACE_ATTR_PID, 77));
    {
        Request r(&net, uapi::kPacketAttrMax, ifindex);
        ASSERT_EQ(execute(exec_req(r, f, key, with_ct)), 0) << r.req.extack_msg;
    }
    up = host.take_upcalls();
    ASSERT_EQ(up.size(), 1u);
    ASSERT_TRUE(up[0].key(&got));
    EXPECT_EQ(got.ct.state, uapi::kCtStateTracked | uapi::kCtStateNew);
    EXPECT_EQ(got.ct.zone, 9);
    EXPECT_EQ(ct_connections(9), 1u);
    EXPECT_EQ(ct_live_actions(), 0);
    ct_flush();
}

// ---- IP fragments through ct ----

// An Ethernet frame around IPv4 header `ip` (its checksum computed) and
// `payload`.
Bytes ipv4_frame(Bytes ip, const Bytes& payload)
{
    Bytes f = { 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00 };
    u16 len = static_cast<u16>(ip.size() + payload.size());
    ip[2] = u8(len >> 8);
    ip[3] = u8(len);
    ip[10] = ip[11] = 0;
    u32 sum = 0;
    for (usize i = 0; i < ip.size(); i += 2)
        sum += static_cast<u32>(ip[i] << 8 | ip[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    ip[10] = u8(~sum >> 8);
    ip[11] = u8(~sum);
    f.insert(f.end(), ip.begin(), ip.end());
    f.insert(f.end(), payload.begin(), payload.end());
    return f;
}

// A UDP datagram (1000 -> 53, `n` payload bytes) from 10.0.0.1 to 10.0.0.2,
// whole and cut into fragments of at most `per` payload bytes (a multiple of 8).
struct Fragmented {
    Bytes whole;
    std::vector<Bytes> frags;
};
Fragmented udp4_fragmented(usize n, usize per, u16 id = 0x1234)
{
    Bytes udp = { 0x03, 0xe8, 0, 53, u8((8 + n) >> 8), u8(8 + n), 0, 0 };
    for (usize i = 0; i < n; i++)
        udp.push_back(static_cast<u8>(i * 7));
    Bytes ip = { 0x45, 0, 0, 0, u8(id >> 8), u8(id), 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2 };
    Fragmented r;
    r.whole = ipv4_frame(ip, udp);
    for (usize off = 0; off < udp.size(); off += per) {
        usize len = std::min(per, udp.size() - off);
        u16 fo = static_cast<u16>(off / 8 | (off + len < udp.size() ? 0x2000 : 0));
        ip[6] = u8(fo >> 8);
        ip[7] = u8(fo);
        r.frags.push_back(ipv4_frame(ip, Bytes(udp.begin() + long(off), udp.begin() + long(off + len))));
    }
    return r;
}

// The same over IPv6 (2001:db8::1 -> 2001:db8::2), a fragment header in each
// fragment.
Fragmented udp6_fragmented(usize n, usize per, u32 id = 0xabcd)
{
    Bytes udp = { 0x03, 0xe8, 0, 53, u8((8 + n) >> 8), u8(8 + n), 0, 0 };
    for (usize i = 0; i < n; i++)
        udp.push_back(static_cast<u8>(i * 5));
    Bytes ip6 = { 0x60, 0, 0, 0, 0, 0, 17, 64 };
    for (int a = 1; a <= 2; a++) {
        Bytes addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, u8(a) };
        ip6.insert(ip6.end(), addr.begin(), addr.end());
    }
    Bytes eth = { 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x86, 0xdd };
    auto frame = [&](Bytes h, const Bytes& rest) {
        h[4] = u8(rest.size() >> 8);
        h[5] = u8(rest.size());
        Bytes f = eth;
        f.insert(f.end(), h.begin(), h.end());
        f.insert(f.end(), rest.begin(), rest.end());
        return f;
    };
    Fragmented r;
    r.whole = frame(ip6, udp);
    ip6[6] = 44;
    for (usize off = 0; off < udp.size(); off += per) {
        usize len = std::min(per, udp.size() - off);
        u16 fo = static_cast<u16>(off | (off + len < udp.size() ? 1 : 0));
        Bytes rest = { 17, 0, u8(fo >> 8), u8(fo), u8(id >> 24), u8(id >> 16), u8(id >> 8), u8(id) };
        rest.insert(rest.end(), udp.begin() + long(off), udp.begin() + long(off + len));
        r.frags.push_back(frame(ip6, rest));
    }
    return r;
}

// ct on fragments (upstream's handle_fragments()): each fragment but the
// last to arrive is kept (no output, no upcall, not counted as dropped); the
// one that completes the datagram goes on as the whole datagram, keyed again
// (not a fragment, its UDP ports), tracked, and output with the largest
// fragment's size as its MRU (the MRU path of output fragments it again).
TEST_F(PacketPathTest, ConntrackReassemblesFragmentsAndOutputsWithTheirMru)
{
    auto fresh_dp = [&] {
        {
            OvsLock ovsl;
            ovsdp_destroy_all();
        }
        ovsdp_rcu_barrier();
        ct_flush();
        ASSERT_EQ(new_dp("dp0"), 0);
        ifindex = dp_ifindex("dp0");
        dp = dp_lookup_by_ifindex(&net, ifindex);
        ASSERT_EQ(new_port("p1", 1, p1_pids), 0);
        ASSERT_EQ(new_port("p2", 2), 0);
    };
    ct_flush();
    for (bool v6 : { false, true }) {
        SCOPED_TRACE(v6 ? "IPv6" : "IPv4");
        Fragmented d = v6 ? udp6_fragmented(1000, 400) : udp4_fragmented(1000, 400);
        ASSERT_EQ(d.frags.size(), 3u);
        Nl acts;
        output(acts.append(ct_nest(Nl().flag(uapi::OVS_CT_ATTR_COMMIT).u16_(uapi::OVS_CT_ATTR_ZONE, 7))), 2);
        ASSERT_EQ(install(d.frags[0], 1, acts), 0) << last_msg; // first fragment
        ASSERT_EQ(install(d.frags[1], 1, acts), 0) << last_msg; // later fragments
        u64 dropped = host.dropped();
        // Out of order: the last, a middle one, then the first.
        receive(d.frags[2], 1);
        receive(d.frags[1], 1);
        EXPECT_TRUE(host.take_sent(2).empty());
        EXPECT_TRUE(host.take_upcalls().empty());
        EXPECT_EQ(ct_frag_queues(), 1u);
        receive(d.frags[0], 1);
        std::vector<SentPacket> sent = host.take_sent(2);
        ASSERT_EQ(sent.size(), 1u);
        EXPECT_TRUE(sent[0].via_mru);
        u16 largest = static_cast<u16>(v6 ? 40 + 8 + 400 : 20 + 400);
        EXPECT_EQ(sent[0].mru, largest);
        EXPECT_EQ(sent[0].bytes, d.whole);
        EXPECT_EQ(host.dropped(), dropped);
        EXPECT_EQ(ct_frag_queues(), 0u);
        EXPECT_EQ(ct_connections(7), 1u) << "the datagram's 5-tuple committed";

        // Overlapping fragments: the datagram is dropped, nothing goes out.
        Fragmented o = v6 ? udp6_fragmented(1000, 400, 99) : udp4_fragmented(1000, 400, 99);
        Fragmented o2 = v6 ? udp6_fragmented(1000, 200, 99) : udp4_fragmented(1000, 200, 99);
        receive(o.frags[1], 1);  // 400..800
        receive(o2.frags[3], 1); // 600..800 again
        receive(o.frags[0], 1);
        receive(o.frags[2], 1);
        EXPECT_TRUE(host.take_sent(2).empty());
        EXPECT_TRUE(host.take_upcalls().empty());

        // Through ct and recirculation: the key at recirc 1 is the whole
        // datagram's, tracked, and the upcall carries the MRU.
        fresh_dp();
        Nl rec;
        rec.append(ct_nest(Nl().u16_(uapi::OVS_CT_ATTR_ZONE, 8))).u32_(uapi::OVS_ACTION_ATTR_RECIRC, 1);
        ASSERT_EQ(install(d.frags[0], 1, rec), 0) << last_msg;
        ASSERT_EQ(install(d.frags[1], 1, rec), 0) << last_msg;
        for (const Bytes& f : d.frags)
            receive(f, 1);
        std::vector<Upcall> up = host.take_upcalls();
        ASSERT_EQ(up.size(), 1u);
        FlowKey k;
        ASSERT_TRUE(up[0].key(&k));
        EXPECT_EQ(k.recirc_id, 1u);
        EXPECT_EQ(k.ip.frag, kFragNone);
        EXPECT_EQ(k.tp.src, htons(1000));
        EXPECT_EQ(k.tp.dst, htons(53));
        EXPECT_EQ(k.ct.state, uapi::kCtStateTracked | uapi::kCtStateNew);
        EXPECT_EQ(k.ct.zone, 8);
        const NlAttr* mru = up[0].attr(uapi::OVS_PACKET_ATTR_MRU);
        ASSERT_NE(mru, nullptr);
        EXPECT_EQ(mru->get_u16(), largest);
        EXPECT_EQ(up[0].packet(), d.whole);
        fresh_dp();
    }
    EXPECT_EQ(ct_live_actions(), 0);
}

// ---- Receive through a tunnel device (collect-metadata vxlan, geneve, gre ...) ----

// What a collect-metadata device attaches on receive (mode RX).
ovsdp_tunnel rx_tunnel_v4(u64 vni, u16 flags, u8 ttl)
{
    ovsdp_tunnel t {};
    t.tun_id = htonll(vni);
    const u8 src[4] = { 192, 168, 1, 1 }, dst[4] = { 192, 168, 1, 2 };
    std::memcpy(t.src, src, 4);
    std::memcpy(t.dst, dst, 4);
    t.tun_flags = htons(flags);
    t.tos = 0x10;
    t.ttl = ttl;
    t.tp_src = htons(50000);
    t.tp_dst = htons(4789);
    return t;
}

class TunnelReceiveTest : public PacketPathTest {
protected:
    // A frame received on `port` with tunnel metadata `t` and its options;
    // the one upcall it makes.
    Upcall receive_tunneled(const Bytes& f, const ovsdp_tunnel& t, const u8* opts, u32 port = 1, u32 mark = 0)
    {
        UserPacket pkt(f.data(), f.size(), 0x1234);
        EXPECT_TRUE(pkt.set_tunnel(t, opts));
        pkt.set_mark(mark);
        ovsdp_local_bh_disable();
        {
            RcuReadGuard rcu;
            const void* info = pkt.has_tunnel() ? &pkt.tunnel() : nullptr;
            dp_vport_receive(host, vport(port), move(pkt), info);
        }
        ovsdp_local_bh_enable();
        std::vector<Upcall> up = host.take_upcalls();
        EXPECT_EQ(up.size(), 1u);
        return up.empty() ? Upcall {} : up[0];
    }
    // The OVS_KEY_ATTR_TUNNEL nest of an upcall's key (empty if none).
    static Bytes tunnel_nest(const Upcall& u)
    {
        const NlAttr* k = u.attr(uapi::OVS_PACKET_ATTR_KEY);
        if (!k)
            return {};
        for (const NlAttr* a : nla_range(k->payload()))
            if (a->type() == uapi::OVS_KEY_ATTR_TUNNEL)
                return Bytes(a->data(), a->data() + a->len());
        return {};
    }
};

TEST_F(TunnelReceiveTest, GeneveTunnelIsKeyedAndGoesUpAsUpstreamWritesIt)
{
    Bytes f = udp_frame(7, 8);
    ovsdp_tunnel t = rx_tunnel_v4(0x123456, kTunnelKey | kTunnelCsum | kTunnelGeneveOpt, 63);
    t.tp_dst = htons(6081);
    // Two TLVs: class 0x0102 type 0x80 len 1 word, class 0xffff type 1 len 2 words.
    const u8 opts[20] = { 0x01, 0x02, 0x80, 0x01, 0xde, 0xad, 0xbe, 0xef, 0xff, 0xff, 0x01, 0x02,
                          1, 2, 3, 4, 5, 6, 7, 8 };
    t.options_len = sizeof(opts);
    Upcall u = receive_tunneled(f, t, opts);
    FlowKey k;
    ASSERT_TRUE(u.key(&k));
    EXPECT_EQ(k.tun_key.ip_family, kAfInet);
    EXPECT_EQ(k.tun_key.tun_id, htonll(0x123456));
    EXPECT_EQ(k.tun_key.ttl, 63);
    EXPECT_EQ(k.tun_key.tos, 0x10);
    EXPECT_EQ(k.tun_key.tp_src, htons(50000));
    EXPECT_EQ(k.tun_key.tp_dst, htons(6081));
    EXPECT_EQ(k.tun_key.tun_flags, htons(kTunnelKey | kTunnelCsum | kTunnelGeneveOpt));
    ASSERT_EQ(k.tun_opts_len, sizeof(opts));
    EXPECT_EQ(std::memcmp(k.tun_opts_data(), opts, sizeof(opts)), 0);
    EXPECT_EQ(ntohs(k.tp.src), 7) << "the inner packet keyed as usual";

    // Upstream's __ip_tun_to_nlattr, attribute by attribute.
    Nl want;
    want.be64_(uapi::OVS_TUNNEL_KEY_ATTR_ID, 0x123456)
        .put(uapi::OVS_TUNNEL_KEY_ATTR_IPV4_SRC, t.src, 4)
        .put(uapi::OVS_TUNNEL_KEY_ATTR_IPV4_DST, t.dst, 4)
        .u8_(uapi::OVS_TUNNEL_KEY_ATTR_TOS, 0x10)
        .u8_(uapi::OVS_TUNNEL_KEY_ATTR_TTL, 63)
        .flag(uapi::OVS_TUNNEL_KEY_ATTR_CSUM)
        .be16_(uapi::OVS_TUNNEL_KEY_ATTR_TP_SRC, 50000)
        .be16_(uapi::OVS_TUNNEL_KEY_ATTR_TP_DST, 6081)
        .put(uapi::OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS, opts, sizeof(opts));
    EXPECT_EQ(tunnel_nest(u), want.bytes());

    // OVS installs the upcall's key as an exact-match flow: the same tunnel
    // hits it, another VNI or another option byte misses.
    const NlAttr* ka = u.attr(uapi::OVS_PACKET_ATTR_KEY);
    {
        Request r(&net, uapi::kFlowAttrMax, ifindex);
        r.put(uapi::OVS_FLOW_ATTR_KEY, ka->data(), ka->len());
        Nl acts;
        output(acts, 2);
        r.put(uapi::OVS_FLOW_ATTR_ACTIONS, acts.bytes().data(), acts.size());
        ASSERT_EQ(cmd::flow_new(r.finish()), 0) << r.req.extack_msg;
    }
    auto hits = [&](const ovsdp_tunnel& tt, const u8* o) {
        UserPacket pkt(f.data(), f.size(), 0x1234);
        EXPECT_TRUE(pkt.set_tunnel(tt, o));
        ovsdp_local_bh_disable();
        {
            RcuReadGuard rcu;
            const void* info = &pkt.tunnel();
            dp_vport_receive(host, vport(1), move(pkt), info);
        }
        ovsdp_local_bh_enable();
        bool sent = host.take_sent(2).size() == 1;
        bool up = host.take_upcalls().size() == 1;
        EXPECT_NE(sent, up);
        return sent;
    };
    EXPECT_TRUE(hits(t, opts));
    ovsdp_tunnel other = t;
    other.tun_id = htonll(0x123457);
    EXPECT_FALSE(hits(other, opts));
    u8 opts2[20];
    std::memcpy(opts2, opts, sizeof(opts));
    opts2[19] ^= 1;
    EXPECT_FALSE(hits(t, opts2));
    other = t;
    other.options_len = 16; // shorter options (the same trailing bytes)
    EXPECT_FALSE(hits(other, opts + 4));
    // No tunnel at all misses too.
    receive(f, 1);
    EXPECT_EQ(host.take_upcalls().size(), 1u);
    EXPECT_TRUE(host.take_sent(2).empty());
}

TEST_F(TunnelReceiveTest, NoKeyFlagMeansNoIdAttribute)
{
    Bytes f = udp_frame(7, 8);
    // A GRE packet without a key: the ID is in the key (0) but not written.
    ovsdp_tunnel t = rx_tunnel_v4(0, kTunnelDontFragment, 64);
    t.tp_src = t.tp_dst = 0;
    t.tos = 0;
    Upcall u = receive_tunneled(f, t, nullptr);
    Nl want;
    want.put(uapi::OVS_TUNNEL_KEY_ATTR_IPV4_SRC, t.src, 4)
        .put(uapi::OVS_TUNNEL_KEY_ATTR_IPV4_DST, t.dst, 4)
        .u8_(uapi::OVS_TUNNEL_KEY_ATTR_TTL, 64)
        .flag(uapi::OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT);
    EXPECT_EQ(tunnel_nest(u), want.bytes());
    FlowKey k;
    ASSERT_TRUE(u.key(&k));
    EXPECT_EQ(k.tun_key.tun_flags, htons(kTunnelDontFragment));
    EXPECT_EQ(k.tun_opts_len, 0);
}

TEST_F(TunnelReceiveTest, Ipv6OuterVxlanGbpAndErspan)
{
    Bytes f = udp_frame(7, 8);
    // VXLAN over IPv6 with the GBP extension (struct vxlan_metadata: u32 gbp).
    ovsdp_tunnel t = rx_tunnel_v4(5000, kTunnelKey | kTunnelOam | kTunnelVxlanOpt, 255);
    t.mode = kTunnelInfoIpv6;
    for (int i = 0; i < 16; i++) {
        t.src[i] = static_cast<u8>(0x20 + i);
        t.dst[i] = static_cast<u8>(0x40 + i);
    }
    u32 gbp = 0x00c80123; // G bit and policy id 0x123, host order as the kernel keeps it
    t.options_len = 4;
    Upcall u = receive_tunneled(f, t, reinterpret_cast<const u8*>(&gbp));
    FlowKey k;
    ASSERT_TRUE(u.key(&k));
    EXPECT_EQ(k.tun_key.ip_family, kAfInet6);
    EXPECT_EQ(std::memcmp(k.tun_key.ipv6.src, t.src, 16), 0);
    EXPECT_EQ(std::memcmp(k.tun_key.ipv6.dst, t.dst, 16), 0);
    ASSERT_EQ(k.tun_opts_len, 4);
    EXPECT_EQ(std::memcmp(k.tun_opts_data(), &gbp, 4), 0);
    Nl want;
    want.be64_(uapi::OVS_TUNNEL_KEY_ATTR_ID, 5000)
        .put(uapi::OVS_TUNNEL_KEY_ATTR_IPV6_SRC, t.src, 16)
        .put(uapi::OVS_TUNNEL_KEY_ATTR_IPV6_DST, t.dst, 16)
        .u8_(uapi::OVS_TUNNEL_KEY_ATTR_TOS, 0x10)
        .u8_(uapi::OVS_TUNNEL_KEY_ATTR_TTL, 255)
        .be16_(uapi::OVS_TUNNEL_KEY_ATTR_TP_SRC, 50000)
        .be16_(uapi::OVS_TUNNEL_KEY_ATTR_TP_DST, 4789)
        .flag(uapi::OVS_TUNNEL_KEY_ATTR_OAM)
        .nested(uapi::OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS, Nl().u32_(uapi::OVS_VXLAN_EXT_GBP, gbp));
    EXPECT_EQ(tunnel_nest(u), want.bytes());

    // ERSPAN v2 (struct erspan_metadata: version, then direction/hwid/...).
    ovsdp_tunnel e = rx_tunnel_v4(100, kTunnelKey | kTunnelErspanOpt, 64);
    e.tp_src = e.tp_dst = 0;
    const u8 md[8] = { 2, 0, 0, 0, 0x10, 0x05, 0, 0 };
    e.options_len = sizeof(md);
    u = receive_tunneled(f, e, md);
    ASSERT_TRUE(u.key(&k));
    ASSERT_EQ(k.tun_opts_len, sizeof(md));
    EXPECT_EQ(std::memcmp(k.tun_opts_data(), md, sizeof(md)), 0);
    want = Nl();
    want.be64_(uapi::OVS_TUNNEL_KEY_ATTR_ID, 100)
        .put(uapi::OVS_TUNNEL_KEY_ATTR_IPV4_SRC, e.src, 4)
        .put(uapi::OVS_TUNNEL_KEY_ATTR_IPV4_DST, e.dst, 4)
        .u8_(uapi::OVS_TUNNEL_KEY_ATTR_TOS, 0x10)
        .u8_(uapi::OVS_TUNNEL_KEY_ATTR_TTL, 64)
        .put(uapi::OVS_TUNNEL_KEY_ATTR_ERSPAN_OPTS, md, sizeof(md));
    EXPECT_EQ(tunnel_nest(u), want.bytes());
}

TEST_F(TunnelReceiveTest, LongestGeneveOptionsFitTheUpcall)
{
    Bytes f = udp_frame(7, 8);
    ovsdp_tunnel t = rx_tunnel_v4(1, kTunnelKey | kTunnelGeneveOpt, 1);
    // 252 bytes: one TLV of 62 words after its 4-byte header (the Geneve maximum).
    u8 opts[252];
    for (usize i = 0; i < sizeof(opts); i++)
        opts[i] = static_cast<u8>(i * 7);
    opts[0] = 0x01, opts[1] = 0x02, opts[2] = 0x80, opts[3] = 62;
    t.options_len = sizeof(opts);
    Upcall u = receive_tunneled(f, t, opts);
    FlowKey k;
    ASSERT_TRUE(u.key(&k));
    ASSERT_EQ(k.tun_opts_len, sizeof(opts));
    EXPECT_EQ(std::memcmp(k.tun_opts_data(), opts, sizeof(opts)), 0);
    EXPECT_EQ(u.packet(), f);
}

TEST_F(TunnelReceiveTest, MetadataFromAnotherNamespaceIsScrubbed)
{
    Bytes f = udp_frame(7, 8);
    host.set_foreign_netns_port(1);
    ovsdp_tunnel t = rx_tunnel_v4(9, kTunnelKey, 64);
    Upcall u = receive_tunneled(f, t, nullptr, 1, 0x77);
    EXPECT_TRUE(tunnel_nest(u).empty()) << "no OVS_KEY_ATTR_TUNNEL";
    FlowKey k;
    ASSERT_TRUE(u.key(&k));
    EXPECT_EQ(k.tun_key.ip_family, 0);
    EXPECT_EQ(k.skb_mark, 0x77u) << "the mark survives the scrub, as upstream";
}

TEST_F(TunnelReceiveTest, MegaflowMasksOverTunnelFieldsAndOptionBytes)
{
    Bytes f = udp_frame(7, 8);
    const u8 opts[8] = { 0x01, 0x02, 0x80, 0x01, 0xaa, 0xbb, 0xcc, 0xdd };
    // Match tun_id 42 exactly, the top byte of the outer destination, and the
    // TLV's class/type/length and its first data byte; nothing else of the
    // tunnel or the packet but in_port and the ethertype.
    Nl key, mask;
    const u8 dst[4] = { 192, 0, 0, 0 };
    const u8 dst_m[4] = { 0xff, 0, 0, 0 };
    const u8 om[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0 };
    key.begin(uapi::OVS_KEY_ATTR_TUNNEL)
        .be64_(uapi::OVS_TUNNEL_KEY_ATTR_ID, 42)
        .put(uapi::OVS_TUNNEL_KEY_ATTR_IPV4_DST, dst, 4)
        .u8_(uapi::OVS_TUNNEL_KEY_ATTR_TTL, 0)
        .put(uapi::OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS, opts, sizeof(opts))
        .end()
        .u32_(uapi::OVS_KEY_ATTR_IN_PORT, 1)
        .put(uapi::OVS_KEY_ATTR_ETHERNET, Bytes(12, 0))
        .be16_(uapi::OVS_KEY_ATTR_ETHERTYPE, 0x0800)
        .put(uapi::OVS_KEY_ATTR_IPV4, Bytes(12, 0));
    mask.begin(uapi::OVS_KEY_ATTR_TUNNEL)
        .be64_(uapi::OVS_TUNNEL_KEY_ATTR_ID, ~0ull)
        .put(uapi::OVS_TUNNEL_KEY_ATTR_IPV4_DST, dst_m, 4)
        .u8_(uapi::OVS_TUNNEL_KEY_ATTR_TTL, 0)
        .put(uapi::OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS, om, sizeof(om))
        .end()
        .u32_(uapi::OVS_KEY_ATTR_IN_PORT, ~0u)
        .put(uapi::OVS_KEY_ATTR_ETHERNET, Bytes(12, 0))
        .be16_(uapi::OVS_KEY_ATTR_ETHERTYPE, 0xffff)
        .put(uapi::OVS_KEY_ATTR_IPV4, Bytes(12, 0));
    {
        Request r(&net, uapi::kFlowAttrMax, ifindex);
        r.put(uapi::OVS_FLOW_ATTR_KEY, key.bytes().data(), key.size());
        r.put(uapi::OVS_FLOW_ATTR_MASK, mask.bytes().data(), mask.size());
        Nl acts;
        output(acts, 3);
        r.put(uapi::OVS_FLOW_ATTR_ACTIONS, acts.bytes().data(), acts.size());
        ASSERT_EQ(cmd::flow_new(r.finish()), 0) << r.req.extack_msg;
    }
    auto hits = [&](const ovsdp_tunnel& tt, const u8* o) {
        UserPacket pkt(f.data(), f.size(), 0x99);
        EXPECT_TRUE(pkt.set_tunnel(tt, o));
        ovsdp_local_bh_disable();
        {
            RcuReadGuard rcu;
            const void* info = &pkt.tunnel();
            dp_vport_receive(host, vport(1), move(pkt), info);
        }
        ovsdp_local_bh_enable();
        bool sent = host.take_sent(3).size() == 1;
        host.take_upcalls();
        return sent;
    };
    ovsdp_tunnel t = rx_tunnel_v4(42, kTunnelKey | kTunnelGeneveOpt, 17);
    t.options_len = sizeof(opts);
    EXPECT_TRUE(hits(t, opts));
    // Wildcarded: source, TTL, ports, flags, the other option bytes.
    ovsdp_tunnel w = t;
    w.src[3] = 99;
    w.dst[1] = 77;
    w.ttl = 1;
    w.tp_src = htons(1);
    w.tun_flags |= htons(kTunnelCsum);
    u8 o2[8];
    std::memcpy(o2, opts, 8);
    o2[7] = 0;
    EXPECT_TRUE(hits(w, o2));
    // Matched: the VNI, the top byte of the destination, the first data byte.
    w = t;
    w.tun_id = htonll(43);
    EXPECT_FALSE(hits(w, opts));
    w = t;
    w.dst[0] = 10;
    EXPECT_FALSE(hits(w, opts));
    o2[7] = opts[7];
    o2[4] = 0;
    EXPECT_FALSE(hits(t, o2));
}

// ---- Transmit: set(tunnel) metadata made once, at flow install ----

TEST_F(PacketPathTest, SetTunnelMetadataIsMadeOnceAtInstallAndSharedByPackets)
{
    Bytes f = udp_frame(11, 12);
    const u8 opts[8] = { 0x01, 0x02, 0x80, 0x01, 1, 2, 3, 4 };
    Nl acts;
    acts.begin(uapi::OVS_ACTION_ATTR_SET).begin(uapi::OVS_KEY_ATTR_TUNNEL);
    acts.be64_(uapi::OVS_TUNNEL_KEY_ATTR_ID, 0x77).be32_(uapi::OVS_TUNNEL_KEY_ATTR_IPV4_DST, 0xc0a80002);
    acts.u8_(uapi::OVS_TUNNEL_KEY_ATTR_TTL, 5).flag(uapi::OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT);
    acts.be16_(uapi::OVS_TUNNEL_KEY_ATTR_TP_DST, 6081);
    acts.put(uapi::OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS, opts, sizeof(opts));
    acts.end().end();
    output(acts, 2);
    output(acts, 3);
    long before = live_allocations();
    const u8 ufid[16] = { 0x7e };
    ASSERT_EQ(install(f, 1, acts, 0, ufid), 0) << last_msg;
    // The flow holds the metadata (and its blob) from now on.
    EXPECT_GT(live_allocations(), before);
    for (int i = 0; i < 3; i++)
        receive(f, 1);
    std::vector<SentPacket> out = host.take_sent();
    ASSERT_EQ(out.size(), 6u);
    for (const SentPacket& p : out) {
        ASSERT_TRUE(p.has_tunnel);
        EXPECT_EQ(p.tunnel_block, out[0].tunnel_block) << "one block for every packet, made at install";
        EXPECT_EQ(p.tunnel.tun_id, htonll(0x77));
        EXPECT_EQ(p.tunnel.mode, kTunnelInfoTx);
        // Type 0x80 has the critical bit: validation adds TUNNEL_CRIT_OPT, as upstream.
        EXPECT_EQ(p.tunnel.tun_flags, htons(kTunnelKey | kTunnelDontFragment | kTunnelCritOpt | kTunnelGeneveOpt));
        EXPECT_EQ(p.tunnel.options_len, sizeof(opts));
    }
    // Deleting the flow releases it (the teardown checks nothing is left).
    ASSERT_EQ(remove(ufid), 0);
    ovsdp_rcu_barrier();
    EXPECT_EQ(live_allocations(), before);
}

} // namespace
