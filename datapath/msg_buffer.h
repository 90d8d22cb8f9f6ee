// SPDX-License-Identifier: GPL-2.0
// A genetlink reply under construction (datapath and vport commands): its
// attributes are written into a heap buffer and handed to kmod/ in one piece.
#pragma once

#include "base/netlink.h"
#include "platform/alloc.h"

namespace ovsdp {

class MsgBuffer {
public:
    explicit MsgBuffer(usize cap)
        : buf_(static_cast<u8*>(ovsdp_kmalloc(cap, OVSDP_GFP_KERNEL)))
        , writer_(buf_, buf_ ? cap : 0)
    {
    }
    ~MsgBuffer() { ovsdp_kfree(buf_); }
    MsgBuffer(const MsgBuffer&) = delete;
    MsgBuffer& operator=(const MsgBuffer&) = delete;

    bool allocated() const { return buf_ != nullptr; }
    NlWriter& writer() { return writer_; }
    const u8* data() const { return buf_; }
    usize size() const { return writer_.size(); }

private:
    u8* buf_;
    NlWriter writer_;
};

} // namespace ovsdp
