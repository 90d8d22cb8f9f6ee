// SPDX-License-Identifier: GPL-2.0
// Atomics over compiler builtins (no <atomic> in the kernel build), with the
// kernel's vocabulary: READ_ONCE/WRITE_ONCE-style relaxed access, and
// publish/consume for RCU-protected pointers.
#pragma once

#include "base/types.h"

namespace ovsdp {

template <typename T> OVSDP_ALWAYS_INLINE T read_once(const T& v) { return __atomic_load_n(&v, __ATOMIC_RELAXED); }
template <typename T> OVSDP_ALWAYS_INLINE void write_once(T& v, T n) { __atomic_store_n(&v, n, __ATOMIC_RELAXED); }

// rcu_dereference(): a dependent load. Acquire costs nothing extra on x86 and
// keeps userspace TSan builds accurate.
template <typename T> OVSDP_ALWAYS_INLINE T* rcu_deref(T* const& p) { return __atomic_load_n(&p, __ATOMIC_ACQUIRE); }
// rcu_assign_pointer(): release store publishing a fully initialised object.
template <typename T> OVSDP_ALWAYS_INLINE void rcu_assign(T*& p, T* v) { __atomic_store_n(&p, v, __ATOMIC_RELEASE); }

template <typename T>
class Atomic {
public:
    constexpr Atomic() = default;
    constexpr explicit Atomic(T v) : value_(v) {}
    Atomic(const Atomic&) = delete;
    Atomic& operator=(const Atomic&) = delete;

    T load(int order = __ATOMIC_SEQ_CST) const { return __atomic_load_n(&value_, order); }
    void store(T v, int order = __ATOMIC_SEQ_CST) { __atomic_store_n(&value_, v, order); }
    T fetch_add(T v, int order = __ATOMIC_SEQ_CST) { return __atomic_fetch_add(&value_, v, order); }
    T fetch_sub(T v, int order = __ATOMIC_SEQ_CST) { return __atomic_fetch_sub(&value_, v, order); }
    T fetch_or(T v, int order = __ATOMIC_SEQ_CST) { return __atomic_fetch_or(&value_, v, order); }
    T exchange(T v, int order = __ATOMIC_SEQ_CST) { return __atomic_exchange_n(&value_, v, order); }
    bool compare_exchange(T& expected, T desired, int order = __ATOMIC_SEQ_CST)
    {
        return __atomic_compare_exchange_n(&value_, &expected, desired, false, order, __ATOMIC_RELAXED);
    }
    T* ptr() { return &value_; }

private:
    T value_ {};
};

inline void compiler_barrier() { __asm__ __volatile__("" ::: "memory"); }

} // namespace ovsdp
