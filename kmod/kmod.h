/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the C files of kmod/: the lock and the pieces module.c wires up. */
#ifndef OVSDP_KMOD_H
#define OVSDP_KMOD_H

#include <linux/netdevice.h>

void ovs_lock(void);
void ovs_unlock(void);

int ovsdp_genl_init(void);
struct genl_family;
struct genl_family *ovsdp_family(int family);
void ovsdp_genl_exit(void);

int ovsdp_dev_init(void);
void ovsdp_dev_exit(void);
bool ovsdp_is_internal_dev(const struct net_device *dev);

#endif
