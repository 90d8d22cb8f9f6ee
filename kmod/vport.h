/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel side of vports, shared by kmod/vport.c (what every type has in
 * common: sending, lookups, device batches), kmod/vport_netdev.c,
 * kmod/vport_internal.c and kmod/dp_notify.c.
 */
#ifndef OVSDP_KMOD_VPORT_H
#define OVSDP_KMOD_VPORT_H

#include <linux/netdevice.h>
#include <linux/skbuff.h>

/* vport.c: RTNL for one device change, unless a device batch
 * (ovsdp_dev_batch_begin) holds it already. */
void ovsdp_vport_rtnl_lock(void);
void ovsdp_vport_rtnl_unlock(void);
/* Unregister `dev` now, or with the batch when one is open. RTNL held. */
void ovsdp_vport_unregister(struct net_device *dev);

/* vport_netdev.c */
/* An existing device attached as a netdev port (RTNL or RCU). */
bool ovsdp_netdev_is_port(const struct net_device *dev);
/* The vport of a netdev port's device (RTNL or RCU). */
void *ovsdp_netdev_vport(const struct net_device *dev);
/* Undo ovsdp_netdev_attach but for the reference; nothing if the device is
 * no longer ours. RTNL held. */
void ovsdp_netdev_unhook(struct net_device *dev);

/* vport_internal.c */
int ovsdp_internal_dev_init(void);
void ovsdp_internal_dev_exit(void);
/* The vport of an internal device, NULL once it is being destroyed. */
void *ovsdp_internal_dev_vport(const struct net_device *dev);
/* A packet output to an internal port enters the host stack. Consumes it. */
void ovsdp_internal_dev_recv(struct sk_buff *skb);

/* dp_notify.c */
int ovsdp_dp_notify_init(void);
void ovsdp_dp_notify_exit(void);

#endif
