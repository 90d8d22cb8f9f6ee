// SPDX-License-Identifier: GPL-2.0
// Genetlink messages written once, where they are sent: kmod/ reserves the
// message in its netlink skb (platform/genl.h) and the core writes the
// attributes in place through an NlWriter. An unsent message is cancelled
// when its handle goes away, so every error path frees it.
#pragma once

#include "base/netlink.h"
#include "platform/genl.h"

namespace ovsdp {

// A reply, notification or multicast message.
class GenlMsg {
public:
    GenlMsg() = default;
    ~GenlMsg()
    {
        if (m_.skb)
            ovsdp_genl_msg_cancel(&m_);
    }
    GenlMsg(const GenlMsg&) = delete;
    GenlMsg& operator=(const GenlMsg&) = delete;

    // Room for `len` bytes of attributes in a message answering `req`
    // (`notify`: see ovsdp_genl_msg_begin). 0 or -errno.
    [[nodiscard]] int begin(ovsdp_request* req, int family, u8 cmd, int dp_ifindex, usize len, bool notify)
    {
        int rc = ovsdp_genl_msg_begin(req, family, cmd, dp_ifindex, len, notify, &m_);
        if (rc == 0)
            w_ = NlWriter(m_.data, m_.room);
        return rc;
    }
    [[nodiscard]] int begin_multicast(int family, u8 cmd, int dp_ifindex, usize len)
    {
        int rc = ovsdp_genl_mcast_begin(family, cmd, dp_ifindex, len, &m_);
        if (rc == 0)
            w_ = NlWriter(m_.data, m_.room);
        return rc;
    }
    NlWriter& writer() { return w_; }

    // Send what was written (the handle is empty afterwards).
    int send(ovsdp_request* req, int family, bool notify)
    {
        return ovsdp_genl_msg_send(req, family, &m_, w_.size(), notify);
    }
    int multicast(void* net, int family) { return ovsdp_genl_msg_multicast(net, family, &m_, w_.size()); }

private:
    ovsdp_genl_msg m_ {};
    NlWriter w_ { nullptr, 0 };
};

// One message of a dump, written into the dump's skb.
class DumpMsg {
public:
    explicit DumpMsg(ovsdp_dump* d) : d_(d) {}
    ~DumpMsg()
    {
        if (open_)
            ovsdp_dump_cancel(d_, &m_);
    }
    DumpMsg(const DumpMsg&) = delete;
    DumpMsg& operator=(const DumpMsg&) = delete;

    // False when the skb has no room for another message.
    [[nodiscard]] bool begin(int family, u8 cmd, int dp_ifindex)
    {
        if (ovsdp_dump_begin(d_, family, cmd, dp_ifindex, &m_))
            return false;
        open_ = true;
        w_ = NlWriter(m_.data, m_.room);
        return true;
    }
    NlWriter& writer() { return w_; }
    void commit()
    {
        ovsdp_dump_commit(d_, &m_, w_.size());
        open_ = false;
    }
    void cancel()
    {
        ovsdp_dump_cancel(d_, &m_);
        open_ = false;
    }

private:
    ovsdp_dump* d_;
    ovsdp_genl_msg m_ {};
    NlWriter w_ { nullptr, 0 };
    bool open_ = false;
};

} // namespace ovsdp
