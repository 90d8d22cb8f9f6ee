// SPDX-License-Identifier: GPL-2.0
// Per-NUMA flow statistics with simulated nodes (DESIGN §5 seeds 1 and 2).
#include "ft_test_util.h"

#include "base/byteorder.h"

#include <atomic>
#include <climits>
#include <thread>

using namespace ovsdp;
using namespace ovsdp::test;

namespace {

constexpr be16 kSyn = htons(0x002);
constexpr be16 kAck = htons(0x010);
constexpr unsigned long kHz = user::kHz;

class FlowStatsTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        user::set_topology(4, 2);
        live_before_ = user::live_allocations();
        Result<Flow*> r = flow_alloc();
        ASSERT_TRUE(r.ok());
        flow_ = r.value();
    }
    void TearDown() override
    {
        flow_free(flow_);
        user::set_node(-1);
        user::set_alloc_fail_hook(nullptr);
        user::unfreeze_jiffies();
        EXPECT_EQ(user::live_allocations(), live_before_);
    }
    void update_from(int node, be16 flags, u32 len)
    {
        user::set_node(node);
        RcuReadGuard g;
        flow_->stats.update(flags, len);
    }
    FlowStatsReading read()
    {
        FlowStatsReading r;
        flow_->stats.read(&r);
        return r;
    }
    FlowStatsReading read_node(int node, bool expect_present = true)
    {
        FlowStatsReading r;
        EXPECT_EQ(flow_->stats.read_node(node, &r), expect_present) << "node " << node;
        return r;
    }

    Flow* flow_ = nullptr;
    long live_before_ = 0;
};

// Hook state: allocations the stats code asked of a node with THISNODE.
std::atomic<int> g_thisnode_calls;
std::atomic<unsigned> g_last_gfp;
std::atomic<int> g_last_node;
std::atomic<bool> g_fail_thisnode;

bool count_thisnode(size_t, unsigned gfp, int node)
{
    if (!(gfp & OVSDP_GFP_THISNODE))
        return false;
    g_thisnode_calls++;
    g_last_gfp = gfp;
    g_last_node = node;
    return g_fail_thisnode.load();
}

} // namespace

TEST_F(FlowStatsTest, NodeZeroInstanceComesWithTheFlow)
{
    unsigned long before = user::node_alloc_count(0);
    Flow* other = flow_alloc().release_value();
    EXPECT_EQ(user::node_alloc_count(0), before + 1);
    EXPECT_TRUE(other->stats.has_node(0));
    EXPECT_FALSE(other->stats.has_node(1));
    EXPECT_EQ(other->stats.n_nodes(), 2u);
    FlowStatsReading r;
    other->stats.read(&r);
    EXPECT_EQ(r.packets, 0u);
    EXPECT_EQ(r.used, 0ul); // never used
    flow_free(other);
}

TEST_F(FlowStatsTest, OtherNodeInstanceAllocatedLazilyOnThatNode)
{
    g_thisnode_calls = 0;
    g_fail_thisnode = false;
    user::set_alloc_fail_hook(count_thisnode);
    unsigned long node1_before = user::node_alloc_count(1);

    update_from(0, kSyn, 100);
    EXPECT_FALSE(flow_->stats.has_node(1)) << "node 0 traffic allocates nothing";
    EXPECT_EQ(g_thisnode_calls.load(), 0);

    update_from(1, kAck, 60);
    EXPECT_TRUE(flow_->stats.has_node(1));
    EXPECT_EQ(user::node_alloc_count(1), node1_before + 1);
    EXPECT_EQ(g_thisnode_calls.load(), 1);
    EXPECT_EQ(g_last_node.load(), 1);
    EXPECT_EQ(g_last_gfp.load(), OVSDP_GFP_NOWAIT | OVSDP_GFP_THISNODE | OVSDP_GFP_ZERO)
        << "non-blocking, no emergency pools, that node only";

    update_from(1, kAck, 60);
    EXPECT_EQ(user::node_alloc_count(1), node1_before + 1) << "allocated once";
    EXPECT_EQ(read_node(1).packets, 2u);
    EXPECT_EQ(read_node(0).packets, 1u);
}

TEST_F(FlowStatsTest, AllocationFailureFallsBackToNodeZero)
{
    g_thisnode_calls = 0;
    g_fail_thisnode = true;
    user::set_alloc_fail_hook(count_thisnode);
    user::set_jiffies(1000);

    update_from(1, kSyn, 100);
    EXPECT_FALSE(flow_->stats.has_node(1));
    read_node(1, false);
    EXPECT_EQ(read_node(0).packets, 1u) << "counted in the preallocated instance";
    EXPECT_EQ(g_thisnode_calls.load(), 1);

    // Same jiffy: no new attempt (at most one failing allocation per jiffy).
    update_from(1, kSyn, 100);
    EXPECT_EQ(g_thisnode_calls.load(), 1);
    EXPECT_EQ(read_node(0).packets, 2u);

    // Next jiffy, memory is back: the node gets its instance.
    g_fail_thisnode = false;
    user::set_jiffies(1001);
    update_from(1, kAck, 40);
    EXPECT_EQ(g_thisnode_calls.load(), 2);
    EXPECT_TRUE(flow_->stats.has_node(1));
    EXPECT_EQ(read_node(1).packets, 1u);
    FlowStatsReading sum = read();
    EXPECT_EQ(sum.packets, 3u);
    EXPECT_EQ(sum.bytes, 240u);
    EXPECT_EQ(sum.tcp_flags, kSyn | kAck);
}

TEST_F(FlowStatsTest, ReadersSumAndReadEachNode)
{
    user::set_jiffies(5000);
    update_from(0, kSyn, 100);
    update_from(0, 0, 100);
    user::set_jiffies(5007);
    update_from(1, kAck, 60);
    update_from(1, kAck, 60);
    update_from(1, kAck, 60);

    FlowStatsReading n0 = read_node(0), n1 = read_node(1);
    EXPECT_EQ(n0.packets, 2u);
    EXPECT_EQ(n0.bytes, 200u);
    EXPECT_EQ(n0.tcp_flags, kSyn);
    EXPECT_EQ(n0.used, 5000ul);
    EXPECT_EQ(n1.packets, 3u);
    EXPECT_EQ(n1.bytes, 180u);
    EXPECT_EQ(n1.tcp_flags, kAck);
    EXPECT_EQ(n1.used, 5007ul);

    FlowStatsReading sum = read();
    EXPECT_EQ(sum.packets, 5u);
    EXPECT_EQ(sum.bytes, 380u);
    EXPECT_EQ(sum.tcp_flags, kSyn | kAck);
    EXPECT_EQ(sum.used, 5007ul);
    read_node(2, false); // no such node
    read_node(-1, false);
}

TEST_F(FlowStatsTest, ClearResetsEveryNode)
{
    user::set_jiffies(77);
    update_from(0, kSyn, 10);
    update_from(1, kAck, 20);
    flow_->stats.clear();
    FlowStatsReading sum = read();
    EXPECT_EQ(sum.packets, 0u);
    EXPECT_EQ(sum.bytes, 0u);
    EXPECT_EQ(sum.tcp_flags, 0);
    EXPECT_EQ(sum.used, 0ul) << "a cleared flow reports never used";
    EXPECT_EQ(read_node(1).packets, 0u);
    EXPECT_TRUE(flow_->stats.has_node(1)) << "instances stay allocated";
    update_from(1, kAck, 20);
    EXPECT_EQ(read().packets, 1u);
    EXPECT_EQ(read().used, 77ul);
}

TEST_F(FlowStatsTest, UsedIsRightFromBoot)
{
    // Jiffies start five minutes below the wrap. The kernel's INITIAL_JIFFIES
    // wraps the 32-bit value; the 64-bit analogue (below) makes the wrap real
    // on this 64-bit host. A flow hit 10 s after boot is used.
    for (unsigned long initial : { static_cast<unsigned long>(static_cast<unsigned int>(-300 * static_cast<int>(kHz))),
                                   static_cast<unsigned long>(-300L * static_cast<long>(kHz)) }) {
        flow_->stats.clear();
        EXPECT_EQ(read().used, 0ul);
        unsigned long t = initial + 10 * kHz;
        user::set_jiffies(t);
        update_from(0, 0, 64);
        EXPECT_EQ(read().used, t);
        EXPECT_NE(read().used, 0ul);
        // Used again after the wrap (on another node): the later time wins.
        unsigned long after = initial + 400 * kHz;
        user::set_jiffies(after);
        update_from(1, 0, 64);
        EXPECT_EQ(read().used, after);
    }
}

TEST_F(FlowStatsTest, UsedComparesAcrossTheWrap)
{
    // Node 0 used just before the wrap, node 1 just after: node 1 is later.
    user::set_jiffies(ULONG_MAX - 5);
    update_from(0, 0, 1);
    user::set_jiffies(3);
    update_from(1, 0, 1);
    EXPECT_EQ(read().used, 3ul);
    // And the other way round.
    flow_->stats.clear();
    user::set_jiffies(ULONG_MAX - 5);
    update_from(1, 0, 1);
    user::set_jiffies(2);
    update_from(0, 0, 1);
    EXPECT_EQ(read().used, 2ul);
    EXPECT_TRUE(jiffies_after(2, ULONG_MAX - 5));
    EXPECT_FALSE(jiffies_after(ULONG_MAX - 5, 2));
}

TEST_F(FlowStatsTest, ConcurrentUpdatesOnOneNodeAreAllCounted)
{
    constexpr int kPerThread = 100000;
    std::atomic<bool> go { false };
    auto worker = [&](int cpu) {
        user::set_cpu(cpu);
        user::set_node(0);
        while (!go.load())
            ;
        for (int i = 0; i < kPerThread; i++) {
            RcuReadGuard g;
            flow_->stats.update(i % 2 ? kAck : kSyn, 100);
        }
        user::set_node(-1);
        user::set_cpu(-1);
    };
    std::thread a(worker, 0), b(worker, 2);
    go = true;
    a.join();
    b.join();
    FlowStatsReading sum = read();
    EXPECT_EQ(sum.packets, 2u * kPerThread) << "no lost updates without a lock";
    EXPECT_EQ(sum.bytes, 200u * kPerThread);
    EXPECT_EQ(sum.tcp_flags, kSyn | kAck);
}

TEST_F(FlowStatsTest, RacingFirstUpdatesFromOneNodeMakeOneInstance)
{
    for (int round = 0; round < 50; round++) {
        Flow* f = flow_alloc().release_value();
        std::atomic<int> ready { 0 };
        auto worker = [&](int cpu) {
            user::set_cpu(cpu);
            user::set_node(1);
            ready++;
            while (ready.load() < 2)
                ;
            RcuReadGuard g;
            f->stats.update(kSyn, 10);
        };
        std::thread a(worker, 1), b(worker, 3);
        a.join();
        b.join();
        FlowStatsReading r;
        ASSERT_TRUE(f->stats.read_node(1, &r));
        EXPECT_EQ(r.packets, 2u);
        EXPECT_EQ(r.bytes, 20u);
        flow_free(f);
    }
}

// Flows from the flow cache: sized for the nodes at init, zeroed, counted like
// any allocation; a flow for a topology with more nodes than at init comes
// from kmalloc, and each is freed where it came from (the userspace cache
// aborts on a free of an object of another size).
TEST(FlowCacheTest, FlowsComeFromTheCacheWhileTheyFit)
{
    user::set_topology(4, 2);
    long live = user::live_allocations();
    ASSERT_TRUE(flow_cache_init().ok());
    Flow* a = flow_alloc().value();
    EXPECT_TRUE(a->from_cache);
    EXPECT_EQ(a->actions, nullptr);
    EXPECT_EQ(a->ufid.len, 0u);
    user::set_topology(4, 1); // fewer nodes: still fits
    Flow* b = flow_alloc().value();
    EXPECT_TRUE(b->from_cache);
    user::set_topology(8, 4); // more nodes than the cache was sized for
    Flow* c = flow_alloc().value();
    EXPECT_FALSE(c->from_cache);
    EXPECT_GT(user::live_allocations(), live);
    flow_free(a);
    flow_free(b);
    flow_free(c);
    flow_cache_exit();
    EXPECT_EQ(user::live_allocations(), live);
    user::set_topology(4, 2);
}
