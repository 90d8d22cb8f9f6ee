#!/bin/bash
# install-deps.sh [--kernel 6.12]: the Debian 12 packages ovsdp needs to build,
# test and package it and to run its VM tests. Idempotent; installs only what
# is missing. Run as root.
#
# It never stops, disables or reconfigures a service of the host: packages are
# installed with a policy-rc.d that refuses every service start, so a package
# that ships a service (openvswitch-switch, dkms) is installed but not started,
# and a service that already runs (an Open vSwitch carrying the host's network)
# is left as it is. The tests run their own daemons inside the VM.
#
# --kernel 6.12 also installs Debian's 6.12 kernel and its headers from
# bookworm-security (linux-image-6.12-amd64, linux-headers-6.12-amd64), for
# the 6.12 VM stages. The VM tests still boot 6.1 unless told otherwise, but on
# a host that boots with GRUB the newest installed kernel becomes GRUB's
# default for the next boot.
set -euo pipefail

PKGS=(
	build-essential g++ cmake make pkg-config git python3 kmod
	linux-image-amd64 linux-headers-amd64
	libgtest-dev libgmock-dev libbenchmark-dev liburcu-dev libnl-3-dev libnl-genl-3-dev
	clang libclang-rt-14-dev valgrind
	qemu-system-x86 busybox-static iproute2 iputils-ping netcat-openbsd tcpdump
	openvswitch-switch
	linux-source-6.12 python3-pyroute2 iputils-arping
	dkms openssl mokutil dpkg-dev dwarves zstd xz-utils
)
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) [ $# -ge 2 ] || { echo "install-deps: --kernel needs a series" >&2; exit 2; }
		case $2 in
		6.1) ;;
		6.12) PKGS+=(linux-image-6.12-amd64 linux-headers-6.12-amd64) ;;
		*) echo "install-deps: unknown kernel series $2 (6.1, 6.12)" >&2; exit 2 ;;
		esac
		shift ;;
	*) echo "usage: install-deps.sh [--kernel 6.1|6.12]" >&2; exit 2 ;;
	esac
	shift
done

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#PKGS[@]} packages present"
	exit 0
fi
echo "install-deps: installing ${missing[*]}"

# Refuse service starts (invoke-rc.d and deb-systemd-invoke ask policy-rc.d)
# for the time of this install; an existing policy-rc.d is put back after.
POLICY=/usr/sbin/policy-rc.d
saved=""
if [ -e "$POLICY" ] || [ -L "$POLICY" ]; then
	saved=$(mktemp "$POLICY.ovsdp-saved.XXXXXX")
	mv -f "$POLICY" "$saved"
fi
restore_policy() {
	rm -f "$POLICY"
	if [ -n "$saved" ]; then mv -f "$saved" "$POLICY"; fi
}
trap restore_policy EXIT
printf '#!/bin/sh\n# ovsdp install-deps: no service starts while it installs packages\nexit 101\n' >"$POLICY"
chmod 755 "$POLICY"

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
