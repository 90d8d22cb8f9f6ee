// SPDX-License-Identifier: GPL-2.0
// Per-CPU combining of flow statistics updates (flow_stats.h): exactness after
// a flush, the bound (a new jiffy, the idle timer), eviction, folding into the
// CPU's node with the lazy allocation rules, `used` and TCP flags, clear, and
// the lifetime rule (no slot outlives its flow) under concurrent updates.
#include "ft_test_util.h"

#include "base/byteorder.h"

#include <atomic>
#include <climits>
#include <thread>
#include <vector>

using namespace ovsdp;
using namespace ovsdp::test;

namespace {

constexpr be16 kSyn = htons(0x002);
constexpr be16 kAck = htons(0x010);
constexpr be16 kFin = htons(0x001);

// 4 CPUs on 2 nodes: CPUs 0 and 2 on node 0, 1 and 3 on node 1.
class StatsCombiningTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        user::set_topology(4, 2);
        user::set_jiffies(kJ);
        live_before_ = user::live_allocations();
        ASSERT_TRUE(flow_stats_cache_init().ok());
        ASSERT_TRUE(flow_stats_cache_enabled());
        flow_ = flow_alloc().release_value();
    }
    void TearDown() override
    {
        flow_free_rcu(flow_);
        flow_stats_cache_exit();
        EXPECT_FALSE(flow_stats_cache_enabled());
        user::set_alloc_fail_hook(nullptr);
        user::unfreeze_jiffies();
        EXPECT_EQ(user::live_allocations(), live_before_);
    }
    // The packet path of `cpu`: BH disabled, under RCU.
    static void count(Flow* f, int cpu, be16 flags, u32 len, int n = 1)
    {
        user::set_cpu(cpu);
        ovsdp_local_bh_disable();
        ovsdp_rcu_read_lock();
        for (int i = 0; i < n; i++)
            f->stats.update(flags, len);
        ovsdp_rcu_read_unlock();
        ovsdp_local_bh_enable();
        user::set_cpu(-1);
    }
    static FlowStatsReading read(const Flow* f)
    {
        FlowStatsReading r;
        f->stats.read(&r);
        return r;
    }
    static FlowStatsReading read_node(const Flow* f, int node)
    {
        FlowStatsReading r;
        f->stats.read_node(node, &r);
        return r;
    }
    // A copy of a CPU's table, taken on that CPU with BH disabled (the
    // reaper may be folding it from its thread).
    static StatsCpu snapshot(int cpu)
    {
        user::set_cpu(cpu);
        ovsdp_local_bh_disable();
        StatsCpu copy = *flow_stats_cpu(cpu);
        ovsdp_local_bh_enable();
        user::set_cpu(-1);
        return copy;
    }
    // The slot of `cpu` counting for `f`, or -1.
    static int slot_of(int cpu, const Flow* f)
    {
        StatsCpu c = snapshot(cpu);
        for (u32 i = 0; i < kStatsSlots; i++)
            if (c.slot[i].stats == &f->stats)
                return static_cast<int>(i);
        return -1;
    }

    static constexpr unsigned long kJ = 100000;
    Flow* flow_ = nullptr;
    long live_before_ = 0;
};

std::atomic<int> g_thisnode_calls;
std::atomic<unsigned> g_thisnode_gfp;
std::atomic<bool> g_fail_thisnode;
bool thisnode_hook(size_t, unsigned gfp, int)
{
    if (!(gfp & OVSDP_GFP_THISNODE))
        return false;
    g_thisnode_calls++;
    g_thisnode_gfp = gfp;
    return g_fail_thisnode.load();
}

} // namespace

TEST_F(StatsCombiningTest, UpdatesWaitInTheCpuSlotAndAreExactAfterAFlush)
{
    count(flow_, 0, kSyn, 100, 3);
    count(flow_, 2, kAck, 50, 2);
    EXPECT_EQ(read(flow_).packets, 0u) << "still in the CPUs' slots";
    int idx = slot_of(0, flow_);
    ASSERT_GE(idx, 0);
    EXPECT_EQ(snapshot(0).slot[idx].packets, 3u);
    EXPECT_EQ(snapshot(0).n_used, 1u);

    flow_stats_flush_all();
    FlowStatsReading r = read(flow_);
    EXPECT_EQ(r.packets, 5u);
    EXPECT_EQ(r.bytes, 400u);
    EXPECT_EQ(r.tcp_flags, kSyn | kAck);
    EXPECT_EQ(r.used, kJ);
    EXPECT_EQ(snapshot(0).n_used, 0u);
    EXPECT_EQ(slot_of(0, flow_), -1);
    EXPECT_FALSE(flow_->stats.has_node(1)) << "node-0 CPUs fold into node 0";
    flow_stats_flush_all(); // nothing pending: no double count
    EXPECT_EQ(read(flow_).packets, 5u);
}

TEST_F(StatsCombiningTest, FoldsIntoTheCpusNodeAllocatedLazilyOnThatNode)
{
    g_thisnode_calls = 0;
    g_fail_thisnode = false;
    user::set_alloc_fail_hook(thisnode_hook);
    count(flow_, 1, kAck, 60, 4);
    EXPECT_EQ(g_thisnode_calls.load(), 0) << "nothing allocated before the fold";
    flow_stats_flush_all();
    EXPECT_EQ(g_thisnode_calls.load(), 1);
    EXPECT_EQ(g_thisnode_gfp.load(), OVSDP_GFP_NOWAIT | OVSDP_GFP_THISNODE | OVSDP_GFP_ZERO);
    ASSERT_TRUE(flow_->stats.has_node(1));
    EXPECT_EQ(read_node(flow_, 1).packets, 4u);
    EXPECT_EQ(read_node(flow_, 1).bytes, 240u);
    EXPECT_EQ(read_node(flow_, 0).packets, 0u);

    // A failing node falls back to node 0 and retries at most once per jiffy.
    Flow* f = flow_alloc().release_value();
    g_fail_thisnode = true;
    g_thisnode_calls = 0;
    count(f, 3, kSyn, 10, 2);
    flow_stats_flush_all();
    count(f, 3, kSyn, 10, 1);
    flow_stats_flush_all();
    EXPECT_EQ(g_thisnode_calls.load(), 1) << "one try this jiffy";
    EXPECT_FALSE(f->stats.has_node(1));
    EXPECT_EQ(read_node(f, 0).packets, 3u);
    g_fail_thisnode = false;
    user::set_jiffies(kJ + 1);
    count(f, 3, kSyn, 10, 1);
    flow_stats_flush_all();
    EXPECT_TRUE(f->stats.has_node(1));
    EXPECT_EQ(read_node(f, 1).packets, 1u);
    EXPECT_EQ(read(f).packets, 4u);
    flow_free_rcu(f);
}

TEST_F(StatsCombiningTest, ANewJiffyFoldsEverySlotOfThatCpu)
{
    Flow* other = flow_alloc().release_value();
    count(flow_, 0, kSyn, 100, 2);
    user::set_jiffies(kJ + 1);
    count(other, 0, kAck, 10, 1);
    FlowStatsReading r = read(flow_);
    EXPECT_EQ(r.packets, 2u) << "folded by the next packet in a later jiffy";
    EXPECT_EQ(r.used, kJ) << "used is the jiffy the packets were counted in";
    EXPECT_EQ(read(other).packets, 0u);
    flow_stats_flush_all();
    EXPECT_EQ(read(other).used, kJ + 1);
    flow_free_rcu(other);
}

TEST_F(StatsCombiningTest, TheTimerFoldsAnIdleCpuWithinTheBound)
{
    unsigned long bound = flow_stats_flush_jiffies();
    ASSERT_GE(bound, 1u);
    count(flow_, 2, kFin, 70, 5);
    count(flow_, 2, kFin, 70, 5);
    EXPECT_EQ(user::cpu_timers_armed(), 1) << "armed once, when the CPU's table became non-empty";
    user::set_jiffies(kJ + bound - 1);
    EXPECT_EQ(user::run_cpu_timers(), 0);
    EXPECT_EQ(read(flow_).packets, 0u);
    user::set_jiffies(kJ + bound);
    EXPECT_EQ(user::run_cpu_timers(), 1);
    FlowStatsReading r = read(flow_);
    EXPECT_EQ(r.packets, 10u);
    EXPECT_EQ(r.bytes, 700u);
    EXPECT_EQ(r.used, kJ);
    EXPECT_EQ(r.tcp_flags, kFin);
    EXPECT_EQ(user::cpu_timers_armed(), 0) << "an empty table keeps no timer";
    count(flow_, 2, kFin, 70, 1);
    EXPECT_EQ(user::cpu_timers_armed(), 1) << "re-armed by the next packet";
}

TEST_F(StatsCombiningTest, AnotherFlowOnTheSameSlotEvictsAndFolds)
{
    count(flow_, 0, kSyn, 100, 3);
    int mine = slot_of(0, flow_);
    ASSERT_GE(mine, 0);
    // Find a flow that maps to the same slot (8 slots: a few tries).
    std::vector<Flow*> flows;
    Flow* rival = nullptr;
    for (int i = 0; i < 200 && !rival; i++) {
        Flow* f = flow_alloc().release_value();
        flows.push_back(f);
        count(f, 0, kAck, 1, 1);
        if (slot_of(0, f) == mine)
            rival = f;
    }
    ASSERT_NE(rival, nullptr);
    EXPECT_EQ(read(flow_).packets, 3u) << "evicted: folded into its instance";
    EXPECT_EQ(snapshot(0).slot[mine].stats, &rival->stats);
    EXPECT_LE(snapshot(0).n_used, kStatsSlots);
    flow_stats_flush_all();
    for (Flow* f : flows)
        EXPECT_EQ(read(f).packets, 1u);
    for (Flow* f : flows)
        flow_free_rcu(f);
}

TEST_F(StatsCombiningTest, AFullSlotFoldsAfterKPackets)
{
    count(flow_, 0, 0, 1, static_cast<int>(kStatsFoldPackets) - 1);
    EXPECT_EQ(read(flow_).packets, 0u);
    count(flow_, 0, 0, 1, 1);
    EXPECT_EQ(read(flow_).packets, kStatsFoldPackets);
    EXPECT_EQ(slot_of(0, flow_), -1);
}

TEST_F(StatsCombiningTest, UsedNeverMovesBackAndIsWrapSafe)
{
    // CPU 2 counts at J, CPU 0 at J+5; CPU 2's fold arrives last.
    count(flow_, 2, 0, 1);
    user::set_jiffies(kJ + 5);
    count(flow_, 0, 0, 1);
    Flow* other = flow_alloc().release_value();
    count(other, 0, 0, 1, 1);
    user::set_jiffies(kJ + 6);
    count(other, 0, 0, 1, 1); // folds CPU 0's slots (J+5)
    EXPECT_EQ(read(flow_).used, kJ + 5);
    flow_stats_flush_all(); // CPU 2's stale fold (J)
    EXPECT_EQ(read(flow_).used, kJ + 5) << "an older fold does not move used back";
    EXPECT_EQ(read(flow_).packets, 2u);

    // Across the wrap: ULONG_MAX - 1, then 2 after it.
    Flow* w = flow_alloc().release_value();
    user::set_jiffies(ULONG_MAX - 1);
    count(w, 2, 0, 1);
    user::set_jiffies(2);
    count(w, 0, 0, 1);
    flow_stats_flush_all();
    EXPECT_EQ(read(w).used, 2ul);
    EXPECT_EQ(read(w).packets, 2u);
    flow_free_rcu(other);
    flow_free_rcu(w);
}

TEST_F(StatsCombiningTest, ClearAfterAFlushDoesNotResurrectOldCounts)
{
    count(flow_, 0, kSyn, 100, 3);
    count(flow_, 1, kSyn, 100, 3);
    // What the datapath's SET with CLEAR does.
    flow_stats_flush_all();
    flow_->stats.clear();
    flow_stats_flush_all();
    EXPECT_EQ(read(flow_).packets, 0u);
    EXPECT_EQ(read(flow_).used, 0ul);
    count(flow_, 1, kAck, 10, 1);
    flow_stats_flush_all();
    EXPECT_EQ(read(flow_).packets, 1u);
    EXPECT_EQ(read(flow_).tcp_flags, kAck);
}

TEST_F(StatsCombiningTest, ConcurrentUpdatesAreExactAfterAFlush)
{
    user::unfreeze_jiffies(); // the real clock: new jiffies fold on the way
    constexpr int kThreads = 4;
    constexpr int kPerThread = 60000;
    Flow* flows[3] = { flow_, flow_alloc().release_value(), flow_alloc().release_value() };
    std::atomic<bool> go { false }, done { false };
    auto worker = [&](int cpu) {
        user::set_cpu(cpu);
        while (!go.load())
            ;
        for (int i = 0; i < kPerThread; i++) {
            ovsdp_local_bh_disable();
            ovsdp_rcu_read_lock();
            flows[i % 3]->stats.update(i % 2 ? kAck : kSyn, 100);
            ovsdp_rcu_read_unlock();
            ovsdp_local_bh_enable();
        }
        user::set_cpu(-1);
    };
    // Timers and readers run meanwhile; readers see monotonic counts.
    std::thread timers([&] {
        while (!done.load())
            user::run_cpu_timers();
    });
    std::atomic<bool> monotonic { true };
    std::thread reader([&] {
        u64 last = 0;
        while (!done.load()) {
            flow_stats_flush_all();
            FlowStatsReading r;
            flows[0]->stats.read(&r);
            if (r.packets < last)
                monotonic = false;
            last = r.packets;
        }
    });
    std::vector<std::thread> ws;
    for (int c = 0; c < kThreads; c++)
        ws.emplace_back(worker, c);
    go = true;
    for (auto& t : ws)
        t.join();
    done = true;
    timers.join();
    reader.join();
    EXPECT_TRUE(monotonic.load());
    flow_stats_flush_all();
    u64 total = 0, node0 = 0, node1 = 0;
    for (Flow* f : flows) {
        total += read(f).packets;
        node0 += read_node(f, 0).packets;
        node1 += read_node(f, 1).packets;
        EXPECT_EQ(read(f).bytes, read(f).packets * 100);
        EXPECT_EQ(read(f).tcp_flags, kSyn | kAck);
    }
    EXPECT_EQ(total, u64(kThreads) * kPerThread);
    EXPECT_EQ(node0, u64(2) * kPerThread) << "CPUs 0 and 2";
    EXPECT_EQ(node1, u64(2) * kPerThread) << "CPUs 1 and 3";
    flow_free_rcu(flows[1]);
    flow_free_rcu(flows[2]);
}

// A flow freed while CPUs' slots still name it is freed only after every
// slot was folded: ASan reports a use after free otherwise.
TEST_F(StatsCombiningTest, AFlowIsFreedOnlyAfterNoSlotNamesIt)
{
    Flow* victim = flow_alloc().release_value();
    for (int cpu = 0; cpu < 4; cpu++)
        count(victim, cpu, kSyn, 10, 2);
    long live = user::live_allocations();
    flow_free_rcu(victim); // slots on every CPU still name it
    ovsdp_rcu_barrier();
    for (int i = 0; i < 2000 && user::live_allocations() > live - 2; i++)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_LE(user::live_allocations(), live - 2) << "the flow and its instances freed";
    for (int cpu = 0; cpu < 4; cpu++)
        for (const StatsSlot& s : snapshot(cpu).slot)
            EXPECT_EQ(s.stats, nullptr) << "cpu " << cpu;
}

TEST_F(StatsCombiningTest, FlowsReplacedUnderConcurrentUpdatesAreNeverUsedAfterFree)
{
    user::unfreeze_jiffies();
    constexpr int kFlows = 16;
    Flow* table[kFlows];
    for (Flow*& f : table)
        f = flow_alloc().release_value();
    std::atomic<bool> done { false };
    std::atomic<u64> counted { 0 };
    auto worker = [&](int cpu) {
        user::set_cpu(cpu);
        u64 n = 0;
        for (u32 i = 0; !done.load(); i++) {
            ovsdp_local_bh_disable();
            ovsdp_rcu_read_lock();
            if (Flow* f = rcu_deref(table[(i * 7 + static_cast<u32>(cpu)) % kFlows])) {
                f->stats.update(kAck, 1);
                n++;
            }
            ovsdp_rcu_read_unlock();
            ovsdp_local_bh_enable();
        }
        counted += n;
        user::set_cpu(-1);
    };
    std::thread timers([&] {
        while (!done.load())
            user::run_cpu_timers();
    });
    std::vector<std::thread> ws;
    for (int c = 0; c < 4; c++)
        ws.emplace_back(worker, c);
    std::mt19937 rng(7);
    for (int round = 0; round < 3000; round++) {
        int i = static_cast<int>(rng() % kFlows);
        Flow* fresh = flow_alloc().release_value();
        Flow* old = table[i];
        rcu_assign(table[i], fresh);
        flow_free_rcu(old);
        if (round % 500 == 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    done = true;
    for (auto& t : ws)
        t.join();
    timers.join();
    EXPECT_GT(counted.load(), 0u);
    for (Flow* f : table)
        flow_free_rcu(f);
}
