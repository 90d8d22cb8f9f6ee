#!/bin/bash
# check-compat.sh: kmod/compat.mk's netns-local feature test and kmod/compat.h
# against each spelling of the flag, by compiling a small probe module that
# calls ovsdp_netdev_set_netns_local() through Kbuild with compat.mk's flags:
#   6.1        NETIF_F_NETNS_LOCAL (a netdev feature bit)       real 6.1 headers
#   6.12.0     dev->netns_local (a struct net_device bit field) 6.12 headers, faked
#   6.12.y     dev->netns_immutable (renamed in a stable update) real 6.12 headers
#   none       no flag at all: compat.h must stop with its #error  6.12, faked
# Debian's archive carries only the newest 6.12.y headers (netns_immutable), so
# the 6.12.0 spelling is a copy of them with the field renamed back to
# netns_local, in a tree of symlinks to the rest of the headers that both
# compat.mk's greps (ovsdp_inc) and the compiler (-I ahead of the kernel's)
# read. Needs the headers of Debian's 6.1 and 6.12 (scripts/kver.sh).
set -euo pipefail
REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

cat >"$work/probe.c" <<'C'
// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
#include "kmod/compat.h"

#if defined(OVSDP_HAVE_NETIF_F_NETNS_LOCAL) + defined(OVSDP_HAVE_NETDEV_NETNS_LOCAL) + \
	defined(OVSDP_HAVE_NETDEV_NETNS_IMMUTABLE) > 1
#error "compat.mk found more than one netns-local flag"
#endif

void ovsdp_compat_probe(struct net_device *dev);
void ovsdp_compat_probe(struct net_device *dev)
{
	ovsdp_netdev_set_netns_local(dev);
}
EXPORT_SYMBOL(ovsdp_compat_probe);
MODULE_LICENSE("GPL");
C

# probe KVER NAME WANT [SED]: builds the probe for KVER's headers, with
# include/linux/netdevice.h edited by SED when given. WANT is the compat.mk
# feature that must be found (or "none": the build must fail with compat.h's
# #error).
probe() {
	local kver=$1 name=$2 want=$3 sed_expr=${4:-} kdir inc dir log rc
	kdir=/lib/modules/$kver/build
	[ -e "$kdir/Makefile" ] || { echo "FAIL: $name: no headers for $kver"; fail=1; return; }
	# The common headers: Debian's -amd64 tree links include/ from -common.
	inc=$(sed -n 's/^include \(.*\)\/Makefile$/\1/p' "$kdir/Makefile" | head -n 1)
	inc=${inc:-$(readlink -f "$kdir")}/include
	dir=$work/$name
	mkdir -p "$dir"
	cp "$work/probe.c" "$dir/probe.c"
	ln -s "$REPO/kmod" "$dir/kmod"
	local extra=()
	if [ -n "$sed_expr" ]; then
		cp -as "$inc" "$dir/inc"
		rm "$dir/inc/linux/netdevice.h"
		sed -E "$sed_expr" "$inc/linux/netdevice.h" >"$dir/inc/linux/netdevice.h"
		extra=(ovsdp_inc="$dir/inc")
		echo "NOSTDINC_FLAGS += -I$dir/inc" >"$dir/Kbuild"
	fi
	cat >>"$dir/Kbuild" <<K
obj-m := probe.o
ccflags-y += -I\$(src)
include \$(src)/kmod/compat.mk
K
	log=$dir/build.log
	rc=0
	make -C "$kdir" M="$dir" "${extra[@]}" modules >"$log" 2>&1 || rc=$?
	if [ "$want" = none ]; then
		if [ $rc != 0 ] && grep -q "found no netns-local flag" "$log"; then
			echo "PASS: $name ($kver): compat.h stops with its #error"
		else
			echo "FAIL: $name ($kver): expected compat.h's #error"; tail -n 20 "$log"; fail=1
		fi
		return
	fi
	local flags
	flags=$(grep -o 'OVSDP_HAVE_[A-Z_]*NETNS[A-Z_]*' "$dir/.probe.o.cmd" 2>/dev/null | sort -u | paste -sd' ')
	if [ $rc = 0 ] && [ "$flags" = "OVSDP_HAVE_$want" ]; then
		echo "PASS: $name ($kver): compat.mk finds $want, the probe compiles"
	else
		echo "FAIL: $name ($kver): want OVSDP_HAVE_$want, got '${flags:-nothing}' (make exit $rc)"
		tail -n 20 "$log"
		fail=1
	fi
}

k61=$(bash "$REPO/scripts/kver.sh" 6.1)
k612=$(bash "$REPO/scripts/kver.sh" 6.12)
probe "$k61" 6.1-feature-bit NETIF_F_NETNS_LOCAL
probe "$k612" 6.12.0-netns_local NETDEV_NETNS_LOCAL 's/([[:space:]])netns_immutable:1;/\1netns_local:1;/'
probe "$k612" 6.12.y-netns_immutable NETDEV_NETNS_IMMUTABLE
probe "$k612" no-flag none '/[[:space:]]netns_immutable:1;/d'
exit $fail
