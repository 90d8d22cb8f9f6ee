// SPDX-License-Identifier: GPL-2.0
// The platform interface: everything the freestanding core needs from the
// world outside it. kmod/ implements it over kernel APIs; platform/user/ over
// libc, pthreads and liburcu for tests, fuzzers and benchmarks. The core never
// includes kernel or libc headers; it includes this file.
//
// Contexts named below: "process" may sleep; "softirq" is the packet path
// (BH disabled, under rcu_read_lock, must not sleep).
#pragma once

#ifdef __cplusplus
#include "base/types.h"
extern "C" {
#else
// The C side is kmod/, compiled with kernel headers.
#include <linux/types.h>
#endif

// ---- Memory -----------------------------------------------------------------

// Allocation flags.
#define OVSDP_GFP_KERNEL 0u     // process context, may sleep
#define OVSDP_GFP_ATOMIC 1u     // packet path: never sleeps; may use reserves
#define OVSDP_GFP_NOWAIT 2u     // packet path: never sleeps, no emergency pools, no warning
#define OVSDP_GFP_ZERO 0x10u    // zero the memory (or-ed into one of the above)
#define OVSDP_GFP_THISNODE 0x20u // with _node allocation: that node or fail

void* ovsdp_kmalloc(size_t size, unsigned gfp);
void* ovsdp_kmalloc_node(size_t size, unsigned gfp, int node);
void ovsdp_kfree(const void* p);
// Large allocations (tables); process context.
void* ovsdp_kvmalloc(size_t size, unsigned gfp);
void ovsdp_kvfree(const void* p);

// Object caches (kmem_cache): objects of one size, packed at cache-line
// alignment instead of rounded up to a kmalloc size. Created and destroyed in
// process context; destroy only once every object was freed (after
// ovsdp_rcu_barrier for objects freed by RCU callbacks). The allocation
// flags are those of ovsdp_kmalloc.
struct ovsdp_cache;
struct ovsdp_cache* ovsdp_cache_create(const char* name, size_t size);
void ovsdp_cache_destroy(struct ovsdp_cache* c);
void* ovsdp_cache_alloc(struct ovsdp_cache* c, unsigned gfp);
void ovsdp_cache_free(struct ovsdp_cache* c, const void* p);

// Per-CPU areas: one zeroed instance of `size` bytes per possible CPU;
// nullptr above OVSDP_PERCPU_MAX_SIZE bytes, as the kernel's allocator
// (PCPU_MIN_UNIT_SIZE), in both builds and without a kernel warning.
#define OVSDP_PERCPU_MAX_SIZE 32768
void* ovsdp_alloc_percpu(size_t size, size_t align);
void ovsdp_free_percpu(void* p);
void* ovsdp_per_cpu_ptr(void* p, int cpu);
// The calling CPU's instance; caller has preemption or BH disabled.
void* ovsdp_this_cpu_ptr(void* p);

// ---- RCU --------------------------------------------------------------------

// Same layout as the kernel's struct callback_head and liburcu's rcu_head.
struct ovsdp_rcu_head {
    void* next;
    void (*func)(struct ovsdp_rcu_head* head);
};

void ovsdp_rcu_read_lock(void);
void ovsdp_rcu_read_unlock(void);
void ovsdp_call_rcu(struct ovsdp_rcu_head* head, void (*func)(struct ovsdp_rcu_head* head));
void ovsdp_synchronize_rcu(void);
// Wait for all callbacks queued by ovsdp_call_rcu to have run.
void ovsdp_rcu_barrier(void);

// ---- CPUs, NUMA nodes, BH ----------------------------------------------------

int ovsdp_smp_processor_id(void);
int ovsdp_numa_node_id(void);
int ovsdp_cpu_to_node(int cpu);
int ovsdp_nr_cpu_ids(void);
int ovsdp_nr_node_ids(void);
int ovsdp_node_online(int node);
void ovsdp_local_bh_disable(void);
void ovsdp_local_bh_enable(void);
// Preemption off (nests): the caller stays on its CPU even while BH is
// enabled in between (softirqs then run on this CPU, nothing else).
void ovsdp_preempt_disable(void);
void ovsdp_preempt_enable(void);

// ---- Deferred work, per-CPU timers, per-CPU calls --------------------------------

// A work item: fn(arg) in process context (may sleep). Created and destroyed
// in process context; nullptr when out of memory.
struct ovsdp_work;
struct ovsdp_work* ovsdp_work_create(void (*fn)(void* arg), void* arg);
// Queue it unless it is already queued; any context (softirq, RCU callbacks).
void ovsdp_work_schedule(struct ovsdp_work* w);
// Run it to completion if queued, then free it. Nothing may schedule it again.
void ovsdp_work_destroy(struct ovsdp_work* w);

// One timer per possible CPU. fn(cpu, arg) runs on `cpu` in softirq, so it is
// serialised with that CPU's packet path; if `cpu` has gone offline (its
// packet path no longer runs) it may run on another CPU instead.
struct ovsdp_cpu_timers;
struct ovsdp_cpu_timers* ovsdp_cpu_timers_create(void (*fn)(int cpu, void* arg), void* arg);
// BH disabled: start this CPU's timer, to fire `delay` jiffies from now
// (at least 1). The caller knows it is not pending (it arms it once per firing).
void ovsdp_cpu_timer_arm(struct ovsdp_cpu_timers* t, unsigned long delay);
// Process context: cancel every timer, wait for running ones, free.
void ovsdp_cpu_timers_destroy(struct ovsdp_cpu_timers* t);

// Process context, may sleep: for every possible CPU for which want(cpu, arg)
// is true, run fn(cpu, arg) on that CPU with BH disabled (serialised with its
// packet path; an offline CPU's on the caller's CPU), and wait for all of them.
void ovsdp_on_each_cpu_bh(int (*want)(int cpu, void* arg), void (*fn)(int cpu, void* arg), void* arg);

// ---- Locks ------------------------------------------------------------------

// Opaque storage for a spinlock; kmod/ checks at build time that spinlock_t fits.
struct ovsdp_spinlock {
    unsigned char opaque[8];
} __attribute__((aligned(8)));
void ovsdp_spin_lock_init(struct ovsdp_spinlock* l);
void ovsdp_spin_lock(struct ovsdp_spinlock* l);
void ovsdp_spin_unlock(struct ovsdp_spinlock* l);
void ovsdp_spin_lock_bh(struct ovsdp_spinlock* l);
void ovsdp_spin_unlock_bh(struct ovsdp_spinlock* l);

// ---- The datapath lock (ovs_mutex) and lock contracts ------------------------

// Clang's thread-safety analysis (a clang build checks it, see
// tests/unit/base/CMakeLists.txt); nothing for other compilers.
#if defined(__clang__) && defined(__cplusplus)
#define OVSDP_TSA(x) __attribute__((x))
#else
#define OVSDP_TSA(x)
#endif
#define OVSDP_CAPABILITY(name) OVSDP_TSA(capability(name))
#define OVSDP_REQUIRES(...) OVSDP_TSA(requires_capability(__VA_ARGS__))
#define OVSDP_EXCLUDES(...) OVSDP_TSA(locks_excluded(__VA_ARGS__))
#define OVSDP_ACQUIRE(...) OVSDP_TSA(acquire_capability(__VA_ARGS__))
#define OVSDP_RELEASE(...) OVSDP_TSA(release_capability(__VA_ARGS__))
#define OVSDP_ASSERT_CAPABILITY(x) OVSDP_TSA(assert_capability(x))
#define OVSDP_GUARDED_BY(x) OVSDP_TSA(guarded_by(x))
#define OVSDP_NO_TSA OVSDP_TSA(no_thread_safety_analysis)

// ovs_mutex as the analysis sees it: a name only (never defined, never read).
struct OVSDP_CAPABILITY("mutex") ovsdp_ovs_mutex_cap {
    int unused;
};
extern struct ovsdp_ovs_mutex_cap ovsdp_ovs_mutex;

// ovs_mutex: serialises every change of datapaths, vports and flow tables.
// Process context; sleeps.
void ovsdp_ovs_lock(void) OVSDP_ACQUIRE(ovsdp_ovs_mutex);
void ovsdp_ovs_unlock(void) OVSDP_RELEASE(ovsdp_ovs_mutex);
// Whether ovs_mutex is held: by the calling thread with lockdep (kernel) and
// in userspace (owner check); by anyone in a kernel without lockdep.
int ovsdp_lock_held(void);
// Whether assert_ovsl() checks: always in userspace (tests, fuzzers), with
// lockdep in the kernel, as upstream's ASSERT_OVSL (a kernel without
// lockdep pays nothing for it on every command).
#if !defined(OVSDP_KERNEL) || defined(OVSDP_LOCKDEP)
#define OVSDP_CHECK_OVSL 1
#else
#define OVSDP_CHECK_OVSL 0
#endif
// A failed OVSDP_DEBUG_ASSERT: the kernel WARNs once per call site (*once),
// userspace prints and aborts.
void ovsdp_assert_failed(bool* once, const char* expr, const char* file, int line);

// ---- Time and randomness --------------------------------------------------------

unsigned long ovsdp_jiffies(void);
unsigned int ovsdp_jiffies_to_msecs(unsigned long j);
unsigned long ovsdp_msecs_to_jiffies(unsigned int ms);
uint64_t ovsdp_ktime_get_ns(void);
// Free memory the kernel can give out (nr_free_buffer_pages() * PAGE_SIZE):
// sizes the meter table as upstream does. Process context.
uint64_t ovsdp_free_buffer_bytes(void);
uint32_t ovsdp_get_random_u32(void);

// ---- Logging ----------------------------------------------------------------

enum ovsdp_log_level { OVSDP_LOG_ERR = 3, OVSDP_LOG_WARN = 4, OVSDP_LOG_INFO = 6, OVSDP_LOG_DEBUG = 7 };
void ovsdp_log(int level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
// Rate-limited variant for the packet path.
void ovsdp_log_ratelimited(int level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
} // extern "C"

// Debug assertions of contracts (locks, states): never compiled out, cheap.
#define OVSDP_DEBUG_ASSERT(cond)                                              \
    do {                                                                      \
        if (OVSDP_UNLIKELY(!(cond))) {                                        \
            static bool ovsdp_assert_once_;                                   \
            ovsdp_assert_failed(&ovsdp_assert_once_, #cond, __FILE__, __LINE__); \
        }                                                                     \
    } while (0)

namespace ovsdp {

// The top of every *_locked function and datapath/vport mutator (upstream's
// ASSERT_OVSL()): checked at run time (OVSDP_CHECK_OVSL), and for the clang
// analysis the lock is held from here on. A failure names the caller's file
// and line.
inline void assert_ovsl(const char* file = __builtin_FILE(), int line = __builtin_LINE())
    OVSDP_ASSERT_CAPABILITY(ovsdp_ovs_mutex)
{
    if (OVSDP_CHECK_OVSL && OVSDP_UNLIKELY(!ovsdp_lock_held())) {
        static bool once;
        ovsdp_assert_failed(&once, "ovs_mutex held", file, line);
    }
}

// RAII ovs_mutex.
class OVSDP_TSA(scoped_lockable) OvsLock {
public:
    OvsLock() OVSDP_ACQUIRE(ovsdp_ovs_mutex) { ovsdp_ovs_lock(); }
    ~OvsLock() OVSDP_RELEASE() { ovsdp_ovs_unlock(); }
    OvsLock(const OvsLock&) = delete;
    OvsLock& operator=(const OvsLock&) = delete;
};

// RAII read-side critical section.
class RcuReadGuard {
public:
    RcuReadGuard() { ovsdp_rcu_read_lock(); }
    ~RcuReadGuard() { ovsdp_rcu_read_unlock(); }
    RcuReadGuard(const RcuReadGuard&) = delete;
    RcuReadGuard& operator=(const RcuReadGuard&) = delete;
};

class SpinLock {
public:
    SpinLock() { ovsdp_spin_lock_init(&lock_); }
    SpinLock(const SpinLock&) = delete;
    SpinLock& operator=(const SpinLock&) = delete;
    void lock() { ovsdp_spin_lock(&lock_); }
    void unlock() { ovsdp_spin_unlock(&lock_); }

private:
    ovsdp_spinlock lock_;
};

template <typename L>
class LockGuard {
public:
    explicit LockGuard(L& l) : l_(l) { l_.lock(); }
    ~LockGuard() { l_.unlock(); }
    LockGuard(const LockGuard&) = delete;
    LockGuard& operator=(const LockGuard&) = delete;

private:
    L& l_;
};

} // namespace ovsdp
#endif // __cplusplus
