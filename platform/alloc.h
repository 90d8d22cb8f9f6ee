// SPDX-License-Identifier: GPL-2.0
// Checked object allocation for the core. Allocation failure is a null result
// the caller must look at; there are no exceptions and no throwing new.
#pragma once

#include "base/new.h"
#include "base/own.h"
#include "base/util.h"
#include "platform/platform.h"

namespace ovsdp {

enum class Gfp : unsigned {
    Kernel = OVSDP_GFP_KERNEL,
    Atomic = OVSDP_GFP_ATOMIC,
    NoWait = OVSDP_GFP_NOWAIT,
};

// Construct a T in memory from the platform allocator; nullptr on failure.
template <typename T, typename... Args>
[[nodiscard]] T* make(Gfp gfp, Args&&... args)
{
    void* mem = ovsdp_kmalloc(sizeof(T), static_cast<unsigned>(gfp));
    if (!mem)
        return nullptr;
    return new (mem) T(forward<Args>(args)...);
}

// As make(), zeroing the memory first (for aggregates with many fields).
template <typename T, typename... Args>
[[nodiscard]] T* make_zeroed(Gfp gfp, Args&&... args)
{
    void* mem = ovsdp_kmalloc(sizeof(T), static_cast<unsigned>(gfp) | OVSDP_GFP_ZERO);
    if (!mem)
        return nullptr;
    return new (mem) T(forward<Args>(args)...);
}

template <typename T>
void destroy(T* obj)
{
    if (!obj)
        return;
    obj->~T();
    ovsdp_kfree(obj);
}

// The owner of an object from make().
template <typename T>
using Owned = Own<T, destroy<T>>;

} // namespace ovsdp
