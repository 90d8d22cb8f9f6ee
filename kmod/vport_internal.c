// SPDX-License-Identifier: GPL-2.0
/*
 * Internal vports (platform/netdev.h): network devices the datapath creates,
 * its local port among them. What the host transmits on one enters the
 * datapath on its vport; what the datapath outputs to one is received by
 * the host as if it had come in on that device.
 */
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <net/dst.h>
#include <net/rtnetlink.h>
#include <net/xfrm.h>

#include "platform/netdev.h"
#include "kmod/compat.h"
#include "kmod/kmod.h"
#include "kmod/vport.h"

struct internal_dev {
	void *vport; /* ovsdp::Vport*, cleared before unregistration */
};

static struct internal_dev *internal_priv(const struct net_device *dev)
{
	return netdev_priv(dev);
}

static netdev_tx_t internal_dev_xmit(struct sk_buff *skb, struct net_device *dev)
{
	unsigned int len = skb->len;
	void *vport;

	rcu_read_lock();
	vport = READ_ONCE(internal_priv(dev)->vport);
	if (likely(vport)) {
		skb_reset_mac_header(skb);
		ovsdp_vport_receive(vport, skb, NULL);
		dev_sw_netstats_tx_add(dev, 1, len);
	} else {
		kfree_skb(skb);
		dev->stats.tx_dropped++;
	}
	rcu_read_unlock();
	return NETDEV_TX_OK;
}

static int internal_dev_open(struct net_device *dev)
{
	netif_start_queue(dev);
	return 0;
}

static int internal_dev_stop(struct net_device *dev)
{
	netif_stop_queue(dev);
	return 0;
}

static int internal_dev_init(struct net_device *dev)
{
	dev->tstats = netdev_alloc_pcpu_stats(struct pcpu_sw_netstats);
	return dev->tstats ? 0 : -ENOMEM;
}

static void internal_dev_uninit(struct net_device *dev)
{
	free_percpu(dev->tstats);
}

static const struct net_device_ops internal_dev_netdev_ops = {
	.ndo_init = internal_dev_init,
	.ndo_uninit = internal_dev_uninit,
	.ndo_open = internal_dev_open,
	.ndo_stop = internal_dev_stop,
	.ndo_start_xmit = internal_dev_xmit,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_get_stats64 = dev_get_tstats64,
};

static void internal_dev_getinfo(struct net_device *dev, struct ethtool_drvinfo *info)
{
	strscpy(info->driver, "openvswitch", sizeof(info->driver));
}

static const struct ethtool_ops internal_dev_ethtool_ops = {
	.get_drvinfo = internal_dev_getinfo,
	.get_link = ethtool_op_get_link,
};

/* Gives internal devices the link kind "openvswitch"; they cannot be created
 * or deleted through rtnetlink (no newlink/dellink). */
static struct rtnl_link_ops internal_dev_link_ops __read_mostly = {
	.kind = "openvswitch",
};

static void internal_dev_setup(struct net_device *dev)
{
	ether_setup(dev);
	dev->max_mtu = ETH_MAX_MTU;
	dev->netdev_ops = &internal_dev_netdev_ops;
	dev->priv_flags &= ~IFF_TX_SKB_SHARING;
	dev->priv_flags |= IFF_LIVE_ADDR_CHANGE | IFF_OPENVSWITCH | IFF_NO_QUEUE;
	dev->needs_free_netdev = true;
	dev->ethtool_ops = &internal_dev_ethtool_ops;
	dev->rtnl_link_ops = &internal_dev_link_ops;
	dev->features = NETIF_F_SG | NETIF_F_FRAGLIST | NETIF_F_HIGHDMA | NETIF_F_HW_CSUM |
			NETIF_F_GSO_SOFTWARE | NETIF_F_GSO_ENCAP_ALL;
	dev->vlan_features = dev->features;
	dev->hw_enc_features = dev->features;
	dev->features |= NETIF_F_HW_VLAN_CTAG_TX | NETIF_F_HW_VLAN_STAG_TX;
	dev->hw_features = dev->features;
	ovsdp_netdev_set_lltx(dev);
	eth_hw_addr_random(dev);
}

bool ovsdp_is_internal_dev(const struct net_device *dev)
{
	return dev->netdev_ops == &internal_dev_netdev_ops;
}

void *ovsdp_internal_dev_vport(const struct net_device *dev)
{
	return READ_ONCE(internal_priv(dev)->vport);
}

int ovsdp_internal_dev_create(void *vport, void *net, const char *name, int ifindex, void **out,
			      const char **errmsg)
{
	struct net_device *dev;
	int err;

	*out = NULL;
	*errmsg = NULL;
	dev = alloc_netdev(sizeof(struct internal_dev), name, NET_NAME_USER, internal_dev_setup);
	if (!dev)
		return -ENOMEM;
	dev_net_set(dev, net);
	dev->ifindex = ifindex;
	ovsdp_netdev_set_netns_local(dev); /* a datapath's devices stay in its namespace */
	internal_priv(dev)->vport = vport;

	rtnl_lock();
	err = register_netdevice(dev);
	if (err) {
		rtnl_unlock();
		free_netdev(dev);
		*errmsg = err == -EEXIST ? "A device with this name already exists" :
			  err == -EBUSY ? "This ifindex is in use" : "Cannot register the internal device";
		return err;
	}
	dev_set_promiscuity(dev, 1);
	rtnl_unlock();
	netif_start_queue(dev);
	*out = dev;
	return 0;
}

void ovsdp_internal_dev_destroy(void *d)
{
	struct net_device *dev = d;

	ovsdp_vport_rtnl_lock();
	WRITE_ONCE(internal_priv(dev)->vport, NULL);
	netif_stop_queue(dev);
	/* Freed by the core once unregistered (needs_free_netdev), after a grace period. */
	ovsdp_vport_unregister(dev);
	ovsdp_vport_rtnl_unlock();
}

/* Whatever the packet carried from its previous life (route, conntrack
 * entry, IPsec state) is dropped first: it belongs to another path. */
void ovsdp_internal_dev_recv(struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;

	if (unlikely(!(dev->flags & IFF_UP))) {
		kfree_skb(skb);
		dev->stats.rx_dropped++;
		return;
	}
	skb_dst_drop(skb);
	nf_reset_ct(skb);
	secpath_reset(skb);
	skb->pkt_type = PACKET_HOST;
	skb->protocol = eth_type_trans(skb, dev);
	skb_postpull_rcsum(skb, eth_hdr(skb), ETH_HLEN);
	dev_sw_netstats_rx_add(dev, skb->len);
	netif_rx(skb);
}

int ovsdp_internal_dev_init(void)
{
	return rtnl_link_register(&internal_dev_link_ops);
}

void ovsdp_internal_dev_exit(void)
{
	rtnl_link_unregister(&internal_dev_link_ops);
}
