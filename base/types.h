// SPDX-License-Identifier: GPL-2.0
// Fixed-width integers, byte-order types and branch hints shared by the kernel
// and userspace builds of the core. Only compiler-provided C headers here.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace ovsdp {

using u8 = uint8_t;
using u16 = uint16_t;
using u32 = uint32_t;
using u64 = uint64_t;
using s8 = int8_t;
using s16 = int16_t;
using s32 = int32_t;
using s64 = int64_t;
using usize = size_t;

// Network-order values are kept in distinct types only by name: they are the
// raw bytes as they sit in the packet. Convert with ntoh/hton (byteorder.h).
using be16 = uint16_t;
using be32 = uint32_t;
using be64 = uint64_t;

} // namespace ovsdp

#define OVSDP_LIKELY(x) __builtin_expect(!!(x), 1)
#define OVSDP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define OVSDP_ALWAYS_INLINE inline __attribute__((always_inline))
#define OVSDP_NOINLINE __attribute__((noinline))
// A stack object its code fills in full before reading it: not zeroed at
// function entry by the kernel's -ftrivial-auto-var-init=zero (the kernel's
// __uninitialized).
#define OVSDP_UNINITIALIZED __attribute__((uninitialized))
#define OVSDP_PACKED __attribute__((packed))
