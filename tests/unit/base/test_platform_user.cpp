// SPDX-License-Identifier: GPL-2.0
// The userspace platform must behave like the kernel one where the core relies
// on it: per-CPU separation, RCU grace periods, allocation failure, jiffies.
#include "platform/alloc.h"
#include "platform/platform.h"
#include "platform/user/user_platform.h"

#include <atomic>
#include <gtest/gtest.h>
#include <thread>

using namespace ovsdp;

TEST(PlatformUser, PerCpuInstancesAreDistinctAndZeroed)
{
    user::set_topology(4, 2);
    auto* p = static_cast<u64*>(ovsdp_alloc_percpu(sizeof(u64), alignof(u64)));
    ASSERT_NE(p, nullptr);
    for (int cpu = 0; cpu < 4; cpu++) {
        auto* c = static_cast<u64*>(ovsdp_per_cpu_ptr(p, cpu));
        EXPECT_EQ(*c, 0u);
        *c = cpu + 100;
    }
    for (int cpu = 0; cpu < 4; cpu++)
        EXPECT_EQ(*static_cast<u64*>(ovsdp_per_cpu_ptr(p, cpu)), u64(cpu + 100));
    user::set_cpu(3);
    EXPECT_EQ(ovsdp_smp_processor_id(), 3);
    EXPECT_EQ(ovsdp_numa_node_id(), 1);
    EXPECT_EQ(*static_cast<u64*>(ovsdp_this_cpu_ptr(p)), 103u);
    user::set_cpu(-1);
    ovsdp_free_percpu(p);
}

static std::atomic<int> g_freed;
struct Obj {
    ovsdp_rcu_head rcu;
    int v;
};

TEST(PlatformUser, CallRcuRunsAfterReaders)
{
    g_freed = 0;
    auto* o = make<Obj>(Gfp::Kernel);
    ASSERT_NE(o, nullptr);
    long live = user::live_allocations();
    ovsdp_rcu_read_lock();
    ovsdp_call_rcu(&o->rcu, [](ovsdp_rcu_head* h) {
        destroy(reinterpret_cast<Obj*>(h));
        g_freed++;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(g_freed.load(), 0) << "callback ran inside a read-side section";
    ovsdp_rcu_read_unlock();
    ovsdp_rcu_barrier();
    EXPECT_EQ(g_freed.load(), 1);
    EXPECT_EQ(user::live_allocations(), live - 1);
}

TEST(PlatformUser, AllocationFailureInjection)
{
    user::set_alloc_fail_hook([](size_t, unsigned gfp, int) { return (gfp & 0xf) == OVSDP_GFP_NOWAIT; });
    void* a = ovsdp_kmalloc_node(64, OVSDP_GFP_NOWAIT, 1);
    void* b = ovsdp_kmalloc_node(64, OVSDP_GFP_KERNEL, 1);
    EXPECT_EQ(a, nullptr);
    EXPECT_NE(b, nullptr);
    ovsdp_kfree(b);
    user::set_alloc_fail_hook(nullptr);
}

TEST(PlatformUser, JiffiesStartBelowWrapLikeTheKernel)
{
    user::unfreeze_jiffies();
    // INITIAL_JIFFIES for HZ=250 is 2^32 - 75000; a process started right after
    // boot would see values just above it.
    EXPECT_GE(ovsdp_jiffies(), 0xffffffffUL - 300 * user::kHz);
    user::set_jiffies(~0UL - 5);
    EXPECT_EQ(ovsdp_jiffies(), ~0UL - 5);
    user::unfreeze_jiffies();
    EXPECT_EQ(ovsdp_jiffies_to_msecs(250), 1000u);
}

// ovs_mutex in userspace: held means held by this thread (lockdep's answer).
TEST(PlatformUser, OvsMutexHeldIsPerThread)
{
    EXPECT_FALSE(ovsdp_lock_held());
    {
        ovsdp::OvsLock l;
        EXPECT_TRUE(ovsdp_lock_held());
        bool other = true;
        std::thread t([&] { other = ovsdp_lock_held(); });
        t.join();
        EXPECT_FALSE(other) << "another thread does not hold it";
        ovsdp::assert_ovsl();
    }
    EXPECT_FALSE(ovsdp_lock_held());
}

TEST(PlatformUserDeathTest, LockContractsAbortInTests)
{
    EXPECT_DEATH(ovsdp::assert_ovsl(), "assertion failed: ovs_mutex held");
    EXPECT_DEATH(OVSDP_DEBUG_ASSERT(1 + 1 == 3), "assertion failed: 1 \\+ 1 == 3");
    EXPECT_DEATH(
        {
            ovsdp_ovs_lock();
            ovsdp_ovs_lock();
        },
        "taken twice");
}
