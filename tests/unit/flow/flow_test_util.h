// SPDX-License-Identifier: GPL-2.0
// Packet crafting and key comparison for the flow tests.
#pragma once

#include "flow/flow_extract.h"
#include "platform/user/user_packet.h"

#include <gtest/gtest.h>

#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

namespace ovsdp::test {

using Buf = std::vector<u8>;
using user::UserPacket;

inline Buf operator+(Buf a, const Buf& b)
{
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

inline Buf bytes(std::initializer_list<int> v)
{
    Buf b;
    for (int x : v)
        b.push_back(static_cast<u8>(x));
    return b;
}
inline Buf be16b(u16 v) { return bytes({ v >> 8, v & 0xff }); }
inline Buf be32b(u32 v) { return be16b(v >> 16) + be16b(v & 0xffff); }
inline Buf zeros(usize n) { return Buf(n, 0); }
inline Buf filler(usize n, u8 seed = 0x40)
{
    Buf b(n);
    for (usize i = 0; i < n; i++)
        b[i] = static_cast<u8>(seed + i);
    return b;
}

inline const Buf kDstMac = bytes({ 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 });
inline const Buf kSrcMac = bytes({ 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb });

// Destination and source addresses; the ethertype/length follows separately.
inline Buf eth_addrs() { return kDstMac + kSrcMac; }
inline Buf eth(u16 type) { return eth_addrs() + be16b(type); }
inline Buf vlan_tag(u16 tpid, u16 tci) { return be16b(tpid) + be16b(tci); }

struct Ipv4Opts {
    u8 tos = 0;
    u8 ttl = 64;
    u16 frag_off = 0x4000; // DF
    u8 ihl = 5; // header words; options filled with NOPs (1)
    u8 version = 4;
};
inline Buf ipv4(u8 proto, u32 src, u32 dst, Ipv4Opts o = {})
{
    Buf h = bytes({ (o.version << 4) | o.ihl, o.tos }) + be16b(0) + be16b(0x1234) + be16b(o.frag_off)
        + bytes({ o.ttl, proto }) + be16b(0) + be32b(src) + be32b(dst);
    if (o.ihl > 5)
        h = h + Buf((o.ihl - 5) * 4, 1);
    return h;
}

inline Buf ip6addr(u8 last, u8 first = 0x20)
{
    Buf a = zeros(16);
    a[0] = first;
    a[1] = 0x01;
    a[15] = last;
    return a;
}
inline Buf ipv6(u8 nexthdr, u8 tc = 0, u32 label = 0, u8 hop = 64, u8 src_last = 1, u8 dst_last = 2)
{
    u32 w0 = (6u << 28) | (u32(tc) << 20) | (label & 0xfffff);
    return be32b(w0) + be16b(0) + bytes({ nexthdr, hop }) + ip6addr(src_last) + ip6addr(dst_last);
}
// A generic extension header (hop-by-hop, routing, dest opts): 8 * (len8 + 1) bytes.
inline Buf ext_hdr(u8 nexthdr, u8 len8)
{
    Buf h = bytes({ nexthdr, len8 });
    return h + Buf(8u * (len8 + 1) - 2, 0);
}
inline Buf frag_hdr(u8 nexthdr, u16 offset_bytes, bool more)
{
    return bytes({ nexthdr, 0 }) + be16b(static_cast<u16>((offset_bytes & ~7u) | (more ? 1 : 0)))
        + be32b(0xabcdef01);
}

// TCP with a 16-bit data-offset/flags word given whole (doff in its top 4 bits).
inline Buf tcp_word(u16 sport, u16 dport, u16 doff_flags)
{
    Buf h = be16b(sport) + be16b(dport) + be32b(1000) + be32b(2000) + be16b(doff_flags) + be16b(8192)
        + be16b(0) + be16b(0);
    usize doff = (doff_flags >> 12) * 4u;
    if (doff > 20)
        h = h + Buf(doff - 20, 1);
    return h;
}
inline Buf tcp(u16 sport, u16 dport, u16 flags, u8 doff = 5)
{
    return tcp_word(sport, dport, static_cast<u16>((doff << 12) | (flags & 0x0fff)));
}
inline Buf udp(u16 sport, u16 dport) { return be16b(sport) + be16b(dport) + be16b(8) + be16b(0); }
inline Buf sctp(u16 sport, u16 dport) { return be16b(sport) + be16b(dport) + be32b(0x11223344) + be32b(0); }
inline Buf icmp(u8 type, u8 code) { return bytes({ type, code }) + be16b(0) + be32b(0x00010002); }

struct ArpOpts {
    u16 hrd = 1;
    u16 pro = 0x0800;
    u8 hln = 6;
    u8 pln = 4;
};
inline const Buf kArpSha = bytes({ 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f });
inline const Buf kArpTha = bytes({ 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f });
inline Buf arp(u16 op, u32 sip, u32 tip, ArpOpts o = {})
{
    return be16b(o.hrd) + be16b(o.pro) + bytes({ o.hln, o.pln }) + be16b(op) + kArpSha + be32b(sip) + kArpTha
        + be32b(tip);
}

inline Buf mpls_lse(u32 label, bool bos, u8 ttl = 64, u8 tc = 0)
{
    return be32b((label << 12) | (u32(tc) << 9) | (bos ? 0x100u : 0) | ttl);
}

// ICMPv6 neighbor solicitation/advertisement header plus target.
inline Buf nd_msg(u8 type, const Buf& target, u8 code = 0)
{
    return bytes({ type, code }) + be16b(0) + be32b(type == 136 ? 0x60000000 : 0) + target;
}
inline Buf nd_opt_lladdr(u8 type, const Buf& mac) { return bytes({ type, 1 }) + mac; }

// ---- Extraction ----

struct ExtractOpts {
    FlowKeyMetadata md {};
    bool accel_vlan = false;
    u16 accel_tci = 0;
    u16 accel_proto = kEthP8021Q;
    bool gso_udp = false;
    u16 protocol = 0; // skb->protocol before extraction (host order)
    usize linear = ~usize(0); // linear prefix; all by default
    usize pull_limit = ~usize(0);
};

struct Extracted {
    int err = 0; // positive errno, 0 on success
    FlowKey key {};
    UserPacket::Offsets off {};
    u16 protocol = 0; // host order
    bool vlan_present = false;
    u16 vlan_tci = 0;
    u16 vlan_proto = 0; // host order
    Buf packet; // the packet bytes afterwards (untagging edits them)
};

// One extraction, into a key whose packet fields start out as garbage. The
// tunnel option bytes of a packet without tunnel are checked to stay as they
// were, then zeroed so that keys compare to ones built from zero.
inline Extracted extract_once(const Buf& pkt, const ExtractOpts& o)
{
    Extracted r;
    // An exact-size heap copy, so that ASan sees reads past the end.
    usize n = pkt.size();
    u8* mem = static_cast<u8*>(std::malloc(n ? n : 1));
    if (n)
        std::memcpy(mem, pkt.data(), n);
    {
        auto p = UserPacket::borrow(mem, n);
        if (o.linear != ~usize(0)) {
            EXPECT_TRUE(p.set_linear(o.linear));
        }
        p.set_pull_limit(o.pull_limit);
        if (o.accel_vlan)
            p.set_vlan_tag(htons(o.accel_proto), o.accel_tci);
        p.set_gso_udp(o.gso_udp);
        p.set_protocol(htons(o.protocol));

        std::memset(&r.key, 0xa5, sizeof(r.key));
        Status s = key_extract_with_metadata(p, o.md, r.key);
        r.err = s.ok() ? 0 : s.error().code;
        if (!o.md.tunnel) {
            for (usize i = 0; i < kTunOptsMax; i++)
                EXPECT_EQ(r.key.tun_opts[i], 0xa5) << "tun_opts touched at " << i;
            std::memset(r.key.tun_opts, 0, kTunOptsMax);
        }
        r.off = p.offsets();
        r.protocol = ntohs(p.protocol());
        r.vlan_present = p.vlan_tag_present();
        r.vlan_tci = p.vlan_tci();
        r.vlan_proto = ntohs(p.vlan_proto());
        r.packet.assign(p.data(), p.data() + p.headlen());
        if (p.headlen() < p.len()) {
            // The rest of the packet lies in the buffer past the linear part.
            const u8* rest = mem + (n - p.len()) + p.headlen();
            r.packet.insert(r.packet.end(), rest, rest + (p.len() - p.headlen()));
        }
    }
    std::free(mem);
    return r;
}

// Field table for readable key diffs.
struct FieldInfo {
    const char* name;
    usize offset;
    usize size;
};
#define OVSDP_FIELD(f) FieldInfo { #f, OVSDP_OFFSETOF(FlowKey, f), sizeof(static_cast<FlowKey*>(nullptr)->f) }
inline const FieldInfo kFields[] = {
    OVSDP_FIELD(tun_opts), OVSDP_FIELD(tun_opts_len), OVSDP_FIELD(tun_key.tun_id),
    OVSDP_FIELD(tun_key.ipv6.src), OVSDP_FIELD(tun_key.ipv6.dst), OVSDP_FIELD(tun_key.tun_flags),
    OVSDP_FIELD(tun_key.tos), OVSDP_FIELD(tun_key.ttl), OVSDP_FIELD(tun_key.tp_src), OVSDP_FIELD(tun_key.tp_dst),
    OVSDP_FIELD(tun_key.ip_family), OVSDP_FIELD(tun_key.pad), OVSDP_FIELD(priority), OVSDP_FIELD(skb_mark),
    OVSDP_FIELD(recirc_id), OVSDP_FIELD(dp_hash), OVSDP_FIELD(in_port), OVSDP_FIELD(mac_proto), OVSDP_FIELD(pad0),
    OVSDP_FIELD(eth.src), OVSDP_FIELD(eth.dst), OVSDP_FIELD(eth.vlan.tpid), OVSDP_FIELD(eth.vlan.tci),
    OVSDP_FIELD(eth.cvlan.tpid), OVSDP_FIELD(eth.cvlan.tci), OVSDP_FIELD(eth.type), OVSDP_FIELD(ip.proto),
    OVSDP_FIELD(ip.tos), OVSDP_FIELD(ip.ttl), OVSDP_FIELD(ip.frag), OVSDP_FIELD(tp.src), OVSDP_FIELD(tp.dst),
    OVSDP_FIELD(tp.flags), OVSDP_FIELD(ipv6.src), OVSDP_FIELD(ipv6.dst), OVSDP_FIELD(ipv6.label),
    OVSDP_FIELD(ipv6.exthdrs),
    OVSDP_FIELD(ipv6.nd.target), OVSDP_FIELD(ipv6.nd.sll), OVSDP_FIELD(ipv6.nd.tll),
};
#undef OVSDP_FIELD

inline std::string describe_offset(usize off)
{
    for (const auto& f : kFields)
        if (off >= f.offset && off < f.offset + f.size)
            return std::string(f.name) + "[" + std::to_string(off - f.offset) + "]";
    return "padding";
}

inline ::testing::AssertionResult keys_equal(const FlowKey& want, const FlowKey& got)
{
    const u8* a = want.bytes();
    const u8* b = got.bytes();
    std::string diff;
    for (usize i = 0; i < kFlowKeySize; i++) {
        if (a[i] != b[i]) {
            char line[96];
            std::snprintf(line, sizeof(line), "\n  @%zu %s: want 0x%02x got 0x%02x", i, describe_offset(i).c_str(),
                a[i], b[i]);
            diff += line;
        }
    }
    if (diff.empty())
        return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "keys differ:" << diff;
}

// The key extraction of a packet with default metadata starts from.
inline FlowKey base_key(const FlowKeyMetadata& md = {})
{
    FlowKey k;
    std::memset(&k, 0, sizeof(k));
    k.priority = md.priority;
    k.skb_mark = md.skb_mark;
    k.recirc_id = md.recirc_id;
    k.in_port = md.in_port;
    k.mac_proto = md.mac_proto;
    return k;
}
inline FlowKey eth_key(u16 type, const FlowKeyMetadata& md = {})
{
    FlowKey k = base_key(md);
    std::memcpy(k.eth.src, kSrcMac.data(), 6);
    std::memcpy(k.eth.dst, kDstMac.data(), 6);
    k.eth.type = htons(type);
    return k;
}

inline bool same_offsets(const UserPacket::Offsets& a, const UserPacket::Offsets& b)
{
    return a.mac_len == b.mac_len && a.network == b.network && a.transport == b.transport
        && a.inner_network == b.inner_network && a.popped_vlans == b.popped_vlans;
}

// The extraction every test uses. Besides the plain run it checks, under the
// sanitizers of the build:
// - with every linear prefix the result is the same (so every read is pulled
//   first, and no pointer outlives a pull);
// - cut at every length, with all bytes linear or none, extraction never
//   reads out of bounds and fails only where a frame has no Ethernet header.
inline Extracted extract(const Buf& pkt, const ExtractOpts& o = {})
{
    Extracted r = extract_once(pkt, o);
    if (o.linear != ~usize(0) || o.pull_limit != ~usize(0))
        return r;
    for (usize lin = 0; lin <= pkt.size(); lin++) {
        ExtractOpts lo = o;
        lo.linear = lin;
        Extracted l = extract_once(pkt, lo);
        EXPECT_EQ(l.err, r.err) << "linear prefix " << lin;
        EXPECT_TRUE(keys_equal(r.key, l.key)) << "linear prefix " << lin;
        EXPECT_TRUE(same_offsets(r.off, l.off)) << "linear prefix " << lin;
        EXPECT_EQ(l.packet, r.packet) << "linear prefix " << lin;
    }
    bool l2 = (o.md.mac_proto & ~kMacProtoKeyInvalid) != kMacProtoNone;
    for (usize cut = 0; cut < pkt.size(); cut++) {
        Buf part(pkt.begin(), pkt.begin() + cut);
        for (usize lin : { ~usize(0), usize(0) }) {
            ExtractOpts co = o;
            co.linear = lin;
            Extracted c = extract_once(part, co);
            if (l2 && cut < 14)
                EXPECT_EQ(c.err, err::INVAL) << "cut " << cut;
            else
                EXPECT_EQ(c.err, r.err) << "cut " << cut;
            if (c.err == 0) {
                EXPECT_LE(c.off.network, part.size()) << "cut " << cut;
                if (c.off.transport != UserPacket::kUnset) {
                    EXPECT_LE(c.off.transport, part.size()) << "cut " << cut;
                }
                EXPECT_EQ(c.off.mac_len, c.off.network) << "cut " << cut;
            }
        }
    }
    return r;
}

} // namespace ovsdp::test
