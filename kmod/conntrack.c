// SPDX-License-Identifier: GPL-2.0
// Connection tracking over the kernel's nf_conntrack: the kernel side of
// platform/conntrack.h (the ct action's resources, lookup and commit, the
// key's ct fields, ct_clear). The only file that touches nf_conn and
// skb->_nfct. The semantics are upstream net/openvswitch/conntrack.c's
// (6.1), IP fragments included (reassembled inside ct). Connection limits: the core keeps
// the table (conntrack/ct_limit.cpp); this file counts with nf_conncount and
// keeps, per namespace, the table's pointer and the count data.
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_count.h>
#include <net/netfilter/nf_conntrack_ecache.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/netfilter/nf_conntrack_labels.h>
#include <net/netfilter/nf_conntrack_l4proto.h>
#include <net/netfilter/nf_conntrack_seqadj.h>
#include <net/netfilter/nf_conntrack_timeout.h>
#include <net/netfilter/nf_conntrack_zones.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>
#include <net/ipv6_frag.h>
#include <net/netfilter/nf_nat.h>
#include <linux/sctp.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "platform/conntrack.h"
#include "kmod/kmod.h"

#define CS_NEW 0x01
#define CS_ESTABLISHED 0x02
#define CS_RELATED 0x04
#define CS_REPLY_DIR 0x08
#define CS_INVALID 0x10
#define CS_TRACKED 0x20
#define CS_SRC_NAT 0x40
#define CS_DST_NAT 0x80
#define FRAG_NONE 0

// An action's resources (ovsdp_ct_action::handle).
struct ovsdp_ct_priv {
	struct net *net;
	struct nf_conn *tmpl;                // zone template, with helper and timeout
	struct nf_conntrack_helper *helper;  // referenced
	bool nat_helper;                     // the NAT helper referenced too
	bool labels;                         // nf_connlabels_get() done
	bool timeout;                        // a timeout policy on tmpl
	struct nf_nat_range2 range;          // the NAT range, from the action
};

int ovsdp_ct_enabled(void)
{
	return 1;
}

// ---- Connection limits ---------------------------------------------------------------

// Per namespace: the core's limit table (RCU) and nf_conncount's data, which
// counts connections per zone (the key is the zone id).
struct ovsdp_ct_net {
	void __rcu *limits;
	void *dying;                         // the table after pre_exit, freed at exit
	struct nf_conncount_data *count;
};

static unsigned int ovsdp_ct_net_id __read_mostly;

static struct nf_conncount_data *conncount_init(struct net *net)
{
#ifdef OVSDP_HAVE_CONNCOUNT_FAMILY
	return nf_conncount_init(net, NFPROTO_INET, sizeof(u32));
#else
	return nf_conncount_init(net, sizeof(u32));
#endif
}

static void conncount_destroy(struct net *net, struct nf_conncount_data *data)
{
#ifdef OVSDP_HAVE_CONNCOUNT_FAMILY
	nf_conncount_destroy(net, NFPROTO_INET, data);
#else
	nf_conncount_destroy(net, data);
#endif
}

void **ovsdp_ct_limit_slot(void *net)
{
	struct ovsdp_ct_net *cn = net_generic(net, ovsdp_ct_net_id);

	return (void **)&cn->limits;
}

uint32_t ovsdp_ct_limit_count(void *net, uint16_t zone)
{
	struct ovsdp_ct_net *cn = net_generic(net, ovsdp_ct_net_id);
	u32 key = zone;

	return nf_conncount_count_skb(net, NULL, 0, cn->count, &key);
}

// Upstream's ovs_ct_check_limit(), for a connection not confirmed yet:
// -ENOMEM when its zone already has as many as its limit allows.
static int check_limit(struct net *net, struct sk_buff *skb, const struct ovsdp_ct_action *act)
{
	struct ovsdp_ct_net *cn = net_generic(net, ovsdp_ct_net_id);
	void *table = rcu_dereference(cn->limits);
	u32 limit, key = act->zone;

	if (!table)
		return 0;
	limit = ovsdp_ct_limit_get(table, act->zone);
	if (!limit)
		return 0;
	if (nf_conncount_count_skb(net, skb, act->family, cn->count, &key) > limit) {
		net_warn_ratelimited("openvswitch: zone: %u exceeds conntrack limit\n", act->zone);
		return -ENOMEM;
	}
	return 0;
}

static int __net_init ct_net_init(struct net *net)
{
	struct ovsdp_ct_net *cn = net_generic(net, ovsdp_ct_net_id);

	cn->count = conncount_init(net);
	if (IS_ERR(cn->count)) {
		int err = PTR_ERR(cn->count);

		cn->count = NULL;
		pr_err("openvswitch: failed to init nf_conncount %d\n", err);
		return err;
	}
	return 0;
}

// The table leaves the namespace here; the pernet core waits for a grace
// period before ct_net_exit() frees it and the count data.
static void __net_exit ct_net_pre_exit(struct net *net)
{
	struct ovsdp_ct_net *cn = net_generic(net, ovsdp_ct_net_id);

	ovs_lock();
	cn->dying = rcu_replace_pointer(cn->limits, NULL, true);
	ovs_unlock();
}

static void __net_exit ct_net_exit(struct net *net)
{
	struct ovsdp_ct_net *cn = net_generic(net, ovsdp_ct_net_id);

	ovsdp_ct_limit_table_free(cn->dying);
	cn->dying = NULL;
	if (cn->count)
		conncount_destroy(net, cn->count);
}

static struct pernet_operations ct_net_ops = {
	.init = ct_net_init,
	.pre_exit = ct_net_pre_exit,
	.exit = ct_net_exit,
	.id = &ovsdp_ct_net_id,
	.size = sizeof(struct ovsdp_ct_net),
};

int ovsdp_ct_init(void)
{
	return register_pernet_subsys(&ct_net_ops);
}

void ovsdp_ct_exit(void)
{
	unregister_pernet_subsys(&ct_net_ops);
}

int ovsdp_ct_action_init(struct ovsdp_ct_action *act, void *netp, const char **msg)
{
	struct net *net = netp ? netp : &init_net;
	struct nf_conntrack_zone zone;
	struct ovsdp_ct_priv *p;
	struct nf_conn_help *help;
	int i;

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p) {
		*msg = "Cannot allocate conntrack action state";
		return -ENOMEM;
	}
	p->net = net;
	nf_ct_zone_init(&zone, act->zone, NF_CT_DEFAULT_ZONE_DIR, 0);
	p->tmpl = nf_ct_tmpl_alloc(net, &zone, GFP_KERNEL);
	if (!p->tmpl) {
		kfree(p);
		*msg = "Failed to allocate conntrack template";
		return -ENOMEM;
	}
	act->handle = p;

	for (i = 0; i < 16; i++)
		if (act->labels_mask[i])
			break;
	if (i < 16) {
		if (nf_connlabels_get(net, 16 * 8 - 1)) {
			ovsdp_ct_action_release(act);
			*msg = "Conntrack labels are not available";
			return -EOPNOTSUPP;
		}
		p->labels = true;
	}

	if (act->timeout[0]) {
		// As upstream: a policy that does not exist is only logged.
		if (nf_ct_set_timeout(net, p->tmpl, act->family, act->ip_proto, act->timeout))
			pr_info_ratelimited("openvswitch: failed to associate timeout policy '%s'\n", act->timeout);
		else
			p->timeout = true;
	}

	if (act->helper[0]) {
		p->helper = nf_conntrack_helper_try_module_get(act->helper, act->family, act->ip_proto);
		if (!p->helper) {
			ovsdp_ct_action_release(act);
			*msg = "Unknown conntrack helper for this protocol";
			return -EINVAL;
		}
		help = nf_ct_helper_ext_add(p->tmpl, GFP_KERNEL);
		if (!help) {
			ovsdp_ct_action_release(act);
			*msg = "Cannot add the conntrack helper";
			return -ENOMEM;
		}
		rcu_assign_pointer(help->helper, p->helper);
		if (act->flags & OVSDP_CT_F_NAT) {
			if (nf_nat_helper_try_module_get(act->helper, act->family, act->ip_proto)) {
				ovsdp_ct_action_release(act);
				*msg = "Cannot load the NAT helper";
				return -EINVAL;
			}
			p->nat_helper = true;
		}
	}
	p->range.flags = act->nat_range_flags; // OVSDP_NAT_RANGE_* are NF_NAT_RANGE_*
	memcpy(&p->range.min_addr, act->nat_addr_min, sizeof(p->range.min_addr));
	memcpy(&p->range.max_addr, act->nat_addr_max, sizeof(p->range.max_addr));
	p->range.min_proto.all = htons(act->nat_proto_min);
	p->range.max_proto.all = htons(act->nat_proto_max);
	__set_bit(IPS_CONFIRMED_BIT, &p->tmpl->status);
	return 0;
}

void ovsdp_ct_action_release(struct ovsdp_ct_action *act)
{
	struct ovsdp_ct_priv *p = act->handle;

	if (!p)
		return;
	if (p->helper) {
		if (p->nat_helper)
			nf_nat_helper_put(p->helper);
		nf_conntrack_helper_put(p->helper);
	}
	if (p->timeout)
		nf_ct_destroy_timeout(p->tmpl);
	if (p->tmpl)
		nf_ct_tmpl_free(p->tmpl);
	if (p->labels)
		nf_connlabels_put(p->net);
	kfree(p);
	act->handle = NULL;
}

// ---- The key -------------------------------------------------------------------------

static u8 state_of(enum ip_conntrack_info ctinfo)
{
	u8 s = CS_TRACKED;

	if (ctinfo == IP_CT_ESTABLISHED_REPLY || ctinfo == IP_CT_RELATED_REPLY)
		s |= CS_REPLY_DIR;
	if (ctinfo == IP_CT_ESTABLISHED || ctinfo == IP_CT_ESTABLISHED_REPLY)
		s |= CS_ESTABLISHED;
	else if (ctinfo == IP_CT_RELATED || ctinfo == IP_CT_RELATED_REPLY)
		s |= CS_RELATED;
	else if (ctinfo == IP_CT_NEW)
		s |= CS_NEW;
	return s;
}

// Upstream's ovs_ct_update_key()/__ovs_ct_update_key(): post_ct says the
// ct action ran (no connection is then +trk+inv in the action's zone).
static void fill_key(const struct sk_buff *skb, const struct ovsdp_ct_pkt *pkt, const struct nf_conntrack_zone *act_zone,
	bool post_ct, bool keep_nat, struct ovsdp_ct_key *key)
{
	const struct nf_conntrack_zone *zone = &nf_ct_zone_dflt;
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct = nf_ct_get(skb, &ctinfo);
	struct nf_conn_labels *cl;
	u8 state = 0;

	if (ct) {
		state = state_of(ctinfo);
		if (!nf_ct_is_confirmed(ct))
			state |= CS_NEW;
		if (ct->master)
			state |= CS_RELATED;
		if (keep_nat) {
			state |= key->state & (CS_SRC_NAT | CS_DST_NAT);
		} else {
			if (ct->status & IPS_SRC_NAT)
				state |= CS_SRC_NAT;
			if (ct->status & IPS_DST_NAT)
				state |= CS_DST_NAT;
		}
		zone = nf_ct_zone(ct);
	} else if (post_ct) {
		state = CS_TRACKED | CS_INVALID;
		if (act_zone)
			zone = act_zone;
	}
	memset(key, 0, sizeof(*key));
	key->state = state;
	key->zone = zone->id;
	if (!ct)
		return;
	key->mark = READ_ONCE(ct->mark);
	cl = nf_ct_labels_find(ct);
	if (cl)
		memcpy(key->labels, cl->bits, sizeof(key->labels));
	if (ct->master)
		ct = ct->master;
	{
		const struct nf_conntrack_tuple *orig = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;

		if (pkt->eth_type == htons(ETH_P_IP) && nf_ct_l3num(ct) == NFPROTO_IPV4) {
			key->orig.ipv4.src = orig->src.u3.ip;
			key->orig.ipv4.dst = orig->dst.u3.ip;
		} else if (pkt->eth_type == htons(ETH_P_IPV6) && !pkt->is_nd && nf_ct_l3num(ct) == NFPROTO_IPV6) {
			memcpy(key->orig.ipv6.src, &orig->src.u3.in6, 16);
			memcpy(key->orig.ipv6.dst, &orig->dst.u3.in6, 16);
		} else {
			return;
		}
		key->orig_tp_src = orig->src.u.all;
		key->orig_tp_dst = orig->dst.u.all;
		key->orig_proto = orig->dst.protonum;
	}
}

void ovsdp_ct_fill_key_rx(void *p, const struct ovsdp_ct_pkt *pkt, struct ovsdp_ct_key *key)
{
	fill_key(p, pkt, NULL, false, false, key);
}

void ovsdp_skb_ct_clear(void *p)
{
	struct sk_buff *skb = p;

	// Upstream's ovs_ct_clear(): drop the reference (nf_conntrack_put()
	// needs nothing of the nf_conntrack module) and mark it untracked.
	nf_reset_ct(skb);
	nf_ct_set(skb, NULL, IP_CT_UNTRACKED);
}

// ---- Lookup and commit -------------------------------------------------------------

// The ctinfo of a packet matching tuple hash h (upstream's
// ovs_ct_get_info(), the core's own logic being static).
static enum ip_conntrack_info existing_info(const struct nf_conntrack_tuple_hash *h)
{
	const struct nf_conn *ct = nf_ct_tuplehash_to_ctrack(h);

	if (NF_CT_DIRECTION(h) == IP_CT_DIR_REPLY)
		return IP_CT_ESTABLISHED_REPLY;
	if (test_bit(IPS_SEEN_REPLY_BIT, &ct->status))
		return IP_CT_ESTABLISHED;
	if (test_bit(IPS_EXPECTED_BIT, &ct->status))
		return IP_CT_RELATED;
	return IP_CT_NEW;
}

// A packet without its connection whose key says the ct action already ran
// in this zone (it went to userspace and came back with EXECUTE), or one of
// a forced commit with no ct state at all: find its connection in the
// table and attach it (upstream's ovs_ct_executed() and
// ovs_ct_find_existing()). A NATed packet's tuple is inverted first. The
// skb's data is at its network header.
static struct nf_conn *find_existing(struct net *net, const struct ovsdp_ct_action *act, struct ovsdp_ct_priv *p,
	struct sk_buff *skb, const struct ovsdp_ct_key *key)
{
	bool executed = (key->state & CS_TRACKED) && !(key->state & CS_INVALID) && key->zone == act->zone;
	bool natted = key->state & (CS_SRC_NAT | CS_DST_NAT);
	struct nf_conntrack_tuple tuple, inverse;
	struct nf_conntrack_tuple_hash *h;
	struct nf_conn *ct;

	if (!executed && !(!key->state && (act->flags & OVSDP_CT_F_FORCE)))
		return NULL;
	if (!nf_ct_get_tuplepr(skb, skb_network_offset(skb), act->family, net, &tuple))
		return NULL;
	if (natted) {
		if (!nf_ct_invert_tuple(&inverse, &tuple))
			return NULL;
		tuple = inverse;
	}
	h = nf_conntrack_find_get(net, nf_ct_zone(p->tmpl), &tuple);
	if (!h)
		return NULL;
	ct = nf_ct_tuplehash_to_ctrack(h);
	// The inverted tuple matched the other direction: this packet's is
	// the other one.
	if (natted)
		h = &ct->tuplehash[!h->tuple.dst.dir];
	nf_ct_set(skb, ct, existing_info(h));
	return ct;
}

// Upstream's skb_nfct_cached(): the connection on the skb (or found again
// for a packet back from userspace) is the one this action would find
// (same namespace, zone, helper, timeout policy); a forced commit forgets
// one met in the reply direction.
static bool nfct_cached(struct net *net, const struct ovsdp_ct_action *act, struct ovsdp_ct_priv *p,
	struct sk_buff *skb, const struct ovsdp_ct_key *key)
{
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct = nf_ct_get(skb, &ctinfo);

	if (!ct && !find_existing(net, act, p, skb, key))
		return false;
	ct = nf_ct_get(skb, &ctinfo);
	if (!ct)
		return false;
	if (!net_eq(net, read_pnet(&ct->ct_net)))
		return false;
	if (!nf_ct_zone_equal_any(p->tmpl, nf_ct_zone(ct)))
		return false;
	if (p->helper) {
		struct nf_conn_help *help = nf_ct_ext_find(ct, NF_CT_EXT_HELPER);

		if (help && rcu_access_pointer(help->helper) != p->helper)
			return false;
	}
	if (p->timeout) {
		struct nf_conn_timeout *t = nf_ct_timeout_find(ct);
		struct nf_conn_timeout *tt = nf_ct_timeout_find(p->tmpl);

		if (!t || !tt || rcu_access_pointer(t->timeout) != rcu_access_pointer(tt->timeout))
			return false;
	}
	if ((act->flags & OVSDP_CT_F_FORCE) && CTINFO2DIR(ctinfo) != IP_CT_DIR_ORIGINAL) {
		if (nf_ct_is_confirmed(ct))
			nf_ct_delete(ct, 0, 0);
		nf_reset_ct(skb);
		return false;
	}
	return true;
}

// The helper of the connection on the packet (upstream's ovs_ct_helper()).
static int run_helper(struct sk_buff *skb, u8 family)
{
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct = nf_ct_get(skb, &ctinfo);
	const struct nf_conntrack_helper *helper;
	const struct nf_conn_help *help;
	unsigned int protoff;
	int err;

	if (!ct)
		return NF_ACCEPT;
	help = nfct_help(ct);
	if (!help)
		return NF_ACCEPT;
	helper = rcu_dereference(help->helper);
	if (!helper)
		return NF_ACCEPT;
	if (family == NFPROTO_IPV4) {
		protoff = ip_hdrlen(skb);
	} else {
		u8 nexthdr = ipv6_hdr(skb)->nexthdr;
		__be16 frag_off;
		int ofs = ipv6_skip_exthdr(skb, sizeof(struct ipv6hdr), &nexthdr, &frag_off);

		if (ofs < 0 || (frag_off & htons(~0x7)) != 0)
			return NF_DROP;
		protoff = ofs;
	}
	err = helper->help(skb, protoff, ct, ctinfo);
	if (err != NF_ACCEPT)
		return err;
	if (test_bit(IPS_SEQ_ADJUST_BIT, &ct->status) && !nf_ct_seq_adjust(skb, ct, ctinfo, protoff))
		return NF_DROP;
	return NF_ACCEPT;
}

// ---- NAT ---------------------------------------------------------------------------

// One NAT manipulation of the packet (upstream's ovs_ct_nat_execute()); a
// range without addresses makes the null binding. Records it in the key's
// state and in *nat_done (the caller re-reads addresses and ports).
static int nat_execute(struct sk_buff *skb, struct nf_conn *ct, enum ip_conntrack_info ctinfo,
	const struct nf_nat_range2 *range, enum nf_nat_manip_type maniptype, struct ovsdp_ct_key *key,
	struct ovsdp_ct_pkt *pkt)
{
	// HOOK2MANIP(): source NAT at LOCAL_IN, destination NAT at LOCAL_OUT.
	int hooknum = maniptype == NF_NAT_MANIP_SRC ? NF_INET_LOCAL_IN : NF_INET_LOCAL_OUT;
	int err = NF_ACCEPT;

	switch (ctinfo) {
	case IP_CT_RELATED:
	case IP_CT_RELATED_REPLY:
		if (pkt->eth_type == htons(ETH_P_IP) && ip_hdr(skb)->protocol == IPPROTO_ICMP) {
			if (!nf_nat_icmp_reply_translation(skb, ct, ctinfo, hooknum))
				err = NF_DROP;
			goto out;
		} else if (pkt->eth_type == htons(ETH_P_IPV6)) {
			__be16 frag_off;
			u8 nexthdr = ipv6_hdr(skb)->nexthdr;
			int hdrlen = ipv6_skip_exthdr(skb, sizeof(struct ipv6hdr), &nexthdr, &frag_off);

			if (hdrlen >= 0 && nexthdr == IPPROTO_ICMPV6) {
				if (!nf_nat_icmpv6_reply_translation(skb, ct, ctinfo, hooknum, hdrlen))
					err = NF_DROP;
				goto out;
			}
		}
		fallthrough; // not ICMP: set the mapping up if needed
	case IP_CT_NEW:
		if (!nf_nat_initialized(ct, maniptype)) {
			err = range && (range->flags & NF_NAT_RANGE_MAP_IPS) ? nf_nat_setup_info(ct, range, maniptype)
									     : nf_nat_alloc_null_binding(ct, hooknum);
			if (err != NF_ACCEPT)
				goto out;
		}
		break;
	case IP_CT_ESTABLISHED:
	case IP_CT_ESTABLISHED_REPLY:
		break;
	default:
		err = NF_DROP;
		goto out;
	}
	err = nf_nat_packet(ct, ctinfo, hooknum, skb);
out:
	if (err == NF_ACCEPT) {
		key->state |= maniptype == NF_NAT_MANIP_SRC ? CS_SRC_NAT : CS_DST_NAT;
		pkt->nat_done = 1;
	}
	return err;
}

// Upstream's ovs_ct_nat(): which manipulation the action or the connection
// asks for, and the second one of a connection with both (or the null
// source binding a destination-NATed one gets).
static int do_nat(const struct ovsdp_ct_action *act, struct ovsdp_ct_priv *p, struct sk_buff *skb, struct nf_conn *ct,
	enum ip_conntrack_info ctinfo, struct ovsdp_ct_key *key, struct ovsdp_ct_pkt *pkt)
{
	enum nf_nat_manip_type maniptype;
	int err;

	if (!nf_ct_is_confirmed(ct) && !nf_ct_nat_ext_add(ct))
		return NF_ACCEPT; // cannot NAT
	if (ctinfo != IP_CT_NEW && (ct->status & IPS_NAT_MASK) &&
	    (ctinfo != IP_CT_RELATED || (act->flags & OVSDP_CT_F_COMMIT))) {
		// Like before: the reverse manipulation in the reply direction.
		if (CTINFO2DIR(ctinfo) == IP_CT_DIR_REPLY)
			maniptype = ct->status & IPS_SRC_NAT ? NF_NAT_MANIP_DST : NF_NAT_MANIP_SRC;
		else
			maniptype = ct->status & IPS_SRC_NAT ? NF_NAT_MANIP_SRC : NF_NAT_MANIP_DST;
	} else if (act->flags & OVSDP_CT_F_SRC_NAT) {
		maniptype = NF_NAT_MANIP_SRC;
	} else if (act->flags & OVSDP_CT_F_DST_NAT) {
		maniptype = NF_NAT_MANIP_DST;
	} else {
		return NF_ACCEPT; // not NATed
	}
	err = nat_execute(skb, ct, ctinfo, &p->range, maniptype, key, pkt);
	if (err == NF_ACCEPT && (ct->status & IPS_DST_NAT)) {
		if (ct->status & IPS_SRC_NAT) {
			maniptype = maniptype == NF_NAT_MANIP_SRC ? NF_NAT_MANIP_DST : NF_NAT_MANIP_SRC;
			err = nat_execute(skb, ct, ctinfo, &p->range, maniptype, key, pkt);
		} else if (CTINFO2DIR(ctinfo) == IP_CT_DIR_ORIGINAL) {
			err = nat_execute(skb, ct, ctinfo, NULL, NF_NAT_MANIP_SRC, key, pkt);
		}
	}
	return err;
}

// Upstream's __ovs_ct_lookup(): through nf_conntrack_in() with the zone
// template unless the packet already has its connection; then NAT (once
// per packet and zone, for confirmed connections or on commit), the helper.
static int lookup(struct net *net, const struct ovsdp_ct_action *act, struct ovsdp_ct_priv *p, struct sk_buff *skb,
	struct ovsdp_ct_pkt *pkt, struct ovsdp_ct_key *key)
{
	bool cached = nfct_cached(net, act, p, skb, key);
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct;

	// A commit must not change an unconfirmed entry another skb shares.
	if (cached && (act->flags & OVSDP_CT_F_COMMIT)) {
		ct = nf_ct_get(skb, &ctinfo);
		if (ct && !nf_ct_is_confirmed(ct) && nf_ct_shared(ct)) {
			nf_reset_ct(skb);
			cached = false;
		}
	}
	if (!cached) {
		struct nf_hook_state state = {
			.hook = NF_INET_PRE_ROUTING,
			.pf = act->family,
			.net = net,
		};

		nf_reset_ct(skb);
		nf_conntrack_get(&p->tmpl->ct_general);
		nf_ct_set(skb, p->tmpl, IP_CT_NEW);
		if (nf_conntrack_in(skb, &state) != NF_ACCEPT)
			return -ENOENT;
		// No NAT done yet after this lookup: the state starts afresh.
		key->state = 0;
		fill_key(skb, pkt, nf_ct_zone(p->tmpl), true, true, key);
	}
	ct = nf_ct_get(skb, &ctinfo);
	if (ct) {
		bool commit = act->flags & OVSDP_CT_F_COMMIT;
		bool add_helper = false;

		// NAT before the helper, so that the helper knows of it; for a
		// new connection both wait for the commit.
		if ((act->flags & OVSDP_CT_F_NAT) && !(key->state & (CS_SRC_NAT | CS_DST_NAT)) &&
		    (nf_ct_is_confirmed(ct) || commit) && do_nat(act, p, skb, ct, ctinfo, key, pkt) != NF_ACCEPT)
			return -EINVAL;
		// A commit with a helper the lookup did not have.
		if (!nf_ct_is_confirmed(ct) && commit && p->helper && !nfct_help(ct)) {
			int err = __nf_ct_try_assign_helper(ct, p->tmpl, GFP_ATOMIC);

			if (err)
				return err;
			add_helper = true;
			if ((act->flags & OVSDP_CT_F_NAT) && !nfct_seqadj(ct) && !nfct_seqadj_ext_add(ct))
				return -EINVAL;
		}
		if ((nf_ct_is_confirmed(ct) ? !cached || add_helper : commit) && run_helper(skb, act->family) != NF_ACCEPT)
			return -EINVAL;
		if (nf_ct_protonum(ct) == IPPROTO_TCP && nf_ct_is_confirmed(ct) && nf_conntrack_tcp_established(ct))
			nf_ct_set_tcp_be_liberal(ct);
	}
	return 0;
}

static void set_mark(struct nf_conn *ct, const struct ovsdp_ct_action *act, struct ovsdp_ct_key *key)
{
	u32 mark = act->mark | (READ_ONCE(ct->mark) & ~act->mark_mask);

	if (READ_ONCE(ct->mark) != mark) {
		WRITE_ONCE(ct->mark, mark);
		if (nf_ct_is_confirmed(ct))
			nf_conntrack_event_cache(IPCT_MARK, ct);
		key->mark = mark;
	}
}

static int set_labels(struct nf_conn *ct, const struct ovsdp_ct_action *act, struct ovsdp_ct_key *key)
{
	struct nf_conn_labels *cl;
	int i;

	if (!nf_ct_is_confirmed(ct)) {
		// A new connection: the labels start as the master's, if any.
		cl = nf_ct_labels_find(ct);
		if (!cl) {
			nf_ct_labels_ext_add(ct);
			cl = nf_ct_labels_find(ct);
		}
		if (!cl)
			return -ENOSPC;
		if (ct->master) {
			struct nf_conn_labels *ml = nf_ct_labels_find(ct->master);

			if (ml)
				memcpy(cl->bits, ml->bits, sizeof(cl->bits));
		}
		for (i = 0; i < 16; i++) {
			u8 *b = (u8 *)cl->bits + i;

			*b = (*b & ~act->labels_mask[i]) | (act->labels[i] & act->labels_mask[i]);
		}
		nf_conntrack_event_cache(IPCT_LABEL, ct);
	} else {
		int err = nf_connlabels_replace(ct, (const u32 *)act->labels, (const u32 *)act->labels_mask, 4);

		if (err)
			return err;
		cl = nf_ct_labels_find(ct);
		if (!cl)
			return -ENOSPC;
	}
	memcpy(key->labels, cl->bits, sizeof(key->labels));
	return 0;
}

static int commit(struct net *net, const struct ovsdp_ct_action *act, struct ovsdp_ct_priv *p, struct sk_buff *skb,
	struct ovsdp_ct_pkt *pkt, struct ovsdp_ct_key *key)
{
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct;
	int i, err;

	err = lookup(net, act, p, skb, pkt, key);
	if (err)
		return err;
	ct = nf_ct_get(skb, &ctinfo);
	if (!ct)
		return 0;
	if (!nf_ct_is_confirmed(ct)) {
		err = check_limit(net, skb, act);
		if (err)
			return err;
	}
	if (act->flags & OVSDP_CT_F_EVENTMASK) {
		struct nf_conntrack_ecache *cache = nf_ct_ecache_find(ct);

		if (cache)
			cache->ctmask = act->eventmask;
	}
	if (act->mark_mask)
		set_mark(ct, act, key);
	for (i = 0; i < 16; i++)
		if (act->labels_mask[i])
			break;
	if (i < 16) {
		err = set_labels(ct, act, key);
		if (err)
			return err;
	}
	if (nf_conntrack_confirm(skb) != NF_ACCEPT)
		return -EINVAL;
	return 0;
}

// Upstream's ovs_skb_network_trim(): no bytes past the IP datagram.
static int network_trim(struct sk_buff *skb, u8 family)
{
	unsigned int len;

	if (family == NFPROTO_IPV4)
		len = ntohs(ip_hdr(skb)->tot_len);
	else
		len = sizeof(struct ipv6hdr) + ntohs(ipv6_hdr(skb)->payload_len);
	if (len < skb->len)
		return pskb_trim_rcsum(skb, len);
	return 0;
}

// Upstream's handle_fragments(): the fragment (its data at the network
// header) goes to the kernel's reassembly in the action's zone. 0: skb is now
// the whole datagram, its datapath control block as the fragment's was and
// its MRU the largest fragment seen. Otherwise the skb is gone: kept until the
// datagram is complete (-EINPROGRESS) or freed (another -errno).
static int defrag(struct net *net, struct sk_buff *skb, const struct ovsdp_ct_action *act)
{
	struct ovsdp_skb_cb cb = *OVSDP_CB(skb); // the IP control block overlays it
	int err;

	if (act->family == NFPROTO_IPV4) {
		memset(IPCB(skb), 0, sizeof(struct inet_skb_parm));
		local_bh_disable();
		err = ip_defrag(net, skb, IP_DEFRAG_CONNTRACK_IN + act->zone); // frees skb on error
		local_bh_enable();
		if (err)
			return err;
		cb.mru = IPCB(skb)->frag_max_size;
#if IS_ENABLED(CONFIG_NF_DEFRAG_IPV6)
	} else if (act->family == NFPROTO_IPV6) {
		memset(IP6CB(skb), 0, sizeof(struct inet6_skb_parm));
		err = nf_ct_frag6_gather(net, skb, IP6_DEFRAG_CONNTRACK_IN + act->zone);
		if (err) {
			if (err != -EINPROGRESS)
				kfree_skb(skb);
			return err;
		}
		cb.mru = IP6CB(skb)->frag_max_size;
#endif
	} else {
		kfree_skb(skb);
		return -EPFNOSUPPORT;
	}
	skb_clear_hash(skb);
	skb->ignore_df = 1;
	*OVSDP_CB(skb) = cb;
	return 0;
}

int ovsdp_ct_execute(void *s, void *netp, const struct ovsdp_ct_action *act, struct ovsdp_ct_pkt *pkt,
	struct ovsdp_ct_key *key)
{
	struct sk_buff *skb = s;
	struct net *net = netp ? netp : &init_net;
	struct ovsdp_ct_priv *p = act->handle;
	int nh_ofs, err;

	pkt->nat_done = 0;
	pkt->stolen = 0;
	pkt->reassembled = 0;
	if (!p)
		return -EINVAL;
	nh_ofs = skb_network_offset(skb);
	skb_pull_rcsum(skb, nh_ofs);
	err = network_trim(skb, act->family);
	if (!err && pkt->frag != FRAG_NONE) {
		err = defrag(net, skb, act);
		if (err) {
			pkt->stolen = 1;
			return err;
		}
		pkt->reassembled = 1;
	}
	if (!err) {
		if (act->flags & OVSDP_CT_F_COMMIT)
			err = commit(net, act, p, skb, pkt, key);
		else
			err = lookup(net, act, p, skb, pkt, key);
	}
	skb_push_rcsum(skb, nh_ofs);
	return err;
}
