// SPDX-License-Identifier: GPL-2.0
// A pointer and a length, with bounds-checked slicing that cannot overflow.
#pragma once

#include "base/types.h"

namespace ovsdp {

template <typename T>
class Span {
public:
    constexpr Span() = default;
    constexpr Span(T* data, usize size) : data_(data), size_(size) {}
    template <usize N>
    constexpr Span(T (&arr)[N]) : data_(arr), size_(N) {}

    constexpr T* data() const { return data_; }
    constexpr usize size() const { return size_; }
    constexpr bool empty() const { return size_ == 0; }
    constexpr T& operator[](usize i) const { return data_[i]; }
    constexpr T* begin() const { return data_; }
    constexpr T* end() const { return data_ + size_; }

    // True when [start, start + len) lies inside the span.
    constexpr bool contains_range(usize start, usize len) const
    {
        return start <= size_ && len <= size_ - start;
    }
    // The sub-span, or an empty span with a null data pointer when out of range.
    constexpr Span slice(usize start, usize len) const
    {
        if (!contains_range(start, len))
            return {};
        return { data_ + start, len };
    }
    constexpr Span slice(usize start) const
    {
        if (start > size_)
            return {};
        return { data_ + start, size_ - start };
    }
    constexpr operator Span<const T>() const { return { data_, size_ }; }

private:
    T* data_ = nullptr;
    usize size_ = 0;
};

using Bytes = Span<u8>;
using ConstBytes = Span<const u8>;

} // namespace ovsdp
