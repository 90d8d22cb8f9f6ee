// SPDX-License-Identifier: GPL-2.0
// The flow key: everything the datapath matches a packet on (our sw_flow_key),
// and the key range type that masks and netlink parsing use.
//
// Layout, in order (offsets for LP64, checked below):
//
//   [0, 256)    tunnel options and their length (options right-aligned)
//   [256, 312)  tunnel key (FlowTunnelKey)
//   -------- kFlowKeyNonTunnelStart = 312 -------- non-tunnel flows start here
//   [312, 332)  metadata: priority, skb_mark, recirc_id, dp_hash, in_port, mac_proto
//   -------- kFlowKeyPacketStart = 332 -------- what key_extract() rewrites
//   [332, 354)  Ethernet: addresses, outer and inner VLAN, ethertype
//   [354, 358)  IP: proto, tos, ttl, frag
//   [358, 364)  L4: ports (or ICMP type/code), TCP flags
//   [364, 430)  union of IPv4+ARP, IPv6+extension header bits+ND, MPLS
//   [430, 432)  padding (always zero after extraction)
//   -------- kFlowKeyCtStart = 432 -------- conntrack (FlowKeyCt)
//   [432, 496)  ct state, zone, mark, labels, original-direction tuple
//
// The conntrack fields come last (upstream scatters them through the key):
// the receive path fills them from a connection already on the packet and
// the ct action rewrites them, but key_extract() leaves them alone (upstream
// likewise keeps them across ovs_flow_key_update()), and a flow that matches
// no ct field keeps a range that ends before them.
//
// Keys and masks are compared and hashed a long at a time over a
// FlowKeyRange [start, end); a flow that matches no tunnel field has a mask
// range that starts at or after kFlowKeyNonTunnelStart, so the 312 bytes of
// tunnel metadata cost it nothing. Tunnel options are stored at the *end* of
// tun_opts (as upstream does), so that a flow matching N bytes of options
// only widens its range by N bytes (see FlowKey::tun_opts_offset()).
//
// All multi-byte fields named be16/be32/be64 are in network byte order, as
// they sit in the packet and in the netlink attributes of
// <linux/openvswitch.h>. Field semantics follow the OVS_KEY_ATTR_* they map to.
#pragma once

#include "base/byteorder.h"
#include "base/types.h"
#include "base/util.h"

namespace ovsdp {

// ---- Protocol constants the key speaks in ----------------------------------

// Ethertypes (host order; compare with ntohs() or use htons() on these).
inline constexpr u16 kEthP8023Min = 0x0600; // ETH_P_802_3_MIN: >= is Ethernet II
// ETH_P_802_2: the kernel key's type for 802.2/LLC frames. flow_netlink omits
// OVS_KEY_ATTR_ETHERTYPE for it (and maps an absent attribute to it), which
// OVS userspace reads as its FLOW_DL_TYPE_NONE (0x05ff).
inline constexpr u16 kEthP8022 = 0x0004;
inline constexpr u16 kEthPIp = 0x0800;
inline constexpr u16 kEthPArp = 0x0806;
inline constexpr u16 kEthPRarp = 0x8035;
inline constexpr u16 kEthPIpv6 = 0x86DD;
inline constexpr u16 kEthP8021Q = 0x8100;
inline constexpr u16 kEthP8021AD = 0x88A8;
inline constexpr u16 kEthPMplsUc = 0x8847;
inline constexpr u16 kEthPMplsMc = 0x8848;
inline constexpr u16 kEthPTeb = 0x6558; // transparent Ethernet bridging
inline constexpr u16 kEthPNsh = 0x894F; // keyed by ethertype only (NSH is not parsed)

// IP protocol numbers and IPv6 extension headers.
inline constexpr u8 kIpProtoHopOpts = 0;
inline constexpr u8 kIpProtoIcmp = 1;
inline constexpr u8 kIpProtoTcp = 6;
inline constexpr u8 kIpProtoUdp = 17;
inline constexpr u8 kIpProtoRouting = 43;
inline constexpr u8 kIpProtoFragment = 44;
inline constexpr u8 kIpProtoEsp = 50;
inline constexpr u8 kIpProtoAuth = 51;
inline constexpr u8 kIpProtoIcmpv6 = 58;
inline constexpr u8 kIpProtoNone = 59; // NEXTHDR_NONE
inline constexpr u8 kIpProtoDstOpts = 60;
inline constexpr u8 kIpProtoSctp = 132;

// FlowKeyIpv6::exthdrs bits (OVS_KEY_ATTR_IPV6_EXTHDRS): the IPv6 extension
// headers a packet carries, with the values of OpenFlow 1.2's
// OFPIEH12_* flags, as the 6.1 kernel keys them.
inline constexpr u16 kIpv6ExthdrNoNext = 1 << 0; // a "no next header" (59) was reached
inline constexpr u16 kIpv6ExthdrEsp = 1 << 1; // ESP (never set by 6.1's walk: see flow_extract.h)
inline constexpr u16 kIpv6ExthdrAuth = 1 << 2; // authentication header
inline constexpr u16 kIpv6ExthdrDest = 1 << 3; // one or two destination options headers
inline constexpr u16 kIpv6ExthdrFrag = 1 << 4; // fragment header
inline constexpr u16 kIpv6ExthdrRouter = 1 << 5; // routing header
inline constexpr u16 kIpv6ExthdrHop = 1 << 6; // hop-by-hop options, first after the IPv6 header
inline constexpr u16 kIpv6ExthdrUnrep = 1 << 7; // a header repeated that should not be
inline constexpr u16 kIpv6ExthdrUnseq = 1 << 8; // headers out of RFC 2460's recommended order

// FlowKeyIp::frag values (enum ovs_frag_type).
inline constexpr u8 kFragNone = 0; // OVS_FRAG_TYPE_NONE
inline constexpr u8 kFragFirst = 1; // OVS_FRAG_TYPE_FIRST: fragment with offset 0
inline constexpr u8 kFragLater = 2; // OVS_FRAG_TYPE_LATER: nonzero offset, no L4

// FlowKey::mac_proto values (upstream MAC_PROTO_*), and the bit actions set
// when they change the packet under a key that must then be re-extracted.
inline constexpr u8 kMacProtoNone = 0; // packet starts at L3 (ARPHRD_NONE ports)
inline constexpr u8 kMacProtoEthernet = 1;
inline constexpr u8 kMacProtoKeyInvalid = 0x80; // SW_FLOW_KEY_INVALID

// VLAN: the key's TCI has this bit set when a tag is present (upstream's
// VLAN_CFI_MASK, once VLAN_TAG_PRESENT), so TCI 0 means "no tag".
inline constexpr u16 kVlanCfiMask = 0x1000;
inline constexpr u16 kVlanVidMask = 0x0fff;

inline constexpr usize kMplsLabelDepth = 3; // MPLS_LABEL_DEPTH
inline constexpr u32 kMplsLsBosMask = 0x00000100; // MPLS_LS_S_MASK (host order)

// FlowKeyTp::flags: the 12 low bits of the TCP header's offset/flags word
// (FIN .. CWR, NS and the 3 reserved bits); the data offset never appears.
inline constexpr u16 kTcpFlagsMask = 0x0fff;

// Tunnel key flags (FlowTunnelKey::tun_flags): the kernel's TUNNEL_* values,
// which are be16 constants there too. Use them as htons(kTunnel...).
inline constexpr u16 kTunnelCsum = 0x0001;
inline constexpr u16 kTunnelKey = 0x0004;
inline constexpr u16 kTunnelSeq = 0x0008;
inline constexpr u16 kTunnelDontFragment = 0x0100;
inline constexpr u16 kTunnelOam = 0x0200;
inline constexpr u16 kTunnelCritOpt = 0x0400;
inline constexpr u16 kTunnelGeneveOpt = 0x0800;
inline constexpr u16 kTunnelVxlanOpt = 0x1000;
inline constexpr u16 kTunnelNoCache = 0x2000;
inline constexpr u16 kTunnelErspanOpt = 0x4000;
inline constexpr u16 kTunnelGtpOpt = 0x8000;

// FlowTunnelKey::ip_family values (AF_INET, AF_INET6: upstream's tun_proto).
inline constexpr u8 kAfInet = 2;
inline constexpr u8 kAfInet6 = 10;

inline constexpr usize kTunOptsMax = 255; // IP_TUNNEL_OPTS_MAX
inline constexpr usize kEthAlen = 6;

// ---- The key ----------------------------------------------------------------

struct FlowTunnelAddr4 {
    be32 src; // outer IPv4 source
    be32 dst; // outer IPv4 destination
};

struct FlowTunnelAddr6 {
    u8 src[16]; // outer IPv6 source
    u8 dst[16]; // outer IPv6 destination
};

// The encapsulating tunnel of a received packet (OVS_KEY_ATTR_TUNNEL), or the
// tunnel a set(tunnel) action asks for. Like ip_tunnel_key, minus the IPv6
// flow label and the BPF flow flags, which no OVS attribute can express; plus
// the address family, which upstream keeps apart as tun_proto. Unused bytes
// (the IPv6 part of the union for IPv4 tunnels, pad) must be zero.
struct alignas(8) FlowTunnelKey {
    be64 tun_id; // tunnel ID (VNI, GRE key), right-aligned, network order
    union {
        FlowTunnelAddr4 ipv4; // when ip_family == kAfInet
        FlowTunnelAddr6 ipv6; // when ip_family == kAfInet6
    };
    be16 tun_flags; // htons(kTunnel*) bits
    u8 tos; // outer TOS (IPv4) or traffic class (IPv6)
    u8 ttl; // outer TTL or hop limit
    be16 tp_src; // outer UDP source port (VXLAN, Geneve)
    be16 tp_dst; // outer UDP destination port
    u8 ip_family; // 0 (no tunnel), kAfInet or kAfInet6
    u8 pad[7];
};

struct FlowVlanHead {
    be16 tpid; // 802.1Q or 802.1ad ethertype of the tag; 0 if none
    be16 tci; // tag control info | htons(kVlanCfiMask); 0 if no tag
};

struct FlowKeyEth {
    u8 src[kEthAlen]; // Ethernet source address
    u8 dst[kEthAlen]; // Ethernet destination address
    FlowVlanHead vlan; // outer tag (may come from the accelerated tag)
    FlowVlanHead cvlan; // inner (customer) tag of a double-tagged frame
    be16 type; // ethertype after the tags; htons(kEthP8022) for 802.2 frames
};

struct FlowKeyIp {
    u8 proto; // IP protocol, IPv6 final next header, or ARP opcode (low 8 bits)
    u8 tos; // IPv4 TOS or IPv6 traffic class (DSCP and ECN)
    u8 ttl; // TTL or hop limit
    u8 frag; // kFrag* (OVS_FRAG_TYPE_*)
};

struct FlowKeyTp {
    be16 src; // TCP/UDP/SCTP source port, or htons(ICMP/ICMPv6 type)
    be16 dst; // TCP/UDP/SCTP destination port, or htons(ICMP/ICMPv6 code)
    be16 flags; // TCP flags (12 bits, kTcpFlagsMask); 0 for other protocols
};

struct FlowKeyArp {
    u8 sha[kEthAlen]; // ARP sender hardware address
    u8 tha[kEthAlen]; // ARP target hardware address
};

struct FlowKeyIpv4 {
    be32 src; // IPv4 source, or ARP sender protocol address
    be32 dst; // IPv4 destination, or ARP target protocol address
    FlowKeyArp arp; // ARP/RARP only
};

struct FlowKeyNd {
    u8 target[16]; // neighbor discovery target address
    u8 sll[kEthAlen]; // source link-layer address option (NS)
    u8 tll[kEthAlen]; // target link-layer address option (NA)
};

struct FlowKeyIpv6 {
    u8 src[16]; // IPv6 source address
    u8 dst[16]; // IPv6 destination address
    be32 label; // flow label (low 20 bits, network order)
    u16 exthdrs; // kIpv6Exthdr* bits, host order (OVS_KEY_ATTR_IPV6_EXTHDRS)
    FlowKeyNd nd; // ICMPv6 neighbor solicitation/advertisement only
};

struct FlowKeyMpls {
    u32 num_labels_mask; // bit i set when lse[i] holds a label of the stack
    be32 lse[kMplsLabelDepth]; // label stack entries, top of stack first
};

// Conntrack fields of a key (upstream's ct_state, ct_zone, ct_orig_proto,
// ct.mark, ct.labels, ct_orig and orig_tp). All zero when the packet has no
// connection (untracked).
struct FlowKeyCt {
    u8 state; // OVS_CS_F_* bits (OVS_KEY_ATTR_CT_STATE)
    u8 orig_proto; // IP protocol of the original-direction tuple; 0: no tuple
    u16 zone; // conntrack zone, host order (OVS_KEY_ATTR_CT_ZONE)
    u32 mark; // connection mark (OVS_KEY_ATTR_CT_MARK)
    u8 labels[16]; // connection labels (OVS_KEY_ATTR_CT_LABELS)
    be16 orig_tp_src; // original-direction source port, or htons(ICMP type)
    be16 orig_tp_dst; // original-direction destination port, or htons(ICMP code)
    union {
        FlowTunnelAddr4 ipv4; // original-direction addresses (IPv4 keys)
        FlowTunnelAddr6 ipv6; // original-direction addresses (IPv6 keys)
    } orig;
    u8 pad[4];
};

struct alignas(sizeof(long)) FlowKey {
    // -- Tunnel metadata: [0, kFlowKeyNonTunnelStart) --
    u8 tun_opts[kTunOptsMax]; // options in the last tun_opts_len bytes
    u8 tun_opts_len; // bytes of tunnel options (Geneve TLVs, VXLAN GBP...)
    FlowTunnelKey tun_key; // encapsulating tunnel; all zero if none

    // -- Metadata --
    u32 priority; // skb->priority (OVS_KEY_ATTR_PRIORITY)
    u32 skb_mark; // skb->mark (OVS_KEY_ATTR_SKB_MARK)
    u32 recirc_id; // recirculation ID (OVS_KEY_ATTR_RECIRC_ID)
    u32 dp_hash; // datapath computed hash (OVS_KEY_ATTR_DP_HASH)
    u16 in_port; // input port number (OVS_KEY_ATTR_IN_PORT)
    u8 mac_proto; // kMacProto*, maybe | kMacProtoKeyInvalid
    u8 pad0;

    // -- Packet fields: [kFlowKeyPacketStart, sizeof), written by key_extract --
    FlowKeyEth eth;
    FlowKeyIp ip;
    FlowKeyTp tp;
    union {
        FlowKeyIpv4 ipv4; // eth.type IPv4, ARP or RARP
        FlowKeyIpv6 ipv6; // eth.type IPv6
        FlowKeyMpls mpls; // eth.type MPLS unicast or multicast
    };

    // -- Conntrack: [kFlowKeyCtStart, sizeof), left alone by key_extract --
    FlowKeyCt ct;

    // Offset in tun_opts (and in the key) of `len` bytes of options.
    static constexpr usize tun_opts_offset(usize len) { return kTunOptsMax - len; }
    u8* tun_opts_data() { return tun_opts + tun_opts_offset(tun_opts_len); }
    const u8* tun_opts_data() const { return tun_opts + tun_opts_offset(tun_opts_len); }

    const u8* bytes() const { return reinterpret_cast<const u8*>(this); }
    u8* bytes() { return reinterpret_cast<u8*>(this); }
};

// The first byte that flows matching no tunnel field need.
inline constexpr usize kFlowKeyNonTunnelStart = OVSDP_OFFSETOF(FlowKey, priority);
// The first byte key_extract() writes; the metadata before it is the caller's.
inline constexpr usize kFlowKeyPacketStart = OVSDP_OFFSETOF(FlowKey, eth);
// The first conntrack byte: key_extract() writes [kFlowKeyPacketStart, here).
inline constexpr usize kFlowKeyCtStart = OVSDP_OFFSETOF(FlowKey, ct);
inline constexpr usize kFlowKeySize = sizeof(FlowKey);

static_assert(IsStandardLayout<FlowKey> && IsTriviallyCopyable<FlowKey>);
static_assert(IsStandardLayout<FlowTunnelKey> && IsTriviallyCopyable<FlowTunnelKey>);
static_assert(alignof(FlowKey) == sizeof(long));
static_assert(sizeof(FlowKey) % sizeof(long) == 0);
static_assert(sizeof(FlowTunnelKey) == 56 && OVSDP_OFFSETOF(FlowTunnelKey, tun_flags) == 40
    && OVSDP_OFFSETOF(FlowTunnelKey, ip_family) == 48);
static_assert(OVSDP_OFFSETOF(FlowKey, tun_opts_len) == kTunOptsMax);
static_assert(OVSDP_OFFSETOF(FlowKey, tun_key) == 256);
// Non-tunnel flows compare whole longs from here: it must be long-aligned.
static_assert(kFlowKeyNonTunnelStart == 312 && kFlowKeyNonTunnelStart % sizeof(long) == 0);
static_assert(OVSDP_OFFSETOF(FlowKey, in_port) == 328 && OVSDP_OFFSETOF(FlowKey, mac_proto) == 330);
static_assert(kFlowKeyPacketStart == 332);
static_assert(sizeof(FlowKeyEth) == 22 && OVSDP_OFFSETOF(FlowKey, ip) == 354);
static_assert(OVSDP_OFFSETOF(FlowKey, tp) == 358 && sizeof(FlowKeyTp) == 6);
static_assert(OVSDP_OFFSETOF(FlowKey, ipv4) == 364 && OVSDP_OFFSETOF(FlowKey, ipv6) == 364
    && OVSDP_OFFSETOF(FlowKey, mpls) == 364);
static_assert(sizeof(FlowKeyIpv4) == 20 && sizeof(FlowKeyIpv6) == 68 && sizeof(FlowKeyMpls) == 16);
static_assert(OVSDP_OFFSETOF(FlowKey, ipv6.exthdrs) == 400 && OVSDP_OFFSETOF(FlowKey, ipv6.nd) == 402);
static_assert(kFlowKeyCtStart == 432 && sizeof(FlowKeyCt) == 64);
static_assert(OVSDP_OFFSETOF(FlowKeyCt, labels) == 8 && OVSDP_OFFSETOF(FlowKeyCt, orig) == 28);
static_assert(sizeof(FlowKey) == 496);

// ---- Key ranges ---------------------------------------------------------------

// A byte range [start, end) of FlowKey, kept rounded out to whole longs so
// that masked compare/hash loops walk it a long at a time (upstream's
// sw_flow_key_range). An empty range has start == end. Masks carry the range
// of the fields they match on; the match being built by flow_netlink carries
// the range of the key fields it has written.
struct FlowKeyRange {
    u16 start = 0;
    u16 end = 0;

    constexpr bool empty() const { return start == end; }
    constexpr usize size() const { return end - start; }

    // The range grown to cover [offset, offset + len), rounded out to longs.
    constexpr void widen(usize offset, usize len)
    {
        u16 s = static_cast<u16>(align_down(offset, sizeof(long)));
        u16 e = static_cast<u16>(align_up(offset + len, sizeof(long)));
        if (empty()) {
            start = s;
            end = e;
            return;
        }
        if (s < start)
            start = s;
        if (e > end)
            end = e;
    }

    static constexpr FlowKeyRange full() { return { 0, static_cast<u16>(kFlowKeySize) }; }
    static constexpr FlowKeyRange non_tunnel()
    {
        return { static_cast<u16>(kFlowKeyNonTunnelStart), static_cast<u16>(kFlowKeySize) };
    }
};

static_assert(kFlowKeySize <= 0xffff);

// Writes key fields and widens a range to cover each field written (upstream's
// SW_FLOW_KEY_PUT), so that a range can never miss a field that was set.
// flow_netlink builds the match key and the mask with one writer each.
//
//   FlowKeyWriter w(key, range);
//   w.put(key.eth.type, htons(kEthPIp));
//   w.put_bytes(key.eth.src, attr_bytes, kEthAlen);
class FlowKeyWriter {
public:
    FlowKeyWriter(FlowKey& key, FlowKeyRange& range) : key_(key), range_(range) {}

    FlowKey& key() { return key_; }
    FlowKeyRange& range() { return range_; }

    // field must be a member (at any depth) of key(). Arrays are copied whole.
    template <typename T>
    void put(T& field, const T& value)
    {
        __builtin_memcpy(&field, &value, sizeof(T));
        mark(&field, sizeof(T));
    }
    void put_bytes(void* field, const void* src, usize len)
    {
        __builtin_memcpy(field, src, len);
        mark(field, len);
    }
    void fill_bytes(void* field, u8 value, usize len)
    {
        __builtin_memset(field, value, len);
        mark(field, len);
    }
    // Widen the range over bytes of key() without writing them.
    void mark(const void* field, usize len)
    {
        usize offset = static_cast<const u8*>(field) - key_.bytes();
        range_.widen(offset, len);
    }

private:
    FlowKey& key_;
    FlowKeyRange& range_;
};

} // namespace ovsdp
