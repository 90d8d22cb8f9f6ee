// SPDX-License-Identifier: GPL-2.0
/*
 * Sending packets to userspace (platform/skb.h: ovsdp_upcall_send). The C++
 * core decides what to send and encodes the key and the other attributes;
 * this file copies the packet into a generic netlink message and unicasts it.
 */
#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include <linux/openvswitch.h>
#include <linux/skbuff.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "platform/genl.h"
#include "platform/skb.h"
#include "kmod/kmod.h"

static int send_one(struct net *net, u32 portid, u8 cmd, int dp_ifindex, const void *attrs,
		    size_t attrs_len, struct sk_buff *skb, u32 cutlen)
{
	struct sk_buff *nskb = NULL, *msg;
	struct ovs_header *oh;
	struct nlattr *nla;
	unsigned int len;
	int err;

	if (skb_vlan_tag_present(skb)) {
		nskb = skb_clone(skb, GFP_ATOMIC);
		if (!nskb)
			return -ENOMEM;
		nskb = __vlan_hwaccel_push_inside(nskb);
		if (!nskb)
			return -ENOMEM;
		skb = nskb;
	}
	if (skb->ip_summed == CHECKSUM_PARTIAL) {
		err = skb_checksum_help(skb);
		if (err)
			goto out;
	}
	len = cutlen && cutlen < skb->len ? cutlen : skb->len;

	msg = genlmsg_new(NLMSG_ALIGN(sizeof(*oh)) + attrs_len + nla_total_size(len), GFP_ATOMIC);
	err = -ENOMEM;
	if (!msg)
		goto out;
	oh = genlmsg_put(msg, 0, 0, ovsdp_family(OVSDP_FAMILY_PACKET), 0, cmd);
	err = -EMSGSIZE;
	if (!oh)
		goto out_free;
	oh->dp_ifindex = dp_ifindex;
	skb_put_data(msg, attrs, attrs_len);
	nla = __nla_reserve(msg, OVS_PACKET_ATTR_PACKET, len);
	err = skb_copy_bits(skb, 0, nla_data(nla), len);
	if (err)
		goto out_free;
	genlmsg_end(msg, oh);
	err = genlmsg_unicast(net, msg, portid);
	goto out;

out_free:
	kfree_skb(msg);
out:
	kfree_skb(nskb);
	return err;
}

int ovsdp_upcall_send(void *net, uint32_t portid, uint8_t cmd, int dp_ifindex, const void *attrs,
		      size_t attrs_len, const void *attrs_later, size_t attrs_later_len, void *p,
		      uint32_t cutlen)
{
	struct sk_buff *skb = p, *segs, *seg, *next;
	bool udp_frag;
	int err = 0;

	if (!skb_is_gso(skb))
		return send_one(net, portid, cmd, dp_ifindex, attrs, attrs_len, skb, cutlen);

	udp_frag = skb_shinfo(skb)->gso_type & SKB_GSO_UDP;
	segs = __skb_gso_segment(skb, NETIF_F_SG, false);
	if (IS_ERR(segs))
		return PTR_ERR(segs);
	if (!segs)
		return -EINVAL;
	skb_list_walk_safe(segs, seg, next) {
		const void *a = attrs;
		size_t a_len = attrs_len;

		if (udp_frag && seg != segs && attrs_later) {
			a = attrs_later;
			a_len = attrs_later_len;
		}
		if (!err)
			err = send_one(net, portid, cmd, dp_ifindex, a, a_len, seg, cutlen);
		kfree_skb(seg);
	}
	return err;
}
