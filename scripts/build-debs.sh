#!/bin/bash
# build-debs.sh [OUT_DIR]: the Debian packages of ovsdp, from this tree, into
# OUT_DIR (default build/deb/):
#   ovsdp-dkms_<version>_all.deb  the module's sources under /usr/src/ovsdp-<version>/
#                                 with dkms.conf; DKMS builds openvswitch.ko for the
#                                 running kernel on install and for each new kernel
#   ovsdp-ctl_<version>_amd64.deb /usr/bin/ovsdp-ctl (built in build/release/ if missing)
# Plain dpkg-deb: no debhelper needed. The version is the tree's VERSION.
set -euo pipefail
REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
OUT=${1:-$REPO/build/deb}
cd "$REPO"
VERSION=$(cat VERSION)
grep -qx "PACKAGE_VERSION=\"$VERSION\"" dkms.conf ||
	{ echo "build-debs: dkms.conf's PACKAGE_VERSION is not VERSION ($VERSION)" >&2; exit 1; }
MAINT="ovsdp developers <ovsdp@localhost>"
mkdir -p "$OUT"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ---- ovsdp-dkms ---------------------------------------------------------------
P=$work/dkms
SRC=$P/usr/src/ovsdp-$VERSION
mkdir -p "$SRC" "$P/DEBIAN" "$P/usr/share/doc/ovsdp-dkms"
# What Kbuild compiles (the Makefile's MODULE_SOURCES): files git tracks or would track.
sources=$(make -s --no-print-directory -f - print <<'MK'
include Makefile
print: ; @echo $(MODULE_SOURCES)
MK
)
# shellcheck disable=SC2086
git ls-files -z --cached --others --exclude-standard -- $sources Makefile dkms.conf | xargs -0 cp --parents -t "$SRC"
cp README.md "$P/usr/share/doc/ovsdp-dkms/"
cat >"$P/DEBIAN/control" <<CTL
Package: ovsdp-dkms
Version: $VERSION
Architecture: all
Section: kernel
Priority: optional
Maintainer: $MAINT
Depends: dkms (>= 3.0), make, gcc-12, g++-12, dwarves
Recommends: linux-headers-amd64 | linux-headers-6.12-amd64, openvswitch-switch
Description: Open vSwitch kernel datapath with a C++ core (DKMS sources)
 ovsdp is a drop-in replacement for the kernel's openvswitch.ko. DKMS builds
 it for each installed kernel with headers (Debian's 6.1 and 6.12) and puts it
 under /lib/modules/<kernel>/updates/dkms/, so "modprobe openvswitch" and
 Open vSwitch's start scripts load it instead of the kernel's module.
 Removing the package brings the kernel's module back.
CTL
cat >"$P/DEBIAN/postinst" <<SH
#!/bin/sh
set -e
[ "\$1" = configure ] || exit 0
# Each dkms run costs about a second of start-up (10-25 s under TCG): the
# state under /var/lib/dkms says whether the version is added.
[ -d /var/lib/dkms/ovsdp/$VERSION ] || dkms add -m ovsdp -v $VERSION
# The running kernel now; other kernels at their install (dkms autoinstall).
k=\$(uname -r)
if [ -e "/lib/modules/\$k/build/Makefile" ]; then
	dkms install -m ovsdp -v $VERSION -k "\$k" ||
		echo "ovsdp-dkms: building for \$k failed; see /var/lib/dkms/ovsdp/$VERSION/build/make.log" >&2
else
	echo "ovsdp-dkms: no headers for the running kernel \$k (apt-get install linux-headers-\$k); not built for it" >&2
fi
if [ -d /sys/module/openvswitch ]; then
	echo "ovsdp-dkms: an openvswitch module is loaded; ovsdp's is used from the next load (or reboot)" >&2
fi
exit 0
SH
cat >"$P/DEBIAN/prerm" <<SH
#!/bin/sh
set -e
case "\$1" in
remove|upgrade|deconfigure)
	# Uninstalls it from every kernel and runs depmod for each.
	if [ -d /var/lib/dkms/ovsdp/$VERSION ]; then
		dkms remove -m ovsdp -v $VERSION --all || true
	fi ;;
esac
exit 0
SH
chmod 755 "$P/DEBIAN/postinst" "$P/DEBIAN/prerm"
dpkg-deb --root-owner-group -Zxz --build "$P" "$OUT/ovsdp-dkms_${VERSION}_all.deb" >/dev/null
echo "build-debs: $OUT/ovsdp-dkms_${VERSION}_all.deb"

# ---- ovsdp-ctl ----------------------------------------------------------------
CTL=${OVSDP_CTL:-$REPO/build/release/userspace-ctl/ovsdp-ctl}
if [ ! -x "$CTL" ]; then
	cmake -S "$REPO" -B "$REPO/build/release" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$REPO/build/release" -j"$(nproc)" --target ovsdp-ctl >/dev/null
fi
P=$work/ctl
mkdir -p "$P/DEBIAN" "$P/usr/bin" "$P/usr/share/doc/ovsdp-ctl"
install -m 755 "$CTL" "$P/usr/bin/ovsdp-ctl"
strip --strip-unneeded "$P/usr/bin/ovsdp-ctl"
cp userspace-ctl/README.md "$P/usr/share/doc/ovsdp-ctl/"
# Shared-library dependencies: the packages that own the libraries it links.
deps=$(ldd "$P/usr/bin/ovsdp-ctl" | awk '$3 ~ /^\// { print $3 }' | while read -r lib; do
	dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib" 2>/dev/null
done | cut -d: -f1 | sort -u | paste -sd, | sed 's/,/, /g')
cat >"$P/DEBIAN/control" <<CTL
Package: ovsdp-ctl
Version: $VERSION
Architecture: amd64
Section: net
Priority: optional
Maintainer: $MAINT
Depends: $deps
Description: ovs-dpctl-style control tool for Open vSwitch kernel datapaths
 ovsdp-ctl manages datapaths, ports and flows of the kernel's Open vSwitch
 datapath (ovsdp's or the kernel's own) over generic netlink, with
 ovs-dpctl 3.1's commands and flow syntax, plus upcall monitoring, JSON output
 and ovsdp's per-NUMA flow statistics.
CTL
dpkg-deb --root-owner-group -Zxz --build "$P" "$OUT/ovsdp-ctl_${VERSION}_amd64.deb" >/dev/null
echo "build-debs: $OUT/ovsdp-ctl_${VERSION}_amd64.deb"
