// SPDX-License-Identifier: GPL-2.0
/*
 * Upcall messages (platform/skb.h: ovsdp_upcall_begin/commit). The C++ core
 * decides what to send and writes the key and the other attributes straight
 * into the message reserved here; this file appends the packet (by reference
 * with skb_zerocopy when the datapath allows unaligned attributes, as
 * upstream's queue_userspace_packet) and unicasts it.
 */
#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include <linux/openvswitch.h>
#include <linux/skbuff.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "platform/genl.h"
#include "platform/skb.h"
#include "kmod/compat.h"
#include "kmod/kmod.h"

/*
 * The message's buffer: a fragment of this CPU's pages (frag.c) when one
 * page holds it, else genlmsg_new()'s kmalloc, whose whole size bucket
 * (1024 bytes for an upcall of a small packet) is zeroed under init_on_alloc.
 */
static struct sk_buff *upcall_msg_new(size_t payload)
{
	struct sk_buff *skb = ovsdp_frag_skb(nlmsg_total_size(GENL_HDRLEN + payload));

	return skb ? skb : genlmsg_new(payload, GFP_ATOMIC);
}

int ovsdp_upcall_begin(uint8_t cmd, int dp_ifindex, void *p, uint32_t cutlen, uint32_t attrs_len, int unaligned,
		       struct ovsdp_upcall_msg *u)
{
	struct sk_buff *skb = p, *nskb = NULL, *msg;
	struct ovs_header *oh;
	unsigned int len, hlen;
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
	/* Only the part that skb_zerocopy() copies needs room in the message. */
	hlen = unaligned ? min(skb_zerocopy_headlen(skb), len) : len;

	msg = upcall_msg_new(NLMSG_ALIGN(sizeof(*oh)) + attrs_len + nla_total_size(hlen));
	err = -ENOMEM;
	if (!msg)
		goto out;
	oh = genlmsg_put(msg, 0, 0, ovsdp_family(OVSDP_FAMILY_PACKET), 0, cmd);
	if (!oh) {
		kfree_skb(msg);
		goto out;
	}
	oh->dp_ifindex = dp_ifindex;
	u->msg = msg;
	u->hdr = oh;
	u->pkt = skb;
	u->pkt_clone = nskb;
	u->attrs = skb_tail_pointer(msg);
	u->attrs_room = attrs_len;
	u->len = len;
	u->hlen = hlen;
	u->unaligned = !!unaligned;
	return 0;

out:
	kfree_skb(nskb);
	return err;
}

void ovsdp_upcall_cancel(struct ovsdp_upcall_msg *u)
{
	kfree_skb(u->msg);
	kfree_skb(u->pkt_clone);
	u->msg = NULL;
	u->pkt_clone = NULL;
}

int ovsdp_upcall_commit(void *net, uint32_t portid, struct ovsdp_upcall_msg *u, uint32_t attrs_len)
{
	struct sk_buff *msg = u->msg;
	struct nlattr *nla;
	size_t pad;
	int err = -EMSGSIZE;

	if (WARN_ON_ONCE(attrs_len > u->attrs_room))
		goto fail;
	skb_put(msg, attrs_len);
	/* The attribute's header; its data is copied or referenced after it. */
	nla = __nla_reserve(msg, OVS_PACKET_ATTR_PACKET, 0);
	nla->nla_len = nla_attr_size(u->len);
	err = skb_zerocopy(msg, u->pkt, u->len, u->hlen);
	if (err)
		goto fail;
	if (!u->unaligned) {
		pad = NLA_ALIGN(msg->len) - msg->len;
		if (pad)
			skb_put_zero(msg, pad);
	}
	/* genlmsg_end() would measure the linear part only. */
	nlmsg_hdr(msg)->nlmsg_len = msg->len;
	kfree_skb(u->pkt_clone);
	u->msg = NULL;
	u->pkt_clone = NULL;
	return genlmsg_unicast(net, msg, portid);

fail:
	ovsdp_upcall_cancel(u);
	return err;
}

void *ovsdp_skb_gso_segment(void *p, int *err)
{
	struct sk_buff *skb = p, *segs;

	*err = 0;
	if (!skb_is_gso(skb))
		return NULL;
	segs = __skb_gso_segment(skb, NETIF_F_SG, false);
	if (IS_ERR(segs)) {
		*err = PTR_ERR(segs);
		return NULL;
	}
	if (!segs)
		*err = -EINVAL;
	return segs;
}

void *ovsdp_skb_next(void *seg)
{
	return ((struct sk_buff *)seg)->next;
}
