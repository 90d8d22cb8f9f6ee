// SPDX-License-Identifier: Apache-2.0
// Flow commands against the in-memory kernel: requests sent, output,
// messages and exit statuses.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "userspace-ctl/commands.h"
#include "userspace-ctl/odp.h"
#include "userspace-ctl/tests/fake_kernel.h"

namespace ovsdp::ctl {
namespace {

using testing::FakeDevice;
using testing::FakeHost;
using testing::FakeKernel;

constexpr char kTcp80[] = "in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=80)";
constexpr char kUfid[] = "ufid:11111111-2222-3333-4444-555555555555";

class FlowCommandTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        host.devices["veth0"] = FakeDevice{};
        host.devices["veth1"] = FakeDevice{};
        ASSERT_EQ(run({"add-dp", "dp0", "veth0", "veth1"}), 0);
    }

    int run(std::vector<std::string> args, GlobalOptions opts = {})
    {
        out = StringOutput();
        Context ctx{"ovsdp-ctl", opts, kernel, host, out};
        ctx.now_ms = 100000;
        return run_command(ctx, args);
    }

    GlobalOptions with(void (*set)(GlobalOptions&))
    {
        GlobalOptions o;
        set(o);
        return o;
    }

    testing::FakeDp& dp0() { return kernel.dps.at("dp0"); }

    FakeHost host;
    FakeKernel kernel{host};
    StringOutput out;
};

TEST_F(FlowCommandTest, AddFlowSendsNewWithCreateAndDumpPrintsIt)
{
    EXPECT_EQ(run({"add-flow", kTcp80, "2"}), 0);
    EXPECT_EQ(out.stderr_, "");
    ASSERT_EQ(kernel.flow_log.size(), 1u);
    const FlowRequest& r = kernel.flow_log[0];
    EXPECT_EQ(r.cmd, OVS_FLOW_CMD_NEW);
    EXPECT_EQ(r.nlm_flags, NLM_F_CREATE);
    EXPECT_TRUE(r.mask.has_value());
    EXPECT_FALSE(r.ufid.has_value());
    EXPECT_FALSE(r.clear);

    EXPECT_EQ(run({"dump-flows"}), 0);
    EXPECT_EQ(out.stdout_, std::string(kTcp80) + ", packets:0, bytes:0, used:never, actions:2\n");
    EXPECT_EQ(run({"dump-flows", "dp0"}), 0);
    EXPECT_EQ(run({"dump-flows", "system@dp0"}), 0);
    EXPECT_NE(out.stdout_.find("actions:2"), std::string::npos);
}

TEST_F(FlowCommandTest, AddExistingFlowIsEexist)
{
    ASSERT_EQ(run({"add-flow", "dp0", kTcp80, "2"}), 0);
    EXPECT_EQ(run({"add-flow", "dp0", kTcp80, "1"}), EEXIST);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: updating flow table (File exists)\n");
}

TEST_F(FlowCommandTest, ParseErrorsAreReportedLikeOvsDpctl)
{
    EXPECT_EQ(run({"add-flow", "in_port(1),bogus(1)", "1"}), EINVAL);
    EXPECT_EQ(out.stderr_,
              "ovsdp-ctl: parsing flow key (syntax error at bogus(1)) (Invalid argument)\n");
    EXPECT_EQ(run({"add-flow", kTcp80, "bogus"}), EINVAL);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: parsing actions (Invalid argument)\n");
    EXPECT_EQ(run({"del-flow", "bogus"}), EINVAL);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: syntax error at bogus (Invalid argument)\n");
    EXPECT_EQ(run({"add-flow", "ufid:zz", "1"}), EINVAL);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: parsing flow ufid (Invalid argument)\n");
    EXPECT_TRUE(kernel.flow_log.empty());
}

TEST_F(FlowCommandTest, PortNamesInKeysAndWithMore)
{
    EXPECT_EQ(run({"add-flow", "in_port(veth1),eth(),eth_type(0x0806),arp(op=1)", "1,2"}), 0);
    EXPECT_EQ(run({"dump-flows"}), 0);
    EXPECT_EQ(out.stdout_,
              "in_port(2),eth(),eth_type(0x0806),arp(op=1), packets:0, bytes:0, used:never, "
              "actions:1,2\n");
    GlobalOptions names;
    names.names = true;
    EXPECT_EQ(run({"dump-flows"}, names), 0);
    EXPECT_EQ(out.stdout_,
              "in_port(veth1),eth(),eth_type(0x0806),arp(op=1), packets:0, bytes:0, used:never, "
              "actions:veth0,veth1\n");
    GlobalOptions more;
    more.more = 1;
    EXPECT_EQ(run({"dump-flows"}, more), 0);
    EXPECT_NE(out.stdout_.find("in_port(veth1),eth(src=00:00:00:00:00:00/00:00:00:00:00:00,"),
              std::string::npos);
    EXPECT_NE(out.stdout_.find(", dp:ovs, actions:veth0,veth1\n"), std::string::npos);
    more.names = false;
    EXPECT_EQ(run({"dump-flows"}, more), 0);
    EXPECT_NE(out.stdout_.find("in_port(2),"), std::string::npos);
}

TEST_F(FlowCommandTest, ModFlowUsesSetAndClear)
{
    ASSERT_EQ(run({"add-flow", kTcp80, "2"}), 0);
    dp0().flows[0].info.stats = {4, 240};
    dp0().flows[0].info.used = 99000;
    dp0().flows[0].info.tcp_flags = 0x02;
    GlobalOptions o;
    o.statistics = true;
    o.clear = true;
    EXPECT_EQ(run({"mod-flow", kTcp80, "1"}, o), 0);
    const FlowRequest& r = kernel.flow_log.back();
    EXPECT_EQ(r.cmd, OVS_FLOW_CMD_SET);
    EXPECT_EQ(r.nlm_flags, 0);
    EXPECT_TRUE(r.clear);
    EXPECT_EQ(out.stdout_, "packets:4, bytes:240, used:1.000s, flags:S\n");
    EXPECT_EQ(run({"dump-flows"}), 0);
    EXPECT_EQ(out.stdout_, std::string(kTcp80) + ", packets:0, bytes:0, used:never, actions:1\n");

    EXPECT_EQ(run({"mod-flow", "in_port(2),eth(),eth_type(0x0806),arp()", "1"}), ENOENT);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: updating flow table (No such file or directory)\n");
    GlobalOptions may;
    may.may_create = true;
    EXPECT_EQ(run({"mod-flow", "in_port(2),eth(),eth_type(0x0806),arp()", "1"}, may), 0);
    EXPECT_EQ(kernel.flow_log.back().cmd, OVS_FLOW_CMD_NEW);
    EXPECT_EQ(kernel.flow_log.back().nlm_flags, 0);
    EXPECT_EQ(dp0().flows.size(), 2u);
}

TEST_F(FlowCommandTest, AddFlowStatisticsAreZero)
{
    GlobalOptions o;
    o.statistics = true;
    EXPECT_EQ(run({"add-flow", kTcp80, "2"}, o), 0);
    EXPECT_EQ(out.stdout_, "packets:0, bytes:0, used:never\n");
}

TEST_F(FlowCommandTest, DelFlowByKeyAndUfid)
{
    ASSERT_EQ(run({"add-flow", kTcp80, "2"}), 0);
    ASSERT_EQ(run({"add-flow", std::string(kUfid) + ",in_port(2),eth(),eth_type(0x0806),arp(op=2)",
                   "1"}),
              0);
    EXPECT_EQ(kernel.flow_log.back().ufid->size(), 16u);
    GlobalOptions more;
    more.more = 1;
    more.names = false;
    EXPECT_EQ(run({"get-flow", kUfid}, more), 0);
    EXPECT_EQ(out.stdout_.substr(0, 53), std::string(kUfid) + ", in_port(2)");
    EXPECT_EQ(run({"get-flow", kUfid}), 0);
    EXPECT_EQ(out.stdout_,
              "in_port(2),eth(),eth_type(0x0806),arp(op=2), packets:0, bytes:0, used:never, "
              "actions:1\n");

    GlobalOptions s;
    s.statistics = true;
    EXPECT_EQ(run({"del-flow", kTcp80}, s), 0);
    EXPECT_EQ(kernel.flow_log.back().cmd, OVS_FLOW_CMD_DEL);
    EXPECT_EQ(out.stdout_, "packets:0, bytes:0, used:never\n");
    EXPECT_EQ(run({"del-flow", kTcp80}), ENOENT);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: deleting flow (No such file or directory)\n");
    EXPECT_EQ(out.stdout_, "Perhaps you need to specify a UFID?\n");
    EXPECT_EQ(run({"del-flow", kUfid}), 0);
    EXPECT_FALSE(kernel.flow_log.back().key.has_value());
    EXPECT_EQ(run({"del-flow", kUfid}), ENOENT);
    EXPECT_EQ(out.stdout_, "Perhaps you need to specify a UFID?\n");
    EXPECT_TRUE(dp0().flows.empty());
}

TEST_F(FlowCommandTest, GetFlowByKeyIsOurs)
{
    ASSERT_EQ(run({"add-flow", kTcp80, "2"}), 0);
    EXPECT_EQ(run({"get-flow", "dp0", kTcp80}), 0);
    EXPECT_EQ(out.stdout_, std::string(kTcp80) + ", packets:0, bytes:0, used:never, actions:2\n");
    EXPECT_EQ(run({"get-flow", "in_port(2),eth(),eth_type(0x0806),arp()"}), ENOENT);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: getting flow (No such file or directory)\n");
}

TEST_F(FlowCommandTest, DelFlowsFlushes)
{
    ASSERT_EQ(run({"add-flow", kTcp80, "2"}), 0);
    EXPECT_EQ(run({"del-flows"}), 0);
    EXPECT_FALSE(kernel.flow_log.back().key.has_value());
    EXPECT_TRUE(dp0().flows.empty());
    EXPECT_EQ(run({"dump-flows"}), 0);
    EXPECT_EQ(out.stdout_, "");
    GlobalOptions ro;
    ro.read_only = true;
    EXPECT_EQ(run({"del-flows"}, ro), EINVAL);
    EXPECT_EQ(run({"dump-flows"}, ro), 0);
}

TEST_F(FlowCommandTest, DatapathChoiceLikeOptDpifOpen)
{
    EXPECT_EQ(run({"add-flow", "nosuch", kTcp80, "1"}), EINVAL);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: datapath not found (Invalid argument)\n");
    EXPECT_EQ(run({"dump-flows", "nosuch"}), EINVAL);
    // Extra arguments after an existing datapath are ignored, as ovs-dpctl does.
    EXPECT_EQ(run({"dump-flows", "dp0", "x", "y"}), 0);
    ASSERT_EQ(run({"add-dp", "dp1"}), 0);
    EXPECT_EQ(run({"dump-flows"}), EINVAL);
    EXPECT_EQ(out.stderr_,
              "ovsdp-ctl: multiple datapaths, specify one\n"
              "ovsdp-ctl: datapath not found (Invalid argument)\n");
    ASSERT_EQ(run({"del-dp", "dp1"}), 0);
    ASSERT_EQ(run({"del-dp", "dp0"}), 0);
    EXPECT_EQ(run({"del-flows"}), EINVAL);
    EXPECT_EQ(out.stderr_,
              "ovsdp-ctl: no datapaths exist\n"
              "ovsdp-ctl: datapath not found (Invalid argument)\n");
    EXPECT_EQ(run({"add-flow", kTcp80}), EINVAL);
}

TEST_F(FlowCommandTest, FilterAndType)
{
    ASSERT_EQ(run({"add-flow", kTcp80, "2"}), 0);
    ASSERT_EQ(run({"add-flow", "in_port(2),eth(),eth_type(0x0806),arp(op=1)", "1"}), 0);
    EXPECT_EQ(run({"dump-flows", "filter=arp"}), 0);
    EXPECT_EQ(out.stdout_.find("tcp"), std::string::npos);
    EXPECT_NE(out.stdout_.find("arp(op=1)"), std::string::npos);
    EXPECT_EQ(run({"dump-flows", "dp0", "filter=in_port=veth0"}), 0);
    EXPECT_NE(out.stdout_.find("tcp(dst=80)"), std::string::npos);
    EXPECT_EQ(out.stdout_.find("arp"), std::string::npos);
    EXPECT_EQ(run({"dump-flows", "filter=bogus"}), EINVAL);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: Failed to parse filter (bogus: unknown field bogus)\n");
    EXPECT_EQ(run({"dump-flows", "type=ovs"}), EINVAL);
    EXPECT_EQ(out.stderr_,
              "ovsdp-ctl: Invalid argument 'type'. Use 'ovs-appctl dpctl/dump-flows' instead.\n");
    // pmd=N: a kernel datapath's flows belong to no PMD thread (checked
    // against ovs-dpctl 3.1 on the kernel's module: no flows for any N).
    EXPECT_EQ(run({"dump-flows"}), 0);
    EXPECT_FALSE(out.stdout_.empty());
    for (const char* pmd : {"pmd=0", "pmd=-1", "pmd=3"}) {
        EXPECT_EQ(run({"dump-flows", pmd}), 0) << pmd;
        EXPECT_EQ(out.stdout_, "") << pmd;
        EXPECT_EQ(run({"dump-flows", "dp0", pmd, "filter=arp"}), 0) << pmd;
        EXPECT_EQ(out.stdout_, "") << pmd;
    }
    EXPECT_EQ(run({"dump-flows", "pmd=x"}), EINVAL);
    EXPECT_EQ(out.stderr_, "");
    EXPECT_EQ(run({"dump-flows", "pmd=-1", "type=ovs"}), EINVAL);
}

TEST_F(FlowCommandTest, NumaAndJson)
{
    kernel.numa_for_new_flows = {{0, 1, 60, 99500, 0x02}, {1, 2, 120, std::nullopt, 0}};
    ASSERT_EQ(run({"add-flow", kTcp80, "2"}), 0);
    GlobalOptions numa;
    numa.numa = true;
    EXPECT_EQ(run({"dump-flows"}, numa), 0);
    EXPECT_TRUE(kernel.flow_log.back().numa_stats);
    EXPECT_EQ(out.stdout_, std::string(kTcp80) +
                               ", packets:0, bytes:0, used:never, numa:[0:packets:1,bytes:60,"
                               "used:0.500s,flags:S 1:packets:2,bytes:120,used:never], actions:2\n");
    EXPECT_EQ(run({"get-flow", kTcp80}, numa), 0);
    EXPECT_NE(out.stdout_.find("numa:[0:"), std::string::npos);
    kernel.supports_numa_stats = false;
    EXPECT_EQ(run({"dump-flows"}, numa), 0);
    EXPECT_NE(out.stdout_.find(", numa:unavailable, actions:2"), std::string::npos);
    EXPECT_EQ(run({"dump-flows"}), 0);
    EXPECT_FALSE(kernel.flow_log.back().numa_stats);

    GlobalOptions json;
    json.json = true;
    EXPECT_EQ(run({"dump-flows"}, json), 0);
    EXPECT_EQ(out.stdout_.substr(0, 39), "{\"dp\":\"system@dp0\",\"ufid\":null,\"flow\":\"");
    EXPECT_EQ(out.stdout_.back(), '\n');
    EXPECT_NE(out.stdout_.find("\"actions\":\"2\"}"), std::string::npos);
    // The mask object prints the IPv4 frag mask as a number, not "<error>".
    EXPECT_NE(out.stdout_.find("frag=0xff"), std::string::npos) << out.stdout_;
    EXPECT_EQ(out.stdout_.find("<error>"), std::string::npos) << out.stdout_;
}

TEST_F(FlowCommandTest, ShowJson)
{
    GlobalOptions json;
    json.json = true;
    EXPECT_EQ(run({"show", "dp0"}, json), 0);
    EXPECT_EQ(out.stdout_,
              "{\"name\":\"system@dp0\",\"lookups\":{\"hit\":0,\"missed\":0,\"lost\":0},"
              "\"flows\":0,\"masks\":{\"hit\":0,\"total\":0,\"hit_per_pkt\":0.00},"
              "\"masks_cache_size\":256,\"ports\":["
              "{\"port_no\":0,\"name\":\"dp0\",\"type\":\"internal\",\"config\":{}},"
              "{\"port_no\":1,\"name\":\"veth0\",\"type\":\"system\",\"config\":{}},"
              "{\"port_no\":2,\"name\":\"veth1\",\"type\":\"system\",\"config\":{}}]}\n");
    json.statistics = true;
    EXPECT_EQ(run({"show"}, json), 0);
    EXPECT_NE(out.stdout_.find("\"stats\":{\"rx_packets\":0,"), std::string::npos);
}

TEST_F(FlowCommandTest, FlowsFromAFile)
{
    char path[] = "/tmp/ovsdp-ctl-flows-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    std::string text = std::string("# a comment\n") + kTcp80 + " 2\n" +
                       "\n"
                       "add in_port(2),eth(),eth_type(0x0806),arp(op=1)   1\n"
                       "in_port(2),eth(),eth_type(0x0806),arp(op=3) \\\n  1\n"    // no continuation
                       "in_port(2),eth(),eth_type(0x0806),arp(op=2)\n"          // no actions
                       "modify " + kTcp80 + " 1\n"
                       "in_port(1),bogus(1) 1   # parse error\n";
    ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    close(fd);
    EXPECT_EQ(run({"add-flows", path}), EINVAL);  // ovs-dpctl would exit 0
    EXPECT_EQ(out.stderr_,
              "ovsdp-ctl: parsing actions (Invalid argument)\n"
              "ovsdp-ctl: Failed parsing line number 6, skipped!\n"
              "ovsdp-ctl: Failed parsing line number 7, skipped!\n"
              "ovsdp-ctl: parsing flow key (syntax error at bogus(1)) (Invalid argument)\n");
    ASSERT_EQ(dp0().flows.size(), 2u);
    EXPECT_EQ(run({"dump-flows"}), 0);
    EXPECT_EQ(out.stdout_,
              std::string(kTcp80) + ", packets:0, bytes:0, used:never, actions:1\n"
              "in_port(2),eth(),eth_type(0x0806),arp(op=1), packets:0, bytes:0, used:never, "
              "actions:1\n");

    std::string del = std::string("delete ") + kTcp80 + "\n";
    fd = open(path, O_WRONLY | O_TRUNC);
    ASSERT_EQ(write(fd, del.data(), del.size()), static_cast<ssize_t>(del.size()));
    close(fd);
    EXPECT_EQ(run({"del-flows", "dp0", path}), 0);
    EXPECT_EQ(dp0().flows.size(), 1u);
    // "delete" overrides mod-flows' default command.
    EXPECT_EQ(run({"mod-flows", path}), ENOENT);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: deleting flow (No such file or directory)\n");
    EXPECT_EQ(dp0().flows.size(), 1u);
    unlink(path);
    EXPECT_EQ(run({"add-flows", "dp0", "/nonexistent/flows"}), ENOENT);
    EXPECT_EQ(out.stderr_,
              "ovsdp-ctl: Opening file \"/nonexistent/flows\" failed (No such file or directory)\n");
}

TEST_F(FlowCommandTest, DropIsAnEmptyActionList)
{
    EXPECT_EQ(run({"add-flow", kTcp80, "drop"}), 0);
    EXPECT_TRUE(kernel.flow_log.back().actions->empty());
    EXPECT_EQ(run({"dump-flows"}), 0);
    EXPECT_NE(out.stdout_.find("actions:drop\n"), std::string::npos);
}

}  // namespace
}  // namespace ovsdp::ctl
