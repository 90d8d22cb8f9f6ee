// SPDX-License-Identifier: GPL-2.0
/*
 * Ports and datapaths whose surroundings go away: the netdevice notifier
 * unhooks a netdev port whose device is unregistered (deleted, moved to or
 * dying with another namespace) and has the core reap it from a work item;
 * a namespace that exits takes its datapaths with it.
 */
#include <linux/netdevice.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>

#include "platform/netdev.h"
#include "kmod/kmod.h"
#include "kmod/vport.h"

static void reap_work_fn(struct work_struct *work)
{
	ovs_lock();
	ovsdp_reap_detached_vports();
	ovs_unlock();
}

static DECLARE_WORK(reap_work, reap_work_fn);

static int dp_device_event(struct notifier_block *unused, unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	void *vport;

	if (event != NETDEV_UNREGISTER || !ovsdp_netdev_is_port(dev))
		return NOTIFY_DONE;
	vport = ovsdp_netdev_vport(dev);
	ovsdp_netdev_unhook(dev);
	ovsdp_vport_mark_detached(vport);
	queue_work(system_wq, &reap_work);
	return NOTIFY_DONE;
}

static struct notifier_block dp_device_notifier = {
	.notifier_call = dp_device_event,
};

static void __net_exit ovs_exit_net(struct net *net)
{
	ovs_lock();
	ovsdp_net_exit(net);
	ovs_unlock();
}

static struct pernet_operations ovs_net_ops = {
	.exit = ovs_exit_net,
};

int ovsdp_dp_notify_init(void)
{
	int err;

	err = register_pernet_device(&ovs_net_ops);
	if (err)
		return err;
	err = register_netdevice_notifier(&dp_device_notifier);
	if (err)
		goto err_pernet;
	return 0;

err_pernet:
	unregister_pernet_device(&ovs_net_ops);
	return err;
}

void ovsdp_dp_notify_exit(void)
{
	unregister_netdevice_notifier(&dp_device_notifier);
	unregister_pernet_device(&ovs_net_ops); /* destroys the datapaths of every namespace */
	flush_work(&reap_work);
}
