// SPDX-License-Identifier: GPL-2.0
// The meter scaling benchmark: N threads (simulated CPUs, each pinned to a
// real CPU round robin) send packets through ONE meter that never drops, in
// batches of 256 with BH disabled and under RCU as a NAPI poll would, the
// clock read once a batch. Designs:
//   ours      meter_execute(): per-CPU statistics and credit, a shared token
//             word taken about once a millisecond per CPU (meter/meter.h)
//   cas       the same with no credit: a compare-and-swap on the shared
//             token word for every packet
//   spinlock  upstream's shape: the meter's spinlock taken for every packet,
//             statistics, last use and bucket updated under it
//
//   meter_bench <design> <threads> [seconds]   -> one result line
//   meter_bench table [seconds]                -> every design at 1, 2, 4 threads:
//                                                 thread CPU ns per packet and Mpps
//   meter_bench count <design> <packets>       -> for callgrind (one thread)
#include "base/netlink.h"
#include "meter/meter.h"
#include "platform/platform.h"
#include "platform/user/user_platform.h"

#include <atomic>
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

constexpr int kBatch = 256;
constexpr u32 kLen = 64;
constexpr u32 kId = 7;

// Upstream's meter as one locked block (written here from the algorithm's
// description: a spinlock, last use, statistics, one band's bucket).
struct LockedMeter {
    ovsdp_spinlock lock;
    u64 used_ms;
    u64 packets, bytes;
    u64 bucket, burst_units;
    u32 rate, max_delta_ms;
    u64 band_packets, band_bytes;
};

bool locked_execute(LockedMeter* m, u32 len, u64 now_ms)
{
    ovsdp_spin_lock(&m->lock);
    u64 delta = now_ms > m->used_ms ? now_ms - m->used_ms : 0;
    if (delta > m->max_delta_ms)
        delta = m->max_delta_ms;
    m->used_ms = now_ms;
    m->packets++;
    m->bytes += len;
    m->bucket += delta * m->rate;
    if (m->bucket > m->burst_units)
        m->bucket = m->burst_units;
    bool drop = false;
    if (m->bucket >= 1000) {
        m->bucket -= 1000;
    } else {
        m->band_packets++;
        m->band_bytes += len;
        drop = true;
    }
    ovsdp_spin_unlock(&m->lock);
    return drop;
}

enum class Design { Ours, Cas, Spinlock };

const char* name(Design d) { return d == Design::Ours ? "ours" : d == Design::Cas ? "cas" : "spinlock"; }

struct World {
    MeterTable table;
    LockedMeter locked {};
};

Meter* make_meter(World& w, bool credit)
{
    u8 buf[128];
    NlWriter nw(buf, sizeof(buf));
    nw.put_u32(uapi::OVS_METER_ATTR_ID, kId);
    usize bands = nw.nest_begin(uapi::OVS_METER_ATTR_BANDS);
    usize band = nw.nest_begin(uapi::OVS_BAND_ATTR_UNSPEC);
    nw.put_u32(uapi::OVS_BAND_ATTR_TYPE, uapi::OVS_METER_BAND_TYPE_DROP);
    nw.put_u32(uapi::OVS_BAND_ATTR_RATE, ~0u);
    nw.put_u32(uapi::OVS_BAND_ATTR_BURST, ~0u);
    nw.nest_end(band);
    nw.nest_end(bands);
    const NlAttr* a_id = reinterpret_cast<const NlAttr*>(buf);
    const NlAttr* a_bands = reinterpret_cast<const NlAttr*>(buf + 8);
    const NlAttr* bad = nullptr;
    auto m = meter_create(a_id, a_bands, nullptr, nullptr, nullptr, &bad);
    if (m.is_error()) {
        std::fprintf(stderr, "meter_create: %d\n", m.error().code);
        std::exit(1);
    }
    if (!credit)
        m.value()->credit_chunk = 0;
    OvsLock l;
    auto ins = w.table.insert_locked(m.value());
    if (ins.is_error())
        std::exit(1);
    return m.value();
}

u64 now_ns()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<u64>(ts.tv_sec) * 1000000000ULL + static_cast<u64>(ts.tv_nsec);
}

u64 thread_cpu_ns()
{
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<u64>(ts.tv_sec) * 1000000000ULL + static_cast<u64>(ts.tv_nsec);
}

struct BenchResult {
    double mpps;       // packets over wall time, all threads
    double cpu_ns;     // thread CPU time per packet: what contention costs
};

// `packets` > 0: each thread sends that many and stops (for instruction
// counts: meter_bench count).
BenchResult run(Design d, int threads, double seconds, u64 packets = 0)
{
    World w;
    if (w.table.init().is_error())
        std::exit(1);
    make_meter(w, d == Design::Ours);
    w.locked.rate = ~0u;
    w.locked.burst_units = ~0u * 1000ULL;
    w.locked.bucket = w.locked.burst_units;
    w.locked.max_delta_ms = 1000;
    w.locked.used_ms = now_ns() / 1000000;
    ovsdp_spin_lock_init(&w.locked.lock);

    std::atomic<bool> go { false }, stop { false };
    std::vector<u64> counts(static_cast<size_t>(threads), 0);
    std::vector<u64> cpu(static_cast<size_t>(threads), 0);
    std::atomic<u64> drops { 0 };
    std::vector<std::thread> ts;
    unsigned ncpu = std::thread::hardware_concurrency();
    for (int t = 0; t < threads; t++)
        ts.emplace_back([&, t] {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET(static_cast<unsigned>(t) % (ncpu ? ncpu : 1), &set);
            pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
            user::set_cpu(t);
            while (!go.load())
                ;
            u64 n = 0, dropped = 0;
            u64 c0 = thread_cpu_ns();
            while (!stop.load(std::memory_order_relaxed) && (!packets || n < packets)) {
                ovsdp_local_bh_disable();
                ovsdp_rcu_read_lock();
                u64 now = now_ns();
                for (int i = 0; i < kBatch; i++) {
                    bool drop = d == Design::Spinlock ? locked_execute(&w.locked, kLen, now / 1000000)
                                                      : meter_execute(w.table, kId, kLen, now);
                    dropped += drop;
                }
                ovsdp_rcu_read_unlock();
                ovsdp_local_bh_enable();
                n += kBatch;
            }
            counts[static_cast<size_t>(t)] = n;
            cpu[static_cast<size_t>(t)] = thread_cpu_ns() - c0;
            drops += dropped;
            user::set_cpu(-1);
        });
    auto t0 = std::chrono::steady_clock::now();
    go = true;
    if (!packets) {
        std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
        stop = true;
    }
    for (auto& t : ts)
        t.join();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    u64 total = 0, total_cpu = 0;
    for (u64 c : counts)
        total += c;
    for (u64 c : cpu)
        total_cpu += c;
    if (drops.load())
        std::fprintf(stderr, "meter_bench: %s dropped %llu packets\n", name(d), static_cast<unsigned long long>(drops.load()));
    ovsdp_rcu_barrier();
    w.table.destroy();
    return { static_cast<double>(total) / secs / 1e6, total ? static_cast<double>(total_cpu) / static_cast<double>(total) : 0 };
}

} // namespace

int main(int argc, char** argv)
{
    user::set_topology(4, 1);
    user::set_free_buffer_bytes(1ULL << 30);
    if (argc >= 2 && std::strcmp(argv[1], "table") == 0) {
        double secs = argc > 2 ? std::atof(argv[2]) : 1.0;
        std::printf("CPU ns per packet (thread CPU time / packets), and Mpps (all threads, wall time)\n");
        std::printf("| design | 1 thread | 2 threads | 4 threads |\n|---|---|---|---|\n");
        for (Design d : { Design::Ours, Design::Cas, Design::Spinlock }) {
            std::printf("| %s |", name(d));
            for (int t : { 1, 2, 4 }) {
                BenchResult r = run(d, t, secs);
                std::printf(" %.1f ns (%.1f Mpps) |", r.cpu_ns, r.mpps);
            }
            std::printf("\n");
            std::fflush(stdout);
        }
        return 0;
    }
    if (argc >= 4 && std::strcmp(argv[1], "count") == 0) {
        // One thread, a fixed number of packets: run it under
        // valgrind --tool=callgrind with 0 and with N packets; the
        // difference over N is the instructions per packet.
        Design d = std::strcmp(argv[2], "cas") == 0 ? Design::Cas
            : std::strcmp(argv[2], "spinlock") == 0 ? Design::Spinlock : Design::Ours;
        u64 n = std::strtoull(argv[3], nullptr, 10);
        if (n)
            run(d, 1, 0, n);
        return 0;
    }
    if (argc < 3) {
        std::fprintf(stderr, "usage: meter_bench <ours|cas|spinlock> <threads> [seconds] | meter_bench table [seconds]\n");
        return 2;
    }
    Design d = std::strcmp(argv[1], "cas") == 0 ? Design::Cas
        : std::strcmp(argv[1], "spinlock") == 0 ? Design::Spinlock : Design::Ours;
    int threads = std::atoi(argv[2]);
    double secs = argc > 3 ? std::atof(argv[3]) : 1.0;
    BenchResult r = run(d, threads, secs);
    std::printf("result design=%s threads=%d mpps=%.2f cpu_ns_per_pkt=%.2f\n", name(d), threads, r.mpps, r.cpu_ns);
    return 0;
}
