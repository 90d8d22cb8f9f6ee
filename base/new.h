// SPDX-License-Identifier: GPL-2.0
// Placement new for both builds. The kernel build has no <new> (-nostdinc++);
// it defines OVSDP_KERNEL. Allocating new/delete live in the platform layer.
#pragma once

#include "base/types.h"

#if defined(OVSDP_KERNEL)
inline void* operator new(size_t, void* p) noexcept { return p; }
inline void* operator new[](size_t, void* p) noexcept { return p; }
#else
#include <new>
#endif
