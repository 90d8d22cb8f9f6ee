# SPDX-License-Identifier: GPL-2.0
# Feature tests against the headers of the kernel being built for, included by
# Kbuild (as the out-of-tree Open vSwitch datapath's acinclude.m4 grepped the
# headers). Each test adds -DOVSDP_HAVE_<feature> to the C files' flags when the
# headers have it; kmod/compat.h turns the results into one spelling for the C
# shim. Tests name features, never kernel versions: stable updates backport
# renames (the netns-local flag is a feature bit in 6.1, dev->netns_local in
# 6.12.0, dev->netns_immutable in later 6.12.y; scripts/check-compat.sh
# compiles kmod/compat.h against each of the three, 6.12.0's from a copy of
# the 6.12.y headers with the field renamed back, since Debian ships only the
# newest 6.12.y headers).

ovsdp_inc := $(srctree)/include
# $(call ovsdp_grep,HEADER,ERE,FEATURE): FEATURE when HEADER matches ERE.
ovsdp_grep = $(shell grep -qE '$(2)' $(ovsdp_inc)/$(1) 2>/dev/null && echo -DOVSDP_HAVE_$(3))
# $(call ovsdp_header,HEADER,FEATURE): FEATURE when HEADER exists.
ovsdp_header = $(if $(wildcard $(ovsdp_inc)/$(1)),-DOVSDP_HAVE_$(2))
# $(call ovsdp_decl,HEADER,START,ERE,FEATURE): FEATURE when the declaration that
# starts at a line matching START (up to its ';') matches ERE.
ovsdp_decl = $(shell sed -n '/$(2)/,/;/p' $(ovsdp_inc)/$(1) 2>/dev/null | grep -qE '$(3)' && echo -DOVSDP_HAVE_$(4))

ovsdp_compat_flags := \
	$(call ovsdp_grep,linux/netdev_features.h,NETIF_F_LLTX_BIT,NETIF_F_LLTX) \
	$(call ovsdp_grep,linux/netdev_features.h,NETIF_F_NETNS_LOCAL_BIT,NETIF_F_NETNS_LOCAL) \
	$(call ovsdp_grep,linux/netdevice.h,[[:space:]]netns_local:1;,NETDEV_NETNS_LOCAL) \
	$(call ovsdp_grep,linux/netdevice.h,[[:space:]]netns_immutable:1;,NETDEV_NETNS_IMMUTABLE) \
	$(call ovsdp_grep,net/genetlink.h,genl_info_userhdr,GENL_INFO_USERHDR) \
	$(call ovsdp_header,net/gso.h,NET_GSO_H) \
	$(call ovsdp_grep,net/ip_tunnels.h,IP_TUNNEL_DECLARE_FLAGS.tun_flags,IP_TUNNEL_FLAGS_BITMAP) \
	$(call ovsdp_decl,net/dst.h,^void dst_init.,initial_ref,DST_INIT_INITIAL_REF) \
	$(call ovsdp_decl,net/netfilter/nf_conntrack_count.h,nf_conncount_init.,family,CONNCOUNT_FAMILY)

ccflags-y += $(ovsdp_compat_flags)
