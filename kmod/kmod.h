/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the C files of kmod/: the lock and the pieces module.c wires up. */
#ifndef OVSDP_KMOD_H
#define OVSDP_KMOD_H

#include <linux/netdevice.h>

void ovs_lock(void);
void ovs_unlock(void);

int ovsdp_genl_init(void);
/* Per-namespace conntrack state (kmod/conntrack.c): connection limits. */
int ovsdp_ct_init(void);
void ovsdp_ct_exit(void);
struct genl_family;
struct genl_family *ovsdp_family(int family);
void ovsdp_genl_exit(void);

/* frag.c: an skb with `size` bytes of buffer carved from this CPU's pages
 * (upcall messages, EXECUTE's copies), NULL when none is at hand or more
 * than a page is needed; the pages go at module exit. */
struct sk_buff;
struct sk_buff *ovsdp_frag_skb(unsigned int size);
void ovsdp_frag_exit(void);

int ovsdp_dev_init(void);
void ovsdp_dev_exit(void);
bool ovsdp_is_internal_dev(const struct net_device *dev);

/* The datapath's part of skb->cb while a packet is in it (upstream's OVS_CB). */
struct ovsdp_skb_cb {
	u16 mru;	/* maximum received fragment size, 0 if not reassembled */
	u32 cutlen;	/* bytes to keep on output/upcall; U32_MAX: all */
};
#define OVSDP_CB(skb) ((struct ovsdp_skb_cb *)(skb)->cb)

#endif
