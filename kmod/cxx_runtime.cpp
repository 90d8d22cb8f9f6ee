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

extern "C" void ovsdp_fatal(const char* what);

// Referenced (weakly) by every vtable with a pure virtual slot.
extern "C" void __cxa_pure_virtual()
{
    ovsdp_fatal("pure virtual function called");
    __builtin_trap();
}
