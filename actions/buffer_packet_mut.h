// SPDX-License-Identifier: GPL-2.0
// MutableBufferPacket: the MutablePacket interface (packet_ops.h) over a heap
// buffer with headroom, for the engine's userspace tests, fuzzers and
// benchmarks. It simulates what of an sk_buff the engine can observe:
//
// - Header positions are absolute in the buffer, so push_head()/pull_head()
//   move the offsets the getters report, as in an skb.
// - Clones share the bytes (clone_into(), as skb_clone()); make_writable()
//   and push_head() copy them first when shared, so a clone's changes never
//   show in the original. A test can check that with data_shared().
// - The checksum state is simulated: ip_summed, csum (for COMPLETE),
//   csum_start/csum_offset (for PARTIAL). The packet never computes them by
//   itself; tests set them up and verify them by recomputation.
// - push_head() reallocates when the headroom is short, shifting every
//   absolute position as pskb_expand_head() does. fail_allocs() makes every
//   later copy or reallocation fail, for the -ENOMEM paths.
//
// The whole packet is always linear: pull(n) only checks n <= len().
#pragma once

#include "actions/header_ops.h"
#include "actions/packet_ops.h"
#include "base/new.h"
#include "base/util.h"
#include "platform/platform.h"

namespace ovsdp {

class MutableBufferPacket {
public:
    static constexpr usize kDefaultHeadroom = 32;
    static constexpr u32 kNoCut = 0xffffffffu;

    // An empty (inert) handle.
    MutableBufferPacket() = default;
    // A copy of [bytes, bytes + len) with `headroom` free bytes in front.
    // valid() is false if the buffer cannot be allocated.
    MutableBufferPacket(const u8* bytes, usize len, usize headroom = kDefaultHeadroom)
    {
        buf_ = alloc_buf(headroom + len);
        if (!buf_)
            return;
        data_ = static_cast<long>(headroom);
        len_ = len;
        if (len)
            __builtin_memcpy(buf_->bytes + data_, bytes, len);
        network_ = transport_ = inner_network_ = csum_start_ = data_;
    }
    MutableBufferPacket(MutableBufferPacket&& o) { take_from(o); }
    MutableBufferPacket& operator=(MutableBufferPacket&& o)
    {
        if (this != &o) {
            release_buf();
            take_from(o);
        }
        return *this;
    }
    MutableBufferPacket(const MutableBufferPacket&) = delete;
    MutableBufferPacket& operator=(const MutableBufferPacket&) = delete;
    ~MutableBufferPacket() { release_buf(); }

    bool valid() const { return buf_ != nullptr; }

    // skb_clone(): a new handle at `storage` sharing the bytes, with a copy
    // of all metadata. False (nothing constructed) when allocations fail.
    bool clone_into(void* storage) const
    {
        if (fail_allocs_ || !buf_)
            return false;
        auto* c = new (storage) MutableBufferPacket();
        c->copy_meta_from(*this);
        c->buf_ = buf_;
        buf_->refs++;
        return true;
    }

    // ---- The Packet interface (flow/packet.h) ----
    const u8* data() const { return buf_->bytes + data_; }
    usize len() const { return len_; }
    bool pull(usize n) const { return n <= len_; }
    bool vlan_untag()
    {
        if (len_ < kVlanEthHlen)
            return false;
        be16 tpid = load_unaligned<be16>(data() + 2 * kEthAlen);
        u16 tci;
        if (pkt_vlan_pop_inband(*this, &tci) != 0)
            return false;
        vlan_set_tag(tpid, tci);
        return true;
    }
    bool vlan_tag_present() const { return vlan_present_; }
    u16 vlan_tci() const { return vlan_tci_; }
    be16 vlan_proto() const { return vlan_proto_; }
    be16 protocol() const { return protocol_; }
    void set_protocol(be16 p) { protocol_ = p; }
    bool gso_udp() const { return gso_udp_; }
    void set_mac_len(usize n) { mac_len_ = static_cast<int>(n); }
    void set_network_offset(usize n) { network_ = data_ + static_cast<long>(n); }
    void set_transport_offset(usize n) { transport_ = data_ + static_cast<long>(n); }
    void set_inner_network_offset(usize n) { inner_network_ = data_ + static_cast<long>(n); }

    // ---- The MutablePacket interface (actions/packet_ops.h) ----
    u8* make_writable(usize n)
    {
        if (n > len_)
            return nullptr;
        if (buf_->refs > 1 && !reallocate(data_))
            return nullptr;
        return buf_->bytes + data_;
    }
    u8* push_head(usize n)
    {
        if (buf_->refs > 1 || static_cast<usize>(data_) < n) {
            long headroom = data_ >= static_cast<long>(n) ? data_ : static_cast<long>(n + kDefaultHeadroom);
            if (!reallocate(headroom))
                return nullptr;
        }
        data_ -= static_cast<long>(n);
        len_ += n;
        return buf_->bytes + data_;
    }
    void pull_head(usize n)
    {
        data_ += static_cast<long>(n);
        len_ -= n;
    }
    bool trim(usize n)
    {
        if (n >= len_)
            return true;
        if (ip_summed_ == IpSummed::Complete) {
            csum_ = csum_block_sub(csum_, csum_partial(data() + n, len_ - n, 0), n);
        } else if (ip_summed_ == IpSummed::Partial) {
            long field = csum_start_offset() + static_cast<long>(csum_offset_);
            if (field + 2 > static_cast<long>(n))
                return false;
        }
        len_ = n;
        return true;
    }
    int mac_len() const { return mac_len_; }
    int network_offset() const { return static_cast<int>(network_ - data_); }
    int transport_offset() const { return static_cast<int>(transport_ - data_); }
    be16 inner_protocol() const { return inner_protocol_; }
    void set_inner_protocol(be16 p) { inner_protocol_ = p; }
    bool encapsulation() const { return encapsulation_; }
    void vlan_set_tag(be16 proto, u16 tci)
    {
        vlan_present_ = true;
        vlan_proto_ = proto;
        vlan_tci_ = tci;
    }
    void vlan_clear_tag()
    {
        vlan_present_ = false;
        vlan_tci_ = 0;
    }
    IpSummed ip_summed() const { return ip_summed_; }
    void set_ip_summed(IpSummed s) { ip_summed_ = s; }
    wsum csum() const { return csum_; }
    void set_csum(wsum c) { csum_ = c; }
    int csum_start_offset() const { return static_cast<int>(csum_start_ - data_); }
    u32 mark() const { return mark_; }
    void set_mark(u32 m) { mark_ = m; }
    u32 priority() const { return priority_; }
    void set_priority(u32 p) { priority_ = p; }
    u32 get_hash()
    {
        if (!hash_valid_ && !hash_l4_) { // skb_get_hash(): keeps an sw or L4 hash
            // A stand-in for the flow dissector's hash: FNV-1a of the bytes.
            u32 h = 2166136261u;
            for (usize i = 0; i < len_; i++)
                h = (h ^ data()[i]) * 16777619u;
            hash_ = h;
            hash_valid_ = true;
        }
        return hash_;
    }
    void clear_hash()
    {
        hash_ = 0;
        hash_valid_ = false;
        hash_l4_ = false;
    }
    // hash_valid_ stands for sw_hash (the stand-in is a software hash).
    PacketHash hash_info() const { return { hash_, hash_valid_, hash_l4_ }; }
    void set_hash_info(PacketHash h)
    {
        hash_ = h.hash;
        hash_valid_ = h.sw;
        hash_l4_ = h.l4;
    }
    u32 cutlen() const { return cutlen_; }
    void set_cutlen(u32 c) { cutlen_ = c; }
    u16 mru() const { return mru_; }
    bool gso_mac_len_fits(usize n) const { return gso_mac_seglen_ && gso_mac_seglen_ <= n; }

    // ---- Test set-up and observation ----
    // CHECKSUM_PARTIAL with csum_start at `start` bytes from data() and the
    // field `csum_offset` bytes after it.
    void set_csum_partial(usize start, u16 csum_offset)
    {
        ip_summed_ = IpSummed::Partial;
        csum_start_ = data_ + static_cast<long>(start);
        csum_offset_ = csum_offset;
    }
    u16 csum_offset() const { return csum_offset_; }
    // CHECKSUM_COMPLETE over the whole packet from data().
    void set_csum_complete()
    {
        ip_summed_ = IpSummed::Complete;
        csum_ = csum_partial(data(), len_, 0);
    }
    void set_hash(u32 h)
    {
        hash_ = h;
        hash_valid_ = true;
    }
    void set_mru(u16 m) { mru_ = m; }
    // GSO with segments of n bytes at the MAC layer (0: not GSO).
    void set_gso_mac_seglen(usize n) { gso_mac_seglen_ = n; }
    usize gso_mac_seglen() const { return gso_mac_seglen_; }
    void set_gso_udp(bool v) { gso_udp_ = v; }
    void set_encapsulation(bool v) { encapsulation_ = v; }
    void fail_allocs(bool v) { fail_allocs_ = v; }
    bool data_shared() const { return buf_ && buf_->refs > 1; }
    usize headroom() const { return static_cast<usize>(data_); }
    int inner_network_offset() const { return static_cast<int>(inner_network_ - data_); }

private:
    struct Buf {
        u32 refs;
        usize cap;
        u8 bytes[];
    };

    Buf* alloc_buf(usize cap)
    {
        if (fail_allocs_)
            return nullptr;
        auto* b = static_cast<Buf*>(ovsdp_kmalloc(sizeof(Buf) + (cap ? cap : 1), OVSDP_GFP_ATOMIC));
        if (!b)
            return nullptr;
        b->refs = 1;
        b->cap = cap;
        return b;
    }

    // A private buffer with `headroom` bytes before the data; every absolute
    // position shifts with the data (pskb_expand_head()).
    bool reallocate(long headroom)
    {
        Buf* nb = alloc_buf(static_cast<usize>(headroom) + len_);
        if (!nb)
            return false;
        __builtin_memcpy(nb->bytes + headroom, buf_->bytes + data_, len_);
        long shift = headroom - data_;
        release_buf();
        buf_ = nb;
        data_ += shift;
        network_ += shift;
        transport_ += shift;
        inner_network_ += shift;
        csum_start_ += shift;
        return true;
    }

    void release_buf()
    {
        if (buf_ && --buf_->refs == 0)
            ovsdp_kfree(buf_);
        buf_ = nullptr;
    }

    void copy_meta_from(const MutableBufferPacket& o)
    {
        data_ = o.data_;
        len_ = o.len_;
        network_ = o.network_;
        transport_ = o.transport_;
        inner_network_ = o.inner_network_;
        mac_len_ = o.mac_len_;
        protocol_ = o.protocol_;
        inner_protocol_ = o.inner_protocol_;
        vlan_proto_ = o.vlan_proto_;
        vlan_tci_ = o.vlan_tci_;
        vlan_present_ = o.vlan_present_;
        gso_udp_ = o.gso_udp_;
        encapsulation_ = o.encapsulation_;
        ip_summed_ = o.ip_summed_;
        csum_ = o.csum_;
        csum_start_ = o.csum_start_;
        csum_offset_ = o.csum_offset_;
        mark_ = o.mark_;
        priority_ = o.priority_;
        hash_ = o.hash_;
        hash_valid_ = o.hash_valid_;
        hash_l4_ = o.hash_l4_;
        cutlen_ = o.cutlen_;
        mru_ = o.mru_;
        gso_mac_seglen_ = o.gso_mac_seglen_;
        fail_allocs_ = o.fail_allocs_;
    }

    void take_from(MutableBufferPacket& o)
    {
        copy_meta_from(o);
        buf_ = o.buf_;
        o.buf_ = nullptr;
    }

    Buf* buf_ = nullptr;
    long data_ = 0; // offset of data() in buf_->bytes: the headroom
    usize len_ = 0;
    // Absolute positions in buf_->bytes, as skb->*_header.
    long network_ = 0;
    long transport_ = 0;
    long inner_network_ = 0;
    int mac_len_ = 0;
    be16 protocol_ = 0;
    be16 inner_protocol_ = 0;
    be16 vlan_proto_ = 0;
    u16 vlan_tci_ = 0;
    bool vlan_present_ = false;
    bool gso_udp_ = false;
    bool encapsulation_ = false;
    IpSummed ip_summed_ = IpSummed::None;
    wsum csum_ = 0;
    long csum_start_ = 0;
    u16 csum_offset_ = 0;
    u32 mark_ = 0;
    u32 priority_ = 0;
    u32 hash_ = 0;
    bool hash_valid_ = false;
    bool hash_l4_ = false;
    u32 cutlen_ = kNoCut;
    u16 mru_ = 0;
    usize gso_mac_seglen_ = 0;
    bool fail_allocs_ = false;
};

static_assert(MutablePacket<MutableBufferPacket>);

} // namespace ovsdp
