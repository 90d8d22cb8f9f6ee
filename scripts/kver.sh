#!/bin/bash
# kver.sh SERIES|VERSION: the kernel version (as in /lib/modules) the tests and
# builds mean by SERIES: the newest installed Debian amd64 kernel of that series
# (6.1 -> 6.1.0-N-amd64, 6.12 -> 6.12.N+deb12-amd64). A full version is printed
# as it is. Fails with a message when none is installed.
set -euo pipefail
want=${1:?usage: kver.sh SERIES|VERSION}
if [ -d "/lib/modules/$want" ]; then
	echo "$want"
	exit 0
fi
case $want in
*[!0-9.]*) echo "kver.sh: no /lib/modules/$want" >&2; exit 1 ;;
esac
# shellcheck disable=SC2012
k=$(ls -d /lib/modules/"$want".*-amd64 /lib/modules/"$want"-*-amd64 2>/dev/null | sed 's|.*/||' |
	grep -E "^$(printf '%s' "$want" | sed 's/\./\\./g')[.-][0-9]+" | sort -V | tail -n 1 || true)
if [ -z "$k" ]; then
	echo "kver.sh: no Debian $want amd64 kernel installed (bash scripts/install-deps.sh --kernel $want)" >&2
	exit 1
fi
echo "$k"
