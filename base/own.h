// SPDX-License-Identifier: GPL-2.0
// Own<T, Free>: the one owner of a heap object, freed by Free when the owner
// goes out of scope, on every path (no cleanup chains on error paths).
// Move-only; release() hands the object on. Freestanding, no std::.
#pragma once

#include "base/util.h"

namespace ovsdp {

template <typename T, void (*Free)(T*)>
class [[nodiscard]] Own {
public:
    constexpr Own() = default;
    constexpr explicit Own(T* p) : p_(p) {}
    Own(Own&& o) : p_(o.release()) {}
    Own& operator=(Own&& o)
    {
        if (this != &o)
            reset(o.release());
        return *this;
    }
    Own(const Own&) = delete;
    Own& operator=(const Own&) = delete;
    ~Own() { reset(); }

    T* get() const { return p_; }
    T* operator->() const { return p_; }
    T& operator*() const { return *p_; }
    explicit operator bool() const { return p_ != nullptr; }

    // Give up ownership: the caller (or the structure it links into) frees.
    [[nodiscard]] T* release() { return exchange(p_, nullptr); }
    void reset(T* p = nullptr)
    {
        T* old = exchange(p_, p);
        if (old)
            Free(old);
    }

private:
    T* p_ = nullptr;
};

} // namespace ovsdp
