// SPDX-License-Identifier: GPL-2.0
// Userspace implementation of platform/platform.h over libc, pthreads and
// liburcu (memb flavour), for tests, fuzzers and benchmarks.
#include "platform/platform.h"
#include "platform/user/user_platform.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <random>
#include <sched.h>
#include <thread>
#include <vector>

#include <urcu/urcu-memb.h>

static_assert(sizeof(ovsdp_rcu_head) == sizeof(rcu_head));
static_assert(offsetof(ovsdp_rcu_head, func) == offsetof(rcu_head, func));

namespace {

std::atomic<int> g_nr_cpus { 0 };
std::atomic<int> g_nr_nodes { 1 };
std::atomic<ovsdp::user::AllocFailHook> g_fail_hook { nullptr };
std::atomic<long> g_live { 0 };
std::atomic<unsigned long> g_node_allocs[64];
std::atomic<bool> g_jiffies_frozen { false };
std::atomic<unsigned long> g_frozen_jiffies { 0 };
std::atomic<uint64_t> g_free_buffer_bytes { 1ULL << 30 };
std::atomic<bool> g_ktime_frozen { false };
std::atomic<uint64_t> g_frozen_ktime { 0 };

// liburcu is not TSan-instrumented, so TSan cannot see that a callback runs
// after its call_rcu. Callbacks that only free are covered by tsan.supp (a
// liburcu frame); a callback may also hand its object to a work item (the
// flow stats reaper frees there). Every call_rcu is a release on this counter
// and every work item run an acquire, which tells TSan what the grace period
// and the callback that scheduled the work already guarantee.
std::atomic<unsigned long> g_call_rcu_order { 0 };

thread_local int t_cpu = -1;
thread_local int t_node = -1;
thread_local int t_bh_depth = 0;
thread_local int t_bh_cpu = -1; // the simulated CPU whose BH lock this thread holds
thread_local bool t_bh_pinned = false; // pinned to it for the BH-disabled section
thread_local int t_preempt_depth = 0;
thread_local bool t_preempt_pinned = false; // pinned by the outermost ovsdp_preempt_disable()

// "BH disabled" on a simulated CPU: holding that CPU's lock. In the kernel the
// packet path, a pinned timer and a BH-disabled work item on one CPU never
// interleave; here threads that share a simulated CPU are serialised the same
// way (the packet path runs with BH disabled; timers and per-CPU calls take
// the CPU's lock).
constexpr int kMaxBhCpus = 1024;
struct alignas(64) BhLock {
    std::atomic<int> held { 0 };
};
BhLock g_bh[kMaxBhCpus];

void bh_lock(int cpu)
{
    auto& a = g_bh[static_cast<unsigned>(cpu) % kMaxBhCpus].held;
    for (;;) {
        int expected = 0;
        if (a.compare_exchange_weak(expected, 1, std::memory_order_acquire))
            return;
        while (a.load(std::memory_order_relaxed))
            sched_yield();
    }
}
void bh_unlock(int cpu) { g_bh[static_cast<unsigned>(cpu) % kMaxBhCpus].held.store(0, std::memory_order_release); }

int nr_cpus()
{
    int n = g_nr_cpus.load(std::memory_order_relaxed);
    if (n > 0)
        return n;
    int real = 0;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        real = CPU_COUNT(&set);
    if (real < 1)
        real = 1;
    int expected = 0;
    g_nr_cpus.compare_exchange_strong(expected, real);
    return g_nr_cpus.load();
}

// Every allocation carries a small header so that kfree knows it is ours and
// leak counts stay exact.
struct alignas(16) AllocHeader {
    size_t size;
    unsigned magic;
};
constexpr unsigned kMagic = 0x0a11c0de;

void* do_alloc(size_t size, unsigned gfp, int node)
{
    if (auto hook = g_fail_hook.load())
        if (hook(size, gfp, node))
            return nullptr;
    auto* h = static_cast<AllocHeader*>(std::malloc(sizeof(AllocHeader) + size));
    if (!h)
        return nullptr;
    h->size = size;
    h->magic = kMagic;
    void* p = h + 1;
    if (gfp & OVSDP_GFP_ZERO)
        std::memset(p, 0, size);
    else
        std::memset(p, 0xa5, size); // like slub poisoning: catch uninitialised use
    g_live.fetch_add(1, std::memory_order_relaxed);
    if (node >= 0 && node < 64)
        g_node_allocs[node].fetch_add(1, std::memory_order_relaxed);
    return p;
}

void do_free(const void* p)
{
    if (!p)
        return;
    auto* h = static_cast<AllocHeader*>(const_cast<void*>(p)) - 1;
    if (h->magic != kMagic) {
        std::fprintf(stderr, "ovsdp: free of a pointer not from ovsdp_kmalloc: %p\n", p);
        std::abort();
    }
    h->magic = 0;
    g_live.fetch_sub(1, std::memory_order_relaxed);
    std::free(h);
}

struct PerCpuHeader {
    size_t stride;
    int nr;
};

// liburcu memb readers must be registered; do it on first use per thread and
// unregister when the thread exits.
struct RcuThread {
    bool registered = false;
    int depth = 0;
    ~RcuThread()
    {
        if (registered)
            urcu_memb_unregister_thread();
    }
    void ensure()
    {
        if (!registered) {
            urcu_memb_register_thread();
            registered = true;
        }
    }
};
thread_local RcuThread t_rcu;

} // namespace

namespace ovsdp::user {

void set_topology(int cpus, int nodes)
{
    g_nr_cpus.store(cpus);
    g_nr_nodes.store(nodes < 1 ? 1 : nodes);
}
void set_cpu(int cpu) { t_cpu = cpu; }
void set_node(int node) { t_node = node; }
void set_alloc_fail_hook(AllocFailHook hook) { g_fail_hook.store(hook); }
unsigned long node_alloc_count(int node) { return node >= 0 && node < 64 ? g_node_allocs[node].load() : 0; }
void set_jiffies(unsigned long j)
{
    g_frozen_jiffies.store(j);
    g_jiffies_frozen.store(true);
}
void unfreeze_jiffies() { g_jiffies_frozen.store(false); }
void set_free_buffer_bytes(uint64_t bytes) { g_free_buffer_bytes.store(bytes); }
void set_ktime_ns(uint64_t ns)
{
    g_frozen_ktime.store(ns);
    g_ktime_frozen.store(true);
}
void unfreeze_ktime() { g_ktime_frozen.store(false); }
long live_allocations() { return g_live.load(); }

} // namespace ovsdp::user

extern "C" {

void* ovsdp_kmalloc(size_t size, unsigned gfp) { return do_alloc(size, gfp, -1); }
void* ovsdp_kmalloc_node(size_t size, unsigned gfp, int node) { return do_alloc(size, gfp, node); }
void ovsdp_kfree(const void* p) { do_free(p); }
void* ovsdp_kvmalloc(size_t size, unsigned gfp) { return do_alloc(size, gfp, -1); }
void ovsdp_kvfree(const void* p) { do_free(p); }

// Object caches: the size is kept to check the objects' frees; objects come
// from the counted allocator above (leak counts and failure injection
// included).
struct ovsdp_cache {
    size_t size;
};

struct ovsdp_cache* ovsdp_cache_create(const char*, size_t size)
{
    auto* c = static_cast<ovsdp_cache*>(std::malloc(sizeof(ovsdp_cache)));
    if (c)
        c->size = size;
    return c;
}

void ovsdp_cache_destroy(struct ovsdp_cache* c) { std::free(c); }

void* ovsdp_cache_alloc(struct ovsdp_cache* c, unsigned gfp) { return do_alloc(c->size, gfp, -1); }

void ovsdp_cache_free(struct ovsdp_cache* c, const void* p)
{
    if (p && reinterpret_cast<const AllocHeader*>(p)[-1].size != c->size) {
        std::fprintf(stderr, "ovsdp: object freed to a cache of another size: %p\n", p);
        std::abort();
    }
    do_free(p);
}

// Per-CPU areas: one block, a 64-byte header, then one cache-line-aligned
// instance per simulated CPU (instances never share a line, as in the kernel).
constexpr size_t kPerCpuHeader = 64;

void* ovsdp_alloc_percpu(size_t size, size_t align)
{
    if (align > kPerCpuHeader || size > OVSDP_PERCPU_MAX_SIZE)
        return nullptr;
    size_t stride = (size + kPerCpuHeader - 1) & ~(kPerCpuHeader - 1);
    int n = nr_cpus();
    void* raw = nullptr;
    if (posix_memalign(&raw, kPerCpuHeader, kPerCpuHeader + stride * n))
        return nullptr;
    std::memset(raw, 0, kPerCpuHeader + stride * n);
    auto* h = static_cast<PerCpuHeader*>(raw);
    h->stride = stride;
    h->nr = n;
    g_live.fetch_add(1, std::memory_order_relaxed);
    return static_cast<unsigned char*>(raw) + kPerCpuHeader;
}

void ovsdp_free_percpu(void* p)
{
    if (!p)
        return;
    g_live.fetch_sub(1, std::memory_order_relaxed);
    std::free(static_cast<unsigned char*>(p) - kPerCpuHeader);
}

// Slow and failing paths out of line, so that the per-CPU accessors need no
// stack frame (the kernel's this_cpu_ptr is one or two instructions).
[[noreturn]] __attribute__((noinline, cold)) static void bad_cpu(int cpu, int nr)
{
    std::fprintf(stderr, "ovsdp: per-CPU access to CPU %d of %d\n", cpu, nr);
    std::abort();
}

__attribute__((noinline)) static int current_cpu_slow()
{
    int cpu = sched_getcpu();
    int n = nr_cpus();
    return cpu < 0 ? 0 : cpu % n;
}

void* ovsdp_per_cpu_ptr(void* p, int cpu)
{
    auto* h = reinterpret_cast<PerCpuHeader*>(static_cast<unsigned char*>(p) - kPerCpuHeader);
    if (__builtin_expect(cpu < 0 || cpu >= h->nr, 0))
        bad_cpu(cpu, h->nr);
    return static_cast<unsigned char*>(p) + h->stride * cpu;
}

void* ovsdp_this_cpu_ptr(void* p) { return ovsdp_per_cpu_ptr(p, ovsdp_smp_processor_id()); }

void ovsdp_rcu_read_lock(void)
{
    t_rcu.ensure();
    urcu_memb_read_lock();
}
void ovsdp_rcu_read_unlock(void) { urcu_memb_read_unlock(); }


void ovsdp_call_rcu(struct ovsdp_rcu_head* head, void (*func)(struct ovsdp_rcu_head*))
{
    g_call_rcu_order.fetch_add(1, std::memory_order_release);
    t_rcu.ensure();
    urcu_memb_call_rcu(reinterpret_cast<rcu_head*>(head), reinterpret_cast<void (*)(rcu_head*)>(func));
}

void ovsdp_synchronize_rcu(void) { urcu_memb_synchronize_rcu(); }
void ovsdp_rcu_barrier(void) { urcu_memb_barrier(); }

int ovsdp_smp_processor_id(void)
{
    if (__builtin_expect(t_cpu >= 0, 1))
        return t_cpu;
    return current_cpu_slow();
}
int ovsdp_numa_node_id(void)
{
    if (t_node >= 0)
        return t_node;
    return ovsdp_cpu_to_node(ovsdp_smp_processor_id());
}
int ovsdp_cpu_to_node(int cpu) { return cpu % g_nr_nodes.load(std::memory_order_relaxed); }
int ovsdp_nr_cpu_ids(void) { return nr_cpus(); }
int ovsdp_nr_node_ids(void) { return g_nr_nodes.load(std::memory_order_relaxed); }
int ovsdp_node_online(int node) { return node >= 0 && node < g_nr_nodes.load(); }
void ovsdp_local_bh_disable(void)
{
    if (t_bh_depth++)
        return;
    int cpu = ovsdp_smp_processor_id();
    if (t_cpu < 0) { // stay on this CPU until BH is enabled again, as in the kernel
        t_cpu = cpu;
        t_bh_pinned = true;
    }
    t_bh_cpu = cpu;
    bh_lock(cpu);
}
void ovsdp_local_bh_enable(void)
{
    if (--t_bh_depth)
        return;
    bh_unlock(t_bh_cpu);
    t_bh_cpu = -1;
    if (t_bh_pinned) {
        t_cpu = -1;
        t_bh_pinned = false;
    }
}

// Userspace has no preemption to turn off: the thread stays on its CPU
// number until the outermost enable, as BH-disabled sections do.
void ovsdp_preempt_disable(void)
{
    if (t_preempt_depth++ == 0 && t_cpu < 0) {
        t_cpu = ovsdp_smp_processor_id();
        t_preempt_pinned = true;
    }
}
void ovsdp_preempt_enable(void)
{
    if (--t_preempt_depth == 0 && t_preempt_pinned) {
        t_cpu = -1;
        t_preempt_pinned = false;
    }
}

static_assert(sizeof(std::atomic<int>) <= sizeof(ovsdp_spinlock));
void ovsdp_spin_lock_init(struct ovsdp_spinlock* l) { new (l->opaque) std::atomic<int>(0); }
void ovsdp_spin_lock(struct ovsdp_spinlock* l)
{
    auto* a = reinterpret_cast<std::atomic<int>*>(l->opaque);
    for (;;) {
        int expected = 0;
        if (a->compare_exchange_weak(expected, 1, std::memory_order_acquire))
            return;
        while (a->load(std::memory_order_relaxed))
            sched_yield();
    }
}
void ovsdp_spin_unlock(struct ovsdp_spinlock* l)
{
    reinterpret_cast<std::atomic<int>*>(l->opaque)->store(0, std::memory_order_release);
}
void ovsdp_spin_lock_bh(struct ovsdp_spinlock* l) { ovsdp_spin_lock(l); }
void ovsdp_spin_unlock_bh(struct ovsdp_spinlock* l) { ovsdp_spin_unlock(l); }

unsigned long ovsdp_jiffies(void)
{
    if (g_jiffies_frozen.load(std::memory_order_relaxed))
        return g_frozen_jiffies.load(std::memory_order_relaxed);
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    unsigned long initial = static_cast<unsigned long>(static_cast<unsigned int>(-300 * static_cast<int>(ovsdp::user::kHz)));
    return initial + static_cast<unsigned long>(ts.tv_sec) * ovsdp::user::kHz + static_cast<unsigned long>(ts.tv_nsec) / (1000000000UL / ovsdp::user::kHz);
}
unsigned int ovsdp_jiffies_to_msecs(unsigned long j) { return static_cast<unsigned int>(j * (1000 / ovsdp::user::kHz)); }
unsigned long ovsdp_msecs_to_jiffies(unsigned int ms) { return (ms + (1000 / ovsdp::user::kHz) - 1) / (1000 / ovsdp::user::kHz); }
uint64_t ovsdp_ktime_get_ns(void)
{
    if (g_ktime_frozen.load(std::memory_order_relaxed))
        return g_frozen_ktime.load(std::memory_order_relaxed);
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + ts.tv_nsec;
}
uint64_t ovsdp_free_buffer_bytes(void) { return g_free_buffer_bytes.load(); }
uint32_t ovsdp_get_random_u32(void)
{
    thread_local std::mt19937 rng { std::random_device {}() };
    return rng();
}

// ---- Work items, per-CPU timers, per-CPU calls ---------------------------------------

} // extern "C"

struct ovsdp_work {
    void (*fn)(void*);
    void* arg;
    std::mutex mu;
    std::condition_variable cv;
    bool queued = false;
    bool stop = false;
    std::thread thread;

    void loop()
    {
        std::unique_lock<std::mutex> l(mu);
        for (;;) {
            cv.wait(l, [this] { return queued || stop; });
            if (queued) { // pending work runs before a stop
                queued = false;
                l.unlock();
                (void)g_call_rcu_order.load(std::memory_order_acquire); // see ovsdp_call_rcu
                fn(arg);
                l.lock();
                continue;
            }
            return;
        }
    }
};

struct ovsdp_cpu_timers {
    void (*fn)(int, void*);
    void* arg;
    std::mutex mu; // armed/expires; never held while fn runs
    std::vector<char> armed;
    std::vector<unsigned long> expires;
};

namespace {
std::mutex g_timers_mu; // the registry; held by run_cpu_timers() while it fires timers
std::vector<ovsdp_cpu_timers*> g_timers;
} // namespace

namespace ovsdp::user {

int run_cpu_timers()
{
    std::lock_guard<std::mutex> reg(g_timers_mu);
    unsigned long now = ovsdp_jiffies();
    int fired = 0;
    for (ovsdp_cpu_timers* t : g_timers) {
        std::vector<int> due;
        {
            std::lock_guard<std::mutex> l(t->mu);
            for (size_t cpu = 0; cpu < t->armed.size(); cpu++)
                if (t->armed[cpu] && static_cast<long>(now - t->expires[cpu]) >= 0) {
                    t->armed[cpu] = 0;
                    due.push_back(static_cast<int>(cpu));
                }
        }
        for (int cpu : due) {
            bh_lock(cpu);
            t->fn(cpu, t->arg);
            bh_unlock(cpu);
            fired++;
        }
    }
    return fired;
}

int cpu_timers_armed()
{
    std::lock_guard<std::mutex> reg(g_timers_mu);
    int n = 0;
    for (ovsdp_cpu_timers* t : g_timers) {
        std::lock_guard<std::mutex> l(t->mu);
        for (char a : t->armed)
            n += a != 0;
    }
    return n;
}

} // namespace ovsdp::user

extern "C" {

struct ovsdp_work* ovsdp_work_create(void (*fn)(void*), void* arg)
{
    auto* w = new ovsdp_work;
    w->fn = fn;
    w->arg = arg;
    w->thread = std::thread([w] { w->loop(); });
    return w;
}

void ovsdp_work_schedule(struct ovsdp_work* w)
{
    std::lock_guard<std::mutex> l(w->mu);
    w->queued = true;
    w->cv.notify_one();
}

void ovsdp_work_destroy(struct ovsdp_work* w)
{
    if (!w)
        return;
    {
        std::lock_guard<std::mutex> l(w->mu);
        w->stop = true;
        w->cv.notify_one();
    }
    w->thread.join();
    delete w;
}

struct ovsdp_cpu_timers* ovsdp_cpu_timers_create(void (*fn)(int, void*), void* arg)
{
    auto* t = new ovsdp_cpu_timers;
    t->fn = fn;
    t->arg = arg;
    t->armed.assign(static_cast<size_t>(nr_cpus()), 0);
    t->expires.assign(static_cast<size_t>(nr_cpus()), 0);
    std::lock_guard<std::mutex> reg(g_timers_mu);
    g_timers.push_back(t);
    return t;
}

void ovsdp_cpu_timer_arm(struct ovsdp_cpu_timers* t, unsigned long delay)
{
    size_t cpu = static_cast<size_t>(ovsdp_smp_processor_id());
    std::lock_guard<std::mutex> l(t->mu);
    if (cpu >= t->armed.size() || t->armed[cpu])
        return;
    t->armed[cpu] = 1;
    t->expires[cpu] = ovsdp_jiffies() + (delay ? delay : 1);
}

void ovsdp_cpu_timers_destroy(struct ovsdp_cpu_timers* t)
{
    if (!t)
        return;
    {
        std::lock_guard<std::mutex> reg(g_timers_mu);
        for (size_t i = 0; i < g_timers.size(); i++)
            if (g_timers[i] == t) {
                g_timers.erase(g_timers.begin() + static_cast<long>(i));
                break;
            }
    }
    delete t;
}

void ovsdp_on_each_cpu_bh(int (*want)(int, void*), void (*fn)(int, void*), void* arg)
{
    if (t_bh_depth) {
        std::fprintf(stderr, "ovsdp: ovsdp_on_each_cpu_bh with BH disabled\n");
        std::abort();
    }
    int n = nr_cpus();
    for (int cpu = 0; cpu < n; cpu++) {
        if (want && !want(cpu, arg))
            continue;
        bh_lock(cpu);
        fn(cpu, arg);
        bh_unlock(cpu);
    }
}

static std::atomic<int> g_log_level { OVSDP_LOG_WARN };
static std::atomic<ovsdp::user::LogHook> g_log_hook { nullptr };
static void vlog(int level, bool ratelimited, const char* fmt, va_list ap)
{
    if (ovsdp::user::LogHook hook = g_log_hook.load()) {
        char msg[512];
        std::vsnprintf(msg, sizeof(msg), fmt, ap);
        hook(level, msg, ratelimited);
        return;
    }
    if (level > g_log_level.load() && !std::getenv("OVSDP_LOG"))
        return;
    std::fprintf(stderr, "ovsdp<%d>: ", level);
    std::vfprintf(stderr, fmt, ap);
    std::fputc('\n', stderr);
}
void ovsdp_log(int level, const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(level, false, fmt, ap);
    va_end(ap);
}
void ovsdp_log_ratelimited(int level, const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(level, true, fmt, ap);
    va_end(ap);
}

// ovs_mutex: a real mutex whose owner is known, so that ovsdp_lock_held()
// answers for the calling thread as lockdep does.
static std::mutex g_ovs_mutex;
static std::atomic<std::thread::id> g_ovs_owner {};

void ovsdp_ovs_lock(void)
{
    if (g_ovs_owner.load(std::memory_order_relaxed) == std::this_thread::get_id()) {
        std::fprintf(stderr, "ovsdp: ovs_mutex taken twice by one thread\n");
        std::abort();
    }
    g_ovs_mutex.lock();
    g_ovs_owner.store(std::this_thread::get_id(), std::memory_order_relaxed);
}

void ovsdp_ovs_unlock(void)
{
    if (g_ovs_owner.load(std::memory_order_relaxed) != std::this_thread::get_id()) {
        std::fprintf(stderr, "ovsdp: ovs_mutex released by a thread that does not hold it\n");
        std::abort();
    }
    g_ovs_owner.store(std::thread::id(), std::memory_order_relaxed);
    g_ovs_mutex.unlock();
}

int ovsdp_lock_held(void) { return g_ovs_owner.load(std::memory_order_relaxed) == std::this_thread::get_id(); }

void ovsdp_assert_failed(bool*, const char* expr, const char* file, int line)
{
    std::fprintf(stderr, "ovsdp: assertion failed: %s (%s:%d)\n", expr, file, line);
    std::abort();
}

} // extern "C"

namespace ovsdp::user {
void set_log_hook(LogHook hook) { g_log_hook.store(hook); }
bool rcu_read_held() { return t_rcu.registered && urcu_memb_read_ongoing(); }
bool bh_held() { return t_bh_cpu >= 0; }
} // namespace ovsdp::user
