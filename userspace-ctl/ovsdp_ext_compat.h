// SPDX-License-Identifier: Apache-2.0
// ovsdp's per-NUMA flow statistics extension, as datapath/ovsdp_ext.h
// defines it (numbers copied from the specification because that
// header is not committed yet; switch to including it once it lands).
#pragma once

#if __has_include("datapath/ovsdp_ext.h")
#include "datapath/ovsdp_ext.h"
#else
#define OVSDP_FLOW_ATTR_NUMA_STATS 200

enum ovsdp_numa_attr {
    OVSDP_NUMA_ATTR_UNSPEC,
    OVSDP_NUMA_ATTR_NODE,      /* nested: one node's statistics */
};

enum ovsdp_numa_node_attr {
    OVSDP_NUMA_NODE_UNSPEC,
    OVSDP_NUMA_NODE_ID,        /* u32: NUMA node */
    OVSDP_NUMA_NODE_PACKETS,   /* u64 */
    OVSDP_NUMA_NODE_BYTES,     /* u64 */
    OVSDP_NUMA_NODE_USED,      /* u64: msecs; absent if never used */
    OVSDP_NUMA_NODE_TCP_FLAGS, /* u16: OR of the TCP flags seen */
    __OVSDP_NUMA_NODE_MAX
};
#endif
