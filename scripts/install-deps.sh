#!/bin/bash
# install-deps.sh: the Debian 12 packages ovsdp needs to build, test and run
# its VM tests. Idempotent; installs only what is missing. Run as root.
set -euo pipefail

PKGS=(
	build-essential g++ cmake make pkg-config git python3 kmod
	linux-image-amd64 linux-headers-amd64
	libgtest-dev libgmock-dev libbenchmark-dev liburcu-dev libnl-3-dev libnl-genl-3-dev
	clang libclang-rt-14-dev valgrind
	qemu-system-x86 busybox-static iproute2 iputils-ping netcat-openbsd tcpdump
	openvswitch-switch
	linux-source-6.12 python3-pyroute2 iputils-arping
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#PKGS[@]} packages present"
	exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
# Debian starts the OVS services on install; the tests run their own daemons
# in the VM, and the host kernel has no business loading openvswitch here.
systemctl disable --now openvswitch-switch >/dev/null 2>&1 || true
