// SPDX-License-Identifier: GPL-2.0
// SkbPacket: an sk_buff as the core's packet, for the kernel build. It is
// flow/packet.h's Packet (key extraction) and actions/packet_ops.h's
// MutablePacket (the action engine).
//
// Reads of the data are inline against a mirror of the skb's data pointer and
// lengths (ovsdp_skb_state); calls that can move the data refresh it. Scalar
// metadata goes through ovsdp_skb_get/set (platform/skb_ops.h).
//
// A handle: moved, never copied. The moved-from handle is inert; freeing and
// cloning belong to the datapath environment.
#pragma once

#include "actions/packet_ops.h"
#include "base/util.h"
#include "platform/skb_ops.h"

namespace ovsdp {

class SkbPacket {
public:
    explicit SkbPacket(void* skb) : skb_(skb) { ovsdp_skb_load(skb, &st_); }
    // An skb the caller has just loaded into st (ovsdp_skb_unshare_load).
    SkbPacket(void* skb, const ovsdp_skb_state& st) : skb_(skb), st_(st) {}
    SkbPacket(SkbPacket&& o) : skb_(exchange(o.skb_, nullptr)), st_(o.st_) {}
    SkbPacket& operator=(SkbPacket&& o)
    {
        skb_ = exchange(o.skb_, nullptr);
        st_ = o.st_;
        return *this;
    }
    SkbPacket(const SkbPacket&) = delete;
    SkbPacket& operator=(const SkbPacket&) = delete;

    void* skb() const { return skb_; }
    void* release() { return exchange(skb_, nullptr); }

    // ---- Packet (flow/packet.h) ----
    const u8* data() const { return st_.data; }
    usize len() const { return st_.len; }
    OVSDP_ALWAYS_INLINE bool pull(usize n)
    {
        if (OVSDP_LIKELY(n <= st_.headlen))
            return true;
        return n <= st_.len && ovsdp_skb_pull(skb_, static_cast<u32>(n), &st_) == 0;
    }
    bool vlan_untag() { return ovsdp_skb_vlan_untag(skb_, &st_) == 0; }
    bool vlan_tag_present() const { return st_.vlan_present; }
    u16 vlan_tci() const { return st_.vlan_tci; }
    be16 vlan_proto() const { return st_.vlan_proto; }
    be16 protocol() const { return static_cast<be16>(get(OVSDP_SKB_PROTOCOL)); }
    // The four header fields key extraction writes for every packet: stores
    // into the skb at the offsets kmod/skb.c exports (ovsdp_skb_layout), as
    // skb->protocol = p, skb->mac_len = n, skb_set_network_header() and
    // skb_set_transport_header() do, without a call into C each.
    void set_protocol(be16 p) { field16(ovsdp_skb_layout.protocol) = p; }
    bool gso_udp() const { return st_.gso_udp; }
    void set_mac_len(usize n) { field16(ovsdp_skb_layout.mac_len) = static_cast<u16>(n); }
    void set_network_offset(usize n) { field16(ovsdp_skb_layout.network_header) = static_cast<u16>(st_.data_off + n); }
    void set_transport_offset(usize n) { field16(ovsdp_skb_layout.transport_header) = static_cast<u16>(st_.data_off + n); }
    void set_inner_network_offset(usize n) { set(OVSDP_SKB_INNER_NETWORK_OFFSET, static_cast<s64>(n)); }

    // ---- MutablePacket (actions/packet_ops.h) ----
    u8* make_writable(usize n) { return ovsdp_skb_make_writable(skb_, static_cast<u32>(n), &st_); }
    u8* push_head(usize n) { return ovsdp_skb_push_head(skb_, static_cast<u32>(n), &st_); }
    void pull_head(usize n) { ovsdp_skb_pull_head(skb_, static_cast<u32>(n), &st_); }
    bool trim(usize n) { return ovsdp_skb_trim(skb_, static_cast<u32>(n), &st_) == 0; }
    int mac_len() const { return static_cast<int>(get(OVSDP_SKB_MAC_LEN)); }
    int network_offset() const { return static_cast<int>(get(OVSDP_SKB_NETWORK_OFFSET)); }
    int transport_offset() const { return static_cast<int>(get(OVSDP_SKB_TRANSPORT_OFFSET)); }
    be16 inner_protocol() const { return static_cast<be16>(get(OVSDP_SKB_INNER_PROTOCOL)); }
    void set_inner_protocol(be16 p) { set(OVSDP_SKB_INNER_PROTOCOL, p); }
    bool encapsulation() const { return get(OVSDP_SKB_ENCAPSULATION) != 0; }
    void vlan_set_tag(be16 proto, u16 tci) { ovsdp_skb_vlan_set(skb_, proto, tci, &st_); }
    void vlan_clear_tag() { ovsdp_skb_vlan_set(skb_, 0, 0, &st_); }
    IpSummed ip_summed() const { return static_cast<IpSummed>(get(OVSDP_SKB_IP_SUMMED)); }
    void set_ip_summed(IpSummed s) { set(OVSDP_SKB_IP_SUMMED, static_cast<s64>(s)); }
    wsum csum() const { return static_cast<wsum>(get(OVSDP_SKB_CSUM)); }
    void set_csum(wsum v) { set(OVSDP_SKB_CSUM, v); }
    int csum_start_offset() const { return static_cast<int>(get(OVSDP_SKB_CSUM_START_OFFSET)); }
    u32 mark() const { return static_cast<u32>(get(OVSDP_SKB_MARK)); }
    void set_mark(u32 v) { set(OVSDP_SKB_MARK, v); }
    u32 priority() const { return static_cast<u32>(get(OVSDP_SKB_PRIORITY)); }
    void set_priority(u32 v) { set(OVSDP_SKB_PRIORITY, v); }
    u32 get_hash() { return static_cast<u32>(get(OVSDP_SKB_HASH)); }
    void clear_hash() { set(OVSDP_SKB_HASH, 0); }
    // The shim's OVSDP_SKB_HASH_RAW has OVS_PACKET_ATTR_HASH's layout.
    PacketHash hash_info() const { return packet_hash_from_attr(static_cast<u64>(get(OVSDP_SKB_HASH_RAW))); }
    void set_hash_info(PacketHash h) { set(OVSDP_SKB_HASH_RAW, static_cast<s64>(packet_hash_to_attr(h))); }
    u32 cutlen() const { return static_cast<u32>(get(OVSDP_SKB_CUTLEN)); }
    void set_cutlen(u32 v) { set(OVSDP_SKB_CUTLEN, v); }
    u16 mru() const { return static_cast<u16>(get(OVSDP_SKB_MRU)); }
    void set_mru(u16 v) { set(OVSDP_SKB_MRU, v); }
    bool gso_mac_len_fits(usize n) const { return ovsdp_skb_gso_mac_len_fits(skb_, static_cast<u32>(n)) != 0; }

    // skb->mark and skb->priority as they were at load time (no shim call).
    u32 mark_at_load() const { return st_.mark; }
    u32 priority_at_load() const { return st_.priority; }
    // A conntrack entry was on the skb at load time (the receive path then
    // fills the key's ct fields from it).
    bool ct_at_load() const { return st_.has_ct; }
    // The skb changed behind the handle's back (conntrack, NAT).
    void refresh() { ovsdp_skb_refresh(skb_, &st_); }

    // The skb's flow hash at load time if it had one (RSS or an earlier
    // layer), else 0: the mask cache then uses mask_cache_hash(key).
    u32 hash() const { return st_.hash; }

private:
    s64 get(int f) const { return ovsdp_skb_get(skb_, f); }
    u16& field16(u16 off) { return *reinterpret_cast<u16*>(static_cast<u8*>(skb_) + off); }
    void set(int f, s64 v) { ovsdp_skb_set(skb_, f, v); }

    void* skb_;
    ovsdp_skb_state st_ {};
};

static_assert(MutablePacket<SkbPacket>);

// A shared skb (someone else holds a reference: pktgen, ...) seen from its
// mac header on without a single write, for dp_vport_receive_shared(): key
// extraction reads it; what it would write into the skb (protocol, header
// offsets) is kept here and replayed onto the datapath's own copy if one is
// made (apply_headers). A pull past the linear part or an in-band VLAN tag
// would have to change the skb: the view then fails, and the caller makes
// the skb its own and receives it the usual way.
class SkbView {
public:
    explicit SkbView(void* skb) { usable_ = ovsdp_skb_peek_shared(skb, &st_) == 0; }
    SkbView(const SkbView&) = delete;
    SkbView& operator=(const SkbView&) = delete;

    bool usable() const { return usable_; }
    bool failed() const { return failed_; }

    // ---- Packet (flow/packet.h) ----
    const u8* data() const { return st_.data; }
    usize len() const { return st_.len; }
    bool pull(usize n)
    {
        if (OVSDP_LIKELY(n <= st_.headlen))
            return true;
        failed_ = true;
        return false;
    }
    bool vlan_untag()
    {
        failed_ = true;
        return false;
    }
    bool vlan_tag_present() const { return st_.vlan_present; }
    u16 vlan_tci() const { return st_.vlan_tci; }
    be16 vlan_proto() const { return st_.vlan_proto; }
    be16 protocol() const { return has_.proto ? proto_ : static_cast<be16>(st_.protocol); }
    void set_protocol(be16 p)
    {
        proto_ = p;
        has_.proto = true;
    }
    bool gso_udp() const { return st_.gso_udp; }
    void set_mac_len(usize n)
    {
        mac_len_ = n;
        has_.mac_len = true;
    }
    void set_network_offset(usize n)
    {
        nh_ = n;
        has_.nh = true;
    }
    void set_transport_offset(usize n)
    {
        th_ = n;
        has_.th = true;
    }
    void set_inner_network_offset(usize n)
    {
        inner_ = n;
        has_.inner = true;
    }

    // The receive path's DpPacket reads.
    u32 hash() const { return st_.hash; }
    u32 mark_at_load() const { return st_.mark; }
    u32 priority_at_load() const { return st_.priority; }

    // What extraction wrote, onto the datapath's own copy (data at the mac header).
    void apply_headers(SkbPacket& p) const
    {
        if (has_.proto)
            p.set_protocol(proto_);
        if (has_.mac_len)
            p.set_mac_len(mac_len_);
        if (has_.nh)
            p.set_network_offset(nh_);
        if (has_.th)
            p.set_transport_offset(th_);
        if (has_.inner)
            p.set_inner_network_offset(inner_);
    }

private:
    ovsdp_skb_state st_;
    bool usable_ = false;
    bool failed_ = false;
    struct {
        bool proto = false, mac_len = false, nh = false, th = false, inner = false;
    } has_;
    be16 proto_ = 0;
    usize mac_len_ = 0, nh_ = 0, th_ = 0, inner_ = 0;
};

static_assert(Packet<SkbView>);

} // namespace ovsdp
