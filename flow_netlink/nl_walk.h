// SPDX-License-Identifier: GPL-2.0
// Strict attribute walking with upstream's accounting (nla_for_each_attr):
// rem() after the walk is what upstream's `rem` is then. Zero means the
// stream was consumed exactly; positive means a malformed attribute or a
// tail shorter than a header stopped the walk; negative (-1..-3) means the
// last attribute's padding was missing. Callers reject as upstream does at
// that spot (some reject any nonzero rem, some only a positive one).
#pragma once

#include "base/netlink.h"

namespace ovsdp {

class NlWalk {
public:
    NlWalk() = default;
    explicit NlWalk(ConstBytes stream)
        : pos_(stream.data())
        , rem_(static_cast<long>(stream.size()))
    {
    }

    // The next well-formed attribute, or nullptr at the end of the walk.
    const NlAttr* next()
    {
        if (rem_ < static_cast<long>(kNlaHdrLen))
            return nullptr;
        auto* a = reinterpret_cast<const NlAttr*>(pos_);
        if (a->nla_len < kNlaHdrLen || a->nla_len > rem_)
            return nullptr;
        usize step = nla_align(a->nla_len);
        rem_ -= static_cast<long>(step);
        if (rem_ > 0)
            pos_ += step;
        return a;
    }
    // Bytes left, as upstream counts them (see above).
    long rem() const { return rem_; }

private:
    const u8* pos_ = nullptr;
    long rem_ = 0;
};

} // namespace ovsdp
