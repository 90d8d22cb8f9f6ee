// SPDX-License-Identifier: GPL-2.0
// Netlink attributes in the core: a bounds-checked reader over received
// attribute streams and a writer that appends attributes to a flat buffer.
// Layout as in <linux/netlink.h> (an ABI): 4-byte header {len, type}, payload,
// padding to 4 bytes. Nothing here trusts a length it has not checked.
#pragma once

#include "base/byteorder.h"
#include "base/result.h"
#include "base/span.h"

namespace ovsdp {

inline constexpr usize kNlaAlignTo = 4;
inline constexpr usize kNlaHdrLen = 4;
inline constexpr u16 kNlaFNested = 1 << 15;
inline constexpr u16 kNlaFNetByteorder = 1 << 14;
inline constexpr u16 kNlaTypeMask = static_cast<u16>(~(kNlaFNested | kNlaFNetByteorder));

constexpr usize nla_align(usize len) { return (len + kNlaAlignTo - 1) & ~(kNlaAlignTo - 1); }
constexpr usize nla_total_size(usize payload) { return nla_align(kNlaHdrLen + payload); }

// One attribute as it sits in a message (same layout as struct nlattr).
struct NlAttr {
    u16 nla_len;
    u16 nla_type;

    u16 type() const { return nla_type & kNlaTypeMask; }
    usize len() const { return nla_len - kNlaHdrLen; } // payload length; nla_len >= 4 is checked on parse
    const u8* data() const { return reinterpret_cast<const u8*>(this) + kNlaHdrLen; }
    ConstBytes payload() const { return { data(), len() }; }

    // Typed reads; callers check len() first (policy) — these never read past
    // the payload: a short payload reads as zero-extended.
    template <typename T>
    T get() const
    {
        T v {};
        __builtin_memcpy(&v, data(), len() < sizeof(T) ? len() : sizeof(T));
        return v;
    }
    u8 get_u8() const { return get<u8>(); }
    u16 get_u16() const { return get<u16>(); }
    u32 get_u32() const { return get<u32>(); }
    u64 get_u64() const { return get<u64>(); }
    be16 get_be16() const { return get<be16>(); }
    be32 get_be32() const { return get<be32>(); }
    s32 get_s32() const { return get<s32>(); }
    // A NUL-terminated string attribute (policy-checked) as a C string.
    const char* get_string() const { return reinterpret_cast<const char*>(data()); }
};
static_assert(sizeof(NlAttr) == 4);

// Walks a stream of attributes. `valid()` is false once a malformed header is
// met (length below the header size or beyond the stream); the caller must
// check it after the loop to tell "end" from "garbage".
class NlAttrIter {
public:
    explicit NlAttrIter(ConstBytes stream) : rest_(stream) { advance_check(); }

    bool done() const { return cur_ == nullptr; }
    bool valid() const { return valid_; }
    const NlAttr* get() const { return cur_; }
    void next()
    {
        usize step = nla_align(cur_->nla_len);
        rest_ = step >= rest_.size() ? ConstBytes {} : rest_.slice(step);
        advance_check();
    }

private:
    void advance_check()
    {
        cur_ = nullptr;
        if (rest_.size() < kNlaHdrLen) {
            // Trailing bytes shorter than a header are padding at most.
            return;
        }
        auto* a = reinterpret_cast<const NlAttr*>(rest_.data());
        if (a->nla_len < kNlaHdrLen || a->nla_len > rest_.size()) {
            valid_ = false;
            return;
        }
        cur_ = a;
    }

    ConstBytes rest_;
    const NlAttr* cur_ = nullptr;
    bool valid_ = true;
};

// Range-for over attributes: for (const NlAttr* a : nla_range(bytes)).
class NlAttrRange {
public:
    explicit NlAttrRange(ConstBytes b) : bytes_(b) {}
    struct End {};
    class Iterator {
    public:
        explicit Iterator(ConstBytes b) : it_(b) {}
        const NlAttr* operator*() const { return it_.get(); }
        Iterator& operator++()
        {
            it_.next();
            return *this;
        }
        bool operator!=(End) const { return !it_.done(); }

    private:
        NlAttrIter it_;
    };
    Iterator begin() const { return Iterator(bytes_); }
    End end() const { return {}; }

private:
    ConstBytes bytes_;
};
inline NlAttrRange nla_range(ConstBytes b) { return NlAttrRange(b); }
inline NlAttrRange nla_range(const NlAttr* nested) { return NlAttrRange(nested->payload()); }

// True when every attribute in the stream is well-formed.
inline bool nla_stream_ok(ConstBytes b)
{
    NlAttrIter it(b);
    while (!it.done())
        it.next();
    return it.valid();
}

// Appends attributes to [buf, buf + cap). On overflow it stops writing and
// remembers it; the caller checks overflowed() once at the end (-EMSGSIZE).
class NlWriter {
public:
    NlWriter(u8* buf, usize cap) : buf_(buf), cap_(cap) {}

    usize size() const { return len_; }
    bool overflowed() const { return overflow_; }
    const u8* data() const { return buf_; }

    // Reserve an attribute with `payload` bytes; returns the payload pointer
    // (zeroed padding included) or nullptr on overflow.
    u8* reserve(u16 type, usize payload)
    {
        usize total = nla_total_size(payload);
        if (overflow_ || payload > 0xffff - kNlaHdrLen || total > cap_ - len_) {
            overflow_ = true;
            return nullptr;
        }
        auto* a = reinterpret_cast<NlAttr*>(buf_ + len_);
        a->nla_len = static_cast<u16>(kNlaHdrLen + payload);
        a->nla_type = type;
        u8* p = buf_ + len_ + kNlaHdrLen;
        __builtin_memset(p + payload, 0, total - kNlaHdrLen - payload);
        len_ += total;
        return p;
    }
    bool put(u16 type, const void* data, usize len)
    {
        u8* p = reserve(type, len);
        if (!p)
            return false;
        if (len)
            __builtin_memcpy(p, data, len);
        return true;
    }
    template <typename T>
    bool put_value(u16 type, T v) { return put(type, &v, sizeof(v)); }
    bool put_u8(u16 type, u8 v) { return put_value(type, v); }
    bool put_u16(u16 type, u16 v) { return put_value(type, v); }
    bool put_u32(u16 type, u32 v) { return put_value(type, v); }
    bool put_u64(u16 type, u64 v) { return put_value(type, v); }
    bool put_s32(u16 type, s32 v) { return put_value(type, v); }
    bool put_flag(u16 type) { return put(type, nullptr, 0); }
    // Bytes without an attribute header (the kernel's nla_put_nohdr()),
    // padded to the attribute alignment.
    bool put_nohdr(const void* data, usize len)
    {
        usize total = nla_align(len);
        if (overflow_ || total > cap_ - len_) {
            overflow_ = true;
            return false;
        }
        if (len)
            __builtin_memcpy(buf_ + len_, data, len);
        __builtin_memset(buf_ + len_ + len, 0, total - len);
        len_ += total;
        return true;
    }
    bool put_string(u16 type, const char* s)
    {
        usize n = 0;
        while (s[n])
            n++;
        return put(type, s, n + 1);
    }

    // Nested attributes: begin returns a token for end(). Like the kernel's
    // nla_nest_start_noflag(), NLA_F_NESTED is not set (OVS never sets it).
    usize nest_begin(u16 type)
    {
        usize at = len_;
        reserve(type, 0);
        return at;
    }
    // A nest holding more than a 16-bit length can say overflows the writer
    // (its length would wrap).
    void nest_end(usize token)
    {
        if (overflow_)
            return;
        if (len_ - token > 0xffff) {
            overflow_ = true;
            return;
        }
        auto* a = reinterpret_cast<NlAttr*>(buf_ + token);
        a->nla_len = static_cast<u16>(len_ - token);
    }
    // Drop everything written since `token` (a size() taken earlier).
    void rollback(usize token)
    {
        if (token <= len_)
            len_ = token;
        overflow_ = false;
    }

private:
    u8* buf_;
    usize cap_;
    usize len_ = 0;
    bool overflow_ = false;
};

} // namespace ovsdp
