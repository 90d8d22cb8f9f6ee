/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel interfaces that differ between the kernels ovsdp builds for
 * (Debian 12's 6.1 and its 6.12 from bookworm-security), each behind one
 * helper. The OVSDP_HAVE_* macros come from kmod/compat.mk, which greps the
 * headers of the kernel being built for; nothing here tests a version number.
 * Only the C files of kmod/ include this: the C++ core never sees a kernel
 * header.
 *
 * New C shim code uses these helpers instead of the fields they hide:
 *   ovsdp_genl_userhdr(info)           instead of info->userhdr
 *   ovsdp_netdev_set_lltx(dev)         instead of NETIF_F_LLTX in dev->features
 *   ovsdp_netdev_set_netns_local(dev)  instead of NETIF_F_NETNS_LOCAL
 *   ovsdp_dst_init_noref(dst, ops)     instead of dst_init() (on-stack dsts)
 *   ovsdp_tun_flags_set/get(key, ...)  instead of ip_tunnel_key.tun_flags
 * and includes this header for skb_gso_segment(), __skb_gso_segment() and
 * skb_gso_validate_*() (they moved to <net/gso.h>).
 */
#ifndef OVSDP_KMOD_COMPAT_H
#define OVSDP_KMOD_COMPAT_H

#include <linux/netdevice.h>
#include <net/dst.h>
#include <net/genetlink.h>
#include <net/ip_tunnels.h>
#ifdef OVSDP_HAVE_NET_GSO_H
#include <net/gso.h>
#endif

/* The family-specific header (struct ovs_header) after the genl header. */
static inline void *ovsdp_genl_userhdr(const struct genl_info *info)
{
#ifdef OVSDP_HAVE_GENL_INFO_USERHDR
	return genl_info_userhdr(info);
#else
	return info->userhdr;
#endif
}

/* Lockless transmit (no TX queue lock): a feature bit, later a device flag.
 * Set after the feature masks were derived from dev->features (a feature
 * bit must not be user-changeable: not in hw_features). */
static inline void ovsdp_netdev_set_lltx(struct net_device *dev)
{
#ifdef OVSDP_HAVE_NETIF_F_LLTX
	dev->features |= NETIF_F_LLTX;
#else
	dev->lltx = true;
#endif
}

/* The device may not move to another network namespace. */
static inline void ovsdp_netdev_set_netns_local(struct net_device *dev)
{
#if defined(OVSDP_HAVE_NETIF_F_NETNS_LOCAL)
	dev->features |= NETIF_F_NETNS_LOCAL;
#elif defined(OVSDP_HAVE_NETDEV_NETNS_IMMUTABLE)
	dev->netns_immutable = true;
#elif defined(OVSDP_HAVE_NETDEV_NETNS_LOCAL)
	dev->netns_local = true;
#else
#error "kmod/compat.mk found no netns-local flag in <linux/netdevice.h>"
#endif
}

/* A dst that lives on the stack for one call and is never reference-counted
 * (DST_NOCOUNT, DST_OBSOLETE_NONE), as upstream's fragmentation output uses. */
static inline void ovsdp_dst_init_noref(struct dst_entry *dst, struct dst_ops *ops)
{
#ifdef OVSDP_HAVE_DST_INIT_INITIAL_REF
	dst_init(dst, ops, NULL, 1, DST_OBSOLETE_NONE, DST_NOCOUNT);
#else
	dst_init(dst, ops, NULL, DST_OBSOLETE_NONE, DST_NOCOUNT);
#endif
}

/* Tunnel flags: the core keeps the historical 16-bit big-endian TUNNEL_*
 * word (its raw bits in a u16); newer kernels keep a bitmap. */
static inline void ovsdp_tun_flags_set(struct ip_tunnel_key *key, u16 flags)
{
#ifdef OVSDP_HAVE_IP_TUNNEL_FLAGS_BITMAP
	ip_tunnel_flags_from_be16(key->tun_flags, (__force __be16)flags);
#else
	key->tun_flags = (__force __be16)flags;
#endif
}

static inline u16 ovsdp_tun_flags_get(const struct ip_tunnel_key *key)
{
#ifdef OVSDP_HAVE_IP_TUNNEL_FLAGS_BITMAP
	return (__force u16)ip_tunnel_flags_to_be16(key->tun_flags);
#else
	return (__force u16)key->tun_flags;
#endif
}

#endif
