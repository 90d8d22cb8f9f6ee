// SPDX-License-Identifier: GPL-2.0
// The actions that change headers and the flow key together (push/pop of
// MPLS, VLAN and Ethernet, hash, dec_ttl), and the key helpers the engine
// shares: each one action's effect, without the engine's control flow.
#pragma once

#include "actions/header_ops.h"
#include "actions/jhash.h"
#include "actions/packet_ops.h"
#include "actions/set_field.h"
#include "base/errno.h"
#include "base/ovs_abi.h"
#include "flow/flow_key.h"

namespace ovsdp {

namespace act {

constexpr bool key_valid(const FlowKey& key) { return !(key.mac_proto & kMacProtoKeyInvalid); }
constexpr void invalidate_key(FlowKey& key) { key.mac_proto |= kMacProtoKeyInvalid; }
constexpr u8 key_mac_proto(const FlowKey& key) { return key.mac_proto & static_cast<u8>(~kMacProtoKeyInvalid); }
constexpr usize mac_header_len(const FlowKey& key) { return key_mac_proto(key) == kMacProtoEthernet ? kEthHlen : 0; }

// ---- Header-changing actions (key bookkeeping around header_ops.h) -------------

template <MutablePacket P>
int push_mpls(P& pkt, FlowKey& key, be32 lse, be16 ethertype, int mac_len)
{
    int err = pkt_mpls_push(pkt, lse, ethertype, mac_len, mac_len != 0);
    if (err)
        return err;
    if (!mac_len)
        key.mac_proto = kMacProtoNone;
    invalidate_key(key);
    return 0;
}

template <MutablePacket P>
int pop_mpls(P& pkt, FlowKey& key, be16 ethertype)
{
    int err = pkt_mpls_pop(pkt, ethertype, pkt.mac_len(), key_mac_proto(key) == kMacProtoEthernet);
    if (err)
        return err;
    if (ethertype == htons(kEthPTeb))
        key.mac_proto = kMacProtoEthernet;
    invalidate_key(key);
    return 0;
}

template <MutablePacket P>
int push_vlan(P& pkt, FlowKey& key, const uapi::OvsActionPushVlan& vlan)
{
    if (pkt.vlan_tag_present()) {
        invalidate_key(key);
    } else {
        key.eth.vlan.tci = vlan.vlan_tci;
        key.eth.vlan.tpid = vlan.vlan_tpid;
    }
    return pkt_vlan_push(pkt, vlan.vlan_tpid, static_cast<u16>(ntohs(vlan.vlan_tci) & ~kVlanCfiMask));
}

template <MutablePacket P>
int pop_vlan(P& pkt, FlowKey& key)
{
    int err = pkt_vlan_pop(pkt);
    if (pkt.vlan_tag_present()) {
        invalidate_key(key);
    } else {
        key.eth.vlan.tci = 0;
        key.eth.vlan.tpid = 0;
    }
    return err;
}

template <MutablePacket P>
int push_eth(P& pkt, FlowKey& key, const uapi::OvsActionPushEth& eth)
{
    int err = pkt_eth_push(pkt, eth.addresses.eth_dst, eth.addresses.eth_src);
    if (err)
        return err;
    key.mac_proto = kMacProtoEthernet;
    invalidate_key(key);
    return 0;
}

// Never called for VLAN frames (validation), as upstream.
template <MutablePacket P>
int pop_eth(P& pkt, FlowKey& key)
{
    int err = pkt_eth_pop(pkt);
    if (err)
        return err;
    key.mac_proto = kMacProtoNone;
    invalidate_key(key);
    return 0;
}

// The key's dp_hash from the packet's L4 hash and the action's basis; never 0.
template <MutablePacket P>
void execute_hash(P& pkt, FlowKey& key, const uapi::OvsActionHash& act)
{
    u32 hash = act.hash_alg == uapi::OVS_HASH_ALG_L4 ? pkt.get_hash() : 0;
    hash = jhash_1word(hash, act.hash_basis);
    if (!hash)
        hash = 1;
    key.dp_hash = hash;
}

// -EHOSTUNREACH when the TTL or hop limit would reach 0. By skb->protocol,
// as upstream: other packets are left alone.
template <MutablePacket P>
int execute_dec_ttl(P& pkt, FlowKey& key)
{
    if (pkt.protocol() == htons(kEthPIpv6)) {
        u8* nh = writable_header(pkt, pkt.network_offset(), sizeof(wire::Ipv6Hdr));
        if (OVSDP_UNLIKELY(!nh))
            return -err::NOMEM;
        u8 hl = nh[ipv6_off::kHopLimit];
        if (hl <= 1)
            return -act_err::HOSTUNREACH;
        // Upstream leaves a COMPLETE csum stale here; keep it right, as its
        // set(ipv6) does.
        if (pkt.ip_summed() == IpSummed::Complete)
            pkt.set_csum(csum_replace_wsum(pkt.csum(), static_cast<wsum>(hl) << 8, static_cast<wsum>(hl - 1) << 8));
        nh[ipv6_off::kHopLimit] = static_cast<u8>(hl - 1);
        key.ip.ttl = nh[ipv6_off::kHopLimit];
    } else if (pkt.protocol() == htons(kEthPIp)) {
        u8* nh = writable_header(pkt, pkt.network_offset(), sizeof(wire::Ipv4Hdr));
        if (OVSDP_UNLIKELY(!nh))
            return -err::NOMEM;
        u8 ttl = nh[ipv4_off::kTtl];
        if (ttl <= 1)
            return -act_err::HOSTUNREACH;
        nh[ipv4_off::kTtl] = static_cast<u8>(ttl - 1);
        csum_replace2(nh + ipv4_off::kCheck, htons(static_cast<u16>(ttl << 8)), htons(static_cast<u16>((ttl - 1) << 8)));
        key.ip.ttl = nh[ipv4_off::kTtl];
    }
    return 0;
}

} // namespace act

} // namespace ovsdp
