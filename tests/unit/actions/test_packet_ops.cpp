// SPDX-License-Identifier: GPL-2.0
// The userspace MutablePacket (platform/user/user_packet.h): skb-like offset
// bookkeeping, copy-on-write clones, head reallocation, trimming with
// checksum state, and the rcsum helpers of actions/packet_ops.h.
#include "act_test_util.h"

using namespace ovsdp;
using namespace ovsdp::test;

namespace {

class PacketOps : public ::testing::Test {
protected:
    void SetUp() override { baseline_ = user::live_allocations(); }
    void TearDown() override { EXPECT_EQ(user::live_allocations(), baseline_); }
    long baseline_ = 0;
};

TEST_F(PacketOps, OffsetsAreAbsoluteAndMoveWithPushAndPull)
{
    Buf b = ipv4_packet(eth(kEthPIp), Ip4 {}, udp(1, 2));
    Received r = receive(b);
    Pkt& p = r.pkt;
    EXPECT_EQ(p.network_offset(), 14);
    EXPECT_EQ(p.transport_offset(), 34);
    EXPECT_EQ(p.mac_len(), 14);
    u8* d = p.push_head(4);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(p.len(), b.size() + 4);
    EXPECT_EQ(p.network_offset(), 18);
    EXPECT_EQ(p.transport_offset(), 38);
    p.pull_head(4);
    EXPECT_EQ(p.network_offset(), 14);
    EXPECT_EQ(bytes_of(p), b);
}

TEST_F(PacketOps, PushBeyondHeadroomReallocatesAndKeepsOffsets)
{
    Buf b = ipv4_packet(eth(kEthPIp), Ip4 {}, tcp(1, 2));
    Received r = receive(b, 1, /*headroom=*/0);
    Pkt& p = r.pkt;
    p.set_csum_partial(34, 16);
    EXPECT_EQ(p.headroom(), 0u);
    u8* d = p.push_head(4);
    ASSERT_NE(d, nullptr);
    EXPECT_GE(p.headroom(), 0u);
    EXPECT_EQ(p.network_offset(), 18);
    EXPECT_EQ(p.transport_offset(), 38);
    EXPECT_EQ(p.csum_start_offset(), 38);
    EXPECT_EQ(Buf(p.data() + 4, p.data() + p.len()), b);
}

TEST_F(PacketOps, ClonesShareBytesUntilWritten)
{
    Buf b = ipv4_packet(eth(kEthPIp), Ip4 {}, udp(1, 2));
    Received r = receive(b);
    r.pkt.set_mark(7);
    alignas(Pkt) u8 storage[sizeof(Pkt)];
    ASSERT_TRUE(r.pkt.clone_into(storage));
    Pkt& c = *reinterpret_cast<Pkt*>(storage);
    EXPECT_TRUE(r.pkt.data_shared());
    EXPECT_EQ(c.data(), r.pkt.data());
    EXPECT_EQ(c.mark(), 7u);
    EXPECT_EQ(c.network_offset(), 14);
    u8* w = c.make_writable(20);
    ASSERT_NE(w, nullptr);
    w[0] ^= 0xff;
    EXPECT_FALSE(r.pkt.data_shared());
    EXPECT_EQ(bytes_of(r.pkt), b);
    EXPECT_NE(bytes_of(c), b);
    c.~Pkt();
}

TEST_F(PacketOps, WritingASharedPacketFailsWhenAllocationsFail)
{
    Buf b = eth(kEthPIp) + filler(40);
    Pkt p(b.data(), b.size());
    alignas(Pkt) u8 storage[sizeof(Pkt)];
    ASSERT_TRUE(p.clone_into(storage));
    p.fail_allocs(true);
    EXPECT_EQ(p.make_writable(14), nullptr);
    EXPECT_EQ(p.push_head(4), nullptr);
    reinterpret_cast<Pkt*>(storage)->~Pkt();
    // Alone again: writable in place without allocating.
    EXPECT_NE(p.make_writable(14), nullptr);
    EXPECT_EQ(p.make_writable(b.size() + 1), nullptr);
}

TEST_F(PacketOps, TrimKeepsACompleteChecksumRight)
{
    Buf b = ipv4_packet(eth(kEthPIp), Ip4 {}, udp(1, 2, 33));
    for (usize n : { usize(14), usize(15), usize(41), usize(60) }) {
        Pkt p(b.data(), b.size());
        p.set_csum_complete();
        ASSERT_TRUE(p.trim(n));
        EXPECT_EQ(p.len(), n);
        EXPECT_TRUE(complete_csum_ok(p)) << n;
    }
}

TEST_F(PacketOps, TrimRefusesToCutAPartialChecksumField)
{
    Buf b = ipv4_packet(eth(kEthPIp), Ip4 {}, tcp(1, 2));
    Pkt p(b.data(), b.size());
    p.set_csum_partial(34, 16);
    EXPECT_FALSE(p.trim(51));
    EXPECT_TRUE(p.trim(52));
    EXPECT_EQ(p.len(), 52u);
}

TEST_F(PacketOps, PostpullMakesAPartialChecksumNoneOnceItsStartIsGone)
{
    Buf b = eth(kEthPIp) + filler(40);
    Pkt p(b.data(), b.size());
    p.set_csum_partial(4, 6);
    p.pull_head(8);
    postpull_rcsum(p, p.data(), 0);
    EXPECT_EQ(p.ip_summed(), IpSummed::None);
}

TEST_F(PacketOps, RcsumHelpersFollowBytesLeavingAndEntering)
{
    Buf b = eth(kEthPIp) + filler(41);
    Pkt p(b.data(), b.size());
    p.set_csum_complete();
    u8* d = p.make_writable(14);
    postpull_rcsum(p, d, 12);
    for (int i = 0; i < 12; i++)
        d[i] = static_cast<u8>(0xa0 + i);
    postpush_rcsum(p, d, 12);
    EXPECT_TRUE(complete_csum_ok(p));
    u8* t = p.make_writable(14);
    mod_eth_type(p, t + 12, htons(0x86dd));
    EXPECT_TRUE(complete_csum_ok(p));
    EXPECT_EQ(load_unaligned<be16>(p.data() + 12), htons(0x86dd));
}

TEST_F(PacketOps, VlanUntagForKeyExtraction)
{
    Buf inner = ipv4_packet(Buf {}, Ip4 {}, udp(1, 2));
    Buf b = kMacA + kMacB + vlan_tag(0x8100, 0x2005) + be16b(kEthPIp) + inner;
    Received r = receive(b);
    EXPECT_TRUE(r.pkt.vlan_tag_present());
    EXPECT_EQ(r.pkt.vlan_tci(), 0x2005);
    EXPECT_EQ(r.pkt.vlan_proto(), htons(0x8100));
    EXPECT_EQ(bytes_of(r.pkt), eth(kEthPIp) + inner);
    EXPECT_EQ(r.key.eth.vlan.tci, htons(0x3005));
    EXPECT_EQ(r.key.ipv4.src, htonl(0x0a000001));
    EXPECT_EQ(r.pkt.network_offset(), 14);
}

TEST_F(PacketOps, HashIsCachedUntilCleared)
{
    Buf b = eth(kEthPIp) + filler(40);
    Pkt p(b.data(), b.size());
    u32 h = p.get_hash();
    EXPECT_EQ(p.get_hash(), h);
    p.set_hash(5);
    EXPECT_EQ(p.get_hash(), 5u);
    p.clear_hash();
    EXPECT_EQ(p.get_hash(), h);
}

} // namespace
