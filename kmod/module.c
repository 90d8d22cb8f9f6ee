// SPDX-License-Identifier: GPL-2.0
/*
 * ovsdp: an Open vSwitch datapath whose logic is C++. Module entry points.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/rcupdate.h>

#include "kmod/kmod.h"

void ovsdp_fatal(const char *what);
void ovsdp_destroy_all(void);

void ovsdp_fatal(const char *what)
{
	panic("openvswitch: %s", what);
}

static int __init ovsdp_init(void)
{
	int err;

	err = ovsdp_dev_init();
	if (err)
		return err;
	err = ovsdp_genl_init();
	if (err) {
		ovsdp_dev_exit();
		return err;
	}
	pr_info("openvswitch: ovsdp %s: Open vSwitch datapath (C++ core)\n", OVSDP_VERSION);
	return 0;
}

static void __exit ovsdp_exit(void)
{
	ovsdp_genl_exit();
	ovsdp_dev_exit();
	ovs_lock();
	ovsdp_destroy_all(); /* nothing should be left; belt and braces */
	ovs_unlock();
	rcu_barrier(); /* every call_rcu callback of ours has run */
}

module_init(ovsdp_init);
module_exit(ovsdp_exit);

MODULE_DESCRIPTION("ovsdp: Open vSwitch datapath (C++ core)");
MODULE_LICENSE("GPL");
MODULE_VERSION(OVSDP_VERSION);
