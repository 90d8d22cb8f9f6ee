// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel implementation of platform/platform.h: allocation, per-CPU data,
 * RCU, CPUs and NUMA nodes, spinlocks, time, randomness and logging for the
 * freestanding C++ core.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sysfs.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/topology.h>
#include <linux/nodemask.h>
#include <linux/spinlock.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/random.h>
#include <linux/bottom_half.h>
#include <linux/printk.h>
#include <linux/workqueue.h>
#include <linux/timer.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>

#include "platform/platform.h"
#include "kmod/entry.h"

static_assert(sizeof(spinlock_t) <= sizeof(struct ovsdp_spinlock));
static_assert(__alignof__(spinlock_t) <= __alignof__(struct ovsdp_spinlock));
static_assert(sizeof(struct ovsdp_rcu_head) == sizeof(struct rcu_head));
static_assert(offsetof(struct ovsdp_rcu_head, func) == offsetof(struct rcu_head, func));

static gfp_t to_gfp(unsigned int flags)
{
	gfp_t gfp;

	switch (flags & 0xf) {
	case OVSDP_GFP_ATOMIC:
		gfp = GFP_ATOMIC;
		break;
	case OVSDP_GFP_NOWAIT:
		/* No sleeping, no emergency reserves, no allocation-failure splat. */
		gfp = GFP_NOWAIT | __GFP_NOMEMALLOC | __GFP_NOWARN;
		break;
	default:
		gfp = GFP_KERNEL;
		break;
	}
	if (flags & OVSDP_GFP_ZERO)
		gfp |= __GFP_ZERO;
	if (flags & OVSDP_GFP_THISNODE)
		gfp |= __GFP_THISNODE;
	return gfp;
}

/*
 * Leak accounting: every object allocated through the wrappers below counts
 * +1 on this CPU and -1 where it is freed (possibly another CPU), so the sum
 * over CPUs is the number of live objects.  One per-CPU add per allocation
 * and per free, no atomics, no locks.  The sums are read-only module
 * parameters (/sys/module/openvswitch/parameters/live_allocs and
 * live_percpu_allocs): with no datapath left and an RCU grace period past,
 * they are back at their value right after load; at unload they must be 0
 * (ovsdp_check_leaks(), called by module exit, warns otherwise).
 */
static DEFINE_PER_CPU(long, live_allocs);
static DEFINE_PER_CPU(long, live_percpu_allocs);

static long sum_live(long __percpu *counter)
{
	long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += *per_cpu_ptr(counter, cpu);
	return sum;
}

static int get_live(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", sum_live((long __percpu *)kp->arg));
}

static const struct kernel_param_ops live_ops = { .get = get_live };
module_param_cb(live_allocs, &live_ops, &live_allocs, 0444);
MODULE_PARM_DESC(live_allocs, "objects allocated by the module and not yet freed (leak check)");
module_param_cb(live_percpu_allocs, &live_ops, &live_percpu_allocs, 0444);
MODULE_PARM_DESC(live_percpu_allocs, "per-CPU areas allocated by the module and not yet freed");

static inline void *counted(void *p)
{
	if (p)
		this_cpu_inc(live_allocs);
	return p;
}

static inline void uncount(const void *p)
{
	if (p)
		this_cpu_dec(live_allocs);
}

void ovsdp_check_leaks(void)
{
	long objs = sum_live(&live_allocs), pcpu = sum_live(&live_percpu_allocs);

	WARN(objs || pcpu, "openvswitch: leak at unload: %ld objects and %ld per-CPU areas never freed\n",
	     objs, pcpu);
}

void *ovsdp_kmalloc(size_t size, unsigned int gfp)
{
	return counted(kmalloc(size, to_gfp(gfp)));
}

void *ovsdp_kmalloc_node(size_t size, unsigned int gfp, int node)
{
	return counted(kmalloc_node(size, to_gfp(gfp), node));
}

void ovsdp_kfree(const void *p)
{
	uncount(p);
	kfree(p);
}

struct ovsdp_cache *ovsdp_cache_create(const char *name, size_t size)
{
	return (struct ovsdp_cache *)kmem_cache_create(name, size, 0, SLAB_HWCACHE_ALIGN, NULL);
}

void ovsdp_cache_destroy(struct ovsdp_cache *c)
{
	kmem_cache_destroy((struct kmem_cache *)c);
}

void *ovsdp_cache_alloc(struct ovsdp_cache *c, unsigned int gfp)
{
	return counted(kmem_cache_alloc((struct kmem_cache *)c, to_gfp(gfp)));
}

void ovsdp_cache_free(struct ovsdp_cache *c, const void *p)
{
	uncount(p);
	kmem_cache_free((struct kmem_cache *)c, (void *)p);
}

void *ovsdp_kvmalloc(size_t size, unsigned int gfp)
{
	return counted(kvmalloc(size, to_gfp(gfp)));
}

void ovsdp_kvfree(const void *p)
{
	uncount(p);
	kvfree(p);
}

void *ovsdp_alloc_percpu(size_t size, size_t align)
{
	void *p;

	/* pcpu_alloc() WARNs on a size it cannot serve; the core asks for a
	 * size-limited area (platform.h) and handles the failure. */
	static_assert(OVSDP_PERCPU_MAX_SIZE == PCPU_MIN_UNIT_SIZE);
	if (size > OVSDP_PERCPU_MAX_SIZE)
		return NULL;
	p = (void __force *)__alloc_percpu(size, align);

	if (p)
		this_cpu_inc(live_percpu_allocs);
	return p;
}

void ovsdp_free_percpu(void *p)
{
	if (p)
		this_cpu_dec(live_percpu_allocs);
	free_percpu((void __percpu __force *)p);
}

void *ovsdp_per_cpu_ptr(void *p, int cpu)
{
	return per_cpu_ptr((void __percpu __force *)p, cpu);
}

void *ovsdp_this_cpu_ptr(void *p)
{
	return this_cpu_ptr((void __percpu __force *)p);
}

void ovsdp_rcu_read_lock(void)
{
	rcu_read_lock();
}

void ovsdp_rcu_read_unlock(void)
{
	rcu_read_unlock();
}

void ovsdp_call_rcu(struct ovsdp_rcu_head *head, void (*func)(struct ovsdp_rcu_head *head))
{
	call_rcu((struct rcu_head *)head, (rcu_callback_t)func);
}

void ovsdp_synchronize_rcu(void)
{
	synchronize_rcu();
}

void ovsdp_rcu_barrier(void)
{
	rcu_barrier();
}

int ovsdp_smp_processor_id(void)
{
	return smp_processor_id();
}

int ovsdp_numa_node_id(void)
{
	return numa_node_id();
}

int ovsdp_cpu_to_node(int cpu)
{
	return cpu_to_node(cpu);
}

int ovsdp_nr_cpu_ids(void)
{
	return nr_cpu_ids;
}

int ovsdp_nr_node_ids(void)
{
	return nr_node_ids;
}

int ovsdp_node_online(int node)
{
	return node >= 0 && node < nr_node_ids && node_online(node);
}

void ovsdp_local_bh_disable(void)
{
	local_bh_disable();
}

void ovsdp_local_bh_enable(void)
{
	local_bh_enable();
}

void ovsdp_preempt_disable(void)
{
	preempt_disable();
}

void ovsdp_preempt_enable(void)
{
	preempt_enable();
}

/* ---- Deferred work, per-CPU timers, per-CPU calls ---- */

struct ovsdp_work {
	struct work_struct work;
	void (*fn)(void *arg);
	void *arg;
};

static void ovsdp_work_fn(struct work_struct *work)
{
	struct ovsdp_work *w = container_of(work, struct ovsdp_work, work);

	w->fn(w->arg);
}

struct ovsdp_work *ovsdp_work_create(void (*fn)(void *arg), void *arg)
{
	struct ovsdp_work *w = kzalloc(sizeof(*w), GFP_KERNEL);

	if (!w)
		return NULL;
	INIT_WORK(&w->work, ovsdp_work_fn);
	w->fn = fn;
	w->arg = arg;
	return w;
}

void ovsdp_work_schedule(struct ovsdp_work *w)
{
	schedule_work(&w->work);
}

void ovsdp_work_destroy(struct ovsdp_work *w)
{
	if (!w)
		return;
	flush_work(&w->work);
	kfree(w);
}

/*
 * Serialises a timer or per-CPU call that runs for an offline CPU on another
 * CPU (its pinned timer migrated there) with a per-CPU call for the same CPU.
 */
static DEFINE_SPINLOCK(offline_cpu_lock);

struct ovsdp_cpu_timer {
	struct timer_list timer;
	struct ovsdp_cpu_timers *owner;
	int cpu;
};

struct ovsdp_cpu_timers {
	void (*fn)(int cpu, void *arg);
	void *arg;
	struct ovsdp_cpu_timer __percpu *timers;
};

static void ovsdp_cpu_timer_fn(struct timer_list *timer)
{
	struct ovsdp_cpu_timer *t = from_timer(t, timer, timer);

	if (t->cpu == smp_processor_id()) {
		t->owner->fn(t->cpu, t->owner->arg);
	} else if (cpu_online(t->cpu)) {
		/* Migrated while its CPU was down, which is back: go home. */
		t->timer.expires = jiffies + 1;
		add_timer_on(&t->timer, t->cpu);
	} else {
		spin_lock(&offline_cpu_lock);
		t->owner->fn(t->cpu, t->owner->arg);
		spin_unlock(&offline_cpu_lock);
	}
}

struct ovsdp_cpu_timers *ovsdp_cpu_timers_create(void (*fn)(int cpu, void *arg), void *arg)
{
	struct ovsdp_cpu_timers *t = kzalloc(sizeof(*t), GFP_KERNEL);
	int cpu;

	if (!t)
		return NULL;
	t->timers = alloc_percpu(struct ovsdp_cpu_timer);
	if (!t->timers) {
		kfree(t);
		return NULL;
	}
	t->fn = fn;
	t->arg = arg;
	for_each_possible_cpu(cpu) {
		struct ovsdp_cpu_timer *ct = per_cpu_ptr(t->timers, cpu);

		timer_setup(&ct->timer, ovsdp_cpu_timer_fn, TIMER_PINNED);
		ct->owner = t;
		ct->cpu = cpu;
	}
	return t;
}

void ovsdp_cpu_timer_arm(struct ovsdp_cpu_timers *t, unsigned long delay)
{
	struct ovsdp_cpu_timer *ct = this_cpu_ptr(t->timers);

	if (!timer_pending(&ct->timer))
		mod_timer(&ct->timer, jiffies + (delay ? delay : 1));
}

void ovsdp_cpu_timers_destroy(struct ovsdp_cpu_timers *t)
{
	int cpu;

	if (!t)
		return;
	for_each_possible_cpu(cpu)
		del_timer_sync(&per_cpu_ptr(t->timers, cpu)->timer);
	free_percpu(t->timers);
	kfree(t);
}

struct cpu_bh_call {
	struct work_struct work;
	void (*fn)(int cpu, void *arg);
	void *arg;
	int cpu;
};

static void cpu_bh_call_fn(struct work_struct *work)
{
	struct cpu_bh_call *c = container_of(work, struct cpu_bh_call, work);

	local_bh_disable();
	c->fn(c->cpu, c->arg);
	local_bh_enable();
}

static void cpu_bh_call_offline(int cpu, void (*fn)(int cpu, void *arg), void *arg)
{
	spin_lock_bh(&offline_cpu_lock);
	fn(cpu, arg);
	spin_unlock_bh(&offline_cpu_lock);
}

void ovsdp_on_each_cpu_bh(int (*want)(int cpu, void *arg), void (*fn)(int cpu, void *arg), void *arg)
{
	struct cpu_bh_call *calls;
	int cpu;

	might_sleep();
	/* Nothing to do (the common case: no CPU holds anything): no allocation, no work items. */
	if (want) {
		bool any = false;

		for_each_possible_cpu(cpu) {
			if (want(cpu, arg)) {
				any = true;
				break;
			}
		}
		if (!any)
			return;
	}
	calls = kcalloc(nr_cpu_ids, sizeof(*calls), GFP_KERNEL);
	cpus_read_lock();
	for_each_possible_cpu(cpu) {
		if (want && !want(cpu, arg))
			continue;
		if (!cpu_online(cpu)) {
			cpu_bh_call_offline(cpu, fn, arg);
			continue;
		}
		if (calls) {
			calls[cpu].fn = fn;
			calls[cpu].arg = arg;
			calls[cpu].cpu = cpu;
			INIT_WORK(&calls[cpu].work, cpu_bh_call_fn);
			queue_work_on(cpu, system_highpri_wq, &calls[cpu].work);
		} else {
			/* Out of memory: one CPU at a time with an on-stack item. */
			struct cpu_bh_call c = { .fn = fn, .arg = arg, .cpu = cpu };

			INIT_WORK_ONSTACK(&c.work, cpu_bh_call_fn);
			queue_work_on(cpu, system_highpri_wq, &c.work);
			flush_work(&c.work);
			destroy_work_on_stack(&c.work);
		}
	}
	if (calls) {
		for_each_possible_cpu(cpu)
			if (calls[cpu].fn)
				flush_work(&calls[cpu].work);
	}
	cpus_read_unlock();
	kfree(calls);
}

void ovsdp_spin_lock_init(struct ovsdp_spinlock *l)
{
	spin_lock_init((spinlock_t *)l->opaque);
}

void ovsdp_spin_lock(struct ovsdp_spinlock *l)
{
	spin_lock((spinlock_t *)l->opaque);
}

void ovsdp_spin_unlock(struct ovsdp_spinlock *l)
{
	spin_unlock((spinlock_t *)l->opaque);
}

void ovsdp_spin_lock_bh(struct ovsdp_spinlock *l)
{
	spin_lock_bh((spinlock_t *)l->opaque);
}

void ovsdp_spin_unlock_bh(struct ovsdp_spinlock *l)
{
	spin_unlock_bh((spinlock_t *)l->opaque);
}

unsigned long ovsdp_jiffies(void)
{
	return jiffies;
}

unsigned int ovsdp_jiffies_to_msecs(unsigned long j)
{
	return jiffies_to_msecs(j);
}

unsigned long ovsdp_msecs_to_jiffies(unsigned int ms)
{
	return msecs_to_jiffies(ms);
}

uint64_t ovsdp_ktime_get_ns(void)
{
	return ktime_get_ns();
}

uint64_t ovsdp_free_buffer_bytes(void)
{
	return (uint64_t)nr_free_buffer_pages() * PAGE_SIZE;
}

uint32_t ovsdp_get_random_u32(void)
{
	return get_random_u32();
}

static const char *const level_prefix[8] = {
	KERN_EMERG, KERN_ALERT, KERN_CRIT, KERN_ERR,
	KERN_WARNING, KERN_NOTICE, KERN_INFO, KERN_DEBUG,
};

static void vlog(int level, const char *fmt, va_list ap)
{
	struct va_format vaf;
	va_list aq;

	va_copy(aq, ap);
	vaf.fmt = fmt;
	vaf.va = &aq;
	printk("%sopenvswitch: %pV\n", level_prefix[level & 7], &vaf);
	va_end(aq);
}

void ovsdp_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

void ovsdp_log_ratelimited(int level, const char *fmt, ...)
{
	static DEFINE_RATELIMIT_STATE(rs, DEFAULT_RATELIMIT_INTERVAL, DEFAULT_RATELIMIT_BURST);
	va_list ap;

	if (!__ratelimit(&rs))
		return;
	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

/* ---- Lock contracts ------------------------------------------------------ */

void ovsdp_assert_failed(bool *once, const char *expr, const char *file, int line)
{
	if (READ_ONCE(*once))
		return;
	WRITE_ONCE(*once, true);
	WARN(1, "openvswitch: assertion failed: %s (%s:%d)\n", expr, file, line);
}
