// SPDX-License-Identifier: GPL-2.0
// Building netlink attribute streams for the flow_netlink tests, and
// printing them when a comparison fails.
#pragma once

#include "base/netlink.h"
#include "base/ovs_abi.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace ovsdp::test {

using Buf = std::vector<u8>;

// Appends attributes; nests with begin()/end(). Raw bytes (for malformed
// input) with raw().
class Nl {
public:
    Nl& put(u16 type, const void* data, size_t len)
    {
        size_t at = buf_.size();
        buf_.resize(at + nla_total_size(len), 0);
        u16 l = static_cast<u16>(kNlaHdrLen + len);
        std::memcpy(&buf_[at], &l, 2);
        std::memcpy(&buf_[at + 2], &type, 2);
        if (len)
            std::memcpy(&buf_[at + kNlaHdrLen], data, len);
        return *this;
    }
    Nl& put(u16 type, const Buf& b) { return put(type, b.data(), b.size()); }
    template <typename T>
    Nl& val(u16 type, T v) { return put(type, &v, sizeof(v)); }
    Nl& u8_(u16 type, u8 v) { return val(type, v); }
    Nl& u16_(u16 type, u16 v) { return val(type, v); }
    Nl& u32_(u16 type, u32 v) { return val(type, v); }
    Nl& be16_(u16 type, u16 host) { return val(type, htons(host)); }
    Nl& be32_(u16 type, u32 host) { return val(type, htonl(host)); }
    Nl& be64_(u16 type, u64 host) { return val(type, htonll(host)); }
    Nl& flag(u16 type) { return put(type, nullptr, 0); }
    Nl& nested(u16 type, const Nl& inner) { return put(type, inner.buf_); }
    Nl& begin(u16 type)
    {
        stack_.push_back(buf_.size());
        return put(type, nullptr, 0);
    }
    Nl& end()
    {
        size_t at = stack_.back();
        stack_.pop_back();
        u16 l = static_cast<u16>(buf_.size() - at);
        std::memcpy(&buf_[at], &l, 2);
        return *this;
    }
    Nl& raw(const Buf& b)
    {
        buf_.insert(buf_.end(), b.begin(), b.end());
        return *this;
    }
    Nl& append(const Nl& o) { return raw(o.buf_); }

    const Buf& bytes() const { return buf_; }
    ConstBytes span() const { return { buf_.data(), buf_.size() }; }
    size_t size() const { return buf_.size(); }

private:
    Buf buf_;
    std::vector<size_t> stack_;
};

inline std::string hex(const u8* p, size_t n)
{
    std::string s;
    char b[4];
    for (size_t i = 0; i < n; i++) {
        std::snprintf(b, sizeof(b), "%02x", p[i]);
        s += b;
        if (i + 1 < n && (i + 1) % 4 == 0)
            s += ' ';
    }
    return s;
}
inline std::string hex(const Buf& b) { return hex(b.data(), b.size()); }
inline std::string hex(ConstBytes b) { return hex(b.data(), b.size()); }

// An attribute stream as text, nests expanded when `nested_types` says a type
// holds attributes (at the top level only), e.g. "3:01000000 16{4:0a000001}".
inline std::string dump_attrs(ConstBytes b, std::initializer_list<u16> nested_types = {}, int depth = 0)
{
    std::string s;
    NlAttrIter it(b);
    for (; !it.done(); it.next()) {
        const NlAttr* a = it.get();
        if (!s.empty())
            s += ' ';
        s += std::to_string(a->type());
        bool nested = false;
        for (u16 t : nested_types)
            nested |= t == a->type();
        if (nested && depth < 8)
            s += "{" + dump_attrs(a->payload(), nested_types, depth + 1) + "}";
        else
            s += ":" + hex(a->payload());
    }
    if (!it.valid())
        s += " <malformed>";
    return s;
}

inline std::string dump(const Buf& b, std::initializer_list<u16> nested_types = {})
{
    return dump_attrs({ b.data(), b.size() }, nested_types);
}

// A writer over a vector, for serialisation results.
struct Out {
    explicit Out(size_t cap = 65536) : mem(cap), w(mem.data(), cap) {}
    Buf bytes() const { return Buf(mem.begin(), mem.begin() + static_cast<long>(w.size())); }
    Buf mem;
    NlWriter w;
};

} // namespace ovsdp::test
