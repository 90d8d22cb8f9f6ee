// SPDX-License-Identifier: GPL-2.0
// Flow keys and masks <-> OVS_KEY_ATTR_* netlink attributes: the key half of
// upstream's net/openvswitch/flow_netlink.c (6.1), over our FlowKey. The
// actions half is flow_actions.h.
//
// Parsing follows upstream's rules attribute by attribute: payload lengths
// are checked against a table, a type above OVS_KEY_ATTR_MAX is rejected
// before it is used for anything, duplicates are rejected (a VLAN's ENCAP
// nest shares its parent's set of seen types), the key must carry what its
// ethertype and IP protocol imply, and the mask may only hold attributes the
// key can carry (match_validate). An absent mask means an exact match on
// every field the key gives (upstream's 0xff copy of the key attributes, done
// here without copying). Every rejection is EINVAL unless noted, with a
// static message fit for extack.
//
// Conntrack fields (CT_STATE: the 8 OVS_CS_F_* bits, others refused; CT_ZONE,
// CT_MARK, CT_LABELS, CT_ORIG_TUPLE_IPV4/IPV6, the tuple only in a key of its
// own family) are parsed when the host tracks connections (ovsdp_ct_enabled(),
// upstream's ovs_ct_verify()); otherwise they are refused as unknown, as by a
// kernel without conntrack (OVS userspace probes them with a test flow and
// treats EINVAL as "not supported" silently). Every key written carries
// CT_STATE, CT_ZONE, CT_MARK and CT_LABELS, and the original tuple when the
// key has one, as upstream's ovs_ct_put_key(). Not supported (flow/ has no
// fields for it), refused as "unknown key attribute" with EINVAL: NSH. IPV6_EXTHDRS is keyed as 6.1
// does: accepted in any key (and in the mask when the key has it), written
// after OVS_KEY_ATTR_IPV6 for every IPv6 key.
//
// Contexts: process context; nothing here allocates or sleeps. Stack use is
// bounded (no recursion: VLAN nesting is two fixed levels).
#pragma once

#include "base/netlink.h"
#include "base/ovs_abi.h"
#include "base/result.h"
#include "flow/flow_key.h"

namespace ovsdp {

// A flow match being parsed (upstream's sw_flow_match). key and mask point at
// the caller's storage; the parser zeroes both first. mask may be null for a
// key-only parse (flow GET/DEL by key). range covers the key fields written,
// mask_range every mask field written (both long-aligned).
struct FlowMatch {
    FlowKey* key = nullptr;
    FlowKey* mask = nullptr;
    FlowKeyRange range {};
    FlowKeyRange mask_range {};
};

// Parses OVS_FLOW_ATTR_KEY's payload and, when `has_mask`, OVS_FLOW_ATTR_MASK's
// payload into m (upstream ovs_nla_get_match). Without a mask (has_mask false)
// and with m.mask set, the mask is an exact match of the fields the key gives.
// `log` as upstream: false for feature probes (OVS_FLOW_ATTR_PROBE), which
// must not fill the kernel log.
Status flow_key_from_nlattrs(ConstBytes key_attrs, ConstBytes mask_attrs, bool has_mask, FlowMatch& m, bool log);

// The same from the request's attributes; mask_attr may be null.
inline Status flow_key_from_nlattrs(const NlAttr* key_attr, const NlAttr* mask_attr, FlowMatch& m, bool log)
{
    return flow_key_from_nlattrs(key_attr->payload(), mask_attr ? mask_attr->payload() : ConstBytes {},
        mask_attr != nullptr, m, log);
}

// OVS_PACKET_CMD_EXECUTE: checks OVS_PACKET_ATTR_KEY's attributes as a flow
// key's and takes only the metadata from them (upstream's
// ovs_flow_key_extract_userspace up to key_extract, i.e. parse_flow_nlattrs +
// ovs_nla_get_flow_metadata): tunnel, priority, skb_mark, recirc_id, dp_hash,
// in_port (kDpMaxPorts when absent) and mac_proto; for an L3 key (ETHERTYPE
// without ETHERNET) also eth.type. Zeroes the rest of *key. The caller then
// sets the packet's protocol to key->eth.type and calls key_extract().
Status flow_metadata_from_nlattrs(ConstBytes key_attrs, FlowKey* key, bool log);

// OVS_FLOW_ATTR_UFID: copies 1..16 bytes to ufid (16 bytes of storage) and
// returns the length; 0 when attr is null or its length is out of range, in
// which case upstream ignores the attribute and identifies the flow by its
// unmasked key (ovs_nla_get_ufid).
u32 ufid_from_nlattr(const NlAttr* attr, u8* ufid, bool log);
// OVS_FLOW_ATTR_UFID_FLAGS (u32 OVS_UFID_F_*), 0 when absent.
inline u32 ufid_flags_from_nlattr(const NlAttr* attr) { return attr ? attr->get_u32() : 0; }

// ---- Serialisation -----------------------------------------------------------------

// Writes the OVS_KEY_ATTR_* attributes of `output` as upstream's
// __ovs_nla_put_key does: `key` decides which attributes appear (the flow's
// masked key, or the unmasked key of a key-identified flow), `output` gives
// their values (the same key, or the flow's mask with is_mask). False when w
// ran out of room (-EMSGSIZE).
bool flow_key_to_nlattrs(const FlowKey& key, const FlowKey& output, bool is_mask, NlWriter& w);

// The same nested in attribute `attr` (OVS_FLOW_ATTR_KEY, OVS_FLOW_ATTR_MASK,
// OVS_PACKET_ATTR_KEY): upstream's ovs_nla_put_key. The flow reply helpers are
//   identifier:  put_flow_key(w, OVS_FLOW_ATTR_KEY, unmasked, unmasked, false)
//   masked key:  put_flow_key(w, OVS_FLOW_ATTR_KEY, flow.key, flow.key, false)
//   mask:        put_flow_key(w, OVS_FLOW_ATTR_MASK, flow.key, mask.key, true)
bool put_flow_key(NlWriter& w, u16 attr, const FlowKey& key, const FlowKey& output, bool is_mask);

// Tunnel info modes (ip_tunnel_info::mode, IP_TUNNEL_INFO_*).
inline constexpr u8 kTunnelInfoTx = 0x01;
inline constexpr u8 kTunnelInfoIpv6 = 0x02;
inline constexpr u8 kTunnelInfoBridge = 0x04;

// The OVS_TUNNEL_KEY_ATTR_* attributes of a tunnel (no enclosing nest), as
// upstream's ovs_nla_put_tunnel_info writes OVS_PACKET_ATTR_EGRESS_TUN_KEY:
// the address family is kAfInet6 when mode has kTunnelInfoIpv6, else kAfInet.
bool put_tunnel_info(NlWriter& w, const FlowTunnelKey& key, const u8* opts, usize opts_len, u8 mode);

// Upper bounds of the payloads written above, for sizing replies (upstream's
// ovs_key_attr_size() and ovs_tun_key_attr_size(), minus what we never write).
usize flow_key_attr_size();
usize tunnel_key_attr_size();
// The bound for a key without tunnel metadata (what an upcall of such a key
// reserves): flow_key_attr_size() less the tunnel nest's room.
inline usize flow_key_attr_size_without_tunnel() { return flow_key_attr_size() - nla_total_size(0) - tunnel_key_attr_size(); }

// ---- Shared with flow_actions ----------------------------------------------------------

namespace flow_netlink_detail {

// Upstream's expected payload length table for OVS_KEY_ATTR_*: a length, or
// one of these.
inline constexpr s16 kLenNested = -1;
inline constexpr s16 kLenVariable = -2;
s16 key_attr_len(u16 type); // type <= kKeyAttrMax
inline bool attr_len_ok(usize len, s16 expected)
{
    return expected == kLenNested || expected == kLenVariable || len == static_cast<usize>(expected);
}

// Parses an OVS_KEY_ATTR_TUNNEL nest into key (a zeroed key) for a set(tunnel)
// action; returns the option block's attribute type (0 if none).
Result<u16> tunnel_key_from_nlattr(const NlAttr* tunnel, FlowKey& key, FlowKeyRange& range, bool log);

// Writes the attributes of a tunnel (no nest), af = kAfInet/kAfInet6.
bool put_tunnel_attrs(NlWriter& w, const FlowTunnelKey& key, const u8* opts, usize opts_len, u8 af, u8 mode);

} // namespace flow_netlink_detail

} // namespace ovsdp
