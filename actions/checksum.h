// SPDX-License-Identifier: GPL-2.0
// Internet checksum arithmetic (RFC 1071 ones' complement sums, RFC 1624
// incremental updates) and the SCTP CRC32c, in freestanding C++ with the
// semantics of the kernel's <net/checksum.h> and lib/checksum.c, so that the
// engine updates checksum fields bit for bit as upstream does.
//
// Conventions, as the kernel's:
// - A "wsum" (__wsum) is an unfolded 32-bit partial sum of 16-bit words read
//   in memory order on this (little-endian) host. Equal sums may differ in
//   representation; compare them folded.
// - A "sum16" (__sum16) is the folded, complemented 16-bit value as stored in
//   a header's checksum field, handled as the raw u16 in memory order.
// - Fields are passed as byte pointers into packet data and accessed
//   unaligned.
#pragma once

#include "base/byteorder.h"
#include "base/types.h"

namespace ovsdp {

using wsum = u32;
using sum16 = u16;

constexpr wsum csum_add(wsum a, wsum b)
{
    u32 r = a + b;
    return r + (r < b);
}
constexpr wsum csum_sub(wsum a, wsum b) { return csum_add(a, ~b); }
constexpr wsum csum_unfold(sum16 n) { return n; }
// Fold to 16 bits and complement (the kernel's csum_fold()).
constexpr sum16 csum_fold(wsum s)
{
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    return static_cast<sum16>(~s);
}
constexpr u32 ror32(u32 w, unsigned s) { return (w >> s) | (w << (32 - s)); }
// A block's sum moved to an odd offset has its bytes swapped.
constexpr wsum csum_shift(wsum sum, usize offset) { return (offset & 1) ? ror32(sum, 8) : sum; }
constexpr wsum csum_block_add(wsum csum, wsum csum2, usize offset) { return csum_add(csum, csum_shift(csum2, offset)); }
constexpr wsum csum_block_sub(wsum csum, wsum csum2, usize offset)
{
    return csum_add(csum, ~csum_shift(csum2, offset));
}

// Sum of [buf, buf + len) added to `sum` (the kernel's csum_partial()): the
// bytes are summed as if buf sat at an even offset, whatever its address.
inline wsum csum_partial(const void* buf, usize len, wsum sum)
{
    const u8* p = static_cast<const u8*>(buf);
    u64 acc = 0;
    while (len >= 4) {
        acc += load_unaligned<u32>(p);
        p += 4;
        len -= 4;
    }
    if (len >= 2) {
        acc += load_unaligned<u16>(p);
        p += 2;
        len -= 2;
    }
    if (len)
        acc += *p; // a trailing odd byte is the low (first) byte of its word
    // 64 -> 32 bits with end-around carry.
    acc = (acc & 0xffffffffu) + (acc >> 32);
    acc = (acc & 0xffffffffu) + (acc >> 32);
    return csum_add(sum, static_cast<wsum>(acc));
}

// *field, a sum16, corrected for a 32-bit word of the covered data changing
// from `from` to `to` (csum_replace4()).
inline void csum_replace4(u8* field, be32 from, be32 to)
{
    wsum tmp = csum_sub(~csum_unfold(load_unaligned<sum16>(field)), from);
    store_unaligned<sum16>(field, csum_fold(csum_add(tmp, to)));
}

// The kernel's 16-bit ones' complement add used by csum_replace2().
constexpr u16 csum16_add(u16 csum, u16 addend)
{
    u16 res = static_cast<u16>(csum + addend);
    return static_cast<u16>(res + (res < addend));
}
constexpr u16 csum16_sub(u16 csum, u16 addend) { return csum16_add(csum, static_cast<u16>(~addend)); }

// As csum_replace4() for a 16-bit word (csum_replace2()).
inline void csum_replace2(u8* field, be16 from, be16 to)
{
    u16 old = load_unaligned<sum16>(field);
    store_unaligned<sum16>(field, static_cast<u16>(~csum16_add(csum16_sub(static_cast<u16>(~old), from), to)));
}

// A running wsum corrected for covered data changing from `from` to `to`
// (csum_replace() on an skb->csum).
constexpr wsum csum_replace_wsum(wsum csum, wsum from, wsum to) { return csum_add(csum_sub(csum, from), to); }

// The checksum of an IPv4 header of `len` bytes, field included: 0 when valid.
inline sum16 ip_compute_csum(const void* hdr, usize len) { return csum_fold(csum_partial(hdr, len, 0)); }

// Pseudo-header sums, as wsum (csum_tcpudp_nofold(), and the IPv6 one).
inline wsum csum_pseudo_ipv4(be32 saddr, be32 daddr, u32 len, u8 proto, wsum sum)
{
    u8 ph[12];
    store_unaligned<be32>(ph, saddr);
    store_unaligned<be32>(ph + 4, daddr);
    ph[8] = 0;
    ph[9] = proto;
    store_unaligned<be16>(ph + 10, htons(static_cast<u16>(len)));
    return csum_partial(ph, sizeof(ph), sum);
}
inline wsum csum_pseudo_ipv6(const u8 saddr[16], const u8 daddr[16], u32 len, u8 proto, wsum sum)
{
    u8 tail[8];
    store_unaligned<be32>(tail, htonl(len));
    tail[4] = tail[5] = tail[6] = 0;
    tail[7] = proto;
    sum = csum_partial(saddr, 16, sum);
    sum = csum_partial(daddr, 16, sum);
    return csum_partial(tail, sizeof(tail), sum);
}

// ---- CRC32c (Castagnoli, reflected, as SCTP uses it) -------------------------

struct Crc32cTable {
    u32 t[256];
};

constexpr Crc32cTable make_crc32c_table()
{
    Crc32cTable tab {};
    for (u32 i = 0; i < 256; i++) {
        u32 c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        tab.t[i] = c;
    }
    return tab;
}

inline constexpr Crc32cTable kCrc32cTable = make_crc32c_table();

// Continue a CRC32c register over [p, p + len) (no pre/post inversion).
constexpr u32 crc32c_update(u32 crc, const u8* p, usize len)
{
    for (usize i = 0; i < len; i++)
        crc = kCrc32cTable.t[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return crc;
}

// The standard CRC32c of a buffer (initial ~0, final inversion).
constexpr u32 crc32c(const u8* p, usize len) { return ~crc32c_update(~0u, p, len); }

// The SCTP checksum of the packet `len` bytes from `sctp` (the common header
// first), computed as if its checksum field were zero (sctp_compute_cksum()).
// The value is in the byte order of the header field (little-endian CRC).
inline u32 sctp_compute_cksum(const u8* sctp, usize len)
{
    constexpr usize kCsumOff = 8;
    constexpr u8 kZero[4] = {};
    u32 crc = crc32c_update(~0u, sctp, kCsumOff);
    crc = crc32c_update(crc, kZero, 4);
    crc = crc32c_update(crc, sctp + kCsumOff + 4, len - kCsumOff - 4);
    return ~crc; // cpu_to_le32(): this host is little-endian
}

} // namespace ovsdp
