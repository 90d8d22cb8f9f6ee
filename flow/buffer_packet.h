// SPDX-License-Identifier: GPL-2.0
// A Packet (packet.h) over a plain byte buffer, for tests, fuzzers and
// benchmarks.
//
// By default the whole buffer is linear and pull() is a length check. With a
// linear prefix (set_linear(n)), data() is instead a heap copy of exactly the
// readable bytes, reallocated on every pull() that grows it, as
// pskb_may_pull() may do: under ASan a read past what was pulled, or through
// a pointer kept across a pull, is reported. set_pull_limit() makes pulls
// beyond a size fail, to exercise the out-of-memory paths.
//
// The buffer is the packet: vlan_untag() edits it in place (as the kernel
// edits the skb), and the caller keeps it alive and unmoved while the packet
// is in use.
#pragma once

#include "base/byteorder.h"
#include "base/types.h"
#include "flow/packet.h"
#include "platform/platform.h"

namespace ovsdp {

class BufferPacket {
public:
    BufferPacket(u8* buf, usize len) : buf_(buf), data_(buf), len_(len), headlen_(len) {}
    ~BufferPacket()
    {
        if (head_)
            ovsdp_kfree(head_);
    }
    BufferPacket(const BufferPacket&) = delete;
    BufferPacket& operator=(const BufferPacket&) = delete;

    // Only the first min(n, len) bytes are linear from now on (copied out).
    // Returns false if the copy cannot be allocated.
    bool set_linear(usize n)
    {
        if (n > len_)
            n = len_;
        return relinearize(n);
    }
    // pull() of more than n bytes fails as if memory were short.
    void set_pull_limit(usize n) { pull_limit_ = n; }

    // ---- The Packet interface ----
    const u8* data() const { return data_; }
    usize len() const { return len_; }
    OVSDP_ALWAYS_INLINE bool pull(usize n)
    {
        if (OVSDP_LIKELY(n <= headlen_))
            return true;
        return pull_slow(n);
    }
    bool vlan_untag()
    {
        constexpr usize kAddrs = 12, kTag = 4;
        if (headlen_ < kAddrs + kTag + 2 || len_ < kAddrs + kTag + 2)
            return false;
        be16 tpid = load_unaligned<be16>(buf_ + kAddrs);
        u16 tci = ntohs(load_unaligned<be16>(buf_ + kAddrs + 2));
        __builtin_memmove(buf_ + kTag, buf_, kAddrs);
        buf_ += kTag;
        len_ -= kTag;
        usize head = headlen_ - kTag;
        if (head_) {
            if (!relinearize(head))
                return false;
        } else {
            data_ = buf_;
        }
        headlen_ = head;
        vlan_present_ = true;
        vlan_proto_ = tpid;
        vlan_tci_ = tci;
        offsets_.popped_vlans++;
        return true;
    }
    bool vlan_tag_present() const { return vlan_present_; }
    u16 vlan_tci() const { return vlan_tci_; }
    be16 vlan_proto() const { return vlan_proto_; }
    be16 protocol() const { return protocol_; }
    void set_protocol(be16 p) { protocol_ = p; }
    bool gso_udp() const { return gso_udp_; }
    void set_mac_len(usize n) { offsets_.mac_len = n; }
    void set_network_offset(usize n) { offsets_.network = n; }
    void set_transport_offset(usize n) { offsets_.transport = n; }
    void set_inner_network_offset(usize n) { offsets_.inner_network = n; }

    // ---- Test controls and observations ----
    void set_vlan_tag(be16 proto, u16 tci)
    {
        vlan_present_ = true;
        vlan_proto_ = proto;
        vlan_tci_ = tci;
    }
    void set_gso_udp(bool v) { gso_udp_ = v; }
    usize headlen() const { return headlen_; }

    static constexpr usize kUnset = ~usize(0);
    struct Offsets {
        usize mac_len = kUnset;
        usize network = kUnset;
        usize transport = kUnset;
        usize inner_network = kUnset;
        unsigned popped_vlans = 0;
    };
    const Offsets& offsets() const { return offsets_; }

private:
    OVSDP_NOINLINE bool pull_slow(usize n)
    {
        if (n > len_ || n > pull_limit_)
            return false;
        return relinearize(n);
    }
    // A fresh copy of exactly n bytes, so stale pointers and overreads show.
    bool relinearize(usize n)
    {
        // Allocate at least one byte so that head_ marks the copied mode.
        u8* head = static_cast<u8*>(ovsdp_kmalloc(n ? n : 1, OVSDP_GFP_ATOMIC));
        if (!head)
            return false;
        __builtin_memcpy(head, buf_, n);
        ovsdp_kfree(head_);
        head_ = head;
        data_ = head;
        headlen_ = n;
        return true;
    }

    u8* buf_;
    const u8* data_; // buf_, or head_ once a prefix was asked for
    usize len_;
    usize headlen_;
    u8* head_ = nullptr; // linear copy, when a prefix was asked for
    usize pull_limit_ = ~usize(0);
    bool vlan_present_ = false;
    bool gso_udp_ = false;
    u16 vlan_tci_ = 0;
    be16 vlan_proto_ = 0;
    be16 protocol_ = 0;
    Offsets offsets_;
};

static_assert(Packet<BufferPacket>);

} // namespace ovsdp
