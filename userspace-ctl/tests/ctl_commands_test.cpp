// SPDX-License-Identifier: Apache-2.0
// Command behaviour against an in-memory kernel: messages, exit codes, the
// requests sent (feature negotiation), and "show" output.
#include <gtest/gtest.h>

#include "userspace-ctl/commands.h"
#include "userspace-ctl/sset_order.h"
#include "userspace-ctl/tests/fake_kernel.h"

namespace ovsdp::ctl {
namespace {

using testing::FakeDevice;
using testing::FakeHost;
using testing::FakeKernel;

constexpr uint32_t kUnaligned = OVS_DP_F_UNALIGNED;
constexpr uint32_t kVportPids = OVS_DP_F_VPORT_PIDS;
constexpr uint32_t kRecirc = OVS_DP_F_TC_RECIRC_SHARING;
constexpr uint32_t kPerCpu = OVS_DP_F_DISPATCH_UPCALL_PER_CPU;

class CommandTest : public ::testing::Test {
protected:
    // Runs one command line (split on spaces) and returns its status.
    int run(const std::string& line, GlobalOptions opts = {})
    {
        out = StringOutput();
        std::vector<std::string> args;
        size_t pos = 0;
        while (pos < line.size()) {
            size_t sp = line.find(' ', pos);
            if (sp == std::string::npos) {
                sp = line.size();
            }
            if (sp > pos) {
                args.push_back(line.substr(pos, sp - pos));
            }
            pos = sp + 1;
        }
        Context ctx{"ovsdp-ctl", opts, kernel, host, out};
        return run_command(ctx, args);
    }

    FakeHost host;
    FakeKernel kernel{host};
    StringOutput out;
};

const char kFreshShow[] =
    "system@dp0:\n"
    "  lookups: hit:0 missed:0 lost:0\n"
    "  flows: 0\n"
    "  masks: hit:0 total:0 hit/pkt:0.00\n"
    "  caches:\n"
    "    masks-cache: size:256\n"
    "  port 0: dp0 (internal)\n";

TEST_F(CommandTest, AddDpNegotiatesFeaturesLikeOvs)
{
    EXPECT_EQ(run("add-dp dp0"), 0);
    EXPECT_EQ(out.stderr_, "");
    ASSERT_EQ(kernel.dp_log.size(), 3u);
    EXPECT_EQ(kernel.dp_log[0].cmd, OVS_DP_CMD_NEW);
    EXPECT_EQ(kernel.dp_log[0].user_features, kUnaligned | kVportPids | (1u << 31));
    EXPECT_EQ(kernel.dp_log[0].upcall_pid, 0u);
    EXPECT_EQ(kernel.dp_log[1].cmd, OVS_DP_CMD_NEW);
    EXPECT_EQ(kernel.dp_log[1].user_features, kUnaligned | kPerCpu);
    EXPECT_EQ(kernel.dp_log[1].upcall_pid, 0u);
    EXPECT_EQ(kernel.dp_log[2].cmd, OVS_DP_CMD_SET);
    EXPECT_EQ(kernel.dp_log[2].user_features, kUnaligned | kPerCpu | kRecirc);
    EXPECT_EQ(kernel.dps.at("dp0").features, kUnaligned | kPerCpu | kRecirc);
}

TEST_F(CommandTest, AddDpFallsBackToVportPids)
{
    kernel.supports_per_cpu = false;
    EXPECT_EQ(run("add-dp system@dp0"), 0);
    ASSERT_EQ(kernel.dp_log.size(), 4u);
    EXPECT_EQ(kernel.dp_log[2].user_features, kUnaligned | kVportPids);
    EXPECT_EQ(kernel.dps.at("dp0").features, kUnaligned | kVportPids | kRecirc);
}

TEST_F(CommandTest, AddDpOnKernelWithoutNegotiation)
{
    kernel.accepts_unknown_features = true;
    EXPECT_EQ(run("add-dp dp0"), 0);
    ASSERT_EQ(kernel.dp_log.size(), 2u);
    EXPECT_EQ(kernel.dp_log[1].cmd, OVS_DP_CMD_SET);
    EXPECT_EQ(kernel.dps.at("dp0").features, kUnaligned | kVportPids);
}

TEST_F(CommandTest, AddDpErrors)
{
    ASSERT_EQ(run("add-dp dp0"), 0);
    EXPECT_EQ(run("add-dp dp0"), EEXIST);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: creating datapath dp0 failed (File exists)\n");
    EXPECT_EQ(run("add-dp foo@dp1"), EAFNOSUPPORT);
    EXPECT_EQ(out.stderr_,
              "ovsdp-ctl: warning: could not create datapath dp1 of unknown type foo\n"
              "ovsdp-ctl: creating datapath foo@dp1 failed (Address family not supported by protocol)\n");
}

TEST_F(CommandTest, ShowFreshDatapath)
{
    ASSERT_EQ(run("add-dp dp0"), 0);
    EXPECT_EQ(run("show"), 0);
    EXPECT_EQ(out.stdout_, kFreshShow);
    EXPECT_EQ(run("show dp0"), 0);
    EXPECT_EQ(out.stdout_, kFreshShow);
    EXPECT_EQ(run("show system@dp0"), 0);
    EXPECT_EQ(out.stdout_, kFreshShow);
}

TEST_F(CommandTest, ShowMissingDatapath)
{
    ASSERT_EQ(run("add-dp dp0"), 0);
    EXPECT_EQ(run("show nosuch dp0"), ENODEV);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: opening datapath nosuch failed (No such device)\n");
    EXPECT_EQ(out.stdout_, kFreshShow);
}

TEST_F(CommandTest, AddDpWithInterfacesAndShow)
{
    host.devices["veth0"] = FakeDevice{};
    ASSERT_EQ(run("add-dp dp0 veth0 int0,type=internal"), 0);
    EXPECT_EQ(out.stderr_, "");
    EXPECT_TRUE(host.devices.at("veth0").up);
    EXPECT_TRUE(host.devices.at("int0").up);
    EXPECT_EQ(host.lro_disabled, std::vector<std::string>{"veth0"});
    const auto& ports = kernel.dps.at("dp0").ports;
    ASSERT_EQ(ports.size(), 3u);
    EXPECT_EQ(ports.at(1).name, "veth0");
    EXPECT_EQ(ports.at(1).type, OVS_VPORT_TYPE_NETDEV);
    EXPECT_EQ(ports.at(1).pids, std::vector<uint32_t>{0});
    EXPECT_EQ(ports.at(2).name, "int0");
    EXPECT_EQ(ports.at(2).type, OVS_VPORT_TYPE_INTERNAL);
    EXPECT_EQ(run("show"), 0);
    EXPECT_EQ(out.stdout_, std::string(kFreshShow) +
                               "  port 1: veth0\n"
                               "  port 2: int0 (internal)\n");
}

TEST_F(CommandTest, ShowStatistics)
{
    host.devices["veth0"] = FakeDevice{};
    ASSERT_EQ(run("add-dp dp0 veth0,port_no=7"), 0);
    auto& port = kernel.dps.at("dp0").ports.at(7);
    port.stats = VportStats{10, 20, 1000, 2000, 1, 2, 3, 4};
    NetdevStats& dev = host.devices.at("veth0").stats;
    dev.rx_packets = 11;
    dev.tx_packets = 21;
    dev.rx_bytes = 1100;
    dev.tx_bytes = 3 * 1024 * 1024;
    dev.rx_errors = 1;
    dev.rx_over_errors = 5;
    dev.collisions = 6;
    kernel.dps.at("dp0").ports.at(0).stats = VportStats{1, 2, 3, 4, 0, 0, 0, 0};
    GlobalOptions opts;
    opts.statistics = true;
    EXPECT_EQ(run("show dp0", opts), 0);
    EXPECT_EQ(out.stdout_,
              "system@dp0:\n"
              "  lookups: hit:0 missed:0 lost:0\n"
              "  flows: 0\n"
              "  masks: hit:0 total:0 hit/pkt:0.00\n"
              "  caches:\n"
              "    masks-cache: size:256\n"
              "  port 0: dp0 (internal)\n"
              "    RX packets:1 errors:0 dropped:0 overruns:0 frame:0\n"
              "    TX packets:2 errors:0 dropped:0 aborted:0 carrier:0\n"
              "    collisions:0\n"
              "    RX bytes:3  TX bytes:4\n"
              "  port 7: veth0\n"
              "    RX packets:11 errors:2 dropped:3 overruns:5 frame:0\n"
              "    TX packets:21 errors:2 dropped:4 aborted:0 carrier:0\n"
              "    collisions:6\n"
              "    RX bytes:1100 (1.1 KiB)  TX bytes:3145728 (3.0 MiB)\n");
}

TEST_F(CommandTest, AddIfErrors)
{
    ASSERT_EQ(run("add-dp dp0"), 0);
    EXPECT_EQ(run("add-if dp1 veth0"), ENODEV);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: opening datapath dp1 failed (No such device)\n");

    EXPECT_EQ(run("add-if dp0 nosuch"), ENODEV);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: nosuch: failed to open network device (No such device)\n");

    EXPECT_EQ(run("add-if dp0 x,type=bogus"), EAFNOSUPPORT);
    EXPECT_EQ(out.stderr_,
              "ovsdp-ctl: x: failed to open network device (Address family not supported by "
              "protocol)\n");

    EXPECT_EQ(run("add-if dp0 all,type=internal"), EINVAL);
    EXPECT_EQ(out.stderr_,
              "ovsdp-ctl: warning: all: Linux forbids network device with this name\n"
              "ovsdp-ctl: all: failed to open network device (Invalid argument)\n");

    EXPECT_EQ(run("add-if dp0 ,,"), EINVAL);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: ,, is not a valid network device name\n");

    host.devices["veth0"] = FakeDevice{};
    host.devices["veth1"] = FakeDevice{};
    EXPECT_EQ(run("add-if dp0 veth0,port_no=3"), 0);
    EXPECT_EQ(run("add-if system@dp0 veth1,port_no=3"), EBUSY);
    EXPECT_EQ(out.stderr_,
              "ovsdp-ctl: adding veth1 to system@dp0 failed (Device or resource busy)\n");
    EXPECT_EQ(run("add-if dp0 veth0"), EEXIST);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: adding veth0 to dp0 failed (File exists)\n");

    // The last error wins; later interfaces are still added.
    EXPECT_EQ(run("add-if dp0 nosuch veth1"), ENODEV);
    EXPECT_TRUE(host.devices.at("veth1").up);
}

TEST_F(CommandTest, AddIfOptions)
{
    ASSERT_EQ(run("add-dp dp0"), 0);
    host.devices["veth0"] = FakeDevice{};
    EXPECT_EQ(run("add-if dp0 veth0,type=netdev,foo=1,foo=2,upcall_pid=7,upcall_pid=9"), 0);
    EXPECT_EQ(out.stderr_,
              "ovsdp-ctl: duplicate \"foo\" option\n"
              "ovsdp-ctl: warning: veth0: arguments provided to device that is not configurable\n");
    EXPECT_EQ(kernel.dps.at("dp0").ports.at(1).pids, (std::vector<uint32_t>{7, 9}));
    EXPECT_EQ(run("add-if dp0 i1,type=internal,upcall_pid=x"), EINVAL);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: i1: invalid upcall_pid \"x\"\n");
    EXPECT_EQ(run("add-if dp0 v,type=vxlan"), EOPNOTSUPP);
}

TEST_F(CommandTest, KernelExtackIsPrinted)
{
    kernel.extack_on_error = "Attribute failed policy validation";
    EXPECT_EQ(run("del-dp dp9"), ENODEV);
    EXPECT_EQ(out.stderr_,
              "ovsdp-ctl: opening datapath dp9 failed (No such device)\n"
              "ovsdp-ctl: kernel: Attribute failed policy validation\n");
}

TEST_F(CommandTest, DelIf)
{
    host.devices["veth0"] = FakeDevice{};
    host.devices["veth1"] = FakeDevice{};
    ASSERT_EQ(run("add-dp dp0 veth0 veth1 i0,type=internal"), 0);
    EXPECT_EQ(run("del-if dp0 veth0 2"), 0);
    EXPECT_EQ(kernel.dps.at("dp0").ports.size(), 2u);
    EXPECT_EQ(run("del-if dp0 i0"), 0);
    EXPECT_FALSE(host.devices.count("i0"));

    EXPECT_EQ(run("del-if dp0 veth0"), ENOENT);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: no port named veth0\n");
    EXPECT_EQ(run("del-if dp0 9"), ENODEV);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: deleting port 9 from dp0 failed (No such device)\n");
    EXPECT_EQ(run("del-if dp0 0"), EINVAL);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: deleting port 0 from dp0 failed (Invalid argument)\n");
    EXPECT_EQ(run("del-if dp0 dp0"), EINVAL);
    EXPECT_EQ(run("del-if dp1 1"), ENODEV);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: opening datapath dp1 failed (No such device)\n");
}

TEST_F(CommandTest, DelIfPortOfAnotherDatapath)
{
    host.devices["veth0"] = FakeDevice{};
    ASSERT_EQ(run("add-dp dp0 veth0"), 0);
    ASSERT_EQ(run("add-dp dp1"), 0);
    EXPECT_EQ(run("del-if dp1 veth0"), ENOENT);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: no port named veth0\n");
}

TEST_F(CommandTest, SetIf)
{
    host.devices["veth0"] = FakeDevice{};
    ASSERT_EQ(run("add-dp dp0 veth0"), 0);
    EXPECT_EQ(run("set-if dp0 veth0"), 0);
    EXPECT_EQ(out.stderr_, "");
    EXPECT_EQ(run("set-if dp0 veth0,type=system,port_no=1"), 0);
    EXPECT_EQ(run("set-if dp0 veth0,type=internal"), EINVAL);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: veth0: can't change type from system to internal\n");
    EXPECT_EQ(run("set-if dp0 veth0,port_no=5"), EINVAL);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: veth0: can't change port number from 1 to 5\n");
    EXPECT_EQ(run("set-if dp0 veth0,mtu=9000"), 0);
    EXPECT_EQ(out.stderr_,
              "ovsdp-ctl: veth0: arguments provided to device that is not configurable\n");
    EXPECT_EQ(run("set-if dp0 veth0,mtu="), 0);
    EXPECT_EQ(out.stderr_, "");
    EXPECT_EQ(run("set-if dp0 veth0,upcall_pid=42"), 0);
    EXPECT_EQ(kernel.dps.at("dp0").ports.at(1).pids, std::vector<uint32_t>{42});
    EXPECT_EQ(run("set-if dp0 nosuch"), ENODEV);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: nosuch: failed to query port in dp0 (No such device)\n");
    EXPECT_EQ(run("set-if dp0 ,"), 0);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: , is not a valid network device name\n");
}

TEST_F(CommandTest, DelDp)
{
    host.devices["veth0"] = FakeDevice{};
    ASSERT_EQ(run("add-dp dp0 veth0 i0,type=internal"), 0);
    EXPECT_EQ(run("del-dp system@dp0"), 0);
    EXPECT_TRUE(kernel.dps.empty());
    EXPECT_FALSE(host.devices.count("dp0"));
    EXPECT_FALSE(host.devices.count("i0"));
    EXPECT_TRUE(host.devices.count("veth0"));
    EXPECT_EQ(run("del-dp dp0"), ENODEV);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: opening datapath dp0 failed (No such device)\n");
    EXPECT_EQ(run("set-if nosuch veth0"), ENODEV);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: opening datapath nosuch failed (No such device)\n");
}

TEST_F(CommandTest, DumpDpsUsesOvsOrder)
{
    std::vector<std::string> names = {"dp0", "dp1", "br-int", "a", "zzz"};
    for (const auto& n : names) {
        ASSERT_EQ(run("add-dp " + n), 0);
    }
    EXPECT_EQ(run("dump-dps"), 0);
    std::string expected;
    for (const auto& n : ovs_sset_order(names)) {
        expected += "system@" + n + "\n";
    }
    EXPECT_EQ(out.stdout_, expected);
}

TEST_F(CommandTest, NoDatapaths)
{
    EXPECT_EQ(run("dump-dps"), 0);
    EXPECT_EQ(out.stdout_, "");
    EXPECT_EQ(run("show"), 0);
    EXPECT_EQ(out.stdout_, "");
}

TEST_F(CommandTest, Dispatch)
{
    EXPECT_EQ(run(""), EINVAL);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: missing command name; use --help for help\n");
    EXPECT_EQ(run("frob"), EINVAL);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: unknown command 'frob'; use --help for help\n");
    EXPECT_EQ(run("add-if dp0"), EINVAL);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: 'add-if' command requires at least 2 arguments\n");
    EXPECT_EQ(run("dump-dps x"), EINVAL);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: 'dump-dps' command takes at most 0 arguments\n");
    GlobalOptions ro;
    ro.read_only = true;
    EXPECT_EQ(run("add-dp dp0", ro), EINVAL);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: 'add-dp' command does not work in read only mode\n");
    EXPECT_EQ(run("show", ro), 0);
}

TEST_F(CommandTest, UsageListsEveryCommand)
{
    std::string usage = usage_text("ovsdp-ctl");
    for (const Command& c : datapath_commands()) {
        EXPECT_NE(usage.find("  " + std::string(c.name)), std::string::npos) << c.name;
    }
}


GlobalOptions read_only()
{
    GlobalOptions o;
    o.read_only = true;
    return o;
}

TEST_F(CommandTest, CacheGetAndSetSize)
{
    ASSERT_EQ(run("add-dp dp0"), 0);
    EXPECT_EQ(run("cache-get-size"), 0);
    EXPECT_EQ(out.stdout_, "system@dp0:\n  caches:\n    masks-cache: size:256\n");
    EXPECT_EQ(run("cache-get-size dp0"), 0);
    EXPECT_EQ(out.stdout_, "system@dp0:\n  caches:\n    masks-cache: size:256\n");
    EXPECT_EQ(run("cache-get-size nodp"), ENODEV);
    EXPECT_EQ(run("cache-set-size dp0 masks-cache 256"), 0);
    EXPECT_EQ(out.stdout_, "Setting cache size successful, new size 256\n");
    EXPECT_EQ(run("cache-set-size dp0 emc 256"), EINVAL);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: Cache name \"emc\" not found on dpif (Invalid argument)\n");
    EXPECT_EQ(run("cache-set-size dp0 masks-cache x1"), EINVAL);
    EXPECT_EQ(out.stderr_, "ovsdp-ctl: size is malformed (Invalid argument)\n");
    EXPECT_EQ(run("cache-set-size dp0 masks-cache 256", read_only()), EINVAL);
}

TEST_F(CommandTest, HelpAndListCommands)
{
    EXPECT_EQ(run("list-commands"), 0);
    EXPECT_TRUE(out.stdout_.starts_with("The available commands are:\n  add-dp                  DP [IFACE...]\n"));
    EXPECT_NE(out.stdout_.find("\n  cache-set-size          DP CACHE SIZE\n"), std::string::npos);
    EXPECT_NE(out.stdout_.find("\n  list-commands           \n"), std::string::npos);
    EXPECT_EQ(run("help"), 0);
    EXPECT_EQ(out.stdout_, usage_text("ovsdp-ctl"));
}

}  // namespace
}  // namespace ovsdp::ctl
