// SPDX-License-Identifier: GPL-2.0
/*
 * ovsdp: an Open vSwitch datapath whose logic is C++. Module entry points.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/bug.h>

void ovsdp_fatal(const char *what);

void ovsdp_fatal(const char *what)
{
	panic("openvswitch: %s", what);
}

static int __init ovsdp_init(void)
{
	pr_info("openvswitch: ovsdp %s loaded\n", OVSDP_VERSION);
	return 0;
}

static void __exit ovsdp_exit(void)
{
}

module_init(ovsdp_init);
module_exit(ovsdp_exit);

MODULE_DESCRIPTION("ovsdp: Open vSwitch datapath (C++ core)");
MODULE_LICENSE("GPL");
MODULE_VERSION(OVSDP_VERSION);
