// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel implementation of platform/platform.h: allocation, per-CPU data,
 * RCU, CPUs and NUMA nodes, spinlocks, time, randomness and logging for the
 * freestanding C++ core.
 */
#include <linux/kernel.h>
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

#include "platform/platform.h"

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

void *ovsdp_kmalloc(size_t size, unsigned int gfp)
{
	return kmalloc(size, to_gfp(gfp));
}

void *ovsdp_kmalloc_node(size_t size, unsigned int gfp, int node)
{
	return kmalloc_node(size, to_gfp(gfp), node);
}

void ovsdp_kfree(const void *p)
{
	kfree(p);
}

void *ovsdp_kvmalloc(size_t size, unsigned int gfp)
{
	return kvmalloc(size, to_gfp(gfp));
}

void ovsdp_kvfree(const void *p)
{
	kvfree(p);
}

void *ovsdp_alloc_percpu(size_t size, size_t align)
{
	return (void __force *)__alloc_percpu(size, align);
}

void ovsdp_free_percpu(void *p)
{
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
