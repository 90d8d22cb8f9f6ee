// SPDX-License-Identifier: GPL-2.0
/*
 * Devices behind vports (platform/netdev.h): internal devices, which the
 * datapath creates, and existing network devices, whose received packets an
 * rx_handler diverts to their vport. Also the netdevice notifier that unhooks
 * a port whose device goes away, in whatever namespace it lives.
 */
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/if_arp.h>
#include <linux/if_vlan.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/openvswitch.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <net/rtnetlink.h>

#include <net/dst.h>
#include <net/xfrm.h>
#include <linux/netfilter.h>

#include "platform/netdev.h"
#include "platform/skb_ops.h"
#include "kmod/kmod.h"

struct internal_dev {
	void *vport; /* ovsdp::Vport*, cleared before unregistration */
};

static struct internal_dev *internal_priv(const struct net_device *dev)
{
	return netdev_priv(dev);
}

/* ---- Internal devices --------------------------------------------------------- */

static netdev_tx_t internal_dev_xmit(struct sk_buff *skb, struct net_device *dev)
{
	unsigned int len = skb->len;
	void *vport;

	rcu_read_lock();
	vport = READ_ONCE(internal_priv(dev)->vport);
	if (likely(vport)) {
		skb_reset_mac_header(skb);
		ovsdp_vport_receive(vport, skb);
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
	dev->features = NETIF_F_LLTX | NETIF_F_SG | NETIF_F_FRAGLIST | NETIF_F_HIGHDMA | NETIF_F_HW_CSUM |
			NETIF_F_GSO_SOFTWARE | NETIF_F_GSO_ENCAP_ALL;
	dev->vlan_features = dev->features;
	dev->hw_enc_features = dev->features;
	dev->features |= NETIF_F_HW_VLAN_CTAG_TX | NETIF_F_HW_VLAN_STAG_TX;
	dev->hw_features = dev->features & ~NETIF_F_LLTX;
	eth_hw_addr_random(dev);
}

bool ovsdp_is_internal_dev(const struct net_device *dev)
{
	return dev->netdev_ops == &internal_dev_netdev_ops;
}

static int internal_attach(void *vport, struct net *net, const char *name, int ifindex,
			   struct net_device **out, const char **errmsg)
{
	struct net_device *dev;
	int err;

	dev = alloc_netdev(sizeof(struct internal_dev), name, NET_NAME_USER, internal_dev_setup);
	if (!dev)
		return -ENOMEM;
	dev_net_set(dev, net);
	dev->ifindex = ifindex;
	dev->features |= NETIF_F_NETNS_LOCAL; /* a datapath's devices stay in its namespace */
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

static void internal_detach(struct net_device *dev)
{
	if (!batching)
		rtnl_lock();
	WRITE_ONCE(internal_priv(dev)->vport, NULL);
	netif_stop_queue(dev);
	/* Freed by the core once unregistered (needs_free_netdev), after a grace period. */
	if (batching) {
		unregister_netdevice_queue(dev, &batch_list);
		return;
	}
	unregister_netdevice(dev);
	rtnl_unlock();
}

/* ---- Existing devices as ports -------------------------------------------------- */

static rx_handler_result_t ovsdp_frame_hook(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;
	void *vport;

	if (unlikely(skb->pkt_type == PACKET_LOOPBACK))
		return RX_HANDLER_PASS;
	vport = rcu_dereference(skb->dev->rx_handler_data);
	skb = skb_share_check(skb, GFP_ATOMIC);
	if (unlikely(!skb))
		return RX_HANDLER_CONSUMED;
	if (skb->dev->type == ARPHRD_ETHER)
		skb_push_rcsum(skb, ETH_HLEN);
	ovsdp_vport_receive(vport, skb);
	return RX_HANDLER_CONSUMED;
}

static bool is_our_port(const struct net_device *dev)
{
	return dev->priv_flags & IFF_OVS_DATAPATH && rcu_access_pointer(dev->rx_handler) == ovsdp_frame_hook;
}

static int netdev_attach(void *vport, struct net *net, const char *name, struct net_device *master,
			 struct net_device **out, const char **errmsg)
{
	struct net_device *dev;
	int err;

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

/* Undo netdev_attach except the reference. RTNL held. */
static void netdev_unhook(struct net_device *dev)
{
	struct net_device *master;

	if (!is_our_port(dev))
		return;
	dev->priv_flags &= ~IFF_OVS_DATAPATH;
	netdev_rx_handler_unregister(dev);
	master = netdev_master_upper_dev_get(dev);
	if (master)
		netdev_upper_dev_unlink(dev, master);
	dev_set_promiscuity(dev, -1);
}

/* ---- platform/netdev.h ------------------------------------------------------------ */

int ovsdp_dev_attach(void *vport, void *net, const char *name, uint32_t type, int ifindex, void *master,
		     void **dev, const char **errmsg)
{
	struct net_device *d = NULL;
	int err;

	*errmsg = NULL;
	switch (type) {
	case OVS_VPORT_TYPE_INTERNAL:
		err = internal_attach(vport, net, name, ifindex, &d, errmsg);
		break;
	case OVS_VPORT_TYPE_NETDEV:
		err = netdev_attach(vport, net, name, master, &d, errmsg);
		break;
	default:
		*errmsg = "Vport type not supported";
		err = -EAFNOSUPPORT;
		break;
	}
	*dev = d;
	return err;
}

void ovsdp_dev_detach(void *dev, uint32_t type, void *master)
{
	if (type == OVS_VPORT_TYPE_INTERNAL) {
		internal_detach(dev);
		return;
	}
	if (!batching)
		rtnl_lock();
	netdev_unhook(dev);
	if (!batching)
		rtnl_unlock();
}

void ovsdp_dev_release(void *dev, uint32_t type)
{
	if (type != OVS_VPORT_TYPE_INTERNAL)
		dev_put(dev);
}

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

static void *vport_of_dev(struct net_device *dev)
{
	if (ovsdp_is_internal_dev(dev))
		return READ_ONCE(internal_priv(dev)->vport);
	if (is_our_port(dev))
		return rcu_dereference(dev->rx_handler_data);
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

/* A packet output to an internal port enters the host stack as if received
 * on that device. Whatever the packet carried from its previous life (route,
 * conntrack entry, IPsec state) is dropped first: it belongs to another path. */
static void internal_dev_recv(struct sk_buff *skb)
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
	if (type == OVS_VPORT_TYPE_INTERNAL)
		internal_dev_recv(skb);
	else
		dev_queue_xmit(skb);
	return;
drop:
	kfree_skb(skb);
}

/* ---- Devices going away ------------------------------------------------------------- */

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

	if (event != NETDEV_UNREGISTER || !is_our_port(dev))
		return NOTIFY_DONE;
	vport = rtnl_dereference(dev->rx_handler_data);
	netdev_unhook(dev);
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

int ovsdp_dev_init(void)
{
	int err;

	err = rtnl_link_register(&internal_dev_link_ops);
	if (err)
		return err;
	err = register_pernet_device(&ovs_net_ops);
	if (err)
		goto err_link;
	err = register_netdevice_notifier(&dp_device_notifier);
	if (err)
		goto err_pernet;
	return 0;

err_pernet:
	unregister_pernet_device(&ovs_net_ops);
err_link:
	rtnl_link_unregister(&internal_dev_link_ops);
	return err;
}

/* Called after the genetlink families are gone: nothing creates datapaths any more. */
void ovsdp_dev_exit(void)
{
	unregister_netdevice_notifier(&dp_device_notifier);
	unregister_pernet_device(&ovs_net_ops); /* destroys the datapaths of every namespace */
	flush_work(&reap_work);
	rtnl_link_unregister(&internal_dev_link_ops);
}
