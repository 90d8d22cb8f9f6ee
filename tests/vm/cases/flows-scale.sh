#!/bin/bash
# flows-scale.sh (guest): 100,000 flows installed, dumped and deleted, and a
# dump that runs while flows are added and deleted (flows_scale.py).
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
. "$HERE/../guest-lib.sh"
load_ovsdp || exit 1
FLOWS=${FLOWS:-100000} python3 "$HERE/flows_scale.py"
