// SPDX-License-Identifier: GPL-2.0
/* sk_buff access for the C++ core (platform/skb.h). */
#include <linux/if_arp.h>
#include <linux/if_vlan.h>
#include <linux/skbuff.h>

#include "platform/skb.h"
#include "kmod/compat.h"
#include "kmod/kmod.h"

const struct ovsdp_skb_layout ovsdp_skb_layout = {
	.protocol = offsetof(struct sk_buff, protocol),
	.mac_len = offsetof(struct sk_buff, mac_len),
	.network_header = offsetof(struct sk_buff, network_header),
	.transport_header = offsetof(struct sk_buff, transport_header),
};
static_assert(sizeof_field(struct sk_buff, protocol) == 2 && sizeof_field(struct sk_buff, mac_len) == 2 &&
	      sizeof_field(struct sk_buff, network_header) == 2 &&
	      sizeof_field(struct sk_buff, transport_header) == 2);

/* *st for the packet from `pre` bytes before skb->data (the Ethernet header
 * a shared skb's receive already pulled; 0 for one keyed as it is). */
static inline void fill_state(struct sk_buff *skb, unsigned int pre, struct ovsdp_skb_state *st)
{
	st->data = skb->data - pre;
	st->len = skb->len + pre;
	st->headlen = skb_headlen(skb) + pre;
	st->vlan_present = skb_vlan_tag_present(skb);
	st->vlan_tci = skb_vlan_tag_get(skb);
	st->vlan_proto = (__force u16)skb->vlan_proto;
	st->protocol = (__force u16)skb->protocol;
	st->gso_udp = skb_is_gso(skb) && (skb_shinfo(skb)->gso_type & SKB_GSO_UDP);
	st->mark = skb->mark;
	st->priority = skb->priority;
	st->hash = skb->hash; /* skb_get_hash() would run the flow dissector */
	st->has_ct = (skb->_nfct & NFCT_PTRMASK) != 0;
	st->data_off = skb->data - pre - skb->head;
}

/* Fill *st for a packet entering the datapath, and start its OVS control block. */
void ovsdp_skb_load(void *p, struct ovsdp_skb_state *st)
{
	struct sk_buff *skb = p;

	skb_reset_mac_header(skb);
	OVSDP_CB(skb)->mru = 0;
	OVSDP_CB(skb)->cutlen = U32_MAX;
	fill_state(skb, 0, st);
}

static void refresh(struct sk_buff *skb, struct ovsdp_skb_state *st)
{
	st->data = skb->data;
	st->len = skb->len;
	st->headlen = skb_headlen(skb);
	st->vlan_present = skb_vlan_tag_present(skb);
	st->vlan_tci = skb_vlan_tag_get(skb);
	st->vlan_proto = (__force u16)skb->vlan_proto;
	st->data_off = skb->data - skb->head;
}

void ovsdp_skb_refresh(void *skb, struct ovsdp_skb_state *st)
{
	refresh(skb, st);
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

int ovsdp_skb_peek_shared(void *p, struct ovsdp_skb_state *st)
{
	struct sk_buff *skb = p;

	if (skb->dev->type != ARPHRD_ETHER || !skb_mac_header_was_set(skb) ||
	    skb_mac_header(skb) + ETH_HLEN != skb->data || skb->_nfct || skb_dst(skb))
		return -1;
	fill_state(skb, ETH_HLEN, st);
	return 0;
}

void *ovsdp_skb_unshare_load(void *p, struct ovsdp_skb_state *st)
{
	struct sk_buff *skb = skb_share_check(p, GFP_ATOMIC);

	if (unlikely(!skb))
		return NULL;
	skb_push_rcsum(skb, ETH_HLEN);
	ovsdp_skb_load(skb, st);
	return skb;
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
	case OVSDP_SKB_HASH_RAW:
		return skb_get_hash_raw(skb) | (u64)skb->sw_hash << 32 | (u64)skb->l4_hash << 33;
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

/*
 * The request's buffer shared by a clone instead of a copy of the packet:
 * no data allocation (zeroed in full under init_on_alloc) and no copy. The
 * clone is as a fresh skb to the datapath: headers unset, no owner (a clone
 * has none), its control block cleared of netlink's. Writers unshare it as
 * they do for any cloned skb (skb_ensure_writable, skb_cow_head). Not for a
 * vmalloc'd request (netlink's large messages: their buffer must not reach
 * the network stack) nor a nonlinear one.
 */
static struct sk_buff *skb_from_request(struct sk_buff *msg, const void *data, uint32_t len)
{
	struct sk_buff *skb;

	if (!msg || is_vmalloc_addr(msg->head) || skb_is_nonlinear(msg) || !len ||
	    (const u8 *)data < msg->data || (const u8 *)data + len > skb_tail_pointer(msg))
		return NULL;
	skb = skb_clone(msg, GFP_KERNEL);
	if (!skb)
		return NULL;
	__skb_pull(skb, (const u8 *)data - skb->data);
	__skb_trim(skb, len);
	memset(skb->cb, 0, sizeof(skb->cb));
	skb->mac_header = (typeof(skb->mac_header))~0U;
	skb->transport_header = (typeof(skb->transport_header))~0U;
	skb_reset_network_header(skb);
	skb->protocol = 0;
	skb->priority = 0;
	skb->mark = 0;
	skb->tstamp = 0;
	skb->pkt_type = PACKET_HOST;
	skb->ip_summed = CHECKSUM_NONE;
	skb_clear_hash(skb);
	return skb;
}

void *ovsdp_skb_from_data(const void *data, uint32_t len, void *dev, void *msg)
{
	struct sk_buff *skb = skb_from_request(msg, data, len);

	if (!skb) {
		/* A copy (a batch of EXECUTEs comes in one vmalloc'd request):
		 * into a fragment of this CPU's pages when one is at hand
		 * (frag.c; not zeroed per packet, a kmalloc'd head is, whole,
		 * under init_on_alloc), with the headroom __dev_alloc_skb()
		 * leaves, else as upstream, __dev_alloc_skb(GFP_KERNEL). */
		skb = ovsdp_frag_skb(NET_SKB_PAD + NET_IP_ALIGN + len);
		if (skb)
			skb_reserve(skb, NET_SKB_PAD);
		else
			skb = __dev_alloc_skb(NET_IP_ALIGN + len, GFP_KERNEL);
		if (!skb)
			return NULL;
		skb_reserve(skb, NET_IP_ALIGN);
		skb_put_data(skb, data, len);
	}
	skb->dev = dev;
	return skb;
}

void ovsdp_skb_set_dev(void *skb, void *dev)
{
	((struct sk_buff *)skb)->dev = dev;
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

void *ovsdp_tunnel_dst_create(const struct ovsdp_tunnel *t, const void *options)
{
	struct ip_tunnel_info *info;
	struct metadata_dst *md;

	md = metadata_dst_alloc(t->options_len, METADATA_IP_TUNNEL, GFP_KERNEL);
	if (!md)
		return NULL;
	if (dst_cache_init(&md->u.tun_info.dst_cache, GFP_KERNEL)) {
		metadata_dst_free(md);
		return NULL;
	}
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
	ovsdp_tun_flags_set(&info->key, t->tun_flags);
	info->key.tos = t->tos;
	info->key.ttl = t->ttl;
	info->key.tp_src = (__force __be16)t->tp_src;
	info->key.tp_dst = (__force __be16)t->tp_dst;
	/* The option-type flag is already in tun_flags (validation put it there). */
	ip_tunnel_info_opts_set(info, options, t->options_len, 0);
	return md;
}

void ovsdp_tunnel_dst_release(void *dst)
{
	struct metadata_dst *md = dst;

	dst_release(&md->dst);
}

void ovsdp_skb_set_tunnel_dst(void *p, void *dst)
{
	struct sk_buff *skb = p;
	struct metadata_dst *md = dst;

	skb_dst_drop(skb);
	dst_hold(&md->dst);
	skb_dst_set(skb, &md->dst);
}

/* The shim's view of an ip_tunnel_info, options copied to `options`. */
static void tunnel_from_info(const struct ip_tunnel_info *info, struct ovsdp_tunnel *t, void *options)
{
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
	t->tun_flags = ovsdp_tun_flags_get(&info->key);
	t->tos = info->key.tos;
	t->ttl = info->key.ttl;
	t->tp_src = (__force u16)info->key.tp_src;
	t->tp_dst = (__force u16)info->key.tp_dst;
	t->options_len = info->options_len;
	ip_tunnel_info_opts_get(options, info);
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
	tunnel_from_info(info, t, options);
	return 0;
}

int ovsdp_skb_rx_tunnel(void *p, const void *i, void *dp_net, struct ovsdp_tunnel *t, void *options)
{
	struct sk_buff *skb = p;
	const struct ip_tunnel_info *info = i;

	/* Upstream's ovs_vport_receive: metadata from a device of another
	 * namespace does not cross into the datapath's. */
	if (unlikely(!net_eq(dev_net(skb->dev), dp_net))) {
		u32 mark = skb->mark;

		skb_scrub_packet(skb, true);
		skb->mark = mark;
		return 0;
	}
	tunnel_from_info(info, t, options);
	return 1;
}

/* ---- Output of a reassembled packet: fragment to its MRU (upstream's do_output
 * and ovs_fragment) ------------------------------------------------------------------ */

#include <linux/mpls.h>
#include <net/addrconf.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/ipv6_stubs.h>
#include <net/mpls.h>
#include <net/route.h>

/* Upstream's MAX_L2_LEN: Ethernet, a VLAN tag and three MPLS labels. */
#define OVSDP_MAX_L2_LEN (VLAN_ETH_HLEN + 3 * MPLS_HLEN)

/* What each fragment gets back (ip_do_fragment's output callback has no
 * argument): the link-layer header, the packet's control block and metadata. */
struct ovsdp_frag_data {
	unsigned long dst;
	struct net_device *dev;
	u32 type;
	struct ovsdp_skb_cb cb;
	__be16 inner_protocol;
	u16 network_offset;	/* MPLS: the network header under the labels */
	u16 vlan_tci;		/* | VLAN_CFI_MASK when there was a tag */
	__be16 vlan_proto;
	u8 mac_proto;
	unsigned int l2_len;
	u8 l2_data[OVSDP_MAX_L2_LEN];
};

static DEFINE_PER_CPU(struct ovsdp_frag_data, ovsdp_frag_data);

static unsigned int ovsdp_dst_mtu(const struct dst_entry *dst)
{
	return dst->dev->mtu;
}

static struct dst_ops ovsdp_dst_ops = {
	.family = AF_UNSPEC,
	.mtu = ovsdp_dst_mtu,
};

static void prepare_frag(struct sk_buff *skb, struct net_device *dev, u32 type, u16 orig_network_offset,
			 u8 mac_proto)
{
	struct ovsdp_frag_data *data = this_cpu_ptr(&ovsdp_frag_data);
	unsigned int hlen = skb_network_offset(skb);

	data->dst = skb->_skb_refdst;
	data->dev = dev;
	data->type = type;
	data->cb = *OVSDP_CB(skb);
	data->inner_protocol = skb->inner_protocol;
	data->network_offset = orig_network_offset;
	data->vlan_tci = skb_vlan_tag_present(skb) ? skb_vlan_tag_get(skb) | VLAN_CFI_MASK : 0;
	data->vlan_proto = skb->vlan_proto;
	data->mac_proto = mac_proto;
	data->l2_len = hlen;
	memcpy(data->l2_data, skb->data, hlen);
	/* The IP layer owns skb->cb from here (IPCB / IP6CB). */
	memset(skb->cb, 0, sizeof(skb->cb));
	skb_pull(skb, hlen);
}

/* One fragment: the link-layer header and metadata back on, then out. */
static int frag_output(struct net *net, struct sock *sk, struct sk_buff *skb)
{
	struct ovsdp_frag_data *data = this_cpu_ptr(&ovsdp_frag_data);

	if (skb_cow_head(skb, data->l2_len) < 0) {
		kfree_skb(skb);
		return -ENOMEM;
	}
	__skb_dst_copy(skb, data->dst);
	*OVSDP_CB(skb) = data->cb;
	skb->inner_protocol = data->inner_protocol;
	if (data->vlan_tci & VLAN_CFI_MASK)
		__vlan_hwaccel_put_tag(skb, data->vlan_proto, data->vlan_tci & ~VLAN_CFI_MASK);
	else
		__vlan_hwaccel_clear_tag(skb);
	skb_push(skb, data->l2_len);
	memcpy(skb->data, data->l2_data, data->l2_len);
	skb_postpush_rcsum(skb, skb->data, data->l2_len);
	skb_reset_mac_header(skb);
	if (eth_p_mpls(skb->protocol)) {
		skb->inner_network_header = skb->network_header;
		skb_set_network_header(skb, data->network_offset);
		skb_reset_mac_len(skb);
	}
	ovsdp_vport_send(data->dev, data->type, skb, data->mac_proto);
	return 0;
}

static void fragment(struct sk_buff *skb, struct net_device *dev, u32 type, u16 mru, u8 mac_proto,
		     __be16 eth_type)
{
	struct net *net = dev_net(dev);
	u16 orig_network_offset = 0;
	unsigned long orig_dst;

	if (eth_p_mpls(skb->protocol)) {
		orig_network_offset = skb_network_offset(skb);
		skb->network_header = skb->inner_network_header;
	}
	if (skb_network_offset(skb) > OVSDP_MAX_L2_LEN) {
		net_dbg_ratelimited("openvswitch: %s: L2 header too long to fragment\n", dev->name);
		goto drop;
	}
	if (eth_type == htons(ETH_P_IP)) {
		struct rtable rt = {};

		prepare_frag(skb, dev, type, orig_network_offset, mac_proto);
		ovsdp_dst_init_noref(&rt.dst, &ovsdp_dst_ops);
		rt.dst.dev = dev;
		orig_dst = skb->_skb_refdst;
		skb_dst_set_noref(skb, &rt.dst);
		IPCB(skb)->frag_max_size = mru;
		ip_do_fragment(net, skb->sk, skb, frag_output);
		refdst_drop(orig_dst);
	} else if (eth_type == htons(ETH_P_IPV6)) {
		struct rt6_info rt;

		prepare_frag(skb, dev, type, orig_network_offset, mac_proto);
		memset(&rt, 0, sizeof(rt));
		ovsdp_dst_init_noref(&rt.dst, &ovsdp_dst_ops);
		rt.dst.dev = dev;
		orig_dst = skb->_skb_refdst;
		skb_dst_set_noref(skb, &rt.dst);
		IP6CB(skb)->frag_max_size = mru;
		ipv6_stub->ipv6_fragment(net, skb->sk, skb, frag_output);
		refdst_drop(orig_dst);
	} else {
		net_warn_ratelimited("openvswitch: %s: cannot fragment ethertype %04x (MRU %u, MTU %u)\n",
				     dev->name, ntohs(eth_type), mru, dev->mtu);
		goto drop;
	}
	return;
drop:
	kfree_skb(skb);
}

void ovsdp_vport_send_mru(void *d, uint32_t type, void *p, uint8_t mac_proto, uint16_t eth_type)
{
	struct net_device *dev = d;
	struct sk_buff *skb = p;
	u16 mru = OVSDP_CB(skb)->mru;

	if (!mru || skb->len <= mru + dev->hard_header_len)
		ovsdp_vport_send(dev, type, skb, mac_proto);
	else if (mru <= dev->mtu)
		fragment(skb, dev, type, mru, mac_proto, (__force __be16)eth_type);
	else
		kfree_skb(skb);
}
