// SPDX-License-Identifier: GPL-2.0
// The flow statistics scaling benchmark: N threads update ONE flow's
// statistics; each thread is a simulated CPU (user::set_cpu) pinned to a real
// CPU (round robin) and counts in batches of 256 packets with BH disabled and
// under RCU, as a NAPI poll would. A ticker thread plays the timer interrupt:
// every 4 ms (HZ=250) it advances the frozen jiffies and runs due per-CPU
// timers, so jiffies reads cost one load as in the kernel.
//
//   stats_bench <design> <threads> <nodes> [seconds]    -> one result line
//   stats_bench table [seconds]                          -> the whole table
//   stats_bench measure <design> <n>                     -> for callgrind
//
// Designs:
//   numa          per-NUMA instances as built before combining (lock-free
//                 atomics on the node's instance): FlowStats::update_direct
//   numa-combined per-NUMA instances with per-CPU combining (flow_stats.h)
//   percpu-lock   upstream since 2016: one 64-byte block per CPU per flow,
//                 each with its spinlock
//   percpu        the same without the lock
//   locked        one instance with a spinlock (upstream's 2014 per-node
//                 instance, all CPUs on one node)
// <nodes>: simulated NUMA nodes (1: every CPU on node 0; 2: CPUs alternate).
#include "base/byteorder.h"
#include "flow_table/flow.h"
#include "platform/platform.h"
#include "platform/user/user_platform.h"

#include <algorithm>
#include <atomic>
#include <ctime>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <pthread.h>
#include <sched.h>
#include <thread>
#include <vector>

using namespace ovsdp;

namespace {

constexpr int kMaxCpus = 64;
constexpr int kBatch = 256;
constexpr u32 kLen = 64;
const be16 kFlags = htons(0x10);

// Upstream's sw_flow_stats: counters, used, a lock, flags; cache-aligned.
struct alignas(64) LockedStats {
    u64 packets;
    u64 bytes;
    unsigned long used;
    ovsdp_spinlock lock;
    u16 tcp_flags;
};
static_assert(sizeof(LockedStats) == 64);

struct PerCpuFlow {
    LockedStats* cpu[kMaxCpus]; // upstream: flow->stats[nr_cpu_ids], allocated on first use
};

enum class Design { Numa, NumaCombined, PerCpuLock, PerCpu, Locked };

bool parse_design(const char* s, Design* d)
{
    static const struct {
        const char* name;
        Design d;
    } names[] = { { "numa", Design::Numa },
                  { "numa-combined", Design::NumaCombined },
                  { "percpu-lock", Design::PerCpuLock },
                  { "percpu", Design::PerCpu },
                  { "locked", Design::Locked } };
    for (auto& n : names)
        if (std::strcmp(s, n.name) == 0) {
            *d = n.d;
            return true;
        }
    return false;
}

const char* design_name(Design d)
{
    switch (d) {
    case Design::Numa: return "numa";
    case Design::NumaCombined: return "numa-combined";
    case Design::PerCpuLock: return "percpu-lock";
    case Design::PerCpu: return "percpu";
    case Design::Locked: return "locked";
    }
    return "?";
}

struct Target {
    Flow* flow = nullptr;
    PerCpuFlow percpu {};
    LockedStats* locked = nullptr;
};

} // namespace

// The measured loops, one per design; callgrind collects inside these only
// (--toggle-collect=measure_*). Caller: BH disabled, under RCU.
extern "C" OVSDP_NOINLINE void measure_numa(Flow* f, u64 n)
{
    for (u64 i = 0; i < n; i++)
        f->stats.update_direct(kFlags, kLen);
}

extern "C" OVSDP_NOINLINE void measure_numa_combined(Flow* f, u64 n)
{
    for (u64 i = 0; i < n; i++)
        f->stats.update(kFlags, kLen);
}

extern "C" OVSDP_NOINLINE void measure_percpu_lock(PerCpuFlow* f, u64 n)
{
    for (u64 i = 0; i < n; i++) {
        LockedStats* s = f->cpu[ovsdp_smp_processor_id()];
        ovsdp_spin_lock(&s->lock);
        s->used = ovsdp_jiffies();
        s->packets++;
        s->bytes += kLen;
        s->tcp_flags |= kFlags;
        ovsdp_spin_unlock(&s->lock);
    }
}

extern "C" OVSDP_NOINLINE void measure_percpu(PerCpuFlow* f, u64 n)
{
    for (u64 i = 0; i < n; i++) {
        LockedStats* s = f->cpu[ovsdp_smp_processor_id()];
        write_once(s->used, ovsdp_jiffies());
        write_once(s->packets, s->packets + 1);
        write_once(s->bytes, s->bytes + kLen);
        s->tcp_flags |= kFlags;
    }
}

extern "C" OVSDP_NOINLINE void measure_locked(LockedStats* s, u64 n)
{
    for (u64 i = 0; i < n; i++) {
        ovsdp_spin_lock(&s->lock);
        s->used = ovsdp_jiffies();
        s->packets++;
        s->bytes += kLen;
        s->tcp_flags |= kFlags;
        ovsdp_spin_unlock(&s->lock);
    }
}

namespace {

void run_batch(Design d, Target& t, u64 n)
{
    switch (d) {
    case Design::Numa: measure_numa(t.flow, n); break;
    case Design::NumaCombined: measure_numa_combined(t.flow, n); break;
    case Design::PerCpuLock: measure_percpu_lock(&t.percpu, n); break;
    case Design::PerCpu: measure_percpu(&t.percpu, n); break;
    case Design::Locked: measure_locked(t.locked, n); break;
    }
}

// Cache-line aligned, as the kernel's SLAB_HWCACHE_ALIGN cache upstream
// uses (userspace kmalloc only aligns to 16).
LockedStats* new_locked()
{
    auto* s = new LockedStats {};
    ovsdp_spin_lock_init(&s->lock);
    return s;
}

// Set up `nodes` simulated nodes over kMaxCpus simulated CPUs and the target.
void setup(Design d, int threads, int nodes, Target* t)
{
    user::set_topology(threads > 16 ? threads : 16, nodes);
    user::set_jiffies(1000);
    if (d == Design::NumaCombined && flow_stats_cache_init().is_error()) {
        std::fprintf(stderr, "flow_stats_cache_init failed\n");
        std::exit(1);
    }
    t->flow = flow_alloc().release_value();
    for (int c = 0; c < threads; c++)
        t->percpu.cpu[c] = new_locked();
    t->locked = new_locked();
}

void teardown(Design d, Target* t, u64 expect)
{
    flow_stats_flush_all();
    FlowStatsReading r;
    t->flow->stats.read(&r);
    u64 got = 0;
    switch (d) {
    case Design::Numa:
    case Design::NumaCombined: got = r.packets; break;
    case Design::PerCpuLock:
    case Design::PerCpu:
        for (int c = 0; c < kMaxCpus; c++)
            if (t->percpu.cpu[c])
                got += t->percpu.cpu[c]->packets;
        break;
    case Design::Locked: got = t->locked->packets; break;
    }
    if (got != expect) {
        std::fprintf(stderr, "%s: counted %llu of %llu updates\n", design_name(d), (unsigned long long)got,
                     (unsigned long long)expect);
        std::exit(1);
    }
    flow_free_rcu(t->flow);
    for (auto*& s : t->percpu.cpu) {
        delete s;
        s = nullptr;
    }
    delete t->locked;
    if (d == Design::NumaCombined)
        flow_stats_cache_exit();
    ovsdp_rcu_barrier();
    user::unfreeze_jiffies();
}

void pin_real_cpu(int i)
{
    cpu_set_t all;
    if (sched_getaffinity(0, sizeof(all), &all))
        return;
    int n = CPU_COUNT(&all);
    int k = i % n;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &all) && k-- == 0) {
            cpu_set_t one;
            CPU_ZERO(&one);
            CPU_SET(c, &one);
            pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
            return;
        }
}

double thread_cpu_seconds()
{
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct RunResult {
    double wall; // updates per second of wall time, all threads
    double per_cpu; // updates per second of thread CPU time (summed over threads)
};

// Updates per second of `threads` threads over `seconds`.
RunResult run(Design d, int threads, int nodes, double seconds)
{
    Target t;
    setup(d, threads, nodes, &t);
    std::atomic<int> ready { 0 };
    std::atomic<bool> go { false }, stop { false };
    std::vector<u64> counts(static_cast<size_t>(threads));
    std::vector<double> cpu(static_cast<size_t>(threads));
    std::vector<std::thread> ws;
    for (int i = 0; i < threads; i++)
        ws.emplace_back([&, i] {
            pin_real_cpu(i);
            user::set_cpu(i);
            ready++;
            while (!go.load())
                sched_yield();
            u64 n = 0;
            double c0 = thread_cpu_seconds();
            while (!stop.load(std::memory_order_relaxed)) {
                ovsdp_local_bh_disable();
                ovsdp_rcu_read_lock();
                run_batch(d, t, kBatch);
                ovsdp_rcu_read_unlock();
                ovsdp_local_bh_enable();
                n += kBatch;
            }
            counts[static_cast<size_t>(i)] = n;
            cpu[static_cast<size_t>(i)] = thread_cpu_seconds() - c0;
            user::set_cpu(-1);
        });
    while (ready.load() < threads)
        sched_yield();
    std::atomic<bool> tick_stop { false };
    std::thread ticker([&] {
        unsigned long j = 1000;
        while (!tick_stop.load()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(4));
            user::set_jiffies(++j);
            user::run_cpu_timers();
        }
    });
    auto t0 = std::chrono::steady_clock::now();
    go = true;
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& w : ws)
        w.join();
    auto t1 = std::chrono::steady_clock::now();
    tick_stop = true;
    ticker.join();
    u64 total = 0;
    double cpu_total = 0;
    for (int i = 0; i < threads; i++) {
        total += counts[static_cast<size_t>(i)];
        cpu_total += cpu[static_cast<size_t>(i)];
    }
    teardown(d, &t, total);
    return { static_cast<double>(total) / std::chrono::duration<double>(t1 - t0).count(),
             cpu_total > 0 ? static_cast<double>(total) / cpu_total : 0 };
}

// Of `reps` runs: the median wall throughput, and the best (least
// disturbed by other processes) CPU time per update.
RunResult run_reps(Design d, int threads, int nodes, double seconds, int reps)
{
    std::vector<RunResult> rs;
    for (int i = 0; i < reps; i++)
        rs.push_back(run(d, threads, nodes, seconds));
    std::sort(rs.begin(), rs.end(), [](const RunResult& a, const RunResult& b) { return a.wall < b.wall; });
    RunResult out = rs[rs.size() / 2];
    for (const RunResult& r : rs)
        out.per_cpu = std::max(out.per_cpu, r.per_cpu);
    return out;
}

// Bytes of statistics memory per flow with 2 nodes x 8 CPUs, every CPU
// hitting the flow (kmalloc rounding included; combining's per-CPU tables are
// per module, shown apart).
void print_memory()
{
    constexpr int kCpus = 16, kNodes = 2;
    usize numa_head = sizeof(FlowStats) + FlowStats::extra_size(kNodes);
    usize numa = numa_head + kNodes * sizeof(FlowNodeStats);
    usize percpu = kCpus * sizeof(void*) + kCpus * sizeof(LockedStats);
    std::printf("\nstats memory per flow, 2 nodes x 8 CPUs, all CPUs hitting the flow:\n");
    std::printf("  numa, numa-combined   %zu bytes (%zu in the flow + %d x %zu-byte node instances)\n", numa,
                numa_head, kNodes, sizeof(FlowNodeStats));
    std::printf("  numa-combined, fixed  %zu bytes per CPU for all flows (%zu for 16 CPUs), none per flow\n",
                sizeof(StatsCpu), kCpus * sizeof(StatsCpu));
    std::printf("  percpu(-lock)         %zu bytes (%d pointers + %d x %zu-byte CPU blocks)\n", percpu, kCpus, kCpus,
                sizeof(LockedStats));
    std::printf("  locked                %zu bytes\n", sizeof(LockedStats));
}

} // namespace

int main(int argc, char** argv)
{
    if (argc >= 2 && std::strcmp(argv[1], "table") == 0) {
        double secs = argc >= 3 ? std::atof(argv[2]) : 0.5;
        int reps = argc >= 4 ? std::atoi(argv[3]) : 3;
        const int ns[] = { 1, 2, 4, 8, 16 };
        const struct {
            Design d;
            int nodes;
            const char* label;
        } rows[] = { { Design::Numa, 1, "numa, 1 node" },
                     { Design::Numa, 2, "numa, 2 nodes" },
                     { Design::NumaCombined, 1, "numa-combined, 1 node" },
                     { Design::NumaCombined, 2, "numa-combined, 2 nodes" },
                     { Design::PerCpuLock, 2, "percpu-lock" },
                     { Design::PerCpu, 2, "percpu" },
                     { Design::Locked, 1, "locked" } };
        constexpr int kRows = sizeof(rows) / sizeof(rows[0]);
        RunResult res[kRows][5];
        for (int r = 0; r < kRows; r++)
            for (int i = 0; i < 5; i++)
                res[r][i] = run_reps(rows[r].d, ns[i], rows[r].nodes, secs, reps);
        int real = static_cast<int>(std::thread::hardware_concurrency());
        std::printf("Updates of one flow's statistics, million per second of wall time, all threads\n"
                    "(median of %d runs of %.2f s; %d real CPUs: above %d threads they take turns)\n",
                    reps, secs, real, real);
        std::printf("| design | ns/update, 1 thread, CPU time (best run) |");
        for (int n : ns)
            std::printf(" N=%d |", n);
        std::printf("\n|---|---:|");
        for (int i = 0; i < 5; i++)
            std::printf("---:|");
        std::printf("\n");
        for (int r = 0; r < kRows; r++) {
            std::printf("| %s | %.2f |", rows[r].label, 1e9 / res[r][0].per_cpu);
            for (int i = 0; i < 5; i++)
                std::printf(" %.1f |", res[r][i].wall / 1e6);
            std::printf("\n");
        }
        std::printf("\nCPU time per update, ns (sum of the threads' CPU time / updates, best of the runs; with more\n"
                    "threads than real CPUs, threads sharing a CPU take turns and move no cache lines between them)\n");
        std::printf("| design |");
        for (int n : ns)
            std::printf(" N=%d |", n);
        std::printf("\n|---|");
        for (int i = 0; i < 5; i++)
            std::printf("---:|");
        std::printf("\n");
        for (int r = 0; r < kRows; r++) {
            std::printf("| %s |", rows[r].label);
            for (int i = 0; i < 5; i++)
                std::printf(" %.2f |", 1e9 / res[r][i].per_cpu);
            std::printf("\n");
        }
        // Rows: 3 numa-combined 2 nodes, 4 percpu-lock, 5 percpu; columns: 1 is N=2, 4 is N=16.
        auto wall = [&](int r, int i) { return res[r][i].wall; };
        auto cpu = [&](int r, int i) { return res[r][i].per_cpu; };
        std::printf("\nratio numa-combined (2 nodes) / percpu, wall time: N=2 %.2f, N=16 %.2f (/ percpu-lock: %.2f, %.2f)\n",
                    wall(3, 1) / wall(5, 1), wall(3, 4) / wall(5, 4), wall(3, 1) / wall(4, 1), wall(3, 4) / wall(4, 4));
        std::printf("ratio numa-combined (2 nodes) / percpu, CPU time per update: N=2 %.2f, N=16 %.2f "
                    "(/ percpu-lock: %.2f, %.2f)\n",
                    cpu(3, 1) / cpu(5, 1), cpu(3, 4) / cpu(5, 4), cpu(3, 1) / cpu(4, 1), cpu(3, 4) / cpu(4, 4));
        // No shared cache line is written per update by these three, so each
        // CPU adds its single-thread rate.
        std::printf("projected 16 CPUs from 1-thread CPU time (designs writing no shared line per update): "
                    "numa-combined %.0f, percpu %.0f, percpu-lock %.0f Mupdates/s; numa-combined / percpu %.2f\n",
                    16 * cpu(3, 0) / 1e6, 16 * cpu(5, 0) / 1e6, 16 * cpu(4, 0) / 1e6, cpu(3, 0) / cpu(5, 0));
        print_memory();
        return 0;
    }
    if (argc == 4 && std::strcmp(argv[1], "measure") == 0) {
        Design d;
        if (!parse_design(argv[2], &d))
            return 2;
        u64 n = std::strtoull(argv[3], nullptr, 0);
        Target t;
        setup(d, 1, 1, &t);
        user::set_cpu(0);
        ovsdp_local_bh_disable();
        ovsdp_rcu_read_lock();
        run_batch(d, t, 1000); // warm: first slot, timers
        run_batch(d, t, n);
        ovsdp_rcu_read_unlock();
        ovsdp_local_bh_enable();
        user::set_cpu(-1);
        teardown(d, &t, n + 1000);
        std::printf("%s: %llu updates\n", design_name(d), static_cast<unsigned long long>(n));
        return 0;
    }
    Design d;
    if (argc < 4 || !parse_design(argv[1], &d)) {
        std::fprintf(stderr,
                     "usage: %s numa|numa-combined|percpu-lock|percpu|locked <threads> <nodes> [seconds]\n"
                     "       %s table [seconds]\n       %s measure <design> <n>\n",
                     argv[0], argv[0], argv[0]);
        return 2;
    }
    int threads = std::atoi(argv[2]);
    int nodes = std::atoi(argv[3]);
    if (threads < 1 || threads > kMaxCpus || nodes < 1 || nodes > 2)
        return 2;
    double secs = argc >= 5 ? std::atof(argv[4]) : 0.5;
    RunResult r = run(d, threads, nodes, secs);
    std::printf("%s threads %d nodes %d: %.1f Mupdates/s (%.2f ns per update of CPU time)\n", design_name(d), threads,
                nodes, r.wall / 1e6, 1e9 / r.per_cpu);
    return 0;
}
