// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <algorithm>

#include "userspace-ctl/sset_order.h"

namespace ovsdp::ctl {
namespace {

TEST(OvsHash, MatchesMurmur3OnWholeWords)
{
    // For lengths that are a multiple of 4, OVS's hash_bytes() is
    // MurmurHash3_x86_32; these are its published values.
    EXPECT_EQ(ovs_hash_string(""), 0u);
    EXPECT_EQ(ovs_hash_string("", 1), 0x514e28b7u);
    EXPECT_EQ(ovs_hash_string("test"), 0xba6bd213u);
}

TEST(OvsHash, TailIsMixedLikeAWord)
{
    // OVS runs the partial last word through a full mix round (unlike
    // Murmur3's tail), so "abc" equals "abc\0" except for the length.
    std::string padded("abc\0", 4);
    EXPECT_NE(ovs_hash_string("abc"), ovs_hash_string(padded));
}

TEST(SsetOrder, SmallSetsFollowBucketOrder)
{
    EXPECT_TRUE(ovs_sset_order({}).empty());
    std::vector<std::string> one = {"dp0"};
    EXPECT_EQ(ovs_sset_order(one), one);

    // Two to seven names live in four buckets: iteration goes by hash & 3.
    std::vector<std::string> names = {"dp0", "dp1", "dp2", "br0", "x"};
    auto order = ovs_sset_order(names);
    ASSERT_EQ(order.size(), names.size());
    for (size_t i = 1; i < order.size(); i++) {
        EXPECT_LE(ovs_hash_string(order[i - 1]) & 3, ovs_hash_string(order[i]) & 3);
    }
    auto sorted = order;
    std::sort(sorted.begin(), sorted.end());
    auto expected = names;
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(sorted, expected);
}

TEST(SsetOrder, MatchesDebianOvsDpctl)
{
    // Datapaths created in this order; "ovs-dpctl dump-dps" (Open vSwitch
    // 3.1.0, Debian 12, stock 6.1 kernel module) listed them as below.
    std::vector<std::string> created = {"dp0", "dp1", "dp2", "br0", "ovs-system", "a"};
    std::vector<std::string> listed = {"a", "br0", "dp2", "ovs-system", "dp0", "dp1"};
    EXPECT_EQ(ovs_sset_order(created), listed);
}

TEST(SsetOrder, DuplicatesIgnoredAndLargeSetsComplete)
{
    std::vector<std::string> names;
    for (int i = 0; i < 40; i++) {
        names.push_back("dp" + std::to_string(i));
    }
    names.push_back("dp3");
    auto order = ovs_sset_order(names);
    EXPECT_EQ(order.size(), 40u);
    // 40 names: 32 buckets (mask 31); bucket indexes never decrease.
    for (size_t i = 1; i < order.size(); i++) {
        EXPECT_LE(ovs_hash_string(order[i - 1]) & 31, ovs_hash_string(order[i]) & 31);
    }
}

}  // namespace
}  // namespace ovsdp::ctl
