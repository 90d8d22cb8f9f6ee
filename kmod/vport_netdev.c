// SPDX-License-Identifier: GPL-2.0
/*
 * netdev vports (platform/netdev.h): an existing network device of the
 * datapath's namespace becomes a port. An rx_handler diverts what it
 * receives to the vport; the device is linked below the datapath's local
 * device, made promiscuous and has LRO turned off.
 */
#include <linux/if_arp.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <net/dst_metadata.h>

#include "platform/netdev.h"
#include "kmod/kmod.h"
#include "kmod/vport.h"

/*
 * Shared skbs whose flows needed a copy lately: the next ones on this CPU go
 * straight to the copy (skb_share_check below) without being keyed in place
 * first, which would only add the look at the skb to the copy; every
 * OVSDP_SHARED_RETRY-th is keyed in place again (a drop flow needs no copy).
 */
#define OVSDP_SHARED_RETRY 64
static DEFINE_PER_CPU(u8, shared_copy_skip);

static rx_handler_result_t ovsdp_frame_hook(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;
	void *vport;

	if (unlikely(skb->pkt_type == PACKET_LOOPBACK))
		return RX_HANDLER_PASS;
	vport = rcu_dereference(skb->dev->rx_handler_data);
	/* A shared skb (pktgen's, ...): keyed in place; cloned only if its
	 * flow needs the packet, not for a drop flow (kmod/receive.cpp). */
	if (unlikely(skb_shared(skb))) {
		u8 skip = this_cpu_read(shared_copy_skip);

		if (skip) {
			this_cpu_write(shared_copy_skip, skip - 1);
		} else {
			int r = ovsdp_vport_receive_shared(vport, skb);

			if (r == 2)
				this_cpu_write(shared_copy_skip, OVSDP_SHARED_RETRY - 1);
			if (r)
				return RX_HANDLER_CONSUMED;
		}
	}
	skb = skb_share_check(skb, GFP_ATOMIC);
	if (unlikely(!skb))
		return RX_HANDLER_CONSUMED;
	if (skb->dev->type == ARPHRD_ETHER)
		skb_push_rcsum(skb, ETH_HLEN);
	/* A collect-metadata tunnel device (vxlan, geneve, gretap ... created
	 * with "external") attached the outer header's metadata as a dst. */
	ovsdp_vport_receive(vport, skb, skb_tunnel_info(skb));
	return RX_HANDLER_CONSUMED;
}

bool ovsdp_netdev_is_port(const struct net_device *dev)
{
	return dev->priv_flags & IFF_OVS_DATAPATH && rcu_access_pointer(dev->rx_handler) == ovsdp_frame_hook;
}

void *ovsdp_netdev_vport(const struct net_device *dev)
{
	return rcu_dereference_rtnl(dev->rx_handler_data);
}

int ovsdp_netdev_attach(void *vport, void *net, const char *name, void *m, void **out, const char **errmsg)
{
	struct net_device *master = m;
	struct net_device *dev;
	int err;

	*out = NULL;
	*errmsg = NULL;
	dev = dev_get_by_name(net, name);
	if (!dev) {
		*errmsg = "No network device with this name";
		return -ENODEV;
	}
	if (dev->flags & IFF_LOOPBACK || (dev->type != ARPHRD_ETHER && dev->type != ARPHRD_NONE) ||
	    ovsdp_is_internal_dev(dev)) {
		*errmsg = "Loopback, non-Ethernet and internal devices cannot be netdev ports";
		err = -EINVAL;
		goto err_put;
	}

	rtnl_lock();
	if (master) {
		err = netdev_master_upper_dev_link(dev, master, NULL, NULL, NULL);
		if (err) {
			*errmsg = err == -EEXIST ? "Device is already a port of this datapath" :
						   "Device already has a master (bridge, bond, datapath...)";
			goto err_unlock;
		}
	}
	err = netdev_rx_handler_register(dev, ovsdp_frame_hook, vport);
	if (err) {
		*errmsg = "Device is already in use by another rx handler (bridge, bond, datapath...)";
		goto err_unlink;
	}
	dev_disable_lro(dev);
	dev_set_promiscuity(dev, 1);
	dev->priv_flags |= IFF_OVS_DATAPATH;
	rtnl_unlock();
	*out = dev;
	return 0;

err_unlink:
	if (master)
		netdev_upper_dev_unlink(dev, master);
err_unlock:
	rtnl_unlock();
err_put:
	dev_put(dev);
	return err;
}

void ovsdp_netdev_unhook(struct net_device *dev)
{
	struct net_device *master;

	if (!ovsdp_netdev_is_port(dev))
		return;
	dev->priv_flags &= ~IFF_OVS_DATAPATH;
	netdev_rx_handler_unregister(dev);
	master = netdev_master_upper_dev_get(dev);
	if (master)
		netdev_upper_dev_unlink(dev, master);
	dev_set_promiscuity(dev, -1);
}

void ovsdp_netdev_detach(void *dev)
{
	ovsdp_vport_rtnl_lock();
	ovsdp_netdev_unhook(dev);
	ovsdp_vport_rtnl_unlock();
}

void ovsdp_netdev_release(void *dev)
{
	dev_put(dev);
}
