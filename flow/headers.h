// SPDX-License-Identifier: GPL-2.0
// Wire layouts of the headers key extraction reads. Packed, so that a header
// is read with one memcpy from packet bytes into a local copy (read_header),
// never through a cast pointer; the compiler loads only the fields used.
#pragma once

#include "base/types.h"

namespace ovsdp::wire {

struct OVSDP_PACKED EthHdr {
    u8 dst[6];
    u8 src[6];
    be16 type;
};

struct OVSDP_PACKED VlanHdr {
    be16 tpid;
    be16 tci;
};

struct OVSDP_PACKED LlcSnapHdr {
    u8 dsap; // 0xAA for SNAP
    u8 ssap; // 0xAA for SNAP
    u8 ctrl;
    u8 oui[3];
    be16 type;
};
inline constexpr u8 kLlcSapSnap = 0xAA;

struct OVSDP_PACKED Ipv4Hdr {
    u8 version_ihl;
    u8 tos;
    be16 tot_len;
    be16 id;
    be16 frag_off;
    u8 ttl;
    u8 protocol;
    be16 check;
    be32 saddr;
    be32 daddr;
};
inline constexpr u16 kIpMf = 0x2000; // more fragments (host order)
inline constexpr u16 kIpOffset = 0x1fff; // fragment offset mask (host order)

struct OVSDP_PACKED Ipv6Hdr {
    be32 version_tc_label;
    be16 payload_len;
    u8 nexthdr;
    u8 hop_limit;
    u8 saddr[16];
    u8 daddr[16];
};
inline constexpr u32 kIpv6FlowLabelMask = 0x000fffff; // host order

// The first two bytes every IPv6 extension header shares.
struct OVSDP_PACKED Ipv6OptHdr {
    u8 nexthdr;
    u8 hdrlen;
};

struct OVSDP_PACKED Ipv6FragHdr {
    u8 nexthdr;
    u8 reserved;
    be16 frag_off; // offset << 3 | M flag
    be32 identification;
};

struct OVSDP_PACKED TcpHdr {
    be16 source;
    be16 dest;
    be32 seq;
    be32 ack_seq;
    be16 doff_flags; // data offset (4 bits), reserved (3), NS, CWR..FIN
    be16 window;
    be16 check;
    be16 urg_ptr;
};

struct OVSDP_PACKED UdpHdr {
    be16 source;
    be16 dest;
    be16 len;
    be16 check;
};

struct OVSDP_PACKED SctpHdr {
    be16 source;
    be16 dest;
    be32 vtag;
    be32 checksum;
};

// ICMP and ICMPv6 share the first 8 bytes' shape.
struct OVSDP_PACKED IcmpHdr {
    u8 type;
    u8 code;
    be16 checksum;
    be32 rest;
};

struct OVSDP_PACKED NdMsg {
    IcmpHdr icmph;
    u8 target[16];
    // options follow
};
inline constexpr u8 kNdNeighbourSolicitation = 135;
inline constexpr u8 kNdNeighbourAdvertisement = 136;
inline constexpr u8 kNdOptSourceLlAddr = 1;
inline constexpr u8 kNdOptTargetLlAddr = 2;

struct OVSDP_PACKED NdOptHdr {
    u8 type;
    u8 len; // in units of 8 bytes, header included
};

struct OVSDP_PACKED ArpEthHdr {
    be16 hrd;
    be16 pro;
    u8 hln;
    u8 pln;
    be16 op;
    u8 sha[6];
    u8 sip[4];
    u8 tha[6];
    u8 tip[4];
};
inline constexpr u16 kArpHrdEther = 1;

inline constexpr usize kMplsHlen = 4;

static_assert(sizeof(EthHdr) == 14 && sizeof(VlanHdr) == 4 && sizeof(LlcSnapHdr) == 8);
static_assert(sizeof(Ipv4Hdr) == 20 && sizeof(Ipv6Hdr) == 40 && sizeof(Ipv6FragHdr) == 8);
static_assert(sizeof(TcpHdr) == 20 && sizeof(UdpHdr) == 8 && sizeof(SctpHdr) == 12);
static_assert(sizeof(IcmpHdr) == 8 && sizeof(NdMsg) == 24 && sizeof(ArpEthHdr) == 28);

// A copy of the header at p (which the caller has checked is readable).
template <typename H>
OVSDP_ALWAYS_INLINE H read_header(const u8* p)
{
    H h;
    __builtin_memcpy(&h, p, sizeof(H));
    return h;
}

} // namespace ovsdp::wire
