// SPDX-License-Identifier: GPL-2.0
// base/ovs_abi.h restates upstream's ABI for the kernel build; check it here
// against the real <linux/openvswitch.h>, value by value.
#include "base/ovs_abi.h"

#include <cstring>
#include <gtest/gtest.h>
#include <linux/openvswitch.h>



#define SAME(x) static_assert(static_cast<long>(ovsdp::uapi::x) == static_cast<long>(::x), #x)

SAME(OVS_DP_CMD_NEW); SAME(OVS_DP_CMD_DEL); SAME(OVS_DP_CMD_GET); SAME(OVS_DP_CMD_SET);
SAME(OVS_DP_ATTR_NAME); SAME(OVS_DP_ATTR_UPCALL_PID); SAME(OVS_DP_ATTR_STATS);
SAME(OVS_DP_ATTR_MEGAFLOW_STATS); SAME(OVS_DP_ATTR_USER_FEATURES); SAME(OVS_DP_ATTR_PAD);
SAME(OVS_DP_ATTR_MASKS_CACHE_SIZE); SAME(OVS_DP_ATTR_PER_CPU_PIDS); SAME(OVS_DP_ATTR_IFINDEX);
static_assert(ovsdp::uapi::kDpAttrMax == OVS_DP_ATTR_MAX);
static_assert(ovsdp::uapi::kDpFUnaligned == OVS_DP_F_UNALIGNED); static_assert(ovsdp::uapi::kDpFVportPids == OVS_DP_F_VPORT_PIDS); static_assert(ovsdp::uapi::kDpFTcRecircSharing == OVS_DP_F_TC_RECIRC_SHARING);
static_assert(ovsdp::uapi::kDpFDispatchUpcallPerCpu == OVS_DP_F_DISPATCH_UPCALL_PER_CPU);
SAME(OVS_VPORT_CMD_NEW); SAME(OVS_VPORT_CMD_DEL); SAME(OVS_VPORT_CMD_GET); SAME(OVS_VPORT_CMD_SET);
SAME(OVS_VPORT_TYPE_NETDEV); SAME(OVS_VPORT_TYPE_INTERNAL); SAME(OVS_VPORT_TYPE_GRE);
SAME(OVS_VPORT_TYPE_VXLAN); SAME(OVS_VPORT_TYPE_GENEVE); static_assert(ovsdp::uapi::kVportTypeMax == OVS_VPORT_TYPE_MAX);
SAME(OVS_VPORT_ATTR_PORT_NO); SAME(OVS_VPORT_ATTR_TYPE); SAME(OVS_VPORT_ATTR_NAME);
SAME(OVS_VPORT_ATTR_OPTIONS); SAME(OVS_VPORT_ATTR_UPCALL_PID); SAME(OVS_VPORT_ATTR_STATS);
SAME(OVS_VPORT_ATTR_PAD); SAME(OVS_VPORT_ATTR_IFINDEX); SAME(OVS_VPORT_ATTR_NETNSID);
// Newer kernels' headers know attributes past ovsdp's (6.12: OVS_VPORT_ATTR_UPCALL_STATS,
// OVS_ACTION_ATTR_DROP and _PSAMPLE); ovsdp refuses them as unknown, as a 6.1 kernel does.
static_assert(ovsdp::uapi::kVportAttrMax <= OVS_VPORT_ATTR_MAX);
SAME(OVS_FLOW_CMD_NEW); SAME(OVS_FLOW_CMD_DEL); SAME(OVS_FLOW_CMD_GET); SAME(OVS_FLOW_CMD_SET);
SAME(OVS_FLOW_ATTR_KEY); SAME(OVS_FLOW_ATTR_ACTIONS); SAME(OVS_FLOW_ATTR_STATS);
SAME(OVS_FLOW_ATTR_TCP_FLAGS); SAME(OVS_FLOW_ATTR_USED); SAME(OVS_FLOW_ATTR_CLEAR);
SAME(OVS_FLOW_ATTR_MASK); SAME(OVS_FLOW_ATTR_PROBE); SAME(OVS_FLOW_ATTR_UFID);
SAME(OVS_FLOW_ATTR_UFID_FLAGS); SAME(OVS_FLOW_ATTR_PAD); static_assert(ovsdp::uapi::kFlowAttrMax == OVS_FLOW_ATTR_MAX);
static_assert(ovsdp::uapi::kUfidFOmitKey == OVS_UFID_F_OMIT_KEY); static_assert(ovsdp::uapi::kUfidFOmitMask == OVS_UFID_F_OMIT_MASK); static_assert(ovsdp::uapi::kUfidFOmitActions == OVS_UFID_F_OMIT_ACTIONS);
SAME(OVS_PACKET_CMD_MISS); SAME(OVS_PACKET_CMD_ACTION); SAME(OVS_PACKET_CMD_EXECUTE);
SAME(OVS_PACKET_ATTR_PACKET); SAME(OVS_PACKET_ATTR_KEY); SAME(OVS_PACKET_ATTR_ACTIONS);
SAME(OVS_PACKET_ATTR_USERDATA); SAME(OVS_PACKET_ATTR_EGRESS_TUN_KEY); SAME(OVS_PACKET_ATTR_PROBE);
SAME(OVS_PACKET_ATTR_MRU); SAME(OVS_PACKET_ATTR_LEN); SAME(OVS_PACKET_ATTR_HASH);
static_assert(ovsdp::uapi::kPacketAttrMax == OVS_PACKET_ATTR_MAX);

SAME(OVS_METER_CMD_FEATURES); SAME(OVS_METER_CMD_SET); SAME(OVS_METER_CMD_DEL); SAME(OVS_METER_CMD_GET);
SAME(OVS_METER_ATTR_ID); SAME(OVS_METER_ATTR_KBPS); SAME(OVS_METER_ATTR_STATS); SAME(OVS_METER_ATTR_BANDS);
SAME(OVS_METER_ATTR_USED); SAME(OVS_METER_ATTR_CLEAR); SAME(OVS_METER_ATTR_MAX_METERS);
SAME(OVS_METER_ATTR_MAX_BANDS); SAME(OVS_METER_ATTR_PAD); static_assert(ovsdp::uapi::kMeterAttrMax == OVS_METER_ATTR_MAX);
SAME(OVS_BAND_ATTR_TYPE); SAME(OVS_BAND_ATTR_RATE); SAME(OVS_BAND_ATTR_BURST); SAME(OVS_BAND_ATTR_STATS);
static_assert(ovsdp::uapi::kBandAttrMax == OVS_BAND_ATTR_MAX);
SAME(OVS_METER_BAND_TYPE_UNSPEC); SAME(OVS_METER_BAND_TYPE_DROP);
static_assert(ovsdp::uapi::kMeterVersion == OVS_METER_VERSION);

static_assert(ovsdp::uapi::kLocalPort == OVSP_LOCAL);
static_assert(ovsdp::uapi::kDatapathVersion == OVS_DATAPATH_VERSION);
static_assert(ovsdp::uapi::kVportVersion == OVS_VPORT_VERSION);
static_assert(ovsdp::uapi::kFlowVersion == OVS_FLOW_VERSION);
static_assert(ovsdp::uapi::kPacketVersion == OVS_PACKET_VERSION);
static_assert(sizeof(ovsdp::uapi::DpStats) == sizeof(ovs_dp_stats));
static_assert(sizeof(ovsdp::uapi::DpMegaflowStats) == sizeof(ovs_dp_megaflow_stats));
static_assert(offsetof(ovsdp::uapi::DpMegaflowStats, n_cache_hit) == offsetof(ovs_dp_megaflow_stats, n_cache_hit));
static_assert(sizeof(ovsdp::uapi::VportStats) == sizeof(ovs_vport_stats));
static_assert(offsetof(ovsdp::uapi::VportStats, tx_dropped) == offsetof(ovs_vport_stats, tx_dropped));
static_assert(sizeof(ovsdp::uapi::FlowStats) == sizeof(ovs_flow_stats));

// Flow keys.
SAME(OVS_KEY_ATTR_UNSPEC); SAME(OVS_KEY_ATTR_ENCAP); SAME(OVS_KEY_ATTR_PRIORITY); SAME(OVS_KEY_ATTR_IN_PORT);
SAME(OVS_KEY_ATTR_ETHERNET); SAME(OVS_KEY_ATTR_VLAN); SAME(OVS_KEY_ATTR_ETHERTYPE); SAME(OVS_KEY_ATTR_IPV4);
SAME(OVS_KEY_ATTR_IPV6); SAME(OVS_KEY_ATTR_TCP); SAME(OVS_KEY_ATTR_UDP); SAME(OVS_KEY_ATTR_ICMP);
SAME(OVS_KEY_ATTR_ICMPV6); SAME(OVS_KEY_ATTR_ARP); SAME(OVS_KEY_ATTR_ND); SAME(OVS_KEY_ATTR_SKB_MARK);
SAME(OVS_KEY_ATTR_TUNNEL); SAME(OVS_KEY_ATTR_SCTP); SAME(OVS_KEY_ATTR_TCP_FLAGS); SAME(OVS_KEY_ATTR_DP_HASH);
SAME(OVS_KEY_ATTR_RECIRC_ID); SAME(OVS_KEY_ATTR_MPLS); SAME(OVS_KEY_ATTR_CT_STATE); SAME(OVS_KEY_ATTR_CT_ZONE);
SAME(OVS_KEY_ATTR_CT_MARK); SAME(OVS_KEY_ATTR_CT_LABELS); SAME(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4);
SAME(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6); SAME(OVS_KEY_ATTR_NSH); SAME(OVS_KEY_ATTR_PACKET_TYPE);
SAME(OVS_KEY_ATTR_ND_EXTENSIONS); SAME(OVS_KEY_ATTR_TUNNEL_INFO); SAME(OVS_KEY_ATTR_IPV6_EXTHDRS);
static_assert(ovsdp::uapi::kKeyAttrMax == OVS_KEY_ATTR_MAX);
SAME(OVS_TUNNEL_KEY_ATTR_ID); SAME(OVS_TUNNEL_KEY_ATTR_IPV4_SRC); SAME(OVS_TUNNEL_KEY_ATTR_IPV4_DST);
SAME(OVS_TUNNEL_KEY_ATTR_TOS); SAME(OVS_TUNNEL_KEY_ATTR_TTL); SAME(OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT);
SAME(OVS_TUNNEL_KEY_ATTR_CSUM); SAME(OVS_TUNNEL_KEY_ATTR_OAM); SAME(OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS);
SAME(OVS_TUNNEL_KEY_ATTR_TP_SRC); SAME(OVS_TUNNEL_KEY_ATTR_TP_DST); SAME(OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS);
SAME(OVS_TUNNEL_KEY_ATTR_IPV6_SRC); SAME(OVS_TUNNEL_KEY_ATTR_IPV6_DST); SAME(OVS_TUNNEL_KEY_ATTR_PAD);
SAME(OVS_TUNNEL_KEY_ATTR_ERSPAN_OPTS); SAME(OVS_TUNNEL_KEY_ATTR_IPV4_INFO_BRIDGE);
static_assert(ovsdp::uapi::kTunnelKeyAttrMax == OVS_TUNNEL_KEY_ATTR_MAX);
SAME(OVS_VXLAN_EXT_UNSPEC); SAME(OVS_VXLAN_EXT_GBP); static_assert(ovsdp::uapi::kVxlanExtMax == OVS_VXLAN_EXT_MAX);
SAME(OVS_NSH_KEY_ATTR_BASE); SAME(OVS_NSH_KEY_ATTR_MD1); SAME(OVS_NSH_KEY_ATTR_MD2);
static_assert(ovsdp::uapi::kNshKeyAttrMax == OVS_NSH_KEY_ATTR_MAX);
SAME(OVS_FRAG_TYPE_NONE); SAME(OVS_FRAG_TYPE_FIRST); SAME(OVS_FRAG_TYPE_LATER);
static_assert(ovsdp::uapi::kFragTypeMax == OVS_FRAG_TYPE_MAX);

#define SAME_SIZE(ours, theirs) static_assert(sizeof(ovsdp::uapi::ours) == sizeof(theirs), #ours)
#define SAME_OFF(ours, f, theirs, g) static_assert(offsetof(ovsdp::uapi::ours, f) == offsetof(theirs, g), #ours "." #f)
SAME_SIZE(OvsKeyEthernet, ovs_key_ethernet); SAME_OFF(OvsKeyEthernet, eth_dst, ovs_key_ethernet, eth_dst);
SAME_SIZE(OvsKeyMpls, ovs_key_mpls);
SAME_SIZE(OvsKeyIpv4, ovs_key_ipv4); SAME_OFF(OvsKeyIpv4, ipv4_proto, ovs_key_ipv4, ipv4_proto);
SAME_OFF(OvsKeyIpv4, ipv4_frag, ovs_key_ipv4, ipv4_frag);
SAME_SIZE(OvsKeyIpv6, ovs_key_ipv6); SAME_OFF(OvsKeyIpv6, ipv6_dst, ovs_key_ipv6, ipv6_dst);
SAME_OFF(OvsKeyIpv6, ipv6_label, ovs_key_ipv6, ipv6_label); SAME_OFF(OvsKeyIpv6, ipv6_frag, ovs_key_ipv6, ipv6_frag);
SAME_SIZE(OvsKeyIpv6Exthdrs, ovs_key_ipv6_exthdrs);
SAME_SIZE(OvsKeyPorts, ovs_key_tcp); SAME_SIZE(OvsKeyPorts, ovs_key_udp); SAME_SIZE(OvsKeyPorts, ovs_key_sctp);
SAME_OFF(OvsKeyPorts, dst, ovs_key_tcp, tcp_dst); SAME_OFF(OvsKeyPorts, dst, ovs_key_udp, udp_dst);
SAME_OFF(OvsKeyPorts, dst, ovs_key_sctp, sctp_dst);
SAME_SIZE(OvsKeyIcmp, ovs_key_icmp); SAME_SIZE(OvsKeyIcmp, ovs_key_icmpv6);
SAME_OFF(OvsKeyIcmp, code, ovs_key_icmp, icmp_code); SAME_OFF(OvsKeyIcmp, code, ovs_key_icmpv6, icmpv6_code);
SAME_SIZE(OvsKeyArp, ovs_key_arp); SAME_OFF(OvsKeyArp, arp_op, ovs_key_arp, arp_op);
SAME_OFF(OvsKeyArp, arp_sha, ovs_key_arp, arp_sha); SAME_OFF(OvsKeyArp, arp_tha, ovs_key_arp, arp_tha);
SAME_SIZE(OvsKeyNd, ovs_key_nd); SAME_OFF(OvsKeyNd, nd_sll, ovs_key_nd, nd_sll); SAME_OFF(OvsKeyNd, nd_tll, ovs_key_nd, nd_tll);
SAME_SIZE(OvsKeyCtTupleIpv4, ovs_key_ct_tuple_ipv4); SAME_SIZE(OvsKeyCtTupleIpv6, ovs_key_ct_tuple_ipv6);
static_assert(ovsdp::uapi::kCtLabelsLen == OVS_CT_LABELS_LEN);
SAME(OVS_CT_ATTR_COMMIT); SAME(OVS_CT_ATTR_ZONE); SAME(OVS_CT_ATTR_MARK); SAME(OVS_CT_ATTR_LABELS);
SAME(OVS_CT_ATTR_HELPER); SAME(OVS_CT_ATTR_NAT); SAME(OVS_CT_ATTR_FORCE_COMMIT); SAME(OVS_CT_ATTR_EVENTMASK);
SAME(OVS_CT_ATTR_TIMEOUT); static_assert(ovsdp::uapi::kCtAttrMax == OVS_CT_ATTR_MAX);
SAME(OVS_NAT_ATTR_SRC); SAME(OVS_NAT_ATTR_DST); SAME(OVS_NAT_ATTR_IP_MIN); SAME(OVS_NAT_ATTR_IP_MAX);
SAME(OVS_NAT_ATTR_PROTO_MIN); SAME(OVS_NAT_ATTR_PROTO_MAX); SAME(OVS_NAT_ATTR_PERSISTENT);
SAME(OVS_NAT_ATTR_PROTO_HASH); SAME(OVS_NAT_ATTR_PROTO_RANDOM); static_assert(ovsdp::uapi::kNatAttrMax == OVS_NAT_ATTR_MAX);
static_assert(ovsdp::uapi::kCtStateNew == OVS_CS_F_NEW && ovsdp::uapi::kCtStateEstablished == OVS_CS_F_ESTABLISHED
    && ovsdp::uapi::kCtStateRelated == OVS_CS_F_RELATED && ovsdp::uapi::kCtStateReplyDir == OVS_CS_F_REPLY_DIR
    && ovsdp::uapi::kCtStateInvalid == OVS_CS_F_INVALID && ovsdp::uapi::kCtStateTracked == OVS_CS_F_TRACKED
    && ovsdp::uapi::kCtStateSrcNat == OVS_CS_F_SRC_NAT && ovsdp::uapi::kCtStateDstNat == OVS_CS_F_DST_NAT);
static_assert(sizeof(ovsdp::uapi::OvsCtLabels) == 2 * OVS_CT_LABELS_LEN);
SAME_SIZE(OvsNshKeyBase, ovs_nsh_key_base); SAME_SIZE(OvsNshKeyMd1, ovs_nsh_key_md1);

// Actions.
SAME(OVS_ACTION_ATTR_UNSPEC); SAME(OVS_ACTION_ATTR_OUTPUT); SAME(OVS_ACTION_ATTR_USERSPACE); SAME(OVS_ACTION_ATTR_SET);
SAME(OVS_ACTION_ATTR_PUSH_VLAN); SAME(OVS_ACTION_ATTR_POP_VLAN); SAME(OVS_ACTION_ATTR_SAMPLE);
SAME(OVS_ACTION_ATTR_RECIRC); SAME(OVS_ACTION_ATTR_HASH); SAME(OVS_ACTION_ATTR_PUSH_MPLS);
SAME(OVS_ACTION_ATTR_POP_MPLS); SAME(OVS_ACTION_ATTR_SET_MASKED); SAME(OVS_ACTION_ATTR_CT); SAME(OVS_ACTION_ATTR_TRUNC);
SAME(OVS_ACTION_ATTR_PUSH_ETH); SAME(OVS_ACTION_ATTR_POP_ETH); SAME(OVS_ACTION_ATTR_CT_CLEAR);
SAME(OVS_ACTION_ATTR_PUSH_NSH); SAME(OVS_ACTION_ATTR_POP_NSH); SAME(OVS_ACTION_ATTR_METER); SAME(OVS_ACTION_ATTR_CLONE);
SAME(OVS_ACTION_ATTR_CHECK_PKT_LEN); SAME(OVS_ACTION_ATTR_ADD_MPLS); SAME(OVS_ACTION_ATTR_DEC_TTL);
static_assert(ovsdp::uapi::kActionAttrMax <= OVS_ACTION_ATTR_MAX); // see kVportAttrMax
SAME(OVS_SAMPLE_ATTR_PROBABILITY); SAME(OVS_SAMPLE_ATTR_ACTIONS); static_assert(ovsdp::uapi::kSampleAttrMax == OVS_SAMPLE_ATTR_MAX);
SAME(OVS_USERSPACE_ATTR_PID); SAME(OVS_USERSPACE_ATTR_USERDATA); SAME(OVS_USERSPACE_ATTR_EGRESS_TUN_PORT);
SAME(OVS_USERSPACE_ATTR_ACTIONS); static_assert(ovsdp::uapi::kUserspaceAttrMax == OVS_USERSPACE_ATTR_MAX);
SAME(OVS_CHECK_PKT_LEN_ATTR_PKT_LEN); SAME(OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER);
SAME(OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL);
static_assert(ovsdp::uapi::kCheckPktLenAttrMax == OVS_CHECK_PKT_LEN_ATTR_MAX);
SAME(OVS_DEC_TTL_ATTR_ACTION); static_assert(ovsdp::uapi::kDecTtlAttrMax == OVS_DEC_TTL_ATTR_MAX);
SAME(OVS_HASH_ALG_L4);
static_assert(ovsdp::uapi::kMplsL3TunnelFlagMask == OVS_MPLS_L3_TUNNEL_FLAG_MASK);
SAME_SIZE(OvsActionTrunc, ovs_action_trunc);
SAME_SIZE(OvsActionPushMpls, ovs_action_push_mpls); SAME_OFF(OvsActionPushMpls, mpls_ethertype, ovs_action_push_mpls, mpls_ethertype);
SAME_SIZE(OvsActionAddMpls, ovs_action_add_mpls); SAME_OFF(OvsActionAddMpls, tun_flags, ovs_action_add_mpls, tun_flags);
SAME_SIZE(OvsActionPushVlan, ovs_action_push_vlan); SAME_OFF(OvsActionPushVlan, vlan_tci, ovs_action_push_vlan, vlan_tci);
SAME_SIZE(OvsActionHash, ovs_action_hash); SAME_OFF(OvsActionHash, hash_basis, ovs_action_hash, hash_basis);
SAME_SIZE(OvsActionPushEth, ovs_action_push_eth);

TEST(OvsAbi, FamilyNames)
{
    EXPECT_STREQ(ovsdp::uapi::kDatapathFamily, OVS_DATAPATH_FAMILY);
    EXPECT_STREQ(ovsdp::uapi::kVportFamily, OVS_VPORT_FAMILY);
    EXPECT_STREQ(ovsdp::uapi::kFlowFamily, OVS_FLOW_FAMILY);
    EXPECT_STREQ(ovsdp::uapi::kPacketFamily, OVS_PACKET_FAMILY);
}
