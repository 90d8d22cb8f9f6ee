// SPDX-License-Identifier: GPL-2.0
// Test controls of the userspace platform: simulated CPUs and NUMA nodes,
// allocation failure injection and a settable jiffies clock. Userspace only.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ovsdp::user {

// Number of simulated CPUs and nodes. Set before any per-CPU allocation.
void set_topology(int nr_cpus, int nr_nodes);
// Pin the calling thread's simulated CPU (and so its node: cpu % nr_nodes,
// unless set_node() overrides it). -1 returns to the default (real CPU).
void set_cpu(int cpu);
void set_node(int node);

// Allocation failure injection. The hook sees each allocation and returns true
// to make it fail. nullptr removes it.
using AllocFailHook = bool (*)(size_t size, unsigned gfp, int node);
void set_alloc_fail_hook(AllocFailHook hook);
// Allocations made so far on each node through ovsdp_kmalloc_node (for tests).
unsigned long node_alloc_count(int node);

// Jiffies: by default the monotonic clock at HZ=250 starting at the kernel's
// INITIAL_JIFFIES. set_jiffies() freezes it at a value; unfreeze_jiffies() undoes.
constexpr unsigned long kHz = 250;
void set_jiffies(unsigned long j);
void unfreeze_jiffies();

// What ovsdp_free_buffer_bytes() answers (default 1 GiB): the meter table's
// size limit follows it.
void set_free_buffer_bytes(uint64_t bytes);

// ovsdp_ktime_get_ns() (the meters' clock): set_ktime_ns() freezes it at a
// value; unfreeze_ktime() returns to the monotonic clock.
void set_ktime_ns(uint64_t ns);
void unfreeze_ktime();

// Per-CPU timers (ovsdp_cpu_timers_*): there is no timer interrupt here.
// run_cpu_timers() fires every armed timer whose time (jiffies) has come, each
// holding its CPU's BH lock, and returns how many fired; cpu_timers_armed()
// counts armed ones. Tests call them, with a frozen or a running clock.
int run_cpu_timers();
int cpu_timers_armed();

// Live allocations made through ovsdp_kmalloc*/kvmalloc (leak checks in tests).
long live_allocations();

// Log capture: the hook sees every ovsdp_log / ovsdp_log_ratelimited call
// (level, formatted message without the kernel's "openvswitch: " prefix,
// whether it was the rate-limited one) instead of stderr. nullptr removes it.
using LogHook = void (*)(int level, const char* msg, bool ratelimited);
void set_log_hook(LogHook hook);

// Whether the calling thread is inside an RCU read-side section / holds a
// simulated CPU's BH lock (the dispatcher checks none leaks out of a command).
bool rcu_read_held();
bool bh_held();

// Conntrack (platform/conntrack.h): whether ovsdp_ct_enabled() says yes (the
// default here; the kernel says no until its conntrack is in).
void set_ct_enabled(bool on);

} // namespace ovsdp::user
