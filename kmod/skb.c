// SPDX-License-Identifier: GPL-2.0
/* sk_buff access for the C++ core (platform/skb.h). */
#include <linux/if_vlan.h>
#include <linux/skbuff.h>

#include "platform/skb.h"
#include "kmod/kmod.h"

/* Fill *st for a packet entering the datapath, and start its OVS control block. */
void ovsdp_skb_load(void *p, struct ovsdp_skb_state *st)
{
	struct sk_buff *skb = p;

	skb_reset_mac_header(skb);
	OVSDP_CB(skb)->mru = 0;
	OVSDP_CB(skb)->cutlen = U32_MAX;
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

/* ---- The action engine's packet operations (platform/skb_ops.h) ---------- */

#include <linux/netdevice.h>

#include "platform/skb_ops.h"
#include "kmod/kmod.h"

static_assert(sizeof(struct ovsdp_skb_cb) <= sizeof_field(struct sk_buff, cb));

int64_t ovsdp_skb_get(void *p, int field)
{
	struct sk_buff *skb = p;

	switch (field) {
	case OVSDP_SKB_MARK:
		return skb->mark;
	case OVSDP_SKB_PRIORITY:
		return skb->priority;
	case OVSDP_SKB_PROTOCOL:
		return (__force u16)skb->protocol;
	case OVSDP_SKB_MAC_LEN:
		return skb->mac_len;
	case OVSDP_SKB_NETWORK_OFFSET:
		return skb_network_offset(skb);
	case OVSDP_SKB_TRANSPORT_OFFSET:
		return skb_transport_offset(skb);
	case OVSDP_SKB_INNER_NETWORK_OFFSET:
		return skb_inner_network_offset(skb);
	case OVSDP_SKB_INNER_PROTOCOL:
		return (__force u16)skb->inner_protocol;
	case OVSDP_SKB_ENCAPSULATION:
		return skb->encapsulation;
	case OVSDP_SKB_IP_SUMMED:
		return skb->ip_summed;
	case OVSDP_SKB_CSUM:
		return (__force u32)skb->csum;
	case OVSDP_SKB_CSUM_START_OFFSET:
		return skb_checksum_start_offset(skb);
	case OVSDP_SKB_HASH:
		return skb_get_hash(skb);
	case OVSDP_SKB_CUTLEN:
		return OVSDP_CB(skb)->cutlen;
	case OVSDP_SKB_MRU:
		return OVSDP_CB(skb)->mru;
	}
	WARN_ONCE(1, "openvswitch: unknown skb field %d", field);
	return 0;
}

void ovsdp_skb_set(void *p, int field, int64_t v)
{
	struct sk_buff *skb = p;

	switch (field) {
	case OVSDP_SKB_MARK:
		skb->mark = v;
		break;
	case OVSDP_SKB_PRIORITY:
		skb->priority = v;
		break;
	case OVSDP_SKB_PROTOCOL:
		skb->protocol = (__force __be16)(u16)v;
		break;
	case OVSDP_SKB_MAC_LEN:
		skb->mac_len = v;
		break;
	case OVSDP_SKB_NETWORK_OFFSET:
		skb_set_network_header(skb, v);
		break;
	case OVSDP_SKB_TRANSPORT_OFFSET:
		skb_set_transport_header(skb, v);
		break;
	case OVSDP_SKB_INNER_NETWORK_OFFSET:
		skb_set_inner_network_header(skb, v);
		break;
	case OVSDP_SKB_INNER_PROTOCOL:
		skb_set_inner_protocol(skb, (__force __be16)(u16)v);
		break;
	case OVSDP_SKB_IP_SUMMED:
		skb->ip_summed = v;
		break;
	case OVSDP_SKB_CSUM:
		skb->csum = (__force __wsum)(u32)v;
		break;
	case OVSDP_SKB_HASH:
		skb_clear_hash(skb);
		break;
	case OVSDP_SKB_CUTLEN:
		OVSDP_CB(skb)->cutlen = v;
		break;
	case OVSDP_SKB_MRU:
		OVSDP_CB(skb)->mru = v;
		skb->ignore_df = 1;
		break;
	case OVSDP_SKB_HASH_RAW:
		__skb_set_hash(skb, (u32)v, !!(v & (1ULL << 32)), !!(v & (1ULL << 33)));
		break;
	default:
		WARN_ONCE(1, "openvswitch: field %d is read-only", field);
	}
}

uint8_t *ovsdp_skb_make_writable(void *p, uint32_t n, struct ovsdp_skb_state *st)
{
	struct sk_buff *skb = p;

	if (skb_ensure_writable(skb, n))
		return NULL;
	refresh(skb, st);
	return skb->data;
}

uint8_t *ovsdp_skb_push_head(void *p, uint32_t n, struct ovsdp_skb_state *st)
{
	struct sk_buff *skb = p;

	if (skb_cow_head(skb, n))
		return NULL;
	skb_push(skb, n);
	skb_reset_mac_header(skb);
	refresh(skb, st);
	return skb->data;
}

void ovsdp_skb_pull_head(void *p, uint32_t n, struct ovsdp_skb_state *st)
{
	struct sk_buff *skb = p;

	__skb_pull(skb, n);
	skb_reset_mac_header(skb);
	refresh(skb, st);
}

int ovsdp_skb_trim(void *p, uint32_t n, struct ovsdp_skb_state *st)
{
	struct sk_buff *skb = p;
	int err = pskb_trim_rcsum(skb, n);

	refresh(skb, st);
	return err;
}

void ovsdp_skb_vlan_set(void *p, uint16_t proto, uint16_t tci, struct ovsdp_skb_state *st)
{
	struct sk_buff *skb = p;

	if (proto)
		__vlan_hwaccel_put_tag(skb, (__force __be16)proto, tci);
	else
		__vlan_hwaccel_clear_tag(skb);
	refresh(skb, st);
}

int ovsdp_skb_gso_mac_len_fits(void *p, uint32_t n)
{
	struct sk_buff *skb = p;

	return skb_is_gso(skb) && skb_gso_validate_mac_len(skb, n);
}

void *ovsdp_skb_from_data(const void *data, uint32_t len, void *dev)
{
	struct sk_buff *skb = __dev_alloc_skb(NET_IP_ALIGN + len, GFP_KERNEL);

	if (!skb)
		return NULL;
	skb_reserve(skb, NET_IP_ALIGN);
	skb_put_data(skb, data, len);
	skb->dev = dev;
	return skb;
}

void *ovsdp_skb_clone(void *p)
{
	return skb_clone(p, GFP_ATOMIC);
}

void ovsdp_skb_consume(void *p)
{
	consume_skb(p);
}

/* ---- Tunnel metadata (set(tunnel), egress tunnel of upcalls) ------------------------ */

#include <net/dst_metadata.h>
#include <net/ip_tunnels.h>

static_assert(IP_TUNNEL_INFO_TX == 1 && IP_TUNNEL_INFO_IPV6 == 2 && IP_TUNNEL_INFO_BRIDGE == 4);
static_assert(IP_TUNNEL_OPTS_MAX >= U8_MAX);

int ovsdp_skb_set_tunnel(void *p, const struct ovsdp_tunnel *t, const void *options)
{
	struct sk_buff *skb = p;
	struct ip_tunnel_info *info;
	struct metadata_dst *md;

	md = metadata_dst_alloc(t->options_len, METADATA_IP_TUNNEL, GFP_ATOMIC);
	if (!md)
		return -ENOMEM;
	info = &md->u.tun_info;
	info->mode = t->mode;
	info->key.tun_id = (__force __be64)t->tun_id;
	if (t->mode & IP_TUNNEL_INFO_IPV6) {
		memcpy(&info->key.u.ipv6.src, t->src, sizeof(info->key.u.ipv6.src));
		memcpy(&info->key.u.ipv6.dst, t->dst, sizeof(info->key.u.ipv6.dst));
	} else {
		memcpy(&info->key.u.ipv4.src, t->src, sizeof(info->key.u.ipv4.src));
		memcpy(&info->key.u.ipv4.dst, t->dst, sizeof(info->key.u.ipv4.dst));
	}
	info->key.tun_flags = (__force __be16)t->tun_flags;
	info->key.tos = t->tos;
	info->key.ttl = t->ttl;
	info->key.tp_src = (__force __be16)t->tp_src;
	info->key.tp_dst = (__force __be16)t->tp_dst;
	/* The option-type flag is already in tun_flags (validation put it there). */
	ip_tunnel_info_opts_set(info, options, t->options_len, 0);
	skb_dst_drop(skb);
	skb_dst_set(skb, &md->dst);
	return 0;
}

int ovsdp_skb_egress_tunnel(void *d, void *p, struct ovsdp_tunnel *t, void *options, uint32_t options_cap)
{
	struct sk_buff *skb = p;
	const struct ip_tunnel_info *info;
	int err;

	err = dev_fill_metadata_dst(d, skb);
	if (err)
		return err;
	info = skb_tunnel_info(skb);
	if (!info || info->options_len > options_cap)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->mode = info->mode;
	t->tun_id = (__force u64)info->key.tun_id;
	if (info->mode & IP_TUNNEL_INFO_IPV6) {
		memcpy(t->src, &info->key.u.ipv6.src, sizeof(info->key.u.ipv6.src));
		memcpy(t->dst, &info->key.u.ipv6.dst, sizeof(info->key.u.ipv6.dst));
	} else {
		memcpy(t->src, &info->key.u.ipv4.src, sizeof(info->key.u.ipv4.src));
		memcpy(t->dst, &info->key.u.ipv4.dst, sizeof(info->key.u.ipv4.dst));
	}
	t->tun_flags = (__force u16)info->key.tun_flags;
	t->tos = info->key.tos;
	t->ttl = info->key.ttl;
	t->tp_src = (__force u16)info->key.tp_src;
	t->tp_dst = (__force u16)info->key.tp_dst;
	t->options_len = info->options_len;
	ip_tunnel_info_opts_get(options, info);
	return 0;
}
