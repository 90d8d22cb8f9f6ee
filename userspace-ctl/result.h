// SPDX-License-Identifier: Apache-2.0
// Error values and Result<T> for ovsdp-ctl.
//
// Every fallible call returns a [[nodiscard]] Result (or Status).  An Error
// carries a positive errno value (0 never appears in an Error) and, when the
// kernel sent one, the netlink extended-ACK message.  OVSDP_TRY propagates an
// error to the caller; there is no exception path.
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace ovsdp::ctl {

struct Error {
    int code = EINVAL;        // positive errno value
    std::string extack;       // kernel NLMSGERR_ATTR_MSG, empty if none
    std::string detail;       // local explanation (not from the kernel), may be empty

    static Error from_errno(int e) { return Error{e > 0 ? e : EINVAL, {}, {}}; }
};

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error err) : v_(std::move(err)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const { return std::get<1>(v_); }
    Error&& take_error() { return std::get<1>(std::move(v_)); }
    int code() const { return ok() ? 0 : error().code; }

private:
    std::variant<T, Error> v_;
};

// A Result without a value.
class [[nodiscard]] Status {
public:
    Status() = default;
    Status(Error err) : ok_(false), err_(std::move(err)) {}
    static Status success() { return Status(); }

    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const { return err_; }
    Error&& take_error() { return std::move(err_); }
    int code() const { return ok_ ? 0 : err_.code; }

private:
    bool ok_ = true;
    Error err_;
};

}  // namespace ovsdp::ctl

// Evaluates 'expr' (a Result or Status); on error returns the error from the
// enclosing function, which must itself return a Result or Status.
#define OVSDP_TRY(expr)                              \
    do {                                             \
        auto&& ovsdp_try_r_ = (expr);                \
        if (!ovsdp_try_r_.ok()) {                    \
            return ovsdp_try_r_.take_error();        \
        }                                            \
    } while (0)
