// SPDX-License-Identifier: GPL-2.0
// The Open vSwitch generic netlink ABI, as the core names it. The kernel build
// of the core cannot include <linux/openvswitch.h>, so the numbers the core
// needs are restated here; tests/unit/base/test_ovs_abi.cpp checks every one
// against the real header. Never change a value: they are upstream's ABI.
#pragma once

#include "base/types.h"

namespace ovsdp::uapi {

inline constexpr const char kDatapathFamily[] = "ovs_datapath";
inline constexpr const char kVportFamily[] = "ovs_vport";
inline constexpr const char kFlowFamily[] = "ovs_flow";
inline constexpr const char kPacketFamily[] = "ovs_packet";
inline constexpr u8 kDatapathVersion = 2;
inline constexpr u8 kDpVerFeatures = 2; // first version that knows user features
inline constexpr u8 kVportVersion = 1;
inline constexpr u8 kFlowVersion = 1;
inline constexpr u8 kPacketVersion = 1;

inline constexpr u32 kLocalPort = 0;     // OVSP_LOCAL
// Upstream's DP_MAX_PORTS (USHRT_MAX): port numbers are below it, so a
// datapath has at most 65535 ports (0..65534); it is also the "no input port"
// value of a flow key, and the bound for in_port and output ports.
inline constexpr u32 kDpMaxPorts = 65535;
inline constexpr usize kIfNameSize = 16; // IFNAMSIZ

// ---- ovs_datapath ---------------------------------------------------------------
enum DpCmd : u8 { OVS_DP_CMD_UNSPEC, OVS_DP_CMD_NEW, OVS_DP_CMD_DEL, OVS_DP_CMD_GET, OVS_DP_CMD_SET };

enum DpAttr : u16 {
    OVS_DP_ATTR_UNSPEC,
    OVS_DP_ATTR_NAME,             // string: name of the local port's device
    OVS_DP_ATTR_UPCALL_PID,       // u32
    OVS_DP_ATTR_STATS,            // struct DpStats
    OVS_DP_ATTR_MEGAFLOW_STATS,   // struct DpMegaflowStats
    OVS_DP_ATTR_USER_FEATURES,    // u32 OVS_DP_F_*
    OVS_DP_ATTR_PAD,
    OVS_DP_ATTR_MASKS_CACHE_SIZE, // u32
    OVS_DP_ATTR_PER_CPU_PIDS,     // u32[] indexed by CPU
    OVS_DP_ATTR_IFINDEX,          // u32, NEW only
    kDpAttrMax = OVS_DP_ATTR_IFINDEX,
};

inline constexpr u32 kDpFUnaligned = 1u << 0;
inline constexpr u32 kDpFVportPids = 1u << 1;
inline constexpr u32 kDpFTcRecircSharing = 1u << 2;
inline constexpr u32 kDpFDispatchUpcallPerCpu = 1u << 3;

struct DpStats {
    u64 n_hit;
    u64 n_missed;
    u64 n_lost;
    u64 n_flows;
};
struct DpMegaflowStats {
    u64 n_mask_hit;
    u32 n_masks;
    u32 pad0;
    u64 n_cache_hit;
    u64 pad1;
};

// ---- ovs_vport ----------------------------------------------------------------
enum VportCmd : u8 { OVS_VPORT_CMD_UNSPEC, OVS_VPORT_CMD_NEW, OVS_VPORT_CMD_DEL, OVS_VPORT_CMD_GET, OVS_VPORT_CMD_SET };

enum VportType : u32 {
    OVS_VPORT_TYPE_UNSPEC,
    OVS_VPORT_TYPE_NETDEV,
    OVS_VPORT_TYPE_INTERNAL,
    OVS_VPORT_TYPE_GRE,
    OVS_VPORT_TYPE_VXLAN,
    OVS_VPORT_TYPE_GENEVE,
    kVportTypeMax = OVS_VPORT_TYPE_GENEVE,
};

enum VportAttr : u16 {
    OVS_VPORT_ATTR_UNSPEC,
    OVS_VPORT_ATTR_PORT_NO,    // u32
    OVS_VPORT_ATTR_TYPE,       // u32 OVS_VPORT_TYPE_*
    OVS_VPORT_ATTR_NAME,       // string
    OVS_VPORT_ATTR_OPTIONS,    // nested, per type
    OVS_VPORT_ATTR_UPCALL_PID, // u32[]
    OVS_VPORT_ATTR_STATS,      // struct VportStats
    OVS_VPORT_ATTR_PAD,
    OVS_VPORT_ATTR_IFINDEX,    // u32
    OVS_VPORT_ATTR_NETNSID,    // s32
    kVportAttrMax = OVS_VPORT_ATTR_NETNSID,
};

struct VportStats {
    u64 rx_packets;
    u64 tx_packets;
    u64 rx_bytes;
    u64 tx_bytes;
    u64 rx_errors;
    u64 tx_errors;
    u64 rx_dropped;
    u64 tx_dropped;
};

// ---- ovs_flow ------------------------------------------------------------------
enum FlowCmd : u8 { OVS_FLOW_CMD_UNSPEC, OVS_FLOW_CMD_NEW, OVS_FLOW_CMD_DEL, OVS_FLOW_CMD_GET, OVS_FLOW_CMD_SET };

enum FlowAttr : u16 {
    OVS_FLOW_ATTR_UNSPEC,
    OVS_FLOW_ATTR_KEY,        // nested OVS_KEY_ATTR_*
    OVS_FLOW_ATTR_ACTIONS,    // nested OVS_ACTION_ATTR_*
    OVS_FLOW_ATTR_STATS,      // struct FlowStats
    OVS_FLOW_ATTR_TCP_FLAGS,  // u8
    OVS_FLOW_ATTR_USED,       // u64 msecs since boot
    OVS_FLOW_ATTR_CLEAR,      // flag
    OVS_FLOW_ATTR_MASK,       // nested OVS_KEY_ATTR_*
    OVS_FLOW_ATTR_PROBE,      // flag
    OVS_FLOW_ATTR_UFID,       // 1-16 bytes
    OVS_FLOW_ATTR_UFID_FLAGS, // u32 OVS_UFID_F_*
    OVS_FLOW_ATTR_PAD,
    kFlowAttrMax = OVS_FLOW_ATTR_PAD,
};

inline constexpr u32 kUfidFOmitKey = 1u << 0;
inline constexpr u32 kUfidFOmitMask = 1u << 1;
inline constexpr u32 kUfidFOmitActions = 1u << 2;

struct FlowStats {
    u64 n_packets;
    u64 n_bytes;
};

// ---- ovs_packet ----------------------------------------------------------------
enum PacketCmd : u8 { OVS_PACKET_CMD_UNSPEC, OVS_PACKET_CMD_MISS, OVS_PACKET_CMD_ACTION, OVS_PACKET_CMD_EXECUTE };

enum PacketAttr : u16 {
    OVS_PACKET_ATTR_UNSPEC,
    OVS_PACKET_ATTR_PACKET,
    OVS_PACKET_ATTR_KEY,
    OVS_PACKET_ATTR_ACTIONS,
    OVS_PACKET_ATTR_USERDATA,
    OVS_PACKET_ATTR_EGRESS_TUN_KEY,
    OVS_PACKET_ATTR_UNUSED1,
    OVS_PACKET_ATTR_UNUSED2,
    OVS_PACKET_ATTR_PROBE,
    OVS_PACKET_ATTR_MRU,
    OVS_PACKET_ATTR_LEN,
    OVS_PACKET_ATTR_HASH,
    kPacketAttrMax = OVS_PACKET_ATTR_HASH,
};

// OVS_PACKET_ATTR_HASH (u64): the skb hash in the low 32 bits and its type in
// upstream's OVS_PACKET_HASH_SW_BIT / OVS_PACKET_HASH_L4_BIT (defined in
// net/openvswitch/datapath.h, not in the uapi header).
inline constexpr u64 kPacketHashSwBit = 1ULL << 32;
inline constexpr u64 kPacketHashL4Bit = 1ULL << 33;

// ---- ovs_meter -------------------------------------------------------------------
inline constexpr const char kMeterFamily[] = "ovs_meter";
inline constexpr u8 kMeterVersion = 1;

enum MeterCmd : u8 { OVS_METER_CMD_UNSPEC, OVS_METER_CMD_FEATURES, OVS_METER_CMD_SET, OVS_METER_CMD_DEL,
                     OVS_METER_CMD_GET };

enum MeterAttr : u16 {
    OVS_METER_ATTR_UNSPEC,
    OVS_METER_ATTR_ID,         // u32
    OVS_METER_ATTR_KBPS,       // flag: rates in kilobits per second, else packets per second
    OVS_METER_ATTR_STATS,      // struct FlowStats
    OVS_METER_ATTR_BANDS,      // nested: one nest of OVS_BAND_ATTR_* per band
    OVS_METER_ATTR_USED,       // u64 msecs
    OVS_METER_ATTR_CLEAR,      // flag: start the replacing meter with zero stats
    OVS_METER_ATTR_MAX_METERS, // u32
    OVS_METER_ATTR_MAX_BANDS,  // u32
    OVS_METER_ATTR_PAD,
    kMeterAttrMax = OVS_METER_ATTR_PAD,
};

enum BandAttr : u16 {
    OVS_BAND_ATTR_UNSPEC,
    OVS_BAND_ATTR_TYPE,        // u32 OVS_METER_BAND_TYPE_*
    OVS_BAND_ATTR_RATE,        // u32: kbps or packets per second
    OVS_BAND_ATTR_BURST,       // u32: kilobits or packets
    OVS_BAND_ATTR_STATS,       // struct FlowStats
    kBandAttrMax = OVS_BAND_ATTR_STATS,
};

enum MeterBandType : u32 { OVS_METER_BAND_TYPE_UNSPEC, OVS_METER_BAND_TYPE_DROP };

// ---- ovs_ct_limit ----------------------------------------------------------------
inline constexpr const char kCtLimitFamily[] = "ovs_ct_limit";
inline constexpr u8 kCtLimitVersion = 1;

enum CtLimitCmd : u8 { OVS_CT_LIMIT_CMD_UNSPEC, OVS_CT_LIMIT_CMD_SET, OVS_CT_LIMIT_CMD_DEL, OVS_CT_LIMIT_CMD_GET };

enum CtLimitAttr : u16 {
    OVS_CT_LIMIT_ATTR_UNSPEC,
    OVS_CT_LIMIT_ATTR_ZONE_LIMIT, // an array of struct OvsZoneLimit, each NLA-aligned (12 bytes)
    kCtLimitAttrMax = OVS_CT_LIMIT_ATTR_ZONE_LIMIT,
};

// zone_id of the default limit (a zone without its own limit).
inline constexpr s32 OVS_ZONE_LIMIT_DEFAULT_ZONE = -1;

// struct ovs_zone_limit. limit 0: unlimited. count: only in GET replies.
struct OvsZoneLimit {
    s32 zone_id;
    u32 limit;
    u32 count;
};
static_assert(sizeof(OvsZoneLimit) == 12);

// ---- Flow keys (OVS_FLOW_ATTR_KEY, OVS_FLOW_ATTR_MASK, OVS_PACKET_ATTR_KEY) -------

enum KeyAttr : u16 {
    OVS_KEY_ATTR_UNSPEC,
    OVS_KEY_ATTR_ENCAP,              // nested OVS_KEY_ATTR_* inside a VLAN tag
    OVS_KEY_ATTR_PRIORITY,           // u32 skb->priority
    OVS_KEY_ATTR_IN_PORT,            // u32 input port number
    OVS_KEY_ATTR_ETHERNET,           // struct OvsKeyEthernet
    OVS_KEY_ATTR_VLAN,               // be16 TCI (with the CFI bit as "present")
    OVS_KEY_ATTR_ETHERTYPE,          // be16
    OVS_KEY_ATTR_IPV4,               // struct OvsKeyIpv4
    OVS_KEY_ATTR_IPV6,               // struct OvsKeyIpv6
    OVS_KEY_ATTR_TCP,                // struct OvsKeyPorts
    OVS_KEY_ATTR_UDP,                // struct OvsKeyPorts
    OVS_KEY_ATTR_ICMP,               // struct OvsKeyIcmp
    OVS_KEY_ATTR_ICMPV6,             // struct OvsKeyIcmp
    OVS_KEY_ATTR_ARP,                // struct OvsKeyArp
    OVS_KEY_ATTR_ND,                 // struct OvsKeyNd
    OVS_KEY_ATTR_SKB_MARK,           // u32 skb->mark
    OVS_KEY_ATTR_TUNNEL,             // nested OVS_TUNNEL_KEY_ATTR_*
    OVS_KEY_ATTR_SCTP,               // struct OvsKeyPorts
    OVS_KEY_ATTR_TCP_FLAGS,          // be16
    OVS_KEY_ATTR_DP_HASH,            // u32
    OVS_KEY_ATTR_RECIRC_ID,          // u32
    OVS_KEY_ATTR_MPLS,               // array of be32 label stack entries
    OVS_KEY_ATTR_CT_STATE,           // u32 OVS_CS_F_*
    OVS_KEY_ATTR_CT_ZONE,            // u16
    OVS_KEY_ATTR_CT_MARK,            // u32
    OVS_KEY_ATTR_CT_LABELS,          // 16 bytes
    OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4, // struct OvsKeyCtTupleIpv4
    OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6, // struct OvsKeyCtTupleIpv6
    OVS_KEY_ATTR_NSH,                // nested OVS_NSH_KEY_ATTR_*
    OVS_KEY_ATTR_PACKET_TYPE,        // userspace only: never accepted from userspace
    OVS_KEY_ATTR_ND_EXTENSIONS,      // userspace only: never accepted from userspace
    OVS_KEY_ATTR_TUNNEL_INFO,        // kernel internal: never accepted from userspace
    OVS_KEY_ATTR_IPV6_EXTHDRS,       // struct OvsKeyIpv6Exthdrs
    kKeyAttrMax = OVS_KEY_ATTR_IPV6_EXTHDRS,
};

enum TunnelKeyAttr : u16 {
    OVS_TUNNEL_KEY_ATTR_ID,               // be64 tunnel ID
    OVS_TUNNEL_KEY_ATTR_IPV4_SRC,         // be32
    OVS_TUNNEL_KEY_ATTR_IPV4_DST,         // be32
    OVS_TUNNEL_KEY_ATTR_TOS,              // u8
    OVS_TUNNEL_KEY_ATTR_TTL,              // u8
    OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT,    // flag
    OVS_TUNNEL_KEY_ATTR_CSUM,             // flag
    OVS_TUNNEL_KEY_ATTR_OAM,              // flag
    OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS,      // Geneve options, a multiple of 4 bytes
    OVS_TUNNEL_KEY_ATTR_TP_SRC,           // be16
    OVS_TUNNEL_KEY_ATTR_TP_DST,           // be16
    OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS,       // nested OVS_VXLAN_EXT_*
    OVS_TUNNEL_KEY_ATTR_IPV6_SRC,         // 16 bytes
    OVS_TUNNEL_KEY_ATTR_IPV6_DST,         // 16 bytes
    OVS_TUNNEL_KEY_ATTR_PAD,
    OVS_TUNNEL_KEY_ATTR_ERSPAN_OPTS,      // struct erspan_metadata
    OVS_TUNNEL_KEY_ATTR_IPV4_INFO_BRIDGE, // flag
    kTunnelKeyAttrMax = OVS_TUNNEL_KEY_ATTR_IPV4_INFO_BRIDGE,
};

enum VxlanExtAttr : u16 {
    OVS_VXLAN_EXT_UNSPEC,
    OVS_VXLAN_EXT_GBP, // u32 group-based policy
    kVxlanExtMax = OVS_VXLAN_EXT_GBP,
};

enum NshKeyAttr : u16 {
    OVS_NSH_KEY_ATTR_UNSPEC,
    OVS_NSH_KEY_ATTR_BASE,
    OVS_NSH_KEY_ATTR_MD1,
    OVS_NSH_KEY_ATTR_MD2,
    kNshKeyAttrMax = OVS_NSH_KEY_ATTR_MD2,
};

enum FragType : u8 {
    OVS_FRAG_TYPE_NONE,
    OVS_FRAG_TYPE_FIRST,
    OVS_FRAG_TYPE_LATER,
    kFragTypeMax = OVS_FRAG_TYPE_LATER,
};

// Key attribute payloads. Multi-byte fields are in network order.
struct OvsKeyEthernet {
    u8 eth_src[6];
    u8 eth_dst[6];
};
struct OvsKeyMpls {
    be32 mpls_lse;
};
struct OvsKeyIpv4 {
    be32 ipv4_src;
    be32 ipv4_dst;
    u8 ipv4_proto;
    u8 ipv4_tos;
    u8 ipv4_ttl;
    u8 ipv4_frag; // OVS_FRAG_TYPE_*
};
struct OvsKeyIpv6 {
    be32 ipv6_src[4];
    be32 ipv6_dst[4];
    be32 ipv6_label; // 20 low bits
    u8 ipv6_proto;
    u8 ipv6_tclass;
    u8 ipv6_hlimit;
    u8 ipv6_frag; // OVS_FRAG_TYPE_*
};
struct OvsKeyIpv6Exthdrs {
    u16 hdrs;
};
// ovs_key_tcp, ovs_key_udp and ovs_key_sctp share this layout.
struct OvsKeyPorts {
    be16 src;
    be16 dst;
};
// ovs_key_icmp and ovs_key_icmpv6 share this layout.
struct OvsKeyIcmp {
    u8 type;
    u8 code;
};
struct OvsKeyArp {
    be32 arp_sip;
    be32 arp_tip;
    be16 arp_op;
    u8 arp_sha[6];
    u8 arp_tha[6];
};
struct OvsKeyNd {
    be32 nd_target[4];
    u8 nd_sll[6];
    u8 nd_tll[6];
};
struct OvsKeyCtTupleIpv4 {
    be32 ipv4_src;
    be32 ipv4_dst;
    be16 src_port;
    be16 dst_port;
    u8 ipv4_proto;
};
struct OvsKeyCtTupleIpv6 {
    be32 ipv6_src[4];
    be32 ipv6_dst[4];
    be16 src_port;
    be16 dst_port;
    u8 ipv6_proto;
};
inline constexpr usize kCtLabelsLen = 16; // OVS_CT_LABELS_LEN
struct OvsNshKeyBase {
    u8 flags;
    u8 ttl;
    u8 mdtype;
    u8 np;
    be32 path_hdr;
};
struct OvsNshKeyMd1 {
    be32 context[4];
};

// ---- Actions (OVS_FLOW_ATTR_ACTIONS, OVS_PACKET_ATTR_ACTIONS) ------------------

enum ActionAttr : u16 {
    OVS_ACTION_ATTR_UNSPEC,
    OVS_ACTION_ATTR_OUTPUT,        // u32 port number
    OVS_ACTION_ATTR_USERSPACE,     // nested OVS_USERSPACE_ATTR_*
    OVS_ACTION_ATTR_SET,           // one nested OVS_KEY_ATTR_*
    OVS_ACTION_ATTR_PUSH_VLAN,     // struct OvsActionPushVlan
    OVS_ACTION_ATTR_POP_VLAN,      // no payload
    OVS_ACTION_ATTR_SAMPLE,        // nested OVS_SAMPLE_ATTR_*
    OVS_ACTION_ATTR_RECIRC,        // u32 recirculation ID
    OVS_ACTION_ATTR_HASH,          // struct OvsActionHash
    OVS_ACTION_ATTR_PUSH_MPLS,     // struct OvsActionPushMpls
    OVS_ACTION_ATTR_POP_MPLS,      // be16 ethertype
    OVS_ACTION_ATTR_SET_MASKED,    // one nested OVS_KEY_ATTR_*: value then mask
    OVS_ACTION_ATTR_CT,            // nested OVS_CT_ATTR_*
    OVS_ACTION_ATTR_TRUNC,         // struct OvsActionTrunc
    OVS_ACTION_ATTR_PUSH_ETH,      // struct OvsActionPushEth
    OVS_ACTION_ATTR_POP_ETH,       // no payload
    OVS_ACTION_ATTR_CT_CLEAR,      // no payload
    OVS_ACTION_ATTR_PUSH_NSH,      // nested OVS_NSH_KEY_ATTR_*
    OVS_ACTION_ATTR_POP_NSH,       // no payload
    OVS_ACTION_ATTR_METER,         // u32 meter ID
    OVS_ACTION_ATTR_CLONE,         // nested actions
    OVS_ACTION_ATTR_CHECK_PKT_LEN, // nested OVS_CHECK_PKT_LEN_ATTR_*
    OVS_ACTION_ATTR_ADD_MPLS,      // struct OvsActionAddMpls
    OVS_ACTION_ATTR_DEC_TTL,       // nested OVS_DEC_TTL_ATTR_*
    kActionAttrMax = OVS_ACTION_ATTR_DEC_TTL,
};

enum SampleAttr : u16 {
    OVS_SAMPLE_ATTR_UNSPEC,
    OVS_SAMPLE_ATTR_PROBABILITY, // u32, UINT32_MAX is always
    OVS_SAMPLE_ATTR_ACTIONS,     // nested actions
    kSampleAttrMax = OVS_SAMPLE_ATTR_ACTIONS,
};

enum UserspaceAttr : u16 {
    OVS_USERSPACE_ATTR_UNSPEC,
    OVS_USERSPACE_ATTR_PID,             // u32 Netlink PID of the upcall's receiver
    OVS_USERSPACE_ATTR_USERDATA,        // opaque cookie
    OVS_USERSPACE_ATTR_EGRESS_TUN_PORT, // u32 output port for egress tunnel info
    OVS_USERSPACE_ATTR_ACTIONS,         // flag: include the actions in the upcall
    kUserspaceAttrMax = OVS_USERSPACE_ATTR_ACTIONS,
};

enum CheckPktLenAttr : u16 {
    OVS_CHECK_PKT_LEN_ATTR_UNSPEC,
    OVS_CHECK_PKT_LEN_ATTR_PKT_LEN,               // u16
    OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER,    // nested actions
    OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL, // nested actions
    kCheckPktLenAttrMax = OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL,
};

enum DecTtlAttr : u16 {
    OVS_DEC_TTL_ATTR_UNSPEC,
    OVS_DEC_TTL_ATTR_ACTION, // nested actions for packets whose TTL expires
    kDecTtlAttrMax = OVS_DEC_TTL_ATTR_ACTION,
};

// The ct action's attributes (nested in OVS_ACTION_ATTR_CT).
enum CtAttr : u16 {
    OVS_CT_ATTR_UNSPEC,
    OVS_CT_ATTR_COMMIT,       // flag: commit the connection
    OVS_CT_ATTR_ZONE,         // u16 zone id
    OVS_CT_ATTR_MARK,         // struct OvsCtMark: value, mask
    OVS_CT_ATTR_LABELS,       // struct OvsCtLabels: value, mask
    OVS_CT_ATTR_HELPER,       // NUL-terminated helper name
    OVS_CT_ATTR_NAT,          // nested OVS_NAT_ATTR_*
    OVS_CT_ATTR_FORCE_COMMIT, // flag: commit, replacing a reply-direction entry
    OVS_CT_ATTR_EVENTMASK,    // u32 mask of IPCT_* event bits
    OVS_CT_ATTR_TIMEOUT,      // NUL-terminated timeout policy name
    kCtAttrMax = OVS_CT_ATTR_TIMEOUT,
};

enum NatAttr : u16 {
    OVS_NAT_ATTR_UNSPEC,
    OVS_NAT_ATTR_SRC,          // flag: source NAT
    OVS_NAT_ATTR_DST,          // flag: destination NAT
    OVS_NAT_ATTR_IP_MIN,       // be32 or 16-byte address
    OVS_NAT_ATTR_IP_MAX,       // be32 or 16-byte address
    OVS_NAT_ATTR_PROTO_MIN,    // u16 port, host order
    OVS_NAT_ATTR_PROTO_MAX,    // u16 port, host order
    OVS_NAT_ATTR_PERSISTENT,   // flag
    OVS_NAT_ATTR_PROTO_HASH,   // flag
    OVS_NAT_ATTR_PROTO_RANDOM, // flag
    kNatAttrMax = OVS_NAT_ATTR_PROTO_RANDOM,
};

// OVS_KEY_ATTR_CT_STATE bits (OVS_CS_F_*).
inline constexpr u32 kCtStateNew = 0x01;
inline constexpr u32 kCtStateEstablished = 0x02;
inline constexpr u32 kCtStateRelated = 0x04;
inline constexpr u32 kCtStateReplyDir = 0x08;
inline constexpr u32 kCtStateInvalid = 0x10;
inline constexpr u32 kCtStateTracked = 0x20;
inline constexpr u32 kCtStateSrcNat = 0x40;
inline constexpr u32 kCtStateDstNat = 0x80;
inline constexpr u32 kCtStateSupported = 0xff; // every bit above (upstream CT_SUPPORTED_MASK)

// OVS_CT_ATTR_MARK and OVS_CT_ATTR_LABELS payloads (upstream's md_mark, md_labels).
struct OvsCtMark {
    u32 value;
    u32 mask;
};
struct OvsCtLabels {
    u8 value[kCtLabelsLen];
    u8 mask[kCtLabelsLen];
};
inline constexpr usize kCtHelperNameLen = 16; // NF_CT_HELPER_NAME_LEN
inline constexpr usize kCtTimeoutNameMax = 32; // CTNL_TIMEOUT_NAME_MAX

enum HashAlg : u32 {
    OVS_HASH_ALG_L4,
};

inline constexpr u16 kMplsL3TunnelFlagMask = 1u << 0; // OVS_MPLS_L3_TUNNEL_FLAG_MASK

struct OvsActionTrunc {
    u32 max_len;
};
struct OvsActionPushMpls {
    be32 mpls_lse;
    be16 mpls_ethertype;
};
struct OvsActionAddMpls {
    be32 mpls_lse;
    be16 mpls_ethertype;
    u16 tun_flags; // kMplsL3TunnelFlagMask
};
struct OvsActionPushVlan {
    be16 vlan_tpid;
    be16 vlan_tci;
};
struct OvsActionHash {
    u32 hash_alg; // HashAlg
    u32 hash_basis;
};
struct OvsActionPushEth {
    OvsKeyEthernet addresses;
};

} // namespace ovsdp::uapi
