// SPDX-License-Identifier: GPL-2.0
/* sk_buff access for the C++ core (platform/skb.h). */
#include <linux/if_vlan.h>
#include <linux/skbuff.h>

#include "platform/skb.h"

void ovsdp_skb_load(void *p, struct ovsdp_skb_state *st)
{
	struct sk_buff *skb = p;

	skb_reset_mac_header(skb);
	st->data = skb->data;
	st->len = skb->len;
	st->headlen = skb_headlen(skb);
	st->vlan_present = skb_vlan_tag_present(skb);
	st->vlan_tci = skb_vlan_tag_get(skb);
	st->vlan_proto = (__force u16)skb->vlan_proto;
	st->protocol = (__force u16)skb->protocol;
	st->gso_udp = skb_is_gso(skb) && (skb_shinfo(skb)->gso_type & SKB_GSO_UDP);
	st->mark = skb->mark;
	st->priority = skb->priority;
	st->hash = skb_get_hash(skb);
}

static void refresh(struct sk_buff *skb, struct ovsdp_skb_state *st)
{
	st->data = skb->data;
	st->len = skb->len;
	st->headlen = skb_headlen(skb);
	st->vlan_present = skb_vlan_tag_present(skb);
	st->vlan_tci = skb_vlan_tag_get(skb);
	st->vlan_proto = (__force u16)skb->vlan_proto;
}

int ovsdp_skb_pull(void *p, uint32_t n, struct ovsdp_skb_state *st)
{
	struct sk_buff *skb = p;

	if (!pskb_may_pull(skb, n))
		return -ENOMEM;
	refresh(skb, st);
	return 0;
}

int ovsdp_skb_vlan_untag(void *p, struct ovsdp_skb_state *st)
{
	struct sk_buff *skb = p;
	__be16 tpid;
	u16 tci;
	int err;

	/* As upstream's parse_vlan_tag() with untag_vlan: take the in-band tag
	 * out of the packet and make it the accelerated one. The caller pulled
	 * the tag, so its TPID at offset 12 is linear. */
	tpid = *(__be16 *)(skb->data + 2 * ETH_ALEN);
	err = __skb_vlan_pop(skb, &tci);
	if (err)
		return err;
	__vlan_hwaccel_put_tag(skb, tpid, tci);
	skb_reset_mac_header(skb);
	refresh(skb, st);
	return 0;
}

void ovsdp_skb_set_headers(void *p, uint16_t protocol, uint32_t mac_len, uint32_t network_offset,
			   uint32_t transport_offset, uint32_t inner_network_offset)
{
	struct sk_buff *skb = p;

	skb->protocol = (__force __be16)protocol;
	skb->mac_len = mac_len;
	skb_set_network_header(skb, network_offset);
	skb_set_transport_header(skb, transport_offset);
	if (inner_network_offset)
		skb_set_inner_network_header(skb, inner_network_offset);
}
