// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <linux/openvswitch.h>

#include "userspace-ctl/format.h"

namespace ovsdp::ctl {
namespace {

ShowDp fresh_dp()
{
    ShowDp dp;
    dp.name = "system@dp0";
    dp.have_stats = true;
    dp.megaflow = MegaflowStats{};
    dp.masks_cache_size = 256;
    dp.ports.push_back(ShowPort{0, "dp0", "internal", {}, {}});
    return dp;
}

TEST(Format, ErrorLines)
{
    EXPECT_EQ(format_error_line("ovsdp-ctl", "add_dp", EEXIST), "ovsdp-ctl: add_dp (File exists)\n");
    EXPECT_EQ(format_error_line("p", "no port named x", 0), "p: no port named x\n");
    EXPECT_EQ(errno_text(ENODEV), "No such device");
}

TEST(Format, VportTypeNames)
{
    EXPECT_EQ(vport_type_name(OVS_VPORT_TYPE_NETDEV), "system");
    EXPECT_EQ(vport_type_name(OVS_VPORT_TYPE_INTERNAL), "internal");
    EXPECT_EQ(vport_type_name(OVS_VPORT_TYPE_GENEVE), "geneve");
    EXPECT_EQ(vport_type_name(OVS_VPORT_TYPE_UNSPEC), "unknown");
    EXPECT_EQ(vport_type_name(999), "unknown");
}

TEST(Format, HumanSizes)
{
    EXPECT_EQ(format_human_size(0), "");
    EXPECT_EQ(format_human_size(1023), "");
    EXPECT_EQ(format_human_size(1024), " (1.0 KiB)");
    EXPECT_EQ(format_human_size(1536), " (1.5 KiB)");
    EXPECT_EQ(format_human_size(1024 * 1024), " (1.0 MiB)");
    EXPECT_EQ(format_human_size(5ULL << 30), " (5.0 GiB)");
    EXPECT_EQ(format_human_size(3ULL << 40), " (3.0 TiB)");
    EXPECT_EQ(format_human_size(kStatUnknown), "");
}

TEST(Format, FreshDatapath)
{
    EXPECT_EQ(format_show_dp(fresh_dp(), false),
              "system@dp0:\n"
              "  lookups: hit:0 missed:0 lost:0\n"
              "  flows: 0\n"
              "  masks: hit:0 total:0 hit/pkt:0.00\n"
              "  caches:\n"
              "    masks-cache: size:256\n"
              "  port 0: dp0 (internal)\n");
}

TEST(Format, CountersAndCacheLine)
{
    ShowDp dp = fresh_dp();
    dp.stats = DpStats{5, 3, 1, 2};
    dp.megaflow = MegaflowStats{12, 4, 6};
    dp.masks_cache_size.reset();
    dp.ports.clear();
    EXPECT_EQ(format_show_dp(dp, false),
              "system@dp0:\n"
              "  lookups: hit:5 missed:3 lost:1\n"
              "  flows: 2\n"
              "  masks: hit:12 total:4 hit/pkt:1.50\n"
              "  cache: hit:6 hit-rate:75.00%\n");
}

TEST(Format, BudgetDropsOnlyWhenSome)
{
    ShowDp dp = fresh_dp();
    dp.megaflow.reset();
    dp.ports.clear();
    dp.masks_cache_size.reset();
    dp.budget_drops = 0;
    EXPECT_EQ(format_show_dp(dp, false),
              "system@dp0:\n  lookups: hit:0 missed:0 lost:0\n  flows: 0\n") << "as ovs-dpctl prints it";
    dp.budget_drops = 7;
    EXPECT_EQ(format_show_dp(dp, false),
              "system@dp0:\n  lookups: hit:0 missed:0 lost:0\n  flows: 0\n  budget drops: 7\n");
    EXPECT_NE(format_show_dp_json(dp, false).find("\"budget_drops\":7"), std::string::npos);
}

TEST(Format, MissingMegaflowOrDpStats)
{
    ShowDp dp = fresh_dp();
    dp.megaflow.reset();
    dp.ports.clear();
    dp.masks_cache_size.reset();
    EXPECT_EQ(format_show_dp(dp, false),
              "system@dp0:\n  lookups: hit:0 missed:0 lost:0\n  flows: 0\n");
    dp.have_stats = false;
    EXPECT_EQ(format_show_dp(dp, false), "system@dp0:\n");
}

TEST(Format, CacheHitsOnlyWhenCounted)
{
    EXPECT_FALSE(cache_hits_reported(MegaflowStats{1, 1, 0}));
    EXPECT_TRUE(cache_hits_reported(MegaflowStats{1, 1, 1}));
}

TEST(Format, PortsSortedWithTypesAndConfig)
{
    ShowDp dp = fresh_dp();
    dp.have_stats = false;
    dp.masks_cache_size.reset();
    dp.ports.push_back(ShowPort{3, "vx", "vxlan", {{"z", "1"}, {"dst_port", "4790"}}, {}});
    dp.ports.push_back(ShowPort{1, "eth1", "system", {}, {}});
    EXPECT_EQ(format_show_dp(dp, false),
              "system@dp0:\n"
              "  port 0: dp0 (internal)\n"
              "  port 1: eth1\n"
              "  port 3: vx (vxlan: dst_port=4790, z=1)\n");
}

TEST(Format, PortStatistics)
{
    ShowDp dp = fresh_dp();
    dp.have_stats = false;
    dp.masks_cache_size.reset();
    NetdevStats s = netdev_stats_from_vport(VportStats{1, 2, 2048, 5ULL << 30, 3, 4, 5, 6});
    s.rx_frame_errors = kStatUnknown;
    dp.ports[0].stats = Result<NetdevStats>(s);
    dp.ports.push_back(ShowPort{1, "eth1", "system", {}, Result<NetdevStats>(Error::from_errno(ENODEV))});
    EXPECT_EQ(format_show_dp(dp, true),
              "system@dp0:\n"
              "  port 0: dp0 (internal)\n"
              "    RX packets:1 errors:3 dropped:5 overruns:0 frame:?\n"
              "    TX packets:2 errors:4 dropped:6 aborted:0 carrier:0\n"
              "    collisions:0\n"
              "    RX bytes:2048 (2.0 KiB)  TX bytes:5368709120 (5.0 GiB)\n"
              "  port 1: eth1\n"
              ", could not retrieve stats (No such device)");
    // Without -s the counters are not printed even if gathered.
    EXPECT_EQ(format_show_dp(dp, false),
              "system@dp0:\n  port 0: dp0 (internal)\n  port 1: eth1\n");
}

TEST(Stats, SystemPortMerge)
{
    VportStats v{10, 20, 100, 200, 1, 2, 3, 4};
    NetdevStats d = netdev_stats_from_vport(VportStats{11, 21, 110, 210, 1, 1, 1, 1});
    d.rx_over_errors = 7;
    d.collisions = 8;

    auto both = merge_system_port_stats(v, d);
    ASSERT_TRUE(both.ok());
    EXPECT_EQ(both->rx_packets, 11u);
    EXPECT_EQ(both->tx_bytes, 210u);
    EXPECT_EQ(both->rx_errors, 2u);
    EXPECT_EQ(both->tx_dropped, 5u);
    EXPECT_EQ(both->rx_over_errors, 7u);
    EXPECT_EQ(both->collisions, 8u);

    auto vport_only = merge_system_port_stats(v, Result<NetdevStats>(Error::from_errno(ENODEV)));
    ASSERT_TRUE(vport_only.ok());
    EXPECT_EQ(vport_only->rx_packets, 10u);
    EXPECT_EQ(vport_only->collisions, 0u);

    auto dev_only = merge_system_port_stats(Result<VportStats>(Error::from_errno(ENODEV)), d);
    ASSERT_TRUE(dev_only.ok());
    EXPECT_EQ(dev_only->rx_errors, 1u);

    auto neither = merge_system_port_stats(Result<VportStats>(Error::from_errno(ENOENT)),
                                           Result<NetdevStats>(Error::from_errno(ENODEV)));
    EXPECT_EQ(neither.code(), ENODEV);

    EXPECT_EQ(vport_only_port_stats(v)->tx_packets, 20u);
    EXPECT_EQ(vport_only_port_stats(Result<VportStats>(Error::from_errno(EOPNOTSUPP))).code(),
              EOPNOTSUPP);
}

}  // namespace
}  // namespace ovsdp::ctl
