// SPDX-License-Identifier: GPL-2.0
// The abstract packet key extraction (and later the actions engine) works on.
// It is a static interface: extraction is a template over the packet type, so
// there are no virtual calls and a packet type whose pull() is an inline
// "n <= headlen" test costs nothing on the fast path. kmod/ implements it over
// an sk_buff (SkbPacket), platform/user/user_packet.h over a byte buffer for
// tests, fuzzers and benchmarks (UserPacket).
//
// Offsets are bytes from the mac header, which is where data() points. When
// FlowKey::mac_proto is kMacProtoNone there is no L2 header and data() is the
// network header (mac_len 0).
//
// A Packet type P provides:
//
//   const u8* data() const;
//       The first byte of the packet (the mac header). Only [0, n) for the
//       largest n of a successful pull() may be read. data() may change after
//       pull() and vlan_untag(): re-read it after either.
//   usize len() const;
//       Bytes in the whole packet from data(), linear or not (skb->len).
//   bool pull(usize n);
//       Make [0, n) readable at data() (pskb_may_pull). False if n > len() or
//       memory is short; extraction tells the two apart with len().
//   bool vlan_untag();
//       Remove the 802.1Q/802.1ad header at offset 12 from the packet data and
//       make it the accelerated tag (upstream's __skb_vlan_pop followed by
//       __vlan_hwaccel_put_tag). Called only with the tag's 4 bytes plus the
//       next ethertype pulled (18 bytes). Afterwards len() is 4 less, the
//       addresses sit in front of the inner ethertype at offset 12, and
//       vlan_tag_present() is true. False when memory is short.
//   bool vlan_tag_present() const;   // skb_vlan_tag_present()
//   u16 vlan_tci() const;            // skb->vlan_tci, host order, no CFI added
//   be16 vlan_proto() const;         // skb->vlan_proto
//   be16 protocol() const;           // skb->protocol
//   void set_protocol(be16);
//   bool gso_udp() const;            // skb_shinfo(skb)->gso_type & SKB_GSO_UDP
//   void set_mac_len(usize);         // skb->mac_len
//   void set_network_offset(usize);  // skb_set_network_header (from mac header)
//   void set_transport_offset(usize);
//   void set_inner_network_offset(usize); // after the MPLS label stack
//
// Contract of the setters: extraction calls them exactly where upstream's
// key_extract() sets the corresponding skb fields. Offsets never exceed len()
// (6.1.192 no longer keys past an IPv6 extension header that claims more
// bytes than the packet has).
#pragma once

#include "base/types.h"

namespace ovsdp {

template <typename P>
concept Packet = requires(P& p, const P& cp, usize n, be16 proto) {
    cp.data();
    cp.len();
    p.pull(n);
    p.vlan_untag();
    cp.vlan_tag_present();
    cp.vlan_tci();
    cp.vlan_proto();
    cp.protocol();
    p.set_protocol(proto);
    cp.gso_udp();
    p.set_mac_len(n);
    p.set_network_offset(n);
    p.set_transport_offset(n);
    p.set_inner_network_offset(n);
};

} // namespace ovsdp
