// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink families of the Open vSwitch ABI. This file only
 * registers them, checks attribute policies (as upstream does), runs each
 * command in the lock context the command table (datapath/commands.h) gives
 * it, calls the C++ core, which interprets every request
 * (datapath/datapath.cpp), and reserves the messages the core writes its
 * replies, notifications and dump entries into.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/openvswitch.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "platform/genl.h"
#include "datapath/commands.h"
#include "datapath/ovsdp_ext.h"
#include "kmod/compat.h"
#include "kmod/kmod.h"

static DEFINE_MUTEX(ovs_mutex);

void ovs_lock(void)
{
	mutex_lock(&ovs_mutex);
}

void ovs_unlock(void)
{
	mutex_unlock(&ovs_mutex);
}

void ovsdp_ovs_lock(void)
{
	mutex_lock(&ovs_mutex);
}

void ovsdp_ovs_unlock(void)
{
	mutex_unlock(&ovs_mutex);
}

/*
 * With lockdep: held by this task. Without (the Debian kernel), only whether
 * anyone holds it: lockdep_is_held() would then always be true.
 */
int ovsdp_lock_held(void)
{
#ifdef CONFIG_LOCKDEP
	return lockdep_is_held(&ovs_mutex);
#else
	return mutex_is_locked(&ovs_mutex);
#endif
}

static struct genl_family ovsdp_families[OVSDP_FAMILY_COUNT];


/*
 * ovsdp's extension attributes (datapath/ovsdp_ext.h) lie above the family's
 * maxattr, which the (liberal) policy parse skips: find them here. All of
 * them are request flags.
 */
static const struct {
	int fam;
	int type;
} ovsdp_ext_flags[] = {
	{ OVSDP_FAMILY_FLOW, OVSDP_FLOW_ATTR_NUMA_STATS },
	{ OVSDP_FAMILY_DATAPATH, OVSDP_DP_ATTR_EXT_STATS },
};

static int find_ext_attrs(int fam, const struct nlmsghdr *nlh, const void **ext,
			  struct netlink_ext_ack *extack)
{
	const struct nlattr *nla;
	int rem;
	size_t i;

	if (fam != OVSDP_FAMILY_FLOW && fam != OVSDP_FAMILY_DATAPATH)
		return 0;
	nlmsg_for_each_attr(nla, nlh, GENL_HDRLEN + ovsdp_families[fam].hdrsize, rem) {
		if (nla_type(nla) < OVSDP_EXT_ATTR_BASE)
			continue; /* an upstream attribute */
		for (i = 0; i < ARRAY_SIZE(ovsdp_ext_flags); i++) {
			if (ovsdp_ext_flags[i].fam != fam || nla_type(nla) != ovsdp_ext_flags[i].type)
				continue;
			if (nla_len(nla) != 0) {
				if (fam == OVSDP_FAMILY_FLOW)
					NL_SET_ERR_MSG_ATTR(extack, nla, "NUMA statistics request is a flag");
				else
					NL_SET_ERR_MSG_ATTR(extack, nla, "Extended statistics request is a flag");
				return -EINVAL;
			}
			ext[ovsdp_ext_flags[i].type - OVSDP_EXT_ATTR_BASE] = nla;
		}
	}
	return 0;
}

/*
 * The shim's part of a command's lock context: only OVSDP_CTX_OVS_MUTEX has
 * the shim hold a lock; the other contexts lock inside the command, after it
 * parsed its request (datapath/commands.h).
 */
static void ctx_enter(int ctx)
{
	if (ctx == OVSDP_CTX_OVS_MUTEX)
		ovs_lock();
}

static void ctx_exit(int ctx)
{
	if (ctx == OVSDP_CTX_OVS_MUTEX)
		ovs_unlock();
#ifdef CONFIG_LOCKDEP
	else
		WARN_ON_ONCE(lockdep_is_held(&ovs_mutex));
#endif
}

/* The attribute table's size and policy come from the family's registration. */
static int run_doit(int fam, struct sk_buff *skb, struct genl_info *info)
{
	const struct ovsdp_cmd_desc *c = ovsdp_cmd_find(fam, info->genlhdr->cmd);
	struct ovs_header *oh = ovsdp_genl_userhdr(info);
	struct ovsdp_request req = {
		.net = sock_net(skb->sk),
		.attrs = (const void *const *)info->attrs,
		.maxattr = ovsdp_families[fam].maxattr,
		.dp_ifindex = oh->dp_ifindex,
		.version = info->genlhdr->version,
		.cmd = info->genlhdr->cmd,
		.nlmsg_flags = info->nlhdr->nlmsg_flags,
		.info = info,
		.msg = skb,
	};
	int err;

	if (!c || !c->doit)
		return -EOPNOTSUPP;
	if (c->flags & OVSDP_CMD_F_EXT) {
		err = find_ext_attrs(fam, info->nlhdr, req.ext_attrs, info->extack);
		if (err)
			return err;
	}
	ctx_enter(c->doit_ctx);
	err = c->doit(&req);
	ctx_exit(c->doit_ctx);
	if (err && info->extack) {
		if (req.extack_msg)
			info->extack->_msg = req.extack_msg;
		if (req.extack_attr)
			info->extack->bad_attr = req.extack_attr;
	}
	return err;
}

static int run_dumpit(int fam, struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct genl_family *family = &ovsdp_families[fam];
	const struct genlmsghdr *gh = nlmsg_data(cb->nlh);
	const struct ovsdp_cmd_desc *c = ovsdp_cmd_find(fam, gh->cmd);
	int maxattr = family->maxattr;
	struct ovs_header *oh = genlmsg_data(nlmsg_data(cb->nlh));
	struct nlattr **attrs;
	struct ovsdp_dump d = {
		.net = sock_net(skb->sk),
		.skb = skb,
		.portid = NETLINK_CB(cb->skb).portid,
		.seq = cb->nlh->nlmsg_seq,
		.args = cb->args,
		.maxattr = maxattr,
		.dp_ifindex = oh->dp_ifindex,
	};
	int err;

	if (!c || !c->dumpit)
		return -EOPNOTSUPP;
	attrs = kcalloc(maxattr + 1, sizeof(*attrs), GFP_KERNEL);
	if (!attrs)
		return -ENOMEM;
	err = genlmsg_parse_deprecated(cb->nlh, family, attrs, maxattr, family->policy, cb->extack);
	if (!err && (c->flags & OVSDP_CMD_F_EXT))
		err = find_ext_attrs(fam, cb->nlh, d.ext_attrs, cb->extack);
	if (err)
		goto out;
	d.attrs = (const void *const *)attrs;
	ctx_enter(c->dump_ctx);
	err = c->dumpit(&d);
	ctx_exit(c->dump_ctx);
out:
	kfree(attrs);
	return err ? err : skb->len;
}

/* Reserve a genl message with its ovs_header and `len` bytes of room. */
static int msg_begin(int family, u32 portid, u32 seq, u8 cmd, int dp_ifindex, size_t len,
		     struct ovsdp_genl_msg *m)
{
	struct ovs_header *oh;
	struct sk_buff *skb;

	skb = genlmsg_new(NLMSG_ALIGN(sizeof(*oh)) + len, GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	oh = genlmsg_put(skb, portid, seq, &ovsdp_families[family], 0, cmd);
	if (!oh) {
		kfree_skb(skb);
		return -ENOMEM;
	}
	oh->dp_ifindex = dp_ifindex;
	m->skb = skb;
	m->hdr = oh;
	m->data = skb_tail_pointer(skb);
	m->room = len;
	return 0;
}

/* Claim the `len` bytes the core wrote and end the message. */
static struct sk_buff *msg_end(struct ovsdp_genl_msg *m, size_t len)
{
	struct sk_buff *skb = m->skb;

	m->skb = NULL;
	if (WARN_ON_ONCE(len > m->room || len > skb_tailroom(skb))) {
		kfree_skb(skb);
		return NULL;
	}
	skb_put(skb, len);
	genlmsg_end(skb, m->hdr);
	return skb;
}

int ovsdp_genl_msg_begin(struct ovsdp_request *req, int family, uint8_t cmd, int dp_ifindex, size_t len,
			 int notify, struct ovsdp_genl_msg *m)
{
	struct genl_info *info = req->info;
	int err;

	err = msg_begin(family, info->snd_portid, info->snd_seq, cmd, dp_ifindex, len, m);
	if (err && notify)
		netlink_set_err(genl_info_net(info)->genl_sock, 0, ovsdp_families[family].mcgrp_offset, err);
	return err;
}

int ovsdp_genl_msg_send(struct ovsdp_request *req, int family, struct ovsdp_genl_msg *m, size_t len, int notify)
{
	struct genl_info *info = req->info;
	struct sk_buff *skb = msg_end(m, len);

	if (!skb)
		return -EMSGSIZE;
	if (notify) {
		genl_notify(&ovsdp_families[family], skb, info, 0, GFP_KERNEL);
		return 0;
	}
	return genlmsg_reply(skb, info);
}

int ovsdp_genl_mcast_begin(int family, uint8_t cmd, int dp_ifindex, size_t len, struct ovsdp_genl_msg *m)
{
	return msg_begin(family, 0, 0, cmd, dp_ifindex, len, m);
}

int ovsdp_genl_msg_multicast(void *net, int family, struct ovsdp_genl_msg *m, size_t len)
{
	struct sk_buff *skb = msg_end(m, len);

	if (!skb)
		return -EMSGSIZE;
	return genlmsg_multicast_netns(&ovsdp_families[family], net, skb, 0, 0, GFP_KERNEL);
}

void ovsdp_genl_msg_cancel(struct ovsdp_genl_msg *m)
{
	kfree_skb(m->skb);
	m->skb = NULL;
}

int ovsdp_genl_must_notify(struct ovsdp_request *req, int family)
{
	struct genl_info *info = req->info;

	return (info->nlhdr->nlmsg_flags & NLM_F_ECHO) ||
	       genl_has_listeners(&ovsdp_families[family], genl_info_net(info), 0);
}

int ovsdp_dump_begin(struct ovsdp_dump *d, int family, uint8_t cmd, int dp_ifindex, struct ovsdp_genl_msg *m)
{
	struct sk_buff *skb = d->skb;
	struct ovs_header *oh;

	oh = genlmsg_put(skb, d->portid, d->seq, &ovsdp_families[family], NLM_F_MULTI, cmd);
	if (!oh)
		return -EMSGSIZE;
	oh->dp_ifindex = dp_ifindex;
	m->skb = skb;
	m->hdr = oh;
	m->data = skb_tail_pointer(skb);
	m->room = skb_tailroom(skb);
	return 0;
}

void ovsdp_dump_commit(struct ovsdp_dump *d, struct ovsdp_genl_msg *m, size_t len)
{
	struct sk_buff *skb = m->skb;

	if (WARN_ON_ONCE(len > m->room || len > skb_tailroom(skb))) {
		genlmsg_cancel(skb, m->hdr);
		return;
	}
	skb_put(skb, len);
	genlmsg_end(skb, m->hdr);
}

void ovsdp_dump_cancel(struct ovsdp_dump *d, struct ovsdp_genl_msg *m)
{
	genlmsg_cancel(m->skb, m->hdr);
}

int ovsdp_dump_empty(const struct ovsdp_dump *d)
{
	return ((const struct sk_buff *)d->skb)->len == 0;
}

/* ---- ovs_datapath ---------------------------------------------------------- */

static const struct nla_policy datapath_policy[OVS_DP_ATTR_MAX + 1] = {
	[OVS_DP_ATTR_NAME] = { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[OVS_DP_ATTR_UPCALL_PID] = { .type = NLA_U32 },
	[OVS_DP_ATTR_USER_FEATURES] = { .type = NLA_U32 },
	[OVS_DP_ATTR_MASKS_CACHE_SIZE] = { .type = NLA_U32 },
	[OVS_DP_ATTR_PER_CPU_PIDS] = { .type = NLA_UNSPEC },
	[OVS_DP_ATTR_IFINDEX] = { .type = NLA_U32 },
};

static const struct genl_multicast_group datapath_mcgrp = { .name = OVS_DATAPATH_MCGROUP };

/* ---- ovs_vport ------------------------------------------------------------- */

static const struct nla_policy vport_policy[OVS_VPORT_ATTR_MAX + 1] = {
	[OVS_VPORT_ATTR_NAME] = { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[OVS_VPORT_ATTR_STATS] = { .len = sizeof(struct ovs_vport_stats) },
	[OVS_VPORT_ATTR_PORT_NO] = { .type = NLA_U32 },
	[OVS_VPORT_ATTR_TYPE] = { .type = NLA_U32 },
	[OVS_VPORT_ATTR_UPCALL_PID] = { .type = NLA_UNSPEC },
	[OVS_VPORT_ATTR_OPTIONS] = { .type = NLA_NESTED },
	[OVS_VPORT_ATTR_IFINDEX] = NLA_POLICY_MIN(NLA_S32, 0),
	[OVS_VPORT_ATTR_NETNSID] = { .type = NLA_S32 },
};

static const struct genl_multicast_group vport_mcgrp = { .name = OVS_VPORT_MCGROUP };

/* ---- ovs_flow and ovs_packet ------------------------------------------------ */

/* Upstream's attributes; ovsdp's extensions are found by find_ext_attrs(). */
static const struct nla_policy flow_policy[OVS_FLOW_ATTR_MAX + 1] = {
	[OVS_FLOW_ATTR_KEY] = { .type = NLA_NESTED },
	[OVS_FLOW_ATTR_MASK] = { .type = NLA_NESTED },
	[OVS_FLOW_ATTR_ACTIONS] = { .type = NLA_NESTED },
	[OVS_FLOW_ATTR_CLEAR] = { .type = NLA_FLAG },
	[OVS_FLOW_ATTR_PROBE] = { .type = NLA_FLAG },
	[OVS_FLOW_ATTR_UFID] = { .type = NLA_UNSPEC, .len = 1 },
	[OVS_FLOW_ATTR_UFID_FLAGS] = { .type = NLA_U32 },
};

static const struct genl_multicast_group flow_mcgrp = { .name = OVS_FLOW_MCGROUP };

static const struct nla_policy packet_policy[OVS_PACKET_ATTR_MAX + 1] = {
	[OVS_PACKET_ATTR_PACKET] = { .len = ETH_HLEN },
	[OVS_PACKET_ATTR_KEY] = { .type = NLA_NESTED },
	[OVS_PACKET_ATTR_ACTIONS] = { .type = NLA_NESTED },
	[OVS_PACKET_ATTR_PROBE] = { .type = NLA_FLAG },
	[OVS_PACKET_ATTR_MRU] = { .type = NLA_U16 },
	[OVS_PACKET_ATTR_HASH] = { .type = NLA_U64 },
};

/* ---- ovs_meter ------------------------------------------------------------- */

/* Band attributes are parsed by the core (meter/meter.cpp), as upstream's band_policy. */
static const struct nla_policy meter_policy[OVS_METER_ATTR_MAX + 1] = {
	[OVS_METER_ATTR_ID] = { .type = NLA_U32 },
	[OVS_METER_ATTR_KBPS] = { .type = NLA_FLAG },
	[OVS_METER_ATTR_STATS] = { .len = sizeof(struct ovs_flow_stats) },
	[OVS_METER_ATTR_BANDS] = { .type = NLA_NESTED },
	[OVS_METER_ATTR_USED] = { .type = NLA_U64 },
	[OVS_METER_ATTR_CLEAR] = { .type = NLA_FLAG },
	[OVS_METER_ATTR_MAX_METERS] = { .type = NLA_U32 },
	[OVS_METER_ATTR_MAX_BANDS] = { .type = NLA_U32 },
};

static const struct genl_multicast_group meter_mcgrp = { .name = OVS_METER_MCGROUP };

/* ---- ovs_ct_limit ---------------------------------------------------------- */

/* The zone limit array is walked by the core (conntrack/ct_limit.cpp). */
static const struct nla_policy ct_limit_policy[OVS_CT_LIMIT_ATTR_MAX + 1] = {
	[OVS_CT_LIMIT_ATTR_ZONE_LIMIT] = { .type = NLA_NESTED },
};

static const struct genl_multicast_group ct_limit_mcgrp = { .name = OVS_CT_LIMIT_MCGROUP };

/* ---- Operations, from the command table ------------------------------------ */

static int doit_datapath(struct sk_buff *skb, struct genl_info *info)
{
	return run_doit(OVSDP_FAMILY_DATAPATH, skb, info);
}

static int dumpit_datapath(struct sk_buff *skb, struct netlink_callback *cb)
{
	return run_dumpit(OVSDP_FAMILY_DATAPATH, skb, cb);
}

static int doit_vport(struct sk_buff *skb, struct genl_info *info)
{
	return run_doit(OVSDP_FAMILY_VPORT, skb, info);
}

static int dumpit_vport(struct sk_buff *skb, struct netlink_callback *cb)
{
	return run_dumpit(OVSDP_FAMILY_VPORT, skb, cb);
}

static int doit_flow(struct sk_buff *skb, struct genl_info *info)
{
	return run_doit(OVSDP_FAMILY_FLOW, skb, info);
}

static int dumpit_flow(struct sk_buff *skb, struct netlink_callback *cb)
{
	return run_dumpit(OVSDP_FAMILY_FLOW, skb, cb);
}

static int doit_packet(struct sk_buff *skb, struct genl_info *info)
{
	return run_doit(OVSDP_FAMILY_PACKET, skb, info);
}

static int dumpit_packet(struct sk_buff *skb, struct netlink_callback *cb)
{
	return run_dumpit(OVSDP_FAMILY_PACKET, skb, cb);
}

static int doit_meter(struct sk_buff *skb, struct genl_info *info)
{
	return run_doit(OVSDP_FAMILY_METER, skb, info);
}

static int dumpit_meter(struct sk_buff *skb, struct netlink_callback *cb)
{
	return run_dumpit(OVSDP_FAMILY_METER, skb, cb);
}

static int doit_ct_limit(struct sk_buff *skb, struct genl_info *info)
{
	return run_doit(OVSDP_FAMILY_CT_LIMIT, skb, info);
}

static const struct {
	int (*doit)(struct sk_buff *skb, struct genl_info *info);
	int (*dumpit)(struct sk_buff *skb, struct netlink_callback *cb);
} ovsdp_family_entry[OVSDP_FAMILY_COUNT] = {
	[OVSDP_FAMILY_DATAPATH] = { doit_datapath, dumpit_datapath },
	[OVSDP_FAMILY_VPORT] = { doit_vport, dumpit_vport },
	[OVSDP_FAMILY_FLOW] = { doit_flow, dumpit_flow },
	[OVSDP_FAMILY_PACKET] = { doit_packet, dumpit_packet },
	[OVSDP_FAMILY_METER] = { doit_meter, dumpit_meter },
	[OVSDP_FAMILY_CT_LIMIT] = { doit_ct_limit, NULL },
};

#define OVSDP_MAX_CMDS 32
static struct genl_small_ops ovsdp_small_ops[OVSDP_MAX_CMDS];

/* Each family's genl_small_ops, in table order, before it is registered. */
static int build_ops(void)
{
	unsigned int n = 0, i;
	int fam;

	if (ovsdp_n_cmds > OVSDP_MAX_CMDS)
		return -E2BIG;
	for (fam = 0; fam < OVSDP_FAMILY_COUNT; fam++) {
		unsigned int first = n;

		for (i = 0; i < ovsdp_n_cmds; i++) {
			const struct ovsdp_cmd_desc *c = &ovsdp_cmds[i];
			struct genl_small_ops *op = &ovsdp_small_ops[n];

			if (c->family != fam)
				continue;
			memset(op, 0, sizeof(*op));
			op->cmd = c->cmd;
			op->validate = GENL_DONT_VALIDATE_STRICT | GENL_DONT_VALIDATE_DUMP;
			op->flags = (c->flags & OVSDP_CMD_F_ADMIN) ? GENL_UNS_ADMIN_PERM : 0;
			op->doit = c->doit ? ovsdp_family_entry[fam].doit : NULL;
			op->dumpit = c->dumpit ? ovsdp_family_entry[fam].dumpit : NULL;
			n++;
		}
		ovsdp_families[fam].small_ops = &ovsdp_small_ops[first];
		ovsdp_families[fam].n_small_ops = n - first;
	}
	return 0;
}

static struct genl_family ovsdp_families[OVSDP_FAMILY_COUNT] = {
	[OVSDP_FAMILY_DATAPATH] = {
		.hdrsize = sizeof(struct ovs_header),
		.name = OVS_DATAPATH_FAMILY,
		.version = OVS_DATAPATH_VERSION,
		.maxattr = OVS_DP_ATTR_MAX,
		.policy = datapath_policy,
		.netnsok = true,
		.parallel_ops = true,
		.resv_start_op = OVS_DP_CMD_SET + 1,
		.mcgrps = &datapath_mcgrp,
		.n_mcgrps = 1,
		.module = THIS_MODULE,
	},
	[OVSDP_FAMILY_VPORT] = {
		.hdrsize = sizeof(struct ovs_header),
		.name = OVS_VPORT_FAMILY,
		.version = OVS_VPORT_VERSION,
		.maxattr = OVS_VPORT_ATTR_MAX,
		.policy = vport_policy,
		.netnsok = true,
		.parallel_ops = true,
		.resv_start_op = OVS_VPORT_CMD_SET + 1,
		.mcgrps = &vport_mcgrp,
		.n_mcgrps = 1,
		.module = THIS_MODULE,
	},
	[OVSDP_FAMILY_FLOW] = {
		.hdrsize = sizeof(struct ovs_header),
		.name = OVS_FLOW_FAMILY,
		.version = OVS_FLOW_VERSION,
		.maxattr = OVS_FLOW_ATTR_MAX,
		.policy = flow_policy,
		.netnsok = true,
		.parallel_ops = true,
		.resv_start_op = OVS_FLOW_CMD_SET + 1,
		.mcgrps = &flow_mcgrp,
		.n_mcgrps = 1,
		.module = THIS_MODULE,
	},
	[OVSDP_FAMILY_PACKET] = {
		.hdrsize = sizeof(struct ovs_header),
		.name = OVS_PACKET_FAMILY,
		.version = OVS_PACKET_VERSION,
		.maxattr = OVS_PACKET_ATTR_MAX,
		.policy = packet_policy,
		.netnsok = true,
		.parallel_ops = true,
		.resv_start_op = OVS_PACKET_CMD_EXECUTE + 1,
		.module = THIS_MODULE,
	},
	[OVSDP_FAMILY_METER] = {
		.hdrsize = sizeof(struct ovs_header),
		.name = OVS_METER_FAMILY,
		.version = OVS_METER_VERSION,
		.maxattr = OVS_METER_ATTR_MAX,
		.policy = meter_policy,
		.netnsok = true,
		.parallel_ops = true,
		.resv_start_op = OVS_METER_CMD_GET + 1,
		.mcgrps = &meter_mcgrp,
		.n_mcgrps = 1,
		.module = THIS_MODULE,
	},
	[OVSDP_FAMILY_CT_LIMIT] = {
		.hdrsize = sizeof(struct ovs_header),
		.name = OVS_CT_LIMIT_FAMILY,
		.version = OVS_CT_LIMIT_VERSION,
		.maxattr = OVS_CT_LIMIT_ATTR_MAX,
		.policy = ct_limit_policy,
		.netnsok = true,
		.parallel_ops = true,
		.resv_start_op = OVS_CT_LIMIT_CMD_GET + 1,
		.mcgrps = &ct_limit_mcgrp,
		.n_mcgrps = 1,
		.module = THIS_MODULE,
	},
};

struct genl_family *ovsdp_family(int family)
{
	return &ovsdp_families[family];
}

int ovsdp_genl_init(void)
{
	int i, err;

	err = build_ops();
	if (err)
		return err;
	for (i = 0; i < OVSDP_FAMILY_COUNT; i++) {
		err = genl_register_family(&ovsdp_families[i]);
		if (err)
			goto unwind;
	}
	return 0;

unwind:
	while (--i >= 0)
		genl_unregister_family(&ovsdp_families[i]);
	return err;
}

void ovsdp_genl_exit(void)
{
	int i;

	for (i = OVSDP_FAMILY_COUNT - 1; i >= 0; i--)
		genl_unregister_family(&ovsdp_families[i]);
}

MODULE_ALIAS_GENL_FAMILY(OVS_DATAPATH_FAMILY);
MODULE_ALIAS_GENL_FAMILY(OVS_VPORT_FAMILY);
MODULE_ALIAS_GENL_FAMILY(OVS_FLOW_FAMILY);
MODULE_ALIAS_GENL_FAMILY(OVS_PACKET_FAMILY);
MODULE_ALIAS_GENL_FAMILY(OVS_METER_FAMILY);
MODULE_ALIAS_GENL_FAMILY(OVS_CT_LIMIT_FAMILY);
