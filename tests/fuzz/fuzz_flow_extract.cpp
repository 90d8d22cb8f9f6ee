// SPDX-License-Identifier: GPL-2.0
// libFuzzer target over flow key extraction.
//
// Input: [flags] [linear] [limit] packet...
//   flags bit 0: an accelerated VLAN tag is present (bit 1: 802.1ad, else 802.1Q)
//         bit 2: L3 packet (mac_proto none), bits 4-6 pick its protocol
//         bit 3: SKB_GSO_UDP
//   linear: bytes linear at first (0xff: all)
//   limit:  pulls beyond limit * 2 bytes fail as if memory were short (0xff: none)
//
// Besides the sanitizers, each input checks invariants of the key and that
// extraction over a fully linear copy of the packet gives the same key,
// offsets and packet bytes as over the partly linear one.
#include "flow/flow_extract.h"
#include "platform/user/user_packet.h"

#include <cstdlib>
#include <cstring>

using namespace ovsdp;
using ovsdp::user::UserPacket;

namespace {

constexpr u16 kL3Protocols[8] = { kEthPIp, kEthPIpv6, kEthPArp, kEthPRarp, kEthPMplsUc, kEthPMplsMc,
    kEthP8021Q, kEthP8021AD };

struct Run {
    int err;
    FlowKey key;
    UserPacket::Offsets off;
    be16 protocol;
    bool vlan_present;
    u16 vlan_tci;
    usize len;
};

void check(bool cond)
{
    if (!cond)
        __builtin_trap();
}

Run run(const u8* pkt, usize n, u8 flags, usize linear, usize limit, u8* out_bytes)
{
    Run r;
    u8* mem = static_cast<u8*>(std::malloc(n ? n : 1));
    std::memcpy(mem, pkt, n);
    {
        auto p = UserPacket::borrow(mem, n);
        if (linear != ~usize(0))
            p.set_linear(linear);
        p.set_pull_limit(limit);
        if (flags & 1)
            p.set_vlan_tag(htons(flags & 2 ? kEthP8021AD : kEthP8021Q), 0x0123);
        p.set_gso_udp(flags & 8);
        FlowKeyMetadata md;
        if (flags & 4) {
            md.mac_proto = kMacProtoNone;
            p.set_protocol(htons(kL3Protocols[(flags >> 4) & 7]));
        }
        std::memset(&r.key, 0xa5, sizeof(r.key));
        Status s = key_extract_with_metadata(p, md, r.key);
        r.err = s.ok() ? 0 : s.error().code;
        r.off = p.offsets();
        r.protocol = p.protocol();
        r.vlan_present = p.vlan_tag_present();
        r.vlan_tci = p.vlan_tci();
        r.len = p.len();
        if (out_bytes) {
            // Whatever is readable now must be the packet's bytes.
            usize head = p.headlen();
            std::memcpy(out_bytes, p.data(), head);
            std::memcpy(out_bytes + head, mem + (n - p.len()) + head, p.len() - head);
        }
    }
    std::free(mem);
    return r;
}

void check_key(const Run& r, usize n, bool l2)
{
    if (r.err) {
        check(r.err == err::NOMEM || (r.err == err::INVAL && (l2 ? n < 14 : true)));
        return;
    }
    const FlowKey& k = r.key;
    if (l2) {
        check(n >= 14);
        check(k.eth.type != 0);
        check(ntohs(k.eth.type) >= kEthP8023Min || k.eth.type == htons(kEthP8022));
        check(r.off.mac_len == r.off.network && r.off.network <= r.len);
        check(!k.eth.vlan.tci || (k.eth.vlan.tci & htons(kVlanCfiMask)));
        check(!k.eth.cvlan.tci || k.eth.vlan.tci);
    } else {
        check(r.off.network == 0 && r.off.mac_len == 0);
    }
    check(k.pad0 == 0 && k.tun_opts_len == 0 && k.tun_key.ip_family == 0);
    for (usize i = OVSDP_OFFSETOF(FlowKey, ipv6) + sizeof(FlowKeyIpv6); i < kFlowKeySize; i++)
        check(k.bytes()[i] == 0);
    check(k.ip.frag <= kFragLater);
    if (k.ip.frag == kFragLater)
        check(k.tp.src == 0 && k.tp.dst == 0 && k.tp.flags == 0);
    if (k.tp.flags)
        check(k.ip.proto == kIpProtoTcp && (k.tp.flags & ~htons(kTcpFlagsMask)) == 0);
    if (k.eth.type == htons(kEthPMplsUc) || k.eth.type == htons(kEthPMplsMc))
        check(k.mpls.num_labels_mask == 0 || k.mpls.num_labels_mask == 1 || k.mpls.num_labels_mask == 3
            || k.mpls.num_labels_mask == 7);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const u8* data, size_t size)
{
    if (size < 3)
        return 0;
    u8 flags = data[0];
    usize linear = data[1] == 0xff ? ~usize(0) : data[1];
    usize limit = data[2] == 0xff ? ~usize(0) : usize(data[2]) * 2;
    const u8* pkt = data + 3;
    usize n = size - 3;
    bool l2 = !(flags & 4);

    static u8 bytes_a[65536], bytes_b[65536];
    if (n > sizeof(bytes_a))
        return 0;
    Run a = run(pkt, n, flags, linear, limit, bytes_a);
    check_key(a, n, l2);
    if (limit != ~usize(0))
        return 0;

    // The same packet all linear: identical results.
    Run b = run(pkt, n, flags, ~usize(0), ~usize(0), bytes_b);
    check(a.err == b.err);
    if (a.err)
        return 0;
    check(std::memcmp(&a.key, &b.key, sizeof(a.key)) == 0);
    check(a.off.mac_len == b.off.mac_len && a.off.network == b.off.network && a.off.transport == b.off.transport
        && a.off.inner_network == b.off.inner_network && a.off.popped_vlans == b.off.popped_vlans);
    check(a.protocol == b.protocol && a.vlan_present == b.vlan_present && a.vlan_tci == b.vlan_tci);
    check(a.len == b.len && std::memcmp(bytes_a, bytes_b, a.len) == 0);
    return 0;
}
