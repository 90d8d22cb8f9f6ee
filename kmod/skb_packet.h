// SPDX-License-Identifier: GPL-2.0
// SkbPacket: the flow/packet.h interface over an sk_buff, for the kernel build.
// Reads are inline against a mirror of the skb's data pointer and lengths;
// only pulls beyond the linear area and VLAN untagging call into C. Header
// offsets found by extraction are collected here and written back once.
#pragma once

#include "platform/skb.h"

namespace ovsdp {

class SkbPacket {
public:
    explicit SkbPacket(void* skb) : skb_(skb) { ovsdp_skb_load(skb, &st_); }

    void* skb() const { return skb_; }
    const u8* data() const { return st_.data; }
    usize len() const { return st_.len; }
    bool pull(usize n)
    {
        if (OVSDP_LIKELY(n <= st_.headlen))
            return true;
        return n <= st_.len && ovsdp_skb_pull(skb_, static_cast<u32>(n), &st_) == 0;
    }
    bool vlan_untag() { return ovsdp_skb_vlan_untag(skb_, &st_) == 0; }
    bool vlan_tag_present() const { return st_.vlan_present; }
    u16 vlan_tci() const { return st_.vlan_tci; }
    be16 vlan_proto() const { return st_.vlan_proto; }
    be16 protocol() const { return protocol_set_ ? protocol_ : st_.protocol; }
    void set_protocol(be16 p)
    {
        protocol_ = p;
        protocol_set_ = true;
    }
    bool gso_udp() const { return st_.gso_udp; }
    void set_mac_len(usize n) { mac_len_ = static_cast<u32>(n); }
    void set_network_offset(usize n) { network_ = static_cast<u32>(n); }
    void set_transport_offset(usize n) { transport_ = static_cast<u32>(n); }
    void set_inner_network_offset(usize n) { inner_network_ = static_cast<u32>(n); }

    u32 mark() const { return st_.mark; }
    u32 priority() const { return st_.priority; }
    u32 hash() const { return st_.hash; }

    // Write what extraction found back to the skb (skb->protocol, mac_len,
    // network/transport/inner network headers).
    void commit_headers()
    {
        ovsdp_skb_set_headers(skb_, protocol(), mac_len_, network_, transport_, inner_network_);
    }

private:
    void* skb_;
    ovsdp_skb_state st_ {};
    be16 protocol_ = 0;
    bool protocol_set_ = false;
    u32 mac_len_ = 0;
    u32 network_ = 0;
    u32 transport_ = 0;
    u32 inner_network_ = 0;
};

} // namespace ovsdp
