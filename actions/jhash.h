// SPDX-License-Identifier: GPL-2.0
// Bob Jenkins' lookup3 hash of one 32-bit word, as the kernel's
// jhash_1word() (<linux/jhash.h>), which the hash action applies to the
// packet's hash with the action's basis.
#pragma once

#include "base/types.h"

namespace ovsdp {

inline constexpr u32 kJhashInitval = 0xdeadbeef; // JHASH_INITVAL

constexpr u32 rol32(u32 w, unsigned s) { return (w << s) | (w >> ((32 - s) & 31)); }

// __jhash_final()
constexpr void jhash_final(u32& a, u32& b, u32& c)
{
    c ^= b;
    c -= rol32(b, 14);
    a ^= c;
    a -= rol32(c, 11);
    b ^= a;
    b -= rol32(a, 25);
    c ^= b;
    c -= rol32(b, 16);
    a ^= c;
    a -= rol32(c, 4);
    b ^= a;
    b -= rol32(a, 14);
    c ^= b;
    c -= rol32(b, 24);
}

// jhash_1word(a, initval) = __jhash_nwords(a, 0, 0, initval + JHASH_INITVAL + (1 << 2))
constexpr u32 jhash_1word(u32 a, u32 initval)
{
    u32 iv = initval + kJhashInitval + (1u << 2);
    u32 b = iv, c = iv;
    a += iv;
    jhash_final(a, b, c);
    return c;
}

} // namespace ovsdp
