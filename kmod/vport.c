// SPDX-License-Identifier: GPL-2.0
/*
 * What every vport type has in common in the kernel (platform/netdev.h,
 * upstream's vport.c): sending a packet out of a port, reading a port's
 * device, finding the vport behind a device, and batching the removal of
 * many devices. The types themselves are in vport_netdev.c and
 * vport_internal.c; devices going away in dp_notify.c.
 */
#include <linux/if_arp.h>
#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include <linux/openvswitch.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <net/net_namespace.h>

#include "platform/netdev.h"
#include "platform/skb_ops.h"
#include "kmod/kmod.h"
#include "kmod/vport.h"

/* ---- Device batches ------------------------------------------------------------ */

/* Detaching many ports at once (a datapath going away) unregisters their
 * devices in one batch: one RTNL section and one grace period instead of one
 * per device. ovs_mutex serialises batches. */
static bool batching;
static LIST_HEAD(batch_list);

void ovsdp_dev_batch_begin(void)
{
	rtnl_lock();
	/* unregister_netdevice_many() leaves the list head deleted (poisoned). */
	INIT_LIST_HEAD(&batch_list);
	batching = true;
}

void ovsdp_dev_batch_end(void)
{
	unregister_netdevice_many(&batch_list);
	batching = false;
	rtnl_unlock();
}

void ovsdp_vport_rtnl_lock(void)
{
	if (!batching)
		rtnl_lock();
}

void ovsdp_vport_rtnl_unlock(void)
{
	if (!batching)
		rtnl_unlock();
}

void ovsdp_vport_unregister(struct net_device *dev)
{
	unregister_netdevice_queue(dev, batching ? &batch_list : NULL);
}

/* ---- A port's device -------------------------------------------------------------- */

const char *ovsdp_dev_name(void *dev)
{
	return ((struct net_device *)dev)->name;
}

int ovsdp_dev_ifindex(void *dev)
{
	return ((struct net_device *)dev)->ifindex;
}

void *ovsdp_dev_net(void *dev)
{
	return dev_net(dev);
}

void ovsdp_dev_get_stats(void *dev, struct ovsdp_dev_stats *s)
{
	struct rtnl_link_stats64 st;

	dev_get_stats(dev, &st);
	s->rx_packets = st.rx_packets;
	s->tx_packets = st.tx_packets;
	s->rx_bytes = st.rx_bytes;
	s->tx_bytes = st.tx_bytes;
	s->rx_errors = st.rx_errors;
	s->tx_errors = st.tx_errors;
	s->rx_dropped = st.rx_dropped;
	s->tx_dropped = st.tx_dropped;
}

int ovsdp_net_peer_id(void *net, void *peer)
{
	if (net_eq(net, peer))
		return -1;
	return peernet2id_alloc(net, peer, GFP_KERNEL);
}

/* ---- The vport behind a device ----------------------------------------------------- */

static void *vport_of_dev(struct net_device *dev)
{
	if (ovsdp_is_internal_dev(dev))
		return ovsdp_internal_dev_vport(dev);
	if (ovsdp_netdev_is_port(dev))
		return ovsdp_netdev_vport(dev);
	return NULL;
}

void *ovsdp_vport_lookup_by_name(void *net, const char *name)
{
	struct net_device *dev;
	void *vport = NULL;

	rcu_read_lock();
	dev = dev_get_by_name_rcu(net, name);
	if (dev)
		vport = vport_of_dev(dev);
	rcu_read_unlock();
	return vport;
}

void *ovsdp_vport_lookup_by_ifindex(void *net, int ifindex)
{
	struct net_device *dev;
	void *vport = NULL;

	rcu_read_lock();
	dev = dev_get_by_index_rcu(net, ifindex);
	if (dev)
		vport = vport_of_dev(dev);
	rcu_read_unlock();
	return vport;
}

void ovsdp_skb_free(void *skb)
{
	kfree_skb(skb);
}

unsigned int ovsdp_skb_len(void *skb)
{
	return ((struct sk_buff *)skb)->len;
}

/* ---- Sending (ovs_vport_send) -------------------------------------------------------- */

static unsigned int packet_length(const struct sk_buff *skb, struct net_device *dev)
{
	int length = skb->len - dev->hard_header_len;

	if (!skb_vlan_tag_present(skb) && eth_type_vlan(skb->protocol))
		length -= VLAN_HLEN;
	return length > 0 ? length : 0;
}

void ovsdp_vport_send(void *d, uint32_t type, void *p, uint8_t mac_proto)
{
	struct net_device *dev = d;
	struct sk_buff *skb = p;

	switch (dev->type) {
	case ARPHRD_NONE:
		if (mac_proto == 1 /* Ethernet */) {
			skb_reset_network_header(skb);
			skb_reset_mac_len(skb);
			skb->protocol = htons(ETH_P_TEB);
		} else if (mac_proto != 0) {
			goto drop;
		}
		break;
	case ARPHRD_ETHER:
		if (mac_proto != 1)
			goto drop;
		break;
	default:
		goto drop;
	}
	if (unlikely(packet_length(skb, dev) > dev->mtu && !skb_is_gso(skb))) {
		dev->stats.tx_errors++;
		if (dev->flags & IFF_UP)
			net_warn_ratelimited("%s: dropped over-mtu packet: %d > %d\n", dev->name,
					     packet_length(skb, dev), dev->mtu);
		goto drop;
	}
	skb->dev = dev;
	skb_clear_tstamp(skb);
	/* The type's send: internal ports receive into the host stack, netdev
	 * ports transmit. */
	switch (type) {
	case OVS_VPORT_TYPE_INTERNAL:
		ovsdp_internal_dev_recv(skb);
		return;
	case OVS_VPORT_TYPE_NETDEV:
		dev_queue_xmit(skb);
		return;
	}
drop:
	kfree_skb(skb);
}

/* ---- Module load and unload ------------------------------------------------------------ */

int ovsdp_dev_init(void)
{
	int err;

	err = ovsdp_internal_dev_init();
	if (err)
		return err;
	err = ovsdp_dp_notify_init();
	if (err)
		goto err_internal;
	return 0;

err_internal:
	ovsdp_internal_dev_exit();
	return err;
}

/* Called after the genetlink families are gone: nothing creates datapaths any more. */
void ovsdp_dev_exit(void)
{
	ovsdp_dp_notify_exit();
	ovsdp_internal_dev_exit();
}
