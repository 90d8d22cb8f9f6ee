// SPDX-License-Identifier: GPL-2.0
// The C++ runtime of the kernel build: new/delete over the platform allocator
// and the few ABI hooks g++ references. Included into kmod/core.cpp.
//
// Plain `new` is process context (GFP_KERNEL). The core allocates through
// ovsdp::make<T>(Gfp) (platform/alloc.h), whose Gfp::NoWait / Gfp::Atomic
// forms are the packet path's non-blocking allocations; they return nullptr on
// failure. The build uses -fcheck-new, so a null result of operator new is
// checked rather than assumed impossible.
#include "platform/platform.h"

void* operator new(size_t size) { return ovsdp_kmalloc(size, OVSDP_GFP_KERNEL); }
void* operator new[](size_t size) { return ovsdp_kmalloc(size, OVSDP_GFP_KERNEL); }
void operator delete(void* p) noexcept { ovsdp_kfree(p); }
void operator delete[](void* p) noexcept { ovsdp_kfree(p); }
void operator delete(void* p, size_t) noexcept { ovsdp_kfree(p); }
void operator delete[](void* p, size_t) noexcept { ovsdp_kfree(p); }

extern "C" {
void ovsdp_fatal(const char* what);
// ABI hooks the compiler emits calls to; nothing else declares them.
void __cxa_pure_virtual();
int __popcountdi2(unsigned long x);
int __popcountsi2(unsigned int x);
}

// Referenced (weakly) by every vtable with a pure virtual slot.
extern "C" void __cxa_pure_virtual()
{
    ovsdp_fatal("pure virtual function called");
    __builtin_trap();
}

// libgcc helpers g++ calls for __builtin_popcount* when the target has no
// POPCNT instruction (the kernel is built for generic x86-64).
extern "C" int __popcountdi2(unsigned long x)
{
    x = x - ((x >> 1) & 0x5555555555555555UL);
    x = (x & 0x3333333333333333UL) + ((x >> 2) & 0x3333333333333333UL);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fUL;
    return static_cast<int>((x * 0x0101010101010101UL) >> 56);
}

extern "C" int __popcountsi2(unsigned int x) { return __popcountdi2(x); }
