// SPDX-License-Identifier: GPL-2.0
// Byte order helpers (the core only targets little-endian hosts: x86-64, arm64).
#pragma once

#include "base/types.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "ovsdp assumes a little-endian host");

namespace ovsdp {

constexpr u16 bswap16(u16 v) { return __builtin_bswap16(v); }
constexpr u32 bswap32(u32 v) { return __builtin_bswap32(v); }
constexpr u64 bswap64(u64 v) { return __builtin_bswap64(v); }

constexpr be16 htons(u16 v) { return bswap16(v); }
constexpr u16 ntohs(be16 v) { return bswap16(v); }
constexpr be32 htonl(u32 v) { return bswap32(v); }
constexpr u32 ntohl(be32 v) { return bswap32(v); }
constexpr be64 htonll(u64 v) { return bswap64(v); }
constexpr u64 ntohll(be64 v) { return bswap64(v); }

// Unaligned loads and stores; the compiler turns these into plain moves.
template <typename T>
OVSDP_ALWAYS_INLINE T load_unaligned(const void* p)
{
    T v;
    __builtin_memcpy(&v, p, sizeof(T));
    return v;
}

template <typename T>
OVSDP_ALWAYS_INLINE void store_unaligned(void* p, T v)
{
    __builtin_memcpy(p, &v, sizeof(T));
}

} // namespace ovsdp
