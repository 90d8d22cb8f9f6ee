#!/bin/bash
# demo.sh: the main job. Installs what is missing, builds openvswitch.ko and
# ovsdp-ctl, boots Debian's 6.1 kernel in QEMU, loads the module, joins two
# network namespaces to a datapath, installs flows that forward ping between
# them and shows the flows and the counters.
set -euo pipefail
REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$REPO"
bash scripts/install-deps.sh
bash scripts/build.sh "$REPO/build/release"
exec tests/vm/vm-run --timeout 600 tests/vm/cases/demo.sh --ctl "$REPO/build/release/userspace-ctl/ovsdp-ctl"
