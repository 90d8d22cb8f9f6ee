// SPDX-License-Identifier: GPL-2.0
// Error values without exceptions: an Error carries a positive errno and a
// static message fit for netlink extack; Result<T> is a value or an Error.
// Propagate with TRY(); the shim turns an Error into -errno + extack.
#pragma once

#include "base/errno.h"
#include "base/new.h"
#include "base/util.h"

namespace ovsdp {

struct Error {
    int code = 0;             // positive errno
    const char* msg = nullptr; // static string or nullptr; never freed

    static constexpr Error from_errno(int code, const char* msg = nullptr) { return { code, msg }; }
    constexpr int negative() const { return -code; }
};

template <typename T>
class [[nodiscard]] Result {
public:
    Result(const T& v) : ok_(true) { new (&storage_) T(v); }
    Result(T&& v) : ok_(true) { new (&storage_) T(move(v)); }
    Result(Error e) : ok_(false), error_(e) {}
    Result(const Result&) = delete;
    Result(Result&& o) : ok_(o.ok_), error_(o.error_)
    {
        if (ok_)
            new (&storage_) T(move(o.value_ref()));
    }
    ~Result()
    {
        if (ok_)
            value_ref().~T();
    }

    bool ok() const { return ok_; }
    bool is_error() const { return !ok_; }
    Error error() const { return error_; }
    T& value() { return value_ref(); }
    const T& value() const { return const_cast<Result*>(this)->value_ref(); }
    T release_value() { return move(value_ref()); }

private:
    T& value_ref() { return *reinterpret_cast<T*>(&storage_); }
    alignas(T) unsigned char storage_[sizeof(T)];
    bool ok_;
    Error error_ {};
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error e) : error_(e) {}
    bool ok() const { return error_.code == 0; }
    bool is_error() const { return error_.code != 0; }
    Error error() const { return error_; }
    void release_value() {}

private:
    Error error_ {};
};

using Status = Result<void>;

inline constexpr Error make_error(int code, const char* msg = nullptr) { return Error { code, msg }; }

} // namespace ovsdp

// Evaluate a Result; on error return its Error from the enclosing function,
// else yield the value.
#define TRY(expr)                                   \
    ({                                              \
        auto _ovsdp_try_result = (expr);            \
        if (OVSDP_UNLIKELY(_ovsdp_try_result.is_error())) \
            return _ovsdp_try_result.error();       \
        _ovsdp_try_result.release_value();          \
    })
