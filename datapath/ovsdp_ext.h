/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ovsdp's extensions to the Open vSwitch generic netlink ABI. Opt-in and
 * invisible to clients that do not ask: nothing here is sent unless the
 * request carries the matching request attribute. Attribute numbers start at
 * 200, far above upstream's dense ranges (ovs_flow's end at 11), so they
 * cannot collide with what upstream may add. C and C++; userspace tools
 * include it too.
 */
#ifndef OVSDP_EXT_H
#define OVSDP_EXT_H

/*
 * Per-NUMA-node flow statistics (ovs_flow family).
 *
 * Request: OVS_FLOW_CMD_GET (one flow or a dump) with the flag attribute
 * OVSDP_FLOW_ATTR_NUMA_STATS. Reply: each flow message also carries a nested
 * OVSDP_FLOW_ATTR_NUMA_STATS holding one nested OVSDP_NUMA_ATTR_NODE per node
 * that has a statistics instance for the flow (node 0 always; another node
 * once a CPU of it updated the flow). The sum over nodes equals
 * OVS_FLOW_ATTR_STATS.
 */
#define OVSDP_FLOW_ATTR_NUMA_STATS 200

/*
 * Datapath counters beyond upstream's (ovs_datapath family).
 *
 * Request: OVS_DP_CMD_GET (one datapath or a dump) with the flag attribute
 * OVSDP_DP_ATTR_EXT_STATS. Reply: each datapath message also carries a nested
 * OVSDP_DP_ATTR_EXT_STATS with the ovsdp_dp_ext_stats attributes below.
 */
#define OVSDP_DP_ATTR_EXT_STATS 201

enum ovsdp_dp_ext_stats {
	OVSDP_DP_EXT_UNSPEC,
	/* u64: packets (received or executed) whose actions ran out of the
	 * amplification budget and were cut short (actions/actions.h). */
	OVSDP_DP_EXT_BUDGET_DROPS,
	__OVSDP_DP_EXT_MAX
};

/*
 * Extension request attributes are numbered from OVSDP_EXT_ATTR_BASE. The
 * families' attribute tables stay upstream's size (a request never pays for
 * the gap); the kernel finds these in the message separately.
 */
#define OVSDP_EXT_ATTR_BASE 200
#define OVSDP_EXT_ATTR_COUNT 2

enum ovsdp_numa_attr {
	OVSDP_NUMA_ATTR_UNSPEC,
	OVSDP_NUMA_ATTR_NODE,      /* nested: one node's statistics */
};

enum ovsdp_numa_node_attr {
	OVSDP_NUMA_NODE_UNSPEC,
	OVSDP_NUMA_NODE_ID,        /* u32: NUMA node */
	OVSDP_NUMA_NODE_PACKETS,   /* u64 */
	OVSDP_NUMA_NODE_BYTES,     /* u64 */
	OVSDP_NUMA_NODE_USED,      /* u64: msecs, same clock as OVS_FLOW_ATTR_USED; absent if never used */
	OVSDP_NUMA_NODE_TCP_FLAGS, /* u16: OR of the TCP flags seen, host order */
	__OVSDP_NUMA_NODE_MAX
};

#endif
