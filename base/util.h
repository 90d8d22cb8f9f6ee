// SPDX-License-Identifier: GPL-2.0
// The few pieces of <utility>/<type_traits> the core needs, usable with
// -nostdinc++ in the kernel and identical in userspace.
#pragma once

#include "base/types.h"

namespace ovsdp {

template <typename T> struct RemoveReference { using Type = T; };
template <typename T> struct RemoveReference<T&> { using Type = T; };
template <typename T> struct RemoveReference<T&&> { using Type = T; };
template <typename T> using RemoveReferenceT = typename RemoveReference<T>::Type;

template <typename T>
constexpr RemoveReferenceT<T>&& move(T&& v) { return static_cast<RemoveReferenceT<T>&&>(v); }

template <typename T>
constexpr T&& forward(RemoveReferenceT<T>& v) { return static_cast<T&&>(v); }
template <typename T>
constexpr T&& forward(RemoveReferenceT<T>&& v) { return static_cast<T&&>(v); }

template <typename T>
constexpr void swap(T& a, T& b)
{
    T tmp = move(a);
    a = move(b);
    b = move(tmp);
}

template <typename T, typename U = T>
constexpr T exchange(T& obj, U&& new_value)
{
    T old = move(obj);
    obj = forward<U>(new_value);
    return old;
}

template <typename T> constexpr const T& min(const T& a, const T& b) { return b < a ? b : a; }
template <typename T> constexpr const T& max(const T& a, const T& b) { return a < b ? b : a; }

template <typename T, usize N> constexpr usize array_size(const T (&)[N]) { return N; }

template <typename T, typename U> inline constexpr bool IsSame = false;
template <typename T> inline constexpr bool IsSame<T, T> = true;

template <typename T> inline constexpr bool IsTriviallyCopyable = __is_trivially_copyable(T);
template <typename T> inline constexpr bool IsStandardLayout = __is_standard_layout(T);

constexpr usize align_up(usize v, usize a) { return (v + a - 1) & ~(a - 1); }
constexpr usize align_down(usize v, usize a) { return v & ~(a - 1); }
constexpr bool is_power_of_2(u64 v) { return v && !(v & (v - 1)); }

// Offset and size of a data member, usable in constant expressions for
// standard-layout types.
#define OVSDP_OFFSETOF(type, member) __builtin_offsetof(type, member)
#define OVSDP_SIZEOF_MEMBER(type, member) sizeof(((type*)nullptr)->member)

// Containing object from a member pointer (intrusive containers).
template <typename T, typename M>
inline T* container_of(M* member, M T::*field)
{
    // The member's offset, measured on suitably aligned storage rather than on
    // a null pointer (which UBSan rightly rejects).
    alignas(T) static constexpr u8 probe[sizeof(T)] = {};
    const T* base = reinterpret_cast<const T*>(probe);
    usize offset = reinterpret_cast<const u8*>(&(base->*field)) - probe;
    return reinterpret_cast<T*>(reinterpret_cast<u8*>(member) - offset);
}

// Non-copyable, non-movable marker.
struct Pinned {
    Pinned() = default;
    Pinned(const Pinned&) = delete;
    Pinned& operator=(const Pinned&) = delete;
};

} // namespace ovsdp
