// SPDX-License-Identifier: GPL-2.0
// The ovs_datapath / ovs_vport command logic of datapath/, run against the fake
// kernel: errors and extack, port numbering, notifications, dumps that resume,
// devices going away, namespaces exiting, and no leaks.
#include "datapath/datapath.h"
#include "datapath/packet_path.h"
#include "datapath/ovsdp_ext.h"
#include "flow_netlink/flow_netlink.h"
#include "platform/netdev.h"
#include "platform/user/dispatch.h"
#include "platform/user/fake_kernel.h"
#include "platform/user/user_host.h"
#include "platform/user/user_platform.h"

#include <gtest/gtest.h>
#include <atomic>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace ovsdp;
using namespace ovsdp::user;
using fake::Net;
using fake::Request;

namespace {

constexpr int E(int e) { return -e; }

class DatapathTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        fake::k = &kernel;
        // Four CPUs whatever the machine has (a vport takes one upcall PID
        // per possible CPU at most).
        user::set_topology(4, 1);
        baseline = user::live_allocations();
    }
    void TearDown() override
    {
        {
            OvsLock ovsl;
            ovsdp_destroy_all();
        }
        ovsdp_rcu_barrier();
        EXPECT_EQ(user::live_allocations(), baseline) << "leaked allocations";
        EXPECT_EQ(user::packets_leaked(), 0) << "packets left owned by a handle";
        for (auto& [key, d] : kernel.devices)
            EXPECT_EQ(d->refs, 0) << "device reference leaked: " << d->name;
        fake::k = nullptr;
    }

    int new_dp(const std::string& name, u32 features = uapi::kDpFUnaligned | uapi::kDpFVportPids, Net* n = nullptr,
               u8 version = 2)
    {
        Request r(n ? n : &net, uapi::kDpAttrMax, 0, version);
        r.str(uapi::OVS_DP_ATTR_NAME, name).u32(uapi::OVS_DP_ATTR_UPCALL_PID, 0);
        r.u32(uapi::OVS_DP_ATTR_USER_FEATURES, features);
        last_rc = cmd::dp_new(r.finish());
        last_msg = r.req.extack_msg;
        return last_rc;
    }
    int dp_ifindex(const std::string& name, Net* n = nullptr)
    {
        fake::Device* d = kernel.find(n ? n : &net, name);
        return d ? d->ifindex : -1;
    }
    // A broadcast ARP frame, and the OVS_FLOW_ATTR_KEY payload of its exact
    // key as received on `in_port`.
    static constexpr u8 kArpFrame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06 };
    static std::vector<u8> arp_key_attrs(u16 in_port)
    {
        u8 frame[sizeof(kArpFrame)];
        __builtin_memcpy(frame, kArpFrame, sizeof(frame));
        FlowKeyMetadata md;
        md.in_port = in_port;
        FlowKey key;
        auto pkt = user::UserPacket::borrow(frame, sizeof(frame));
        EXPECT_TRUE(key_extract_with_metadata(pkt, md, key).ok());
        u8 buf[2048];
        NlWriter w(buf, sizeof(buf));
        EXPECT_TRUE(put_flow_key(w, uapi::OVS_FLOW_ATTR_KEY, key, key, false));
        return std::vector<u8>(buf + 4, buf + w.size()); // the nest's payload
    }
    int new_port(int ifindex, const std::string& name, u32 type = uapi::OVS_VPORT_TYPE_INTERNAL, u32 port_no = 0,
                 Net* n = nullptr)
    {
        Request r(n ? n : &net, uapi::kVportAttrMax, ifindex, 1);
        r.str(uapi::OVS_VPORT_ATTR_NAME, name).u32(uapi::OVS_VPORT_ATTR_TYPE, type).u32(uapi::OVS_VPORT_ATTR_UPCALL_PID, 0);
        if (port_no)
            r.u32(uapi::OVS_VPORT_ATTR_PORT_NO, port_no);
        last_rc = cmd::vport_new(r.finish());
        last_msg = r.req.extack_msg;
        return last_rc;
    }
    int del_port(int ifindex, const std::string& name)
    {
        Request r(&net, uapi::kVportAttrMax, ifindex, 1);
        r.str(uapi::OVS_VPORT_ATTR_NAME, name);
        return cmd::vport_del(r.finish());
    }
    // Every message a full dump returns, one dump call per skb of `capacity`.
    std::vector<fake::Message> dump_all(int (*cmd)(ovsdp_dump*), int ifindex, size_t capacity, int max_calls,
                                        int* calls = nullptr)
    {
        long args[6] = {};
        ovsdp_dump d {};
        d.net = &net;
        d.args = args;
        d.dp_ifindex = ifindex;
        kernel.dump_capacity = capacity;
        std::vector<fake::Message> all;
        for (int i = 0; i < max_calls; i++) {
            kernel.reset();
            kernel.dump_used = 0;
            EXPECT_EQ(cmd(&d), 0);
            if (kernel.sent.empty())
                break;
            all.insert(all.end(), kernel.sent.begin(), kernel.sent.end());
            if (calls)
                ++*calls;
        }
        return all;
    }
    std::vector<fake::Message> dump_ports(int ifindex, size_t capacity = 1 << 20, int* calls = nullptr)
    {
        return dump_all(cmd::vport_dump, ifindex, capacity, 100000, calls);
    }
    std::vector<fake::Message> dump_flows(int ifindex, size_t capacity = 1 << 20)
    {
        return dump_all(cmd::flow_dump, ifindex, capacity, 1000);
    }
    // OVS_FLOW_CMD_NEW of the ARP key with `actions`, optionally a UFID and
    // netlink flags; the errno (negative) or 0.
    int new_flow(int ifindex, const std::vector<u8>& keyattrs, const std::vector<u8>& actions, const u8* ufid = nullptr,
                 u16 nlmsg_flags = 0)
    {
        Request r(&net, uapi::kFlowAttrMax, ifindex);
        r.put(uapi::OVS_FLOW_ATTR_KEY, keyattrs.data(), keyattrs.size());
        if (ufid)
            r.put(uapi::OVS_FLOW_ATTR_UFID, ufid, 16);
        r.put(uapi::OVS_FLOW_ATTR_ACTIONS, actions.data(), actions.size());
        ovsdp_request* req = r.finish();
        req->nlmsg_flags = nlmsg_flags;
        last_rc = cmd::flow_new(req);
        last_msg = r.req.extack_msg;
        return last_rc;
    }
    static std::vector<u8> outputs(u32 n, u32 port = 1)
    {
        std::vector<u8> v;
        for (u32 i = 0; i < n; i++) {
            u8 a[8] = { 8, 0, uapi::OVS_ACTION_ATTR_OUTPUT, 0 };
            __builtin_memcpy(a + 4, &port, 4);
            v.insert(v.end(), a, a + 8);
        }
        return v;
    }

    // `n` copies of the ARP frame received on `vport`, as on CPU `cpu`
    // (softirq context: BH off, under RCU). Safe from several threads.
    void receive_arp(Vport* vport, int cpu, int n)
    {
        user::set_cpu(cpu % ovsdp_nr_cpu_ids());
        u8 frame[sizeof(kArpFrame)];
        __builtin_memcpy(frame, kArpFrame, sizeof(frame));
        for (int i = 0; i < n; i++) {
            ovsdp_local_bh_disable();
            {
                RcuReadGuard rcu;
                dp_vport_receive(host, vport, user::UserPacket(frame, sizeof(frame)));
            }
            ovsdp_local_bh_enable();
        }
        user::set_cpu(-1);
    }

    fake::Kernel kernel;
    user::UserHost host;
    Net net { 0 };
    Net other { 7 };
    long baseline = 0;
    int last_rc = 0;
    const char* last_msg = nullptr;
};

TEST_F(DatapathTest, CreateReplyAndGet)
{
    ASSERT_EQ(new_dp("dp0"), 0);
    ASSERT_EQ(kernel.sent.size(), 1u);
    const fake::Message& m = kernel.sent[0];
    EXPECT_TRUE(m.notify);
    EXPECT_EQ(m.cmd, uapi::OVS_DP_CMD_NEW);
    EXPECT_EQ(m.dp_ifindex, dp_ifindex("dp0"));
    EXPECT_EQ(m.str(uapi::OVS_DP_ATTR_NAME), "dp0");
    EXPECT_EQ(m.u32(uapi::OVS_DP_ATTR_USER_FEATURES), 3u);
    EXPECT_EQ(m.u32(uapi::OVS_DP_ATTR_MASKS_CACHE_SIZE), 256u);
    ASSERT_NE(m.attr(uapi::OVS_DP_ATTR_STATS), nullptr);
    EXPECT_EQ(m.attr(uapi::OVS_DP_ATTR_STATS)->len(), sizeof(uapi::DpStats));
    EXPECT_EQ(m.attr(uapi::OVS_DP_ATTR_MEGAFLOW_STATS)->len(), sizeof(uapi::DpMegaflowStats));
    EXPECT_EQ(m.attr(uapi::OVS_DP_ATTR_PER_CPU_PIDS), nullptr);

    kernel.reset();
    Request r(&net, uapi::kDpAttrMax, dp_ifindex("dp0"));
    ASSERT_EQ(cmd::dp_get(r.finish()), 0);
    ASSERT_EQ(kernel.sent.size(), 1u);
    EXPECT_FALSE(kernel.sent[0].notify);
    EXPECT_EQ(kernel.sent[0].str(uapi::OVS_DP_ATTR_NAME), "dp0");
}

// The datapath's own counters beyond upstream's (OVSDP_DP_ATTR_EXT_STATS):
// only in replies to a GET that asks for them.
TEST_F(DatapathTest, ExtendedStatisticsOnlyWhenAsked)
{
    ASSERT_EQ(new_dp("dp0"), 0);
    Datapath* dp = dp_lookup_by_ifindex(&net, dp_ifindex("dp0"));
    ASSERT_NE(dp, nullptr);
    ovsdp_local_bh_disable();
    dp_count(dp, &DpPerCpuStats::n_budget_drops, 3);
    ovsdp_local_bh_enable();

    kernel.reset();
    {
        Request r(&net, uapi::kDpAttrMax, dp_ifindex("dp0"));
        ASSERT_EQ(cmd::dp_get(r.finish()), 0);
    }
    ASSERT_EQ(kernel.sent.size(), 1u);
    EXPECT_EQ(kernel.sent[0].attr(OVSDP_DP_ATTR_EXT_STATS), nullptr);
    {
        Request r(&net, uapi::kDpAttrMax, dp_ifindex("dp0"));
        r.put(OVSDP_DP_ATTR_EXT_STATS, nullptr, 0);
        ASSERT_EQ(cmd::dp_get(r.finish()), 0);
    }
    ASSERT_EQ(kernel.sent.size(), 2u);
    const NlAttr* ext = kernel.sent[1].attr(OVSDP_DP_ATTR_EXT_STATS);
    ASSERT_NE(ext, nullptr);
    const NlAttr* drops = nullptr;
    for (const NlAttr* a : nla_range(ext))
        if (a->type() == OVSDP_DP_EXT_BUDGET_DROPS)
            drops = a;
    ASSERT_NE(drops, nullptr);
    EXPECT_EQ(drops->get_u64(), 3u);
    EXPECT_EQ(kernel.sent[1].str(uapi::OVS_DP_ATTR_NAME), "dp0") << "and everything upstream sends";
}

TEST_F(DatapathTest, CreateRefusals)
{
    Request r(&net, uapi::kDpAttrMax);
    r.str(uapi::OVS_DP_ATTR_NAME, "dp0");
    EXPECT_EQ(cmd::dp_new(r.finish()), E(err::INVAL));
    EXPECT_NE(r.req.extack_msg, nullptr);

    EXPECT_EQ(new_dp("dp0", 1u << 31), E(err::OPNOTSUPP));
    EXPECT_STREQ(last_msg, "Unsupported datapath user features");
    EXPECT_EQ(new_dp("dp0", uapi::kDpFTcRecircSharing), E(err::OPNOTSUPP));
    EXPECT_EQ(kernel.find(&net, "dp0"), nullptr) << "a refused datapath left its device";
    EXPECT_TRUE(kernel.sent.empty()) << "a refused datapath was announced";

    ASSERT_EQ(new_dp("dp0"), 0);
    EXPECT_EQ(new_dp("dp0"), E(err::EXIST));
}

TEST_F(DatapathTest, OldClientReusingADatapathDropsItsFeatures)
{
    ASSERT_EQ(new_dp("dp0", uapi::kDpFUnaligned | uapi::kDpFVportPids), 0);
    EXPECT_EQ(new_dp("dp0", 0, nullptr, /*version=*/1), E(err::EXIST));
    kernel.reset();
    Request r(&net, uapi::kDpAttrMax, dp_ifindex("dp0"));
    ASSERT_EQ(cmd::dp_get(r.finish()), 0);
    EXPECT_EQ(kernel.sent[0].u32(uapi::OVS_DP_ATTR_USER_FEATURES), 0u);
}

TEST_F(DatapathTest, SetValidatesBeforeChanging)
{
    ASSERT_EQ(new_dp("dp0"), 0);
    kernel.reset();
    {
        Request r(&net, uapi::kDpAttrMax, dp_ifindex("dp0"));
        r.u32(uapi::OVS_DP_ATTR_USER_FEATURES, uapi::kDpFUnaligned).u32(uapi::OVS_DP_ATTR_MASKS_CACHE_SIZE, 100);
        EXPECT_EQ(cmd::dp_set(r.finish()), E(err::INVAL));
        EXPECT_TRUE(kernel.sent.empty()) << "failed SET notified";
    }
    for (u32 bad : { 3u, 8192u, 4097u }) {
        Request r(&net, uapi::kDpAttrMax, dp_ifindex("dp0"));
        r.u32(uapi::OVS_DP_ATTR_MASKS_CACHE_SIZE, bad);
        EXPECT_EQ(cmd::dp_set(r.finish()), E(err::INVAL)) << bad;
    }
    Request get(&net, uapi::kDpAttrMax, dp_ifindex("dp0"));
    ASSERT_EQ(cmd::dp_get(get.finish()), 0);
    EXPECT_EQ(kernel.sent.back().u32(uapi::OVS_DP_ATTR_USER_FEATURES), 3u) << "features changed by a failed SET";

    u32 pids[3] = { 7, 8, 9 };
    Request r(&net, uapi::kDpAttrMax, dp_ifindex("dp0"));
    r.u32(uapi::OVS_DP_ATTR_USER_FEATURES, uapi::kDpFDispatchUpcallPerCpu).u32(uapi::OVS_DP_ATTR_MASKS_CACHE_SIZE, 0);
    r.put(uapi::OVS_DP_ATTR_PER_CPU_PIDS, pids, sizeof(pids));
    kernel.reset();
    ASSERT_EQ(cmd::dp_set(r.finish()), 0);
    const fake::Message& m = kernel.sent.back();
    EXPECT_TRUE(m.notify);
    EXPECT_EQ(m.u32(uapi::OVS_DP_ATTR_MASKS_CACHE_SIZE), 0u);
    ASSERT_NE(m.attr(uapi::OVS_DP_ATTR_PER_CPU_PIDS), nullptr);
    // As upstream: at most one id per possible CPU is reported.
    EXPECT_EQ(m.attr(uapi::OVS_DP_ATTR_PER_CPU_PIDS)->len(), sizeof(u32) * std::min(3, ovsdp_nr_cpu_ids()));
}

TEST_F(DatapathTest, PortNumbers)
{
    ASSERT_EQ(new_dp("dp0"), 0);
    int ifx = dp_ifindex("dp0");
    for (int i = 1; i <= 3; i++) {
        kernel.reset();
        ASSERT_EQ(new_port(ifx, "p" + std::to_string(i)), 0);
        EXPECT_EQ(kernel.sent[0].u32(uapi::OVS_VPORT_ATTR_PORT_NO), u32(i));
        EXPECT_TRUE(kernel.sent[0].notify);
    }
    ASSERT_EQ(del_port(ifx, "p2"), 0);
    kernel.reset();
    ASSERT_EQ(new_port(ifx, "again"), 0);
    EXPECT_EQ(kernel.sent[0].u32(uapi::OVS_VPORT_ATTR_PORT_NO), 2u) << "lowest free number is reused";
    EXPECT_EQ(new_port(ifx, "n100", uapi::OVS_VPORT_TYPE_INTERNAL, 100), 0);
    EXPECT_EQ(new_port(ifx, "dup", uapi::OVS_VPORT_TYPE_INTERNAL, 100), E(err::BUSY));
    EXPECT_EQ(new_port(ifx, "big", uapi::OVS_VPORT_TYPE_INTERNAL, 65535), E(err::FBIG));
    EXPECT_EQ(new_port(ifx, "max", uapi::OVS_VPORT_TYPE_INTERNAL, 65534), 0);
    EXPECT_EQ(del_port(ifx, "dp0"), E(err::INVAL)) << "local port";
    EXPECT_EQ(new_port(ifx, "gre", uapi::OVS_VPORT_TYPE_GRE), E(err::AFNOSUPPORT));
    EXPECT_EQ(new_port(ifx, "nodev", uapi::OVS_VPORT_TYPE_NETDEV), E(err::NODEV));
    EXPECT_EQ(new_port(12345, "x"), E(err::NODEV));
}

TEST_F(DatapathTest, FullDatapathHolds65535Ports)
{
    ASSERT_EQ(new_dp("dp0"), 0);
    int ifx = dp_ifindex("dp0");
    for (u32 i = 1; i < uapi::kDpMaxPorts; i++)
        ASSERT_EQ(new_port(ifx, "p" + std::to_string(i)), 0) << i;
    kernel.reset();
    EXPECT_EQ(new_port(ifx, "onemore"), E(err::FBIG));
    EXPECT_STREQ(last_msg, "Datapath has no free port number");
    int calls = 0;
    auto ports = dump_ports(ifx, 64 * 1024, &calls);
    EXPECT_EQ(ports.size(), size_t(uapi::kDpMaxPorts));
    EXPECT_GT(calls, 1) << "dump should have needed several messages";
}

TEST_F(DatapathTest, DumpResumesWithoutDuplicates)
{
    ASSERT_EQ(new_dp("dp0"), 0);
    int ifx = dp_ifindex("dp0");
    // Half with automatic numbers, half crowded into three hash buckets.
    for (u32 i = 0; i < 300; i++) {
        u32 j = i - 150;
        u32 port = i < 150 ? 0 : 1024 * (j % 63 + 1) + j / 63 + 1;
        ASSERT_EQ(new_port(ifx, "p" + std::to_string(i), uapi::OVS_VPORT_TYPE_INTERNAL, port), 0) << port;
    }
    int calls = 0;
    auto ports = dump_ports(ifx, 700, &calls); // a few ports per message
    std::set<u32> seen;
    for (auto& m : ports)
        EXPECT_TRUE(seen.insert(m.u32(uapi::OVS_VPORT_ATTR_PORT_NO)).second) << "duplicate in dump";
    EXPECT_EQ(seen.size(), 301u);
    EXPECT_GT(calls, 50);
}

// A vport takes at most one upcall PID per possible CPU (EINVAL beyond, as
// the kernel's module); a port whose array still outgrows the dump's message
// (many CPUs, a small reader buffer) is listed with its first PID instead of
// ending the dump.
TEST_F(DatapathTest, VportUpcallPidsCappedAtCpusAndDumpedWhateverTheirSize)
{
    ASSERT_EQ(new_dp("dp0"), 0);
    int ifx = dp_ifindex("dp0");
    for (int i = 1; i <= 20; i++)
        ASSERT_EQ(new_port(ifx, "p" + std::to_string(i)), 0);
    auto set_pids = [&](size_t n) {
        std::vector<u32> pids(n);
        for (u32 i = 0; i < n; i++)
            pids[i] = 1000 + i;
        Request r(&net, uapi::kVportAttrMax, ifx);
        r.str(uapi::OVS_VPORT_ATTR_NAME, "p7").put(uapi::OVS_VPORT_ATTR_UPCALL_PID, pids.data(), n * 4);
        int rc = cmd::vport_set(r.finish());
        last_msg = r.req.extack_msg;
        return rc;
    };
    size_t cpus = static_cast<size_t>(ovsdp_nr_cpu_ids());
    EXPECT_EQ(set_pids(cpus + 1), E(err::INVAL));
    EXPECT_STREQ(last_msg, "More upcall PIDs than possible CPUs");
    ASSERT_EQ(set_pids(cpus), 0);
    {
        Request r(&net, uapi::kVportAttrMax, ifx);
        std::vector<u32> pids(cpus + 1, 5);
        r.str(uapi::OVS_VPORT_ATTR_NAME, "big").u32(uapi::OVS_VPORT_ATTR_TYPE, uapi::OVS_VPORT_TYPE_INTERNAL);
        r.put(uapi::OVS_VPORT_ATTR_UPCALL_PID, pids.data(), pids.size() * 4);
        EXPECT_EQ(cmd::vport_new(r.finish()), E(err::INVAL)) << "NEW is capped too";
    }

    // A host with 3,000 CPUs: the array no longer fits a 4 KiB message.
    int nodes = ovsdp_nr_node_ids();
    user::set_topology(3000, nodes);
    ASSERT_EQ(set_pids(3000), 0);
    for (size_t capacity : { size_t(4096), size_t(700), size_t(64 * 1024) }) {
        auto ports = dump_ports(ifx, capacity);
        std::set<std::string> names;
        for (auto& m : ports) {
            names.insert(m.str(uapi::OVS_VPORT_ATTR_NAME));
            if (m.str(uapi::OVS_VPORT_ATTR_NAME) != "p7")
                continue;
            size_t want = capacity > 3000 * 4 + 200 ? 3000 * 4 : 4;
            EXPECT_EQ(m.attr(uapi::OVS_VPORT_ATTR_UPCALL_PID)->len(), want) << capacity;
        }
        EXPECT_EQ(names.size(), 21u) << "every port listed with a " << capacity << "-byte message";
    }
    user::set_topology(static_cast<int>(cpus), nodes);
}

TEST_F(DatapathTest, NetdevPortGoesAwayWithItsDevice)
{
    ASSERT_EQ(new_dp("dp0"), 0);
    int ifx = dp_ifindex("dp0");
    kernel.add_netdev(&net, "eth0");
    ASSERT_EQ(new_port(ifx, "eth0", uapi::OVS_VPORT_TYPE_NETDEV), 0);
    EXPECT_EQ(new_port(ifx, "eth0", uapi::OVS_VPORT_TYPE_NETDEV), E(err::BUSY));
    EXPECT_EQ(new_port(ifx, "dp0", uapi::OVS_VPORT_TYPE_NETDEV), E(err::INVAL)) << "internal device as netdev port";
    EXPECT_EQ(kernel.find(&net, "eth0")->refs, 1);

    kernel.unregister(&net, "eth0");
    Request get(&net, uapi::kVportAttrMax, ifx);
    get.u32(uapi::OVS_VPORT_ATTR_PORT_NO, 1);
    EXPECT_EQ(cmd::vport_get(get.finish()), E(err::NODEV)) << "a detached port must not be found";
    kernel.reset();
    {
        OvsLock ovsl;
        ovsdp_reap_detached_vports();
    }
    ASSERT_EQ(kernel.sent.size(), 1u);
    EXPECT_EQ(kernel.sent[0].cmd, uapi::OVS_VPORT_CMD_DEL);
    EXPECT_TRUE(kernel.sent[0].notify);
    EXPECT_EQ(kernel.sent[0].str(uapi::OVS_VPORT_ATTR_NAME), "eth0");
    ovsdp_rcu_barrier();
    EXPECT_EQ(kernel.devices[std::make_pair(&net, std::string("eth0"))]->refs, 0);
    EXPECT_EQ(dump_ports(ifx).size(), 1u);
}

TEST_F(DatapathTest, VportSetRefusalsSendNothing)
{
    ASSERT_EQ(new_dp("dp0"), 0);
    int ifx = dp_ifindex("dp0");
    ASSERT_EQ(new_port(ifx, "p1"), 0);
    kernel.reset();
    {
        Request r(&net, uapi::kVportAttrMax, ifx);
        r.str(uapi::OVS_VPORT_ATTR_NAME, "p1").put(uapi::OVS_VPORT_ATTR_OPTIONS, nullptr, 0);
        EXPECT_EQ(cmd::vport_set(r.finish()), E(err::OPNOTSUPP));
    }
    {
        Request r(&net, uapi::kVportAttrMax, ifx);
        r.str(uapi::OVS_VPORT_ATTR_NAME, "p1").put(uapi::OVS_VPORT_ATTR_UPCALL_PID, "abc", 3);
        EXPECT_EQ(cmd::vport_set(r.finish()), E(err::INVAL));
    }
    {
        Request r(&net, uapi::kVportAttrMax, ifx);
        r.str(uapi::OVS_VPORT_ATTR_NAME, "p1").u32(uapi::OVS_VPORT_ATTR_TYPE, uapi::OVS_VPORT_TYPE_NETDEV);
        EXPECT_EQ(cmd::vport_set(r.finish()), E(err::INVAL));
    }
    {
        Request r(&net, uapi::kVportAttrMax, ifx);
        r.u32(uapi::OVS_VPORT_ATTR_IFINDEX, 3);
        EXPECT_EQ(cmd::vport_set(r.finish()), E(err::OPNOTSUPP));
    }
    EXPECT_TRUE(kernel.sent.empty());

    u32 pids[4] = { 1, 2, 3, 4 };
    Request r(&net, uapi::kVportAttrMax, ifx);
    r.str(uapi::OVS_VPORT_ATTR_NAME, "p1").put(uapi::OVS_VPORT_ATTR_UPCALL_PID, pids, sizeof(pids));
    ASSERT_EQ(cmd::vport_set(r.finish()), 0);
    ASSERT_EQ(kernel.sent.size(), 1u);
    EXPECT_EQ(kernel.sent[0].attr(uapi::OVS_VPORT_ATTR_UPCALL_PID)->len(), sizeof(pids)) << "VPORT_PIDS: all ids";
}

TEST_F(DatapathTest, UpcallPidSelection)
{
    OvsLock ovsl; // replace() is a writer's
    Vport v;
    u32 ids[4] = { 10, 20, 30, 40 };
    u8 buf[64];
    NlWriter w(buf, sizeof(buf));
    w.put(uapi::OVS_VPORT_ATTR_UPCALL_PID, ids, sizeof(ids));
    ASSERT_TRUE(v.upcall_pids.replace(reinterpret_cast<const NlAttr*>(buf), "refused").ok());
    std::set<u32> hit;
    for (u32 h = 0; h < 64; h++)
        hit.insert(vport_find_upcall_pid(&v, h * 0x04000000u));
    EXPECT_EQ(hit, (std::set<u32> { 10, 20, 30, 40 }));
    u8 out[64];
    NlWriter ow(out, sizeof(out));
    v.upcall_pids.put(ow, uapi::OVS_VPORT_ATTR_UPCALL_PID, 1);
    EXPECT_EQ(reinterpret_cast<const NlAttr*>(out)->len(), 4u) << "without VPORT_PIDS only the first id";
}

// One array type serves a vport's PIDs (by flow hash) and a datapath's
// per-CPU dispatch targets (by CPU): the same checks, the same replacement.
TEST_F(DatapathTest, UpcallPidArray)
{
    auto attr = [](std::vector<u8>& buf, const void* data, size_t len) {
        buf.assign(nla_total_size(len), 0);
        NlWriter w(buf.data(), buf.size());
        w.put(1, data, len);
        return reinterpret_cast<const NlAttr*>(buf.data());
    };
    std::vector<u8> buf;
    OvsLock ovsl; // replace() is a writer's
    UpcallPids pids;
    EXPECT_EQ(pids.count(), 0u);
    EXPECT_EQ(pids.by_hash(123), 0u) << "no ids: upcalls disabled";
    EXPECT_EQ(pids.by_cpu(1), 0u);
    EXPECT_EQ(pids.replace(attr(buf, nullptr, 0), "why").error().code, err::INVAL);
    EXPECT_STREQ(pids.replace(attr(buf, "abcdef", 6), "why").error().msg, "why");

    u32 ids[3] = { 7, 8, 9 };
    ASSERT_TRUE(pids.replace(attr(buf, ids, sizeof(ids)), "why").ok());
    EXPECT_EQ(pids.count(), 3u);
    EXPECT_TRUE(pids.replace(attr(buf, "abcde", 5), "why").is_error());
    EXPECT_EQ(pids.count(), 3u) << "a refused replacement changes nothing";
    for (u32 cpu = 0; cpu < 7; cpu++)
        EXPECT_EQ(pids.by_cpu(cpu), ids[cpu % 3]) << "more CPUs than ids: shared, not dropped";
    std::set<u32> hit;
    for (u32 h = 0; h < 48; h++)
        hit.insert(pids.by_hash(h * 0x05555555u));
    EXPECT_EQ(hit, (std::set<u32> { 7, 8, 9 }));

    u8 out[64];
    NlWriter all(out, sizeof(out));
    ASSERT_TRUE(pids.put(all, 5, ~0u));
    EXPECT_EQ(reinterpret_cast<const NlAttr*>(out)->len(), sizeof(ids));
    EXPECT_EQ(pids.attr_size(), nla_total_size(sizeof(ids)));
    NlWriter two(out, sizeof(out));
    ASSERT_TRUE(pids.put(two, 5, 2));
    EXPECT_EQ(reinterpret_cast<const NlAttr*>(out)->len(), 8u);

    u32 one = 42;
    ASSERT_TRUE(pids.replace(attr(buf, &one, 4), "why").ok()); // the old array goes after a grace period
    EXPECT_EQ(pids.by_hash(0xffffffffu), 42u);
    EXPECT_EQ(pids.by_cpu(5), 42u);

    // A vport's array holds one id per possible CPU at most; a datapath's
    // per-CPU array is not capped (only what it reports is).
    std::vector<u32> many(static_cast<size_t>(ovsdp_nr_cpu_ids()) + 1, 3);
    Status capped = pids.replace(attr(buf, many.data(), many.size() * 4), "why", /*one_per_cpu_at_most=*/true);
    ASSERT_TRUE(capped.is_error());
    EXPECT_EQ(capped.error().code, err::INVAL);
    EXPECT_STREQ(capped.error().msg, "More upcall PIDs than possible CPUs");
    EXPECT_EQ(pids.count(), 1u);
    EXPECT_STREQ(pids.replace(attr(buf, "abcde", 5), "why", true).error().msg, "why") << "the shape is checked first";
    many.pop_back();
    EXPECT_TRUE(pids.replace(attr(buf, many.data(), many.size() * 4), "why", true).ok());
    many.push_back(3);
    EXPECT_TRUE(pids.replace(attr(buf, many.data(), many.size() * 4), "why").ok());
    EXPECT_EQ(pids.count(), many.size());
}

// The commands' checks on both uses: a vport's OVS_VPORT_ATTR_UPCALL_PID
// (NEW and SET) and a datapath's OVS_DP_ATTR_PER_CPU_PIDS (NEW and SET).
TEST_F(DatapathTest, UpcallPidAttributesOfVportsAndDatapaths)
{
    ASSERT_EQ(new_dp("dp0"), 0);
    int ifx = dp_ifindex("dp0");
    for (size_t len : { size_t(0), size_t(6) }) {
        Request r(&net, uapi::kVportAttrMax, ifx, 1);
        r.str(uapi::OVS_VPORT_ATTR_NAME, "p1").u32(uapi::OVS_VPORT_ATTR_TYPE, uapi::OVS_VPORT_TYPE_INTERNAL);
        r.put(uapi::OVS_VPORT_ATTR_UPCALL_PID, "abcdefgh", len);
        kernel.reset();
        EXPECT_EQ(cmd::vport_new(r.finish()), E(err::INVAL)) << len;
        EXPECT_STREQ(r.req.extack_msg, "Upcall PID attribute must be a non-empty array of u32");
        EXPECT_EQ(r.req.extack_attr, r.table[uapi::OVS_VPORT_ATTR_UPCALL_PID]);
        EXPECT_EQ(kernel.find(&net, "p1"), nullptr) << "a refused port left its device";
        EXPECT_TRUE(kernel.sent.empty());

        Request d(&net, uapi::kDpAttrMax, ifx);
        d.u32(uapi::OVS_DP_ATTR_USER_FEATURES, uapi::kDpFDispatchUpcallPerCpu);
        d.put(uapi::OVS_DP_ATTR_PER_CPU_PIDS, "abcdefgh", len);
        EXPECT_EQ(cmd::dp_set(d.finish()), E(err::INVAL)) << len;
        EXPECT_STREQ(d.req.extack_msg, "Per-CPU PIDs must be a non-empty array of u32");
        EXPECT_TRUE(kernel.sent.empty()) << "failed SET notified";
    }

    // A vport's ids: all of them with VPORT_PIDS, the first without.
    u32 ids[3] = { 11, 12, 13 };
    {
        Request r(&net, uapi::kVportAttrMax, ifx, 1);
        r.str(uapi::OVS_VPORT_ATTR_NAME, "p1").u32(uapi::OVS_VPORT_ATTR_TYPE, uapi::OVS_VPORT_TYPE_INTERNAL);
        r.put(uapi::OVS_VPORT_ATTR_UPCALL_PID, ids, sizeof(ids));
        ASSERT_EQ(cmd::vport_new(r.finish()), 0);
    }
    auto get_pids = [&]() {
        kernel.reset();
        Request r(&net, uapi::kVportAttrMax, ifx);
        r.str(uapi::OVS_VPORT_ATTR_NAME, "p1");
        EXPECT_EQ(cmd::vport_get(r.finish()), 0);
        const NlAttr* a = kernel.sent.at(0).attr(uapi::OVS_VPORT_ATTR_UPCALL_PID);
        const u32* p = static_cast<const u32*>(static_cast<const void*>(a->data()));
        return std::vector<u32>(p, p + a->len() / 4);
    };
    EXPECT_EQ(get_pids(), (std::vector<u32> { 11, 12, 13 }));
    {
        Request r(&net, uapi::kDpAttrMax, ifx);
        r.u32(uapi::OVS_DP_ATTR_USER_FEATURES, uapi::kDpFUnaligned);
        ASSERT_EQ(cmd::dp_set(r.finish()), 0);
    }
    EXPECT_EQ(get_pids(), (std::vector<u32> { 11 })) << "without VPORT_PIDS only the first";

    // The datapath's: reported only while per-CPU dispatch is on.
    u32 cpu_ids[2] = { 21, 22 };
    {
        Request r(&net, uapi::kDpAttrMax, ifx);
        r.u32(uapi::OVS_DP_ATTR_USER_FEATURES, uapi::kDpFDispatchUpcallPerCpu);
        r.put(uapi::OVS_DP_ATTR_PER_CPU_PIDS, cpu_ids, sizeof(cpu_ids));
        kernel.reset();
        ASSERT_EQ(cmd::dp_set(r.finish()), 0);
        const NlAttr* a = kernel.sent.at(0).attr(uapi::OVS_DP_ATTR_PER_CPU_PIDS);
        ASSERT_NE(a, nullptr);
        EXPECT_EQ(a->len(), sizeof(u32) * std::min(2, ovsdp_nr_cpu_ids()));
        Datapath* dp = dp_lookup_by_ifindex(&net, ifx);
        EXPECT_EQ(dp_upcall_pid_for_cpu(dp, 0), 21u);
        EXPECT_EQ(dp_upcall_pid_for_cpu(dp, 3), 22u);
    }
    {
        Request r(&net, uapi::kDpAttrMax, ifx);
        r.u32(uapi::OVS_DP_ATTR_USER_FEATURES, uapi::kDpFVportPids);
        kernel.reset();
        ASSERT_EQ(cmd::dp_set(r.finish()), 0);
        EXPECT_EQ(kernel.sent.at(0).attr(uapi::OVS_DP_ATTR_PER_CPU_PIDS), nullptr);
    }
}

// The per-type operations: netdev and internal ports, nothing else yet.
TEST_F(DatapathTest, VportTypeTable)
{
    const VportOps* netdev = vport_ops(uapi::OVS_VPORT_TYPE_NETDEV);
    const VportOps* internal = vport_ops(uapi::OVS_VPORT_TYPE_INTERNAL);
    ASSERT_NE(netdev, nullptr);
    ASSERT_NE(internal, nullptr);
    EXPECT_NE(netdev, internal);
    for (const VportOps* ops : { netdev, internal }) {
        EXPECT_NE(ops->attach, nullptr);
        EXPECT_NE(ops->detach, nullptr);
        EXPECT_EQ(ops->set_options, nullptr) << "no options today";
        EXPECT_EQ(ops->put_options, nullptr);
    }
    EXPECT_NE(netdev->release, nullptr) << "a netdev port holds its device";
    EXPECT_EQ(internal->release, nullptr) << "an internal device is freed by the kernel";
    EXPECT_FALSE(netdev->takes_ifindex);
    EXPECT_TRUE(internal->takes_ifindex);
    for (u32 type : { u32(uapi::OVS_VPORT_TYPE_UNSPEC), u32(uapi::OVS_VPORT_TYPE_GRE), u32(uapi::OVS_VPORT_TYPE_VXLAN),
                      u32(uapi::OVS_VPORT_TYPE_GENEVE), u32(uapi::kVportTypeMax + 1), 1000u, ~0u })
        EXPECT_EQ(vport_ops(type), nullptr) << type;
}

// Types without operations are refused as before tunnels existed, so that
// OVS falls back to its own tunnel devices; options are refused by the types
// that take none; nothing is created or announced either way.
TEST_F(DatapathTest, VportTypeAndOptionRefusals)
{
    ASSERT_EQ(new_dp("dp0"), 0);
    int ifx = dp_ifindex("dp0");
    kernel.add_netdev(&net, "eth0");
    size_t devices = kernel.live_devices();
    kernel.reset();
    for (u32 type : { u32(uapi::OVS_VPORT_TYPE_UNSPEC), u32(uapi::OVS_VPORT_TYPE_GRE), u32(uapi::OVS_VPORT_TYPE_VXLAN),
                      u32(uapi::OVS_VPORT_TYPE_GENEVE), 77u }) {
        Request r(&net, uapi::kVportAttrMax, ifx, 1);
        r.str(uapi::OVS_VPORT_ATTR_NAME, "t0").u32(uapi::OVS_VPORT_ATTR_TYPE, type).u32(uapi::OVS_VPORT_ATTR_UPCALL_PID, 0);
        r.put(uapi::OVS_VPORT_ATTR_OPTIONS, nullptr, 0);
        EXPECT_EQ(cmd::vport_new(r.finish()), E(err::AFNOSUPPORT)) << type;
        EXPECT_STREQ(r.req.extack_msg, "Vport type not supported by this datapath");
        EXPECT_EQ(r.req.extack_attr, r.table[uapi::OVS_VPORT_ATTR_TYPE]);
    }
    for (u32 type : { u32(uapi::OVS_VPORT_TYPE_NETDEV), u32(uapi::OVS_VPORT_TYPE_INTERNAL) }) {
        Request r(&net, uapi::kVportAttrMax, ifx, 1);
        r.str(uapi::OVS_VPORT_ATTR_NAME, type == uapi::OVS_VPORT_TYPE_NETDEV ? "eth0" : "p1");
        r.u32(uapi::OVS_VPORT_ATTR_TYPE, type).u32(uapi::OVS_VPORT_ATTR_UPCALL_PID, 0);
        u8 opt[8] = { 8, 0, 1, 0, 0x12, 0x34, 0, 0 };
        r.put(uapi::OVS_VPORT_ATTR_OPTIONS, opt, sizeof(opt));
        EXPECT_EQ(cmd::vport_new(r.finish()), E(err::OPNOTSUPP)) << type;
        EXPECT_STREQ(r.req.extack_msg, "This vport type takes no options");
        EXPECT_EQ(r.req.extack_attr, r.table[uapi::OVS_VPORT_ATTR_OPTIONS]);
    }
    EXPECT_TRUE(kernel.sent.empty());
    EXPECT_EQ(kernel.live_devices(), devices);
    EXPECT_FALSE(kernel.find(&net, "eth0")->hooked);
    EXPECT_EQ(dump_ports(ifx).size(), 1u);
    ASSERT_EQ(new_port(ifx, "p1"), 0);
    EXPECT_EQ(kernel.sent.back().u32(uapi::OVS_VPORT_ATTR_PORT_NO), 1u) << "no port number was used up";
}

// Each type's attach: an internal port creates its device (and may choose
// its ifindex), a netdev port takes an existing one that is not an internal
// device nor already a port. A failed attach leaves nothing behind.
TEST_F(DatapathTest, InternalAndNetdevAttachErrors)
{
    ASSERT_EQ(new_dp("dp0"), 0);
    int ifx = dp_ifindex("dp0");
    kernel.add_netdev(&net, "eth0");
    auto new_port_ifindex = [&](const std::string& name, u32 type, u32 ifindex) {
        Request r(&net, uapi::kVportAttrMax, ifx, 1);
        r.str(uapi::OVS_VPORT_ATTR_NAME, name).u32(uapi::OVS_VPORT_ATTR_TYPE, type).u32(uapi::OVS_VPORT_ATTR_UPCALL_PID, 0);
        r.u32(uapi::OVS_VPORT_ATTR_IFINDEX, ifindex);
        last_rc = cmd::vport_new(r.finish());
        last_msg = r.req.extack_msg;
        return last_rc;
    };
    EXPECT_EQ(new_port_ifindex("eth0", uapi::OVS_VPORT_TYPE_NETDEV, 99), E(err::OPNOTSUPP));
    EXPECT_STREQ(last_msg, "Only internal vports take an ifindex");
    EXPECT_EQ(new_port_ifindex("gre0", uapi::OVS_VPORT_TYPE_GRE, 99), E(err::OPNOTSUPP));
    EXPECT_STREQ(last_msg, "Only internal vports take an ifindex");
    ASSERT_EQ(new_port_ifindex("in99", uapi::OVS_VPORT_TYPE_INTERNAL, 99), 0);
    EXPECT_EQ(dp_ifindex("in99"), 99);
    EXPECT_EQ(kernel.sent.back().u32(uapi::OVS_VPORT_ATTR_IFINDEX), 99u);

    EXPECT_EQ(new_port(ifx, "eth0", uapi::OVS_VPORT_TYPE_INTERNAL), E(err::EXIST)) << "name taken by a device";
    EXPECT_EQ(new_port(ifx, "nodev", uapi::OVS_VPORT_TYPE_NETDEV), E(err::NODEV));
    EXPECT_STREQ(last_msg, "No network device with this name");
    EXPECT_EQ(new_port(ifx, "in99", uapi::OVS_VPORT_TYPE_NETDEV), E(err::INVAL)) << "internal device as netdev port";
    ASSERT_EQ(new_port(ifx, "eth0", uapi::OVS_VPORT_TYPE_NETDEV), 0);
    EXPECT_EQ(kernel.find(&net, "eth0")->master, kernel.find(&net, "dp0")) << "linked below the local device";
    EXPECT_EQ(new_port(ifx, "eth0", uapi::OVS_VPORT_TYPE_NETDEV), E(err::BUSY));
    EXPECT_EQ(kernel.find(&net, "eth0")->refs, 1) << "a failed attach kept a reference";

    auto ports = dump_ports(ifx);
    std::set<u32> numbers;
    for (auto& m : ports)
        numbers.insert(m.u32(uapi::OVS_VPORT_ATTR_PORT_NO));
    EXPECT_EQ(numbers, (std::set<u32> { 0, 1, 2 })) << "failed attaches used up no port number";

    ASSERT_EQ(del_port(ifx, "eth0"), 0);
    EXPECT_FALSE(kernel.find(&net, "eth0")->hooked);
    EXPECT_EQ(kernel.find(&net, "eth0")->master, nullptr);
    ovsdp_rcu_barrier();
    EXPECT_EQ(kernel.find(&net, "eth0")->refs, 0) << "released after a grace period";
    ASSERT_EQ(del_port(ifx, "in99"), 0);
    EXPECT_EQ(kernel.find(&net, "in99"), nullptr) << "an internal port's device goes with it";
}

TEST_F(DatapathTest, NamespaceExitDestroysOnlyItsDatapaths)
{
    ASSERT_EQ(new_dp("dp0"), 0);
    ASSERT_EQ(new_dp("dp0", 3, &other), 0) << "same name in another namespace";
    ASSERT_EQ(new_port(dp_ifindex("dp0", &other), "q1", uapi::OVS_VPORT_TYPE_INTERNAL, 0, &other), 0);
    {
        OvsLock ovsl;
        ovsdp_net_exit(&other);
    }
    EXPECT_EQ(kernel.find(&other, "dp0"), nullptr);
    EXPECT_EQ(kernel.find(&other, "q1"), nullptr);
    EXPECT_NE(kernel.find(&net, "dp0"), nullptr);

    long args[6] = {};
    ovsdp_dump d {};
    d.net = &net;
    d.args = args;
    kernel.reset();
    kernel.dump_used = 0;
    ASSERT_EQ(cmd::dp_dump(&d), 0);
    ASSERT_EQ(kernel.sent.size(), 1u);
    EXPECT_EQ(kernel.sent[0].str(uapi::OVS_DP_ATTR_NAME), "dp0");
}

TEST_F(DatapathTest, DeleteDatapathTearsDownPorts)
{
    ASSERT_EQ(new_dp("dp0"), 0);
    int ifx = dp_ifindex("dp0");
    kernel.add_netdev(&net, "eth0");
    ASSERT_EQ(new_port(ifx, "eth0", uapi::OVS_VPORT_TYPE_NETDEV), 0);
    for (int i = 0; i < 50; i++)
        ASSERT_EQ(new_port(ifx, "p" + std::to_string(i)), 0);
    kernel.reset();
    Request r(&net, uapi::kDpAttrMax, 0);
    r.str(uapi::OVS_DP_ATTR_NAME, "dp0");
    ASSERT_EQ(cmd::dp_del(r.finish()), 0);
    ASSERT_EQ(kernel.sent.size(), 1u);
    EXPECT_EQ(kernel.sent[0].cmd, uapi::OVS_DP_CMD_DEL);
    EXPECT_EQ(kernel.sent[0].str(uapi::OVS_DP_ATTR_NAME), "dp0");
    EXPECT_EQ(kernel.find(&net, "p7"), nullptr);
    EXPECT_FALSE(kernel.find(&net, "eth0")->hooked);
    Request again(&net, uapi::kDpAttrMax, 0);
    again.str(uapi::OVS_DP_ATTR_NAME, "dp0");
    EXPECT_EQ(cmd::dp_del(again.finish()), E(err::NODEV));
}

// Flow NEW/SET/DEL notify the flow multicast group; when nobody listens and
// the request asked for no echo, no message is built (upstream's
// ovs_must_notify), which is how ovs-vswitchd installs flows. GET always
// replies. The per-NUMA extension attribute (number 200, above the family's
// attribute table) still reaches the command.
TEST_F(DatapathTest, FlowMessagesOnlyForEchoOrListenersAndNumaExtension)
{
    ASSERT_EQ(new_dp("dp0"), 0);
    int ifindex = dp_ifindex("dp0");
    std::vector<u8> keyattrs = arp_key_attrs(0);
    auto with_key = [&](Request& r) -> Request& {
        return r.put(uapi::OVS_FLOW_ATTR_KEY, keyattrs.data(), keyattrs.size());
    };
    u8 none = 0;

    kernel.listeners = false;
    kernel.reset();
    {
        Request r(&net, uapi::kFlowAttrMax, ifindex);
        with_key(r).put(uapi::OVS_FLOW_ATTR_ACTIONS, &none, 0);
        ASSERT_EQ(cmd::flow_new(r.finish()), 0) << (r.req.extack_msg ? r.req.extack_msg : "");
    }
    EXPECT_TRUE(kernel.sent.empty()) << "no listener, no echo: no notification built";
    {
        Request r(&net, uapi::kFlowAttrMax, ifindex);
        ASSERT_EQ(cmd::flow_get(with_key(r).finish()), 0);
    }
    ASSERT_EQ(kernel.sent.size(), 1u) << "GET replies whoever listens";
    EXPECT_FALSE(kernel.sent.back().notify);
    EXPECT_EQ(kernel.sent.back().attr(OVSDP_FLOW_ATTR_NUMA_STATS), nullptr) << "extension only when asked";
    {
        Request r(&net, uapi::kFlowAttrMax, ifindex);
        with_key(r).put(OVSDP_FLOW_ATTR_NUMA_STATS, nullptr, 0);
        ASSERT_EQ(cmd::flow_get(r.finish()), 0);
    }
    ASSERT_EQ(kernel.sent.size(), 2u);
    EXPECT_NE(kernel.sent.back().attr(OVSDP_FLOW_ATTR_NUMA_STATS), nullptr) << "asked: per-node statistics";
    {
        Request r(&net, uapi::kFlowAttrMax, ifindex);
        with_key(r).put(uapi::OVS_FLOW_ATTR_ACTIONS, &none, 0);
        ovsdp_request* req = r.finish();
        req->nlmsg_flags = 0x8; // NLM_F_ECHO
        ASSERT_EQ(cmd::flow_set(req), 0);
    }
    ASSERT_EQ(kernel.sent.size(), 3u) << "echo asked: the notification is built";
    EXPECT_EQ(kernel.sent.back().cmd, uapi::OVS_FLOW_CMD_SET);
    kernel.listeners = true;
    {
        Request r(&net, uapi::kFlowAttrMax, ifindex);
        ASSERT_EQ(cmd::flow_del(with_key(r).finish()), 0);
    }
    ASSERT_EQ(kernel.sent.size(), 4u) << "a listener: DEL notifies";
    EXPECT_TRUE(kernel.sent.back().notify);
    EXPECT_NE(kernel.sent.back().attr(uapi::OVS_FLOW_ATTR_KEY), nullptr);
}

// Only the commands whose replies carry an extension (flow and datapath GET,
// and their dumps) look for the extension flags; the others ignore them like
// any attribute above the family's maxattr (the kernel does not even walk
// the request for them).
TEST_F(DatapathTest, ExtensionFlagsLookedForOnlyByTheCommandsThatReadThem)
{
    ASSERT_EQ(new_dp("dp0"), 0);
    int ifindex = dp_ifindex("dp0");
    std::vector<u8> keyattrs = arp_key_attrs(0);
    u8 none = 0;
    for (u8 c : { uapi::OVS_FLOW_CMD_NEW, uapi::OVS_FLOW_CMD_SET, uapi::OVS_FLOW_CMD_GET, uapi::OVS_FLOW_CMD_DEL }) {
        const ovsdp_cmd_desc* d = ovsdp_cmd_find(OVSDP_FAMILY_FLOW, c);
        ASSERT_NE(d, nullptr);
        EXPECT_EQ((d->flags & OVSDP_CMD_F_EXT) != 0, c == uapi::OVS_FLOW_CMD_GET) << "flow cmd " << int(c);
        Request r(&net, uapi::kFlowAttrMax, ifindex);
        r.put(uapi::OVS_FLOW_ATTR_KEY, keyattrs.data(), keyattrs.size());
        if (c == uapi::OVS_FLOW_CMD_NEW || c == uapi::OVS_FLOW_CMD_SET)
            r.put(uapi::OVS_FLOW_ATTR_ACTIONS, &none, 0);
        r.put(OVSDP_FLOW_ATTR_NUMA_STATS, nullptr, 0);
        ovsdp_request* req = r.finish();
        ASSERT_EQ(user::doit(OVSDP_FAMILY_FLOW, c, req), 0) << "flow cmd " << int(c);
        EXPECT_EQ(req->ext_attrs[OVSDP_FLOW_ATTR_NUMA_STATS - OVSDP_EXT_ATTR_BASE] != nullptr,
                  c == uapi::OVS_FLOW_CMD_GET) << "flow cmd " << int(c);
    }
    const ovsdp_cmd_desc* dp_get = ovsdp_cmd_find(OVSDP_FAMILY_DATAPATH, uapi::OVS_DP_CMD_GET);
    ASSERT_NE(dp_get, nullptr);
    EXPECT_TRUE(dp_get->flags & OVSDP_CMD_F_EXT);
    for (u8 c : { uapi::OVS_DP_CMD_NEW, uapi::OVS_DP_CMD_SET, uapi::OVS_DP_CMD_DEL })
        EXPECT_FALSE(ovsdp_cmd_find(OVSDP_FAMILY_DATAPATH, c)->flags & OVSDP_CMD_F_EXT) << "dp cmd " << int(c);
}

// Duplicates: a new flow is a duplicate when its UFID is known or,
// failing that, when a flow already matches its key, whatever identifies
// either flow (upstream's ovs_flow_cmd_new). NLM_F_CREATE or NLM_F_EXCL then
// refuse it with EEXIST; without them the flow found is updated, provided it
// is the one named.
TEST_F(DatapathTest, NewFlowDuplicatesAreFoundByUfidThenByKey)
{
    constexpr u16 kCreate = 0x400, kExcl = 0x200;
    ASSERT_EQ(new_dp("dp0"), 0);
    int ifindex = dp_ifindex("dp0");
    std::vector<u8> key = arp_key_attrs(0), other = arp_key_attrs(1);
    const u8 u1[16] = { 1, 1 }, u2[16] = { 2, 2 };
    std::vector<u8> none;

    // By key first, then the same key with a UFID.
    ASSERT_EQ(new_flow(ifindex, key, none), 0) << last_msg;
    EXPECT_EQ(new_flow(ifindex, key, none, u1, kCreate), E(err::EXIST));
    EXPECT_STREQ(last_msg, "Flow already exists");
    EXPECT_EQ(new_flow(ifindex, key, none, u1, kExcl), E(err::EXIST));
    EXPECT_EQ(dump_flows(ifindex).size(), 1u) << "one megaflow per key";
    // Without CREATE/EXCL the key-identified flow is updated in place.
    ASSERT_EQ(new_flow(ifindex, key, outputs(1), u1), 0) << last_msg;
    auto flows = dump_flows(ifindex);
    ASSERT_EQ(flows.size(), 1u);
    EXPECT_EQ(flows[0].attr(uapi::OVS_FLOW_ATTR_UFID), nullptr) << "still the key-identified flow";
    ASSERT_NE(flows[0].attr(uapi::OVS_FLOW_ATTR_ACTIONS), nullptr);
    EXPECT_EQ(flows[0].attr(uapi::OVS_FLOW_ATTR_ACTIONS)->len(), 8u);

    // By UFID first: the same key without a UFID, or with another UFID.
    ASSERT_EQ(new_flow(ifindex, other, none, u1), 0) << last_msg;
    EXPECT_EQ(new_flow(ifindex, other, none, nullptr, kCreate), E(err::EXIST));
    EXPECT_EQ(new_flow(ifindex, other, none, u2, kCreate), E(err::EXIST));
    EXPECT_EQ(new_flow(ifindex, other, none, u1, kCreate), E(err::EXIST));
    EXPECT_EQ(dump_flows(ifindex).size(), 2u);
    // A known UFID with another key names another flow: ENOENT, not an update.
    EXPECT_EQ(new_flow(ifindex, key, outputs(2), u1), E(err::NOENT));
    // Another UFID with the key of a UFID-identified flow updates that flow
    // (found by key, same key), as upstream.
    ASSERT_EQ(new_flow(ifindex, other, outputs(3), u2), 0) << last_msg;
    flows = dump_flows(ifindex);
    ASSERT_EQ(flows.size(), 2u);
    for (const auto& f : flows) {
        const NlAttr* acts = f.attr(uapi::OVS_FLOW_ATTR_ACTIONS);
        ASSERT_NE(acts, nullptr);
        const NlAttr* ufid = f.attr(uapi::OVS_FLOW_ATTR_UFID);
        EXPECT_EQ(acts->len(), ufid ? 24u : 8u);
        if (ufid) {
            EXPECT_EQ(0, std::memcmp(ufid->data(), u1, 16));
        }
    }
}

// Long action lists: 8,000 output actions (64,000 bytes, what one attribute
// can carry) are accepted, echoed, returned by GET and dumped. A dump
// message that cannot hold them even alone carries the flow without its
// actions, as upstream's; flows around it are not lost.
TEST_F(DatapathTest, LongActionListIsEchoedAndDumped)
{
    ASSERT_EQ(new_dp("dp0"), 0);
    int ifindex = dp_ifindex("dp0");
    std::vector<u8> big = outputs(8000, 7);
    ASSERT_EQ(big.size(), 64000u);
    kernel.reset();
    ASSERT_EQ(new_flow(ifindex, arp_key_attrs(1), outputs(1)), 0) << last_msg;
    ASSERT_EQ(new_flow(ifindex, arp_key_attrs(2), big, nullptr, 0x8 /* NLM_F_ECHO */), 0) << last_msg;
    ASSERT_EQ(new_flow(ifindex, arp_key_attrs(3), outputs(2)), 0) << last_msg;
    ASSERT_EQ(kernel.sent.size(), 3u);
    auto same_actions = [&](const fake::Message& m, const std::vector<u8>& want) {
        const NlAttr* a = m.attr(uapi::OVS_FLOW_ATTR_ACTIONS);
        return a && a->len() == want.size() && std::memcmp(a->data(), want.data(), want.size()) == 0;
    };
    EXPECT_TRUE(same_actions(kernel.sent[1], big)) << "echo";
    {
        std::vector<u8> k = arp_key_attrs(2);
        Request r(&net, uapi::kFlowAttrMax, ifindex);
        r.put(uapi::OVS_FLOW_ATTR_KEY, k.data(), k.size());
        kernel.reset();
        ASSERT_EQ(cmd::flow_get(r.finish()), 0);
        ASSERT_EQ(kernel.sent.size(), 1u);
        EXPECT_TRUE(same_actions(kernel.sent[0], big)) << "get";
    }
    // The flows by input port (dump order is the table's).
    auto by_port = [](const std::vector<fake::Message>& flows) {
        std::map<u32, const fake::Message*> m;
        for (const auto& f : flows) {
            const NlAttr* key = f.attr(uapi::OVS_FLOW_ATTR_KEY);
            EXPECT_NE(key, nullptr);
            if (!key)
                continue;
            for (NlAttrIter it(key->payload()); !it.done(); it.next())
                if (it.get()->type() == uapi::OVS_KEY_ATTR_IN_PORT)
                    m[it.get()->get_u32()] = &f;
        }
        return m;
    };
    // A dump skb large enough: everything.
    auto flows = dump_flows(ifindex, 1 << 17);
    ASSERT_EQ(flows.size(), 3u);
    auto m = by_port(flows);
    ASSERT_EQ(m.size(), 3u);
    EXPECT_TRUE(same_actions(*m[2], big));
    // 32 KiB skbs (netlink's usual dump size): the big flow alone, without
    // its actions, the others whole.
    flows = dump_flows(ifindex, 32 * 1024);
    ASSERT_EQ(flows.size(), 3u);
    m = by_port(flows);
    ASSERT_EQ(m.size(), 3u);
    EXPECT_TRUE(same_actions(*m[1], outputs(1)));
    EXPECT_EQ(m[2]->attr(uapi::OVS_FLOW_ATTR_ACTIONS), nullptr);
    EXPECT_NE(m[2]->attr(uapi::OVS_FLOW_ATTR_MASK), nullptr);
    EXPECT_TRUE(same_actions(*m[3], outputs(2)));
}

namespace {
std::atomic<long> g_allocs_seen { 0 };
bool count_allocation(size_t, unsigned, int)
{
    g_allocs_seen++;
    return false; // let it succeed
}
} // namespace

// Dumps write each message straight into the dump skb: no allocation per
// call or per entry, and a flow's dump entry is the bytes its GET reply has.
TEST_F(DatapathTest, DumpsAreWrittenIntoTheSkbAndAllocateNothing)
{
    ASSERT_EQ(new_dp("dp0"), 0);
    int ifindex = dp_ifindex("dp0");
    for (u16 p = 1; p <= 40; p++)
        ASSERT_EQ(new_flow(ifindex, arp_key_attrs(p), outputs(p % 5 + 1)), 0) << last_msg;
    for (int i = 0; i < 6; i++)
        ASSERT_EQ(new_port(ifindex, "p" + std::to_string(i)), 0) << last_msg;

    g_allocs_seen = 0;
    user::set_alloc_fail_hook(count_allocation);
    int flow_calls = 0, port_calls = 0;
    std::vector<fake::Message> flows = dump_all(cmd::flow_dump, ifindex, 2048, 1000, &flow_calls);
    std::vector<fake::Message> ports = dump_all(cmd::vport_dump, ifindex, 512, 1000, &port_calls);
    std::vector<fake::Message> dps = dump_all(cmd::dp_dump, 0, 1024, 100);
    user::set_alloc_fail_hook(nullptr);
    EXPECT_EQ(g_allocs_seen.load(), 0) << "dumps allocate nothing";
    EXPECT_FALSE(kernel.dump_open) << "every begun dump message committed or cancelled";

    ASSERT_EQ(flows.size(), 40u);
    EXPECT_GT(flow_calls, 2) << "several skbs";
    EXPECT_EQ(ports.size(), 7u);
    EXPECT_GT(port_calls, 1);
    ASSERT_EQ(dps.size(), 1u);
    EXPECT_EQ(dps[0].str(uapi::OVS_DP_ATTR_NAME), "dp0");
    for (const fake::Message& m : flows) {
        EXPECT_TRUE(m.dump);
        EXPECT_EQ(m.cmd, uapi::OVS_FLOW_CMD_GET);
        EXPECT_EQ(m.dp_ifindex, ifindex);
        ASSERT_TRUE(nla_stream_ok(ovsdp::ConstBytes(m.attrs.data(), m.attrs.size())));
        // The same bytes as the flow's GET reply.
        const NlAttr* key = m.attr(uapi::OVS_FLOW_ATTR_KEY);
        ASSERT_NE(key, nullptr);
        Request r(&net, uapi::kFlowAttrMax, ifindex);
        r.put(uapi::OVS_FLOW_ATTR_KEY, key->data(), key->len());
        size_t before = kernel.sent.size();
        ASSERT_EQ(cmd::flow_get(r.finish()), 0);
        ASSERT_EQ(kernel.sent.size(), before + 1);
        EXPECT_EQ(kernel.sent.back().attrs, m.attrs);
        EXPECT_FALSE(kernel.sent.back().dump);
    }
}

// Messages the shim cannot allocate: a notification's loss is told to the
// multicast group (upstream's netlink_set_err(-ENOMEM)) while the command
// stands; a reply fails the request; a deletion, which reserves its message
// first, is refused and deletes nothing.
TEST_F(DatapathTest, MessagesThatCannotBeAllocated)
{
    ASSERT_EQ(new_dp("dp0"), 0);
    int ifindex = dp_ifindex("dp0");
    ASSERT_EQ(new_port(ifindex, "p1"), 0);
    kernel.reset();
    kernel.msg_alloc_fails = true;

    EXPECT_EQ(new_flow(ifindex, arp_key_attrs(1), outputs(1)), 0) << "installed";
    EXPECT_EQ(kernel.notify_errors, 1);
    std::vector<u8> k = arp_key_attrs(1);
    {
        Request r(&net, uapi::kFlowAttrMax, ifindex);
        r.put(uapi::OVS_FLOW_ATTR_KEY, k.data(), k.size());
        EXPECT_EQ(cmd::flow_get(r.finish()), E(err::NOMEM));
    }
    EXPECT_EQ(del_port(ifindex, "p1"), E(err::NOMEM));
    {
        Request r(&net, uapi::kDpAttrMax, 0);
        r.str(uapi::OVS_DP_ATTR_NAME, "dp0");
        EXPECT_EQ(cmd::dp_del(r.finish()), E(err::NOMEM));
    }
    EXPECT_EQ(kernel.notify_errors, 1) << "refused deletions lose no notification";
    EXPECT_TRUE(kernel.sent.empty());

    kernel.msg_alloc_fails = false;
    EXPECT_NE(kernel.find(&net, "p1"), nullptr);
    EXPECT_NE(kernel.find(&net, "dp0"), nullptr);
    Request r(&net, uapi::kFlowAttrMax, ifindex);
    r.put(uapi::OVS_FLOW_ATTR_KEY, k.data(), k.size());
    EXPECT_EQ(cmd::flow_get(r.finish()), 0);
    ASSERT_EQ(kernel.sent.size(), 1u);
    EXPECT_NE(kernel.sent[0].attr(uapi::OVS_FLOW_ATTR_ACTIONS), nullptr);
}

// The mask cache's hash for packets without an skb hash: deterministic, blind
// to recirc_id (the table mixes it in), and spread over all four bytes (the
// cache probes 8-bit segments) for 5-tuples that differ anywhere.
TEST(MaskCacheHash, SpreadsFiveTuplesOverEveryByte)
{
    u64 state = 0x1234567;
    auto rnd = [&]() { state = state * 6364136223846793005ULL + 1442695040888963407ULL; return u32(state >> 33); };
    std::set<u32> all;
    std::set<u32> bytes[4];
    for (int i = 0; i < 4096; i++) {
        FlowKey k {};
        k.in_port = 1;
        k.eth.type = htons(0x0800);
        k.ip.proto = 17;
        k.ipv4.src = htonl(0x0a000001);
        k.ipv4.dst = htonl(0x0a010000 | (rnd() & 0xffff));
        k.tp.src = htons(static_cast<u16>(rnd()));
        k.tp.dst = htons(9);
        u32 h = mask_cache_hash(k);
        k.recirc_id = 7;
        EXPECT_EQ(mask_cache_hash(k), h);
        all.insert(h);
        for (int b = 0; b < 4; b++)
            bytes[b].insert((h >> (8 * b)) & 0xff);
    }
    EXPECT_GE(all.size(), 4090u);
    for (int b = 0; b < 4; b++)
        EXPECT_GE(bytes[b].size(), 250u) << "byte " << b;
    FlowKey a {};
    a.eth.type = htons(0x86DD);
    FlowKey b = a;
    b.ipv6.src[15] = 1;
    FlowKey c = a;
    c.ipv6.dst[7] = 1;
    EXPECT_NE(mask_cache_hash(a), mask_cache_hash(b));
    EXPECT_NE(mask_cache_hash(a), mask_cache_hash(c));
}

// OVS_PACKET_ATTR_HASH as upstream's queue_userspace_packet sends it (the
// hash with OVS_PACKET_HASH_SW_BIT, bit 32, and OVS_PACKET_HASH_L4_BIT, bit
// 33) and ovs_packet_cmd_execute restores it, through a packet: a MISS upcall
// of a TCP/UDP packet carries both bits, and EXECUTE gives the packet back its
// hash type, so that skb_get_hash() (dp_hash, RPS/XPS) keeps it.
TEST(PacketHashAttr, TypeBitsSentAndRestored)
{
    EXPECT_EQ(uapi::kPacketHashSwBit, 1ULL << 32);
    EXPECT_EQ(uapi::kPacketHashL4Bit, 1ULL << 33);
    struct Case {
        PacketHash h;
        u64 attr;
    } cases[] = {
        { { 0x12345678, true, true }, 0x312345678ULL }, // software L4 hash: every TCP/UDP miss
        { { 0x12345678, true, false }, 0x112345678ULL }, // software, no ports (e.g. ICMP)
        { { 0x9abcdef0, false, true }, 0x29abcdef0ULL }, // a device's L4 hash
        { { 0x9abcdef0, false, false }, 0x09abcdef0ULL }, // a device's non-L4 hash
        { { 0, false, false }, 0 }, // none
    };
    u8 frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06 };
    for (const Case& c : cases) {
        auto sent = user::UserPacket::borrow(frame, sizeof(frame));
        sent.set_hash_info(c.h);
        u64 attr = packet_hash_to_attr(sent.hash_info());
        EXPECT_EQ(attr, c.attr) << std::hex << c.h.hash;
        // Userspace echoes the attribute with EXECUTE.
        auto back = user::UserPacket::borrow(frame, sizeof(frame));
        back.set_hash_info(packet_hash_from_attr(attr));
        PacketHash r = back.hash_info();
        EXPECT_EQ(r.hash, c.h.hash);
        EXPECT_EQ(r.sw, c.h.sw);
        EXPECT_EQ(r.l4, c.h.l4);
        EXPECT_EQ(packet_hash_to_attr(r), attr) << "an ACTION upcall of it echoes the same value";
        // skb_get_hash() keeps a software or L4 hash; otherwise it computes one.
        u32 got = back.get_hash();
        if (c.h.sw || c.h.l4) {
            EXPECT_EQ(got, c.h.hash);
        } else {
            EXPECT_TRUE(back.hash_info().sw) << "computed: a software hash";
        }
    }
    // The attribute's other high bits mean nothing (upstream masks them off).
    PacketHash junk = packet_hash_from_attr(0xfffffffc00000001ULL);
    EXPECT_EQ(junk.hash, 1u);
    EXPECT_FALSE(junk.sw);
    EXPECT_FALSE(junk.l4);
    // The bare hash (what this datapath sent before): restored as no hash type,
    // so that skb_get_hash() recomputes it.
    auto bare = user::UserPacket::borrow(frame, sizeof(frame));
    bare.set_hash_info(packet_hash_from_attr(0x12345678));
    EXPECT_FALSE(bare.hash_info().sw);
    EXPECT_FALSE(bare.hash_info().l4);
}

TEST_F(DatapathTest, ReceiveCountsMissAndLoss)
{
    ASSERT_EQ(new_dp("dp0"), 0);
    auto* vport = static_cast<Vport*>(ovsdp_vport_lookup_by_name(&net, "dp0"));
    ASSERT_NE(vport, nullptr);
    u8 frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06 };
    auto receive = [&](usize len) {
        ovsdp_local_bh_disable();
        {
            RcuReadGuard rcu;
            dp_vport_receive(host, vport, user::UserPacket(frame, len));
        }
        ovsdp_local_bh_enable();
    };
    for (int i = 0; i < 5; i++)
        receive(sizeof(frame));
    EXPECT_EQ(host.dropped(), 5u) << "a miss that cannot go up is dropped";
    receive(10);
    EXPECT_EQ(host.dropped(), 6u) << "a frame shorter than Ethernet cannot be keyed";
    EXPECT_TRUE(host.take_upcalls().empty());
    kernel.reset();
    Request r(&net, uapi::kDpAttrMax, dp_ifindex("dp0"));
    ASSERT_EQ(cmd::dp_get(r.finish()), 0);
    uapi::DpStats s = kernel.sent[0].attr(uapi::OVS_DP_ATTR_STATS)->get<uapi::DpStats>();
    EXPECT_EQ(s.n_missed, 5u);
    EXPECT_EQ(s.n_lost, 5u);
    EXPECT_EQ(s.n_hit, 0u);
}

// With per-CPU combining of flow statistics (flow_table/flow_stats.h) the
// counts wait in the CPUs' slots; GET, SET with CLEAR and DEL fold every CPU's
// slots first, so their replies count every packet received before them.
TEST_F(DatapathTest, FlowRepliesCountPacketsStillInCpuSlots)
{
    ASSERT_TRUE(flow_stats_cache_init().ok());
    ASSERT_EQ(new_dp("dp0"), 0);
    auto* vport = static_cast<Vport*>(ovsdp_vport_lookup_by_name(&net, "dp0"));
    ASSERT_NE(vport, nullptr);
    int ifindex = dp_ifindex("dp0");
    FlowKeyMetadata md;
    md.in_port = static_cast<u16>(vport->port_no);
    std::vector<u8> keyattrs = arp_key_attrs(md.in_port);
    const u8 ufid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
    auto flow_req = [&](Request& r) -> Request& {
        r.put(uapi::OVS_FLOW_ATTR_KEY, keyattrs.data(), keyattrs.size());
        r.put(uapi::OVS_FLOW_ATTR_UFID, ufid, sizeof(ufid));
        return r;
    };
    {
        Request r(&net, uapi::kFlowAttrMax, ifindex);
        u8 none = 0;
        flow_req(r).put(uapi::OVS_FLOW_ATTR_ACTIONS, &none, 0);
        ASSERT_EQ(cmd::flow_new(r.finish()), 0) << (r.req.extack_msg ? r.req.extack_msg : "");
    }
    auto receive = [&](int cpu, int n) { receive_arp(vport, cpu, n); };
    auto packets_in_reply = [&]() -> u64 {
        const NlAttr* a = kernel.sent.back().attr(uapi::OVS_FLOW_ATTR_STATS);
        return a ? a->get<uapi::FlowStats>().n_packets : 0;
    };
    receive(0, 7);
    receive(1, 3);
    kernel.reset();
    {
        Request r(&net, uapi::kFlowAttrMax, ifindex);
        ASSERT_EQ(cmd::flow_get(flow_req(r).finish()), 0);
    }
    EXPECT_EQ(packets_in_reply(), 10u) << "GET folds the CPUs' slots first";
    receive(0, 2);
    kernel.reset();
    {
        Request r(&net, uapi::kFlowAttrMax, ifindex);
        flow_req(r).put(uapi::OVS_FLOW_ATTR_CLEAR, nullptr, 0);
        ASSERT_EQ(cmd::flow_set(r.finish()), 0);
    }
    EXPECT_EQ(packets_in_reply(), 0u) << "cleared, pending counts included";
    receive(1, 4);
    receive(0, 1);
    kernel.reset();
    {
        Request r(&net, uapi::kFlowAttrMax, ifindex);
        ASSERT_EQ(cmd::flow_del(flow_req(r).finish()), 0);
    }
    EXPECT_EQ(packets_in_reply(), 5u) << "DEL's final statistics count every packet";
    {
        OvsLock ovsl;
        ovsdp_destroy_all();
    }
    flow_stats_cache_exit();
}

// OVS's kernel-datapath test "simulated flow action update": ovs-vswitchd
// changes a flow's actions with OVS_FLOW_CMD_SET (key, mask, UFID, actions;
// no CLEAR) and, after a restart, with a NEW that finds the flow and replaces
// its actions; the flow's counters must go on counting every packet, those
// still in the CPUs' combining slots too, as upstream keeps the flow (and its
// statistics) and swaps only the actions. Then the same while two CPUs send.
TEST_F(DatapathTest, FlowStatisticsSurviveActionUpdates)
{
    ASSERT_TRUE(flow_stats_cache_init().ok());
    ASSERT_EQ(new_dp("dp0"), 0);
    auto* vport = static_cast<Vport*>(ovsdp_vport_lookup_by_name(&net, "dp0"));
    ASSERT_NE(vport, nullptr);
    int ifindex = dp_ifindex("dp0");
    FlowKeyMetadata md;
    md.in_port = static_cast<u16>(vport->port_no);
    std::vector<u8> keyattrs = arp_key_attrs(md.in_port);
    const u8 ufid[16] = { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6 };
    auto flow_req = [&](Request& r, u32 out_port, bool actions = true) -> Request& {
        r.put(uapi::OVS_FLOW_ATTR_KEY, keyattrs.data(), keyattrs.size());
        r.put(uapi::OVS_FLOW_ATTR_MASK, keyattrs.data(), keyattrs.size()); // exact match, as OVS sends it
        r.put(uapi::OVS_FLOW_ATTR_UFID, ufid, sizeof(ufid));
        if (actions) {
            // output(out_port) (a port that does not exist: the packet is
            // dropped), or no actions for 0.
            u8 act[8] = { 8, 0, uapi::OVS_ACTION_ATTR_OUTPUT, 0 };
            __builtin_memcpy(act + 4, &out_port, 4);
            r.put(uapi::OVS_FLOW_ATTR_ACTIONS, act, out_port ? sizeof(act) : 0);
        }
        return r;
    };
    auto receive = [&](int cpu, int n) { receive_arp(vport, cpu, n); };
    auto packets_in_reply = [&]() -> u64 {
        const NlAttr* a = kernel.sent.back().attr(uapi::OVS_FLOW_ATTR_STATS);
        return a ? a->get<uapi::FlowStats>().n_packets : 0;
    };
    auto get_packets = [&]() -> u64 {
        kernel.reset();
        Request r(&net, uapi::kFlowAttrMax, ifindex);
        EXPECT_EQ(cmd::flow_get(flow_req(r, 0, false).finish()), 0);
        return kernel.sent.empty() ? ~0ull : packets_in_reply();
    };
    auto echo = [](ovsdp_request* req) {
        req->nlmsg_flags |= 0x8; // NLM_F_ECHO: the reply carries the statistics
        return req;
    };
    auto flow_set = [&](u32 port) {
        kernel.reset();
        Request r(&net, uapi::kFlowAttrMax, ifindex);
        EXPECT_EQ(cmd::flow_set(echo(flow_req(r, port).finish())), 0) << (r.req.extack_msg ? r.req.extack_msg : "");
    };
    auto flow_new = [&](u32 port) {
        kernel.reset();
        Request r(&net, uapi::kFlowAttrMax, ifindex);
        EXPECT_EQ(cmd::flow_new(echo(flow_req(r, port).finish())), 0) << (r.req.extack_msg ? r.req.extack_msg : "");
    };

    flow_new(2); // created
    receive(0, 6);
    receive(1, 3);
    EXPECT_EQ(get_packets(), 9u);
    receive(1, 5); // in CPU 1's slot when the actions change
    flow_set(3);
    ASSERT_FALSE(kernel.sent.empty());
    EXPECT_EQ(packets_in_reply(), 14u) << "SET's reply counts the packets before it";
    receive(0, 5);
    EXPECT_EQ(get_packets(), 19u) << "counting goes on after SET";
    receive(0, 4);
    flow_new(2); // NEW without NLM_F_CREATE on an existing flow: replaces the actions
    ASSERT_FALSE(kernel.sent.empty());
    EXPECT_EQ(packets_in_reply(), 23u) << "NEW's reply on a replaced flow";
    receive(1, 6);
    EXPECT_EQ(get_packets(), 29u) << "the OVS test's 29";
    ASSERT_EQ(dp_lookup_by_ifindex(&net, ifindex)->table.n_flows(), 1u) << "one flow all along";

    // Under traffic: two CPUs send while actions keep changing by SET and NEW.
    constexpr int kPerSender = 4000;
    std::atomic<int> running { 2 };
    auto sender = [&](int cpu) {
        receive(cpu, kPerSender);
        running--;
    };
    std::thread a(sender, 0), b(sender, 1);
    u32 updates = 0;
    while (running.load() > 0 || updates < 20) {
        if (updates % 2)
            flow_set(2 + updates % 5);
        else
            flow_new(2 + updates % 5);
        updates++;
    }
    a.join();
    b.join();
    EXPECT_EQ(get_packets(), 29u + 2 * kPerSender) << updates << " action updates under traffic";
    {
        OvsLock ovsl;
        ovsdp_destroy_all();
    }
    flow_stats_cache_exit();
}

// Refused actions: the client gets the precise reason (extack), and the
// kernel log gets upstream's line, rate-limited at info level as OVS_NLERR
// does (pr_info "openvswitch: netlink: ..."; our log adds the "openvswitch: "
// prefix), which the kernel's selftest netlink_checks looks for after a flow
// with 17 nested clone() actions. PROBE requests log nothing, as upstream.
struct LogLine {
    int level;
    std::string msg;
    bool ratelimited;
};
std::vector<LogLine>* g_log;
TEST_F(DatapathTest, RefusedActionsLoggedAsUpstream)
{
    ASSERT_EQ(new_dp("dp0"), 0);
    int ifindex = dp_ifindex("dp0");
    std::vector<u8> keyattrs = arp_key_attrs(1);
    // clone(clone(...(drop)...)) 17 deep: the leaf is an empty list.
    std::vector<u8> clones;
    for (int i = 0; i < 17; i++) {
        std::vector<u8> outer(4 + clones.size());
        u16 len = static_cast<u16>(outer.size()), type = uapi::OVS_ACTION_ATTR_CLONE;
        __builtin_memcpy(outer.data(), &len, 2);
        __builtin_memcpy(outer.data() + 2, &type, 2);
        std::copy(clones.begin(), clones.end(), outer.begin() + 4);
        clones = outer;
    }
    std::vector<LogLine> log;
    g_log = &log;
    user::set_log_hook([](int level, const char* msg, bool rl) { g_log->push_back({ level, msg, rl }); });
    auto request = [&](int (*cmd)(ovsdp_request*), const std::vector<u8>& acts, bool probe, std::string* extack) {
        Request r(&net, uapi::kFlowAttrMax, ifindex);
        r.put(uapi::OVS_FLOW_ATTR_KEY, keyattrs.data(), keyattrs.size());
        r.put(uapi::OVS_FLOW_ATTR_ACTIONS, acts.data(), acts.size());
        if (probe)
            r.put(uapi::OVS_FLOW_ATTR_PROBE, nullptr, 0);
        int rc = cmd(r.finish());
        *extack = r.req.extack_msg ? r.req.extack_msg : "";
        return rc;
    };
    auto has = [&](const char* line) {
        for (const LogLine& l : log)
            if (l.msg == line)
                return l.level == OVSDP_LOG_INFO && l.ratelimited;
        return false;
    };
    std::string extack;
    EXPECT_EQ(request(cmd::flow_new, clones, false, &extack), E(err::OVERFLOW));
    EXPECT_EQ(extack, "Actions nested more than 16 levels deep");
    EXPECT_TRUE(has("netlink: Flow actions may not be safe on all matching packets."));
    EXPECT_TRUE(has("netlink: Actions nested more than 16 levels deep")) << "the reason, as an OVS_NLERR line";

    // An action type this datapath does not know (the selftest's drop(0), 24
    // and up in later kernels): refused, logged the same way.
    std::vector<u8> unknown = { 8, 0, 40, 0, 0, 0, 0, 0 };
    log.clear();
    EXPECT_EQ(request(cmd::flow_new, unknown, false, &extack), E(err::INVAL));
    EXPECT_TRUE(has("netlink: Flow actions may not be safe on all matching packets."));

    // SET logs upstream's SET line.
    std::vector<u8> none;
    ASSERT_EQ(request(cmd::flow_new, none, false, &extack), 0) << extack;
    log.clear();
    EXPECT_EQ(request(cmd::flow_set, clones, false, &extack), E(err::OVERFLOW));
    EXPECT_EQ(extack, "Actions nested more than 16 levels deep");
    EXPECT_TRUE(has("netlink: Actions may not be safe on all matching packets"));
    EXPECT_FALSE(has("netlink: Flow actions may not be safe on all matching packets."));

    // A probe (ovs-vswitchd's feature probes): refused, nothing logged.
    log.clear();
    EXPECT_EQ(request(cmd::flow_new, clones, true, &extack), E(err::OVERFLOW));
    EXPECT_EQ(request(cmd::flow_set, clones, true, &extack), E(err::OVERFLOW));
    EXPECT_TRUE(log.empty()) << log.front().msg;
    user::set_log_hook(nullptr);
    g_log = nullptr;
}

} // namespace
