// SPDX-License-Identifier: GPL-2.0
// Connection tracking over the kernel's nf_conntrack: the kernel side of
// platform/conntrack.h. The only file that touches nf_conn and skb->_nfct.
#include <linux/skbuff.h>
#include <net/netfilter/nf_conntrack.h>

#include "platform/conntrack.h"

int ovsdp_ct_enabled(void)
{
	// Not yet: the ct action has no kernel side here, so the conntrack key
	// fields and the action are refused as by a kernel without conntrack.
	return 0;
}

int ovsdp_ct_action_init(struct ovsdp_ct_action *act, void *net, const char **msg)
{
	*msg = "Conntrack actions are not supported by this datapath";
	return -EOPNOTSUPP;
}

void ovsdp_ct_action_release(struct ovsdp_ct_action *act)
{
}

void ovsdp_skb_ct_clear(void *p)
{
	struct sk_buff *skb = p;

	// Upstream's ovs_ct_clear(): drop the reference (nf_conntrack_put()
	// needs nothing of the nf_conntrack module) and mark it untracked.
	nf_reset_ct(skb);
	nf_ct_set(skb, NULL, IP_CT_UNTRACKED);
}
