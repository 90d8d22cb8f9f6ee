// SPDX-License-Identifier: GPL-2.0
// The packets the flow extraction benchmarks run over, shared by the Google
// Benchmark target and the callgrind driver so that both measure the same.
#pragma once

#include "flow/flow_extract.h"
#include "platform/user/user_packet.h"

#include <cstring>
#include <string>
#include <vector>

namespace ovsdp::bench {

struct BenchPacket {
    const char* name;
    std::vector<u8> bytes;
    bool accel_vlan = false; // the outer tag sits in the accelerated tag
    bool restore = false; // extraction edits the packet (in-band VLAN): copy it back each time
};

inline void put16(std::vector<u8>& b, u16 v)
{
    b.push_back(static_cast<u8>(v >> 8));
    b.push_back(static_cast<u8>(v));
}
inline void put(std::vector<u8>& b, std::initializer_list<int> v)
{
    for (int x : v)
        b.push_back(static_cast<u8>(x));
}
inline void macs(std::vector<u8>& b) { put(b, { 0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb }); }
inline void ipv4_tcp(std::vector<u8>& b)
{
    put(b, { 0x45, 0, 0, 46, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2 });
    put(b, { 0x04, 0xd2, 0, 80, 0, 0, 0, 1, 0, 0, 0, 2, 0x50, 0x18, 0x20, 0, 0, 0, 0, 0 });
    put(b, { 0, 0, 0, 0, 0, 0 }); // pad to 64 bytes with FCS-less minimum
}

// TCP/IPv4, UDP/IPv6, ARP, VLAN+TCP (accelerated tag, as the kernel receives
// it from a NIC or veth) and VLAN+TCP with the tag in the packet.
inline std::vector<BenchPacket> bench_packets()
{
    std::vector<BenchPacket> v;
    {
        BenchPacket p { "tcp4", {} };
        macs(p.bytes);
        put16(p.bytes, kEthPIp);
        ipv4_tcp(p.bytes);
        v.push_back(p);
    }
    {
        BenchPacket p { "udp6", {} };
        macs(p.bytes);
        put16(p.bytes, kEthPIpv6);
        put(p.bytes, { 0x60, 0, 0, 0, 0, 8, 17, 64 });
        for (int a = 0; a < 2; a++)
            put(p.bytes, { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, a + 1 });
        put(p.bytes, { 0x30, 0x39, 0x00, 0x35, 0, 8, 0, 0 });
        v.push_back(p);
    }
    {
        BenchPacket p { "arp", {} };
        macs(p.bytes);
        put16(p.bytes, kEthPArp);
        put(p.bytes, { 0, 1, 8, 0, 6, 4, 0, 1, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0,
                         10, 0, 0, 2 });
        put(p.bytes, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 });
        v.push_back(p);
    }
    {
        BenchPacket p { "vlan_tcp4", {}, true };
        macs(p.bytes);
        put16(p.bytes, kEthPIp);
        ipv4_tcp(p.bytes);
        v.push_back(p);
    }
    {
        BenchPacket p { "inband_vlan_tcp4", {}, false, true };
        macs(p.bytes);
        put16(p.bytes, kEthP8021Q);
        put16(p.bytes, 100);
        put16(p.bytes, kEthPIp);
        ipv4_tcp(p.bytes);
        v.push_back(p);
    }
    return v;
}

// One extraction as the receive path does it. buf holds the packet (and is
// refreshed from pkt.bytes first when extraction edits it).
OVSDP_ALWAYS_INLINE Status extract_one(const BenchPacket& pkt, u8* buf, FlowKey& key)
{
    if (pkt.restore)
        std::memcpy(buf, pkt.bytes.data(), pkt.bytes.size());
    auto p = user::UserPacket::borrow(buf, pkt.bytes.size());
    if (pkt.accel_vlan)
        p.set_vlan_tag(htons(kEthP8021Q), 100);
    FlowKeyMetadata md;
    md.in_port = 1;
    return key_extract_with_metadata(p, md, key);
}

} // namespace ovsdp::bench
