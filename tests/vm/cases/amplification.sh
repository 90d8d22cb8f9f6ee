#!/bin/bash
# amplification.sh (guest): the packet amplification budget (see
# amplification.py). usage (host): tests/vm/vm-run tests/vm/cases/amplification.sh [--measure]
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
. "$HERE/../guest-lib.sh"
load_ovsdp || { echo "FAIL: load our openvswitch.ko"; exit 1; }
load_veth
python3 "$HERE/amplification.py" "$@"
