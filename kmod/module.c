// SPDX-License-Identifier: GPL-2.0
/*
 * ovsdp: an Open vSwitch datapath whose logic is C++. Module entry points.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/rcupdate.h>
#include <linux/workqueue.h>

#include "kmod/kmod.h"

void ovsdp_fatal(const char *what);
void ovsdp_destroy_all(void);
void ovsdp_masks_rebalance_all(void);
int ovsdp_core_init(void);
void ovsdp_core_exit(void);
void ovsdp_check_leaks(void);

/* Every 4 s, as upstream: re-rank each datapath's masks by recent hits. */
#define MASKS_REBALANCE_INTERVAL (4 * HZ)

static void masks_rebalance(struct work_struct *work);
static DECLARE_DELAYED_WORK(masks_rebalance_work, masks_rebalance);

static void masks_rebalance(struct work_struct *work)
{
	ovs_lock();
	ovsdp_masks_rebalance_all();
	ovs_unlock();
	schedule_delayed_work(&masks_rebalance_work, MASKS_REBALANCE_INTERVAL);
}

void ovsdp_fatal(const char *what)
{
	panic("openvswitch: %s", what);
}

static int __init ovsdp_init(void)
{
	int err;

	err = ovsdp_core_init();
	if (err)
		return err;
	err = ovsdp_dev_init();
	if (err)
		goto err_core;
	err = ovsdp_ct_init();
	if (err)
		goto err_dev;
	err = ovsdp_genl_init();
	if (err)
		goto err_ct;
	schedule_delayed_work(&masks_rebalance_work, MASKS_REBALANCE_INTERVAL);
	pr_info("openvswitch: ovsdp %s: Open vSwitch datapath (C++ core)\n", OVSDP_VERSION);
	return 0;

err_ct:
	ovsdp_ct_exit();
err_dev:
	ovsdp_dev_exit();
err_core:
	ovsdp_core_exit();
	return err;
}

static void __exit ovsdp_exit(void)
{
	cancel_delayed_work_sync(&masks_rebalance_work);
	ovsdp_genl_exit();
	ovsdp_ct_exit();
	ovsdp_dev_exit();
	ovs_lock();
	ovsdp_destroy_all(); /* nothing should be left; belt and braces */
	ovs_unlock();
	rcu_barrier(); /* every call_rcu callback of ours has run */
	ovsdp_frag_exit(); /* no datapath left to make a message or packet */
	ovsdp_core_exit();
	ovsdp_check_leaks(); /* everything allocated through the platform is freed */
}

module_init(ovsdp_init);
module_exit(ovsdp_exit);

MODULE_DESCRIPTION("ovsdp: Open vSwitch datapath (C++ core)");
MODULE_LICENSE("GPL");
MODULE_VERSION(OVSDP_VERSION);
