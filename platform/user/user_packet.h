// SPDX-License-Identifier: GPL-2.0
// UserPacket: the userspace packet, an skb as the core sees it, for the
// tests, fuzzers and benchmarks of key extraction (flow/packet.h's Packet),
// the action engine (actions/packet_ops.h's MutablePacket) and the packet path
// (platform/user/user_host.h's host). It simulates what of an sk_buff the core
// can observe:
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
// - Besides the bytes it carries what the kernel keeps beside the data:
//   tunnel metadata (as the skb's metadata dst: a separate refcounted block
//   that clones share) and the hash it arrived with.
// - Paged data, for extraction: by default the whole packet is linear and
//   pull(n) only checks n <= len(). With a linear prefix (set_linear(n)),
//   data() is instead a heap copy of exactly the readable bytes, reallocated
//   on every pull() that grows it, as pskb_may_pull() may do: under ASan a
//   read past what was pulled, or through a pointer kept across a pull, is
//   reported. set_pull_limit() makes pulls beyond a size fail, as if memory
//   were short. Anything that writes the packet makes it linear again.
// - The kernel's ownership rule: a handle that owns a packet must hand it
//   back (free(): consume, drop, transmit) before it goes away. One that is
//   destroyed, or assigned over, while still owning its packet is counted
//   (packets_leaked()): in the kernel that skb would leak, so tests that run
//   the packet path fail on it.
//
// Two ways to make one: a copy of some bytes, with headroom (the packet owns
// its buffer), or borrow(): a packet over the caller's bytes, which stay the
// caller's and are edited in place (as a driver's buffer under build_skb();
// no allocation, for benchmarks of extraction). A borrowed packet owns
// nothing until it has to copy its bytes (a clone, a push beyond the
// headroom, a write while shared).
#pragma once

#include "actions/header_ops.h"
#include "actions/packet_ops.h"
#include "base/new.h"
#include "base/util.h"
#include "platform/platform.h"
#include "platform/skb_ops.h"

namespace ovsdp::user {

// Packet handles destroyed while owning a packet, since the last reset.
long packets_leaked();
void reset_packets_leaked();
void note_packet_leaked();

class UserPacket {
public:
    static constexpr usize kDefaultHeadroom = 32;
    static constexpr u32 kNoCut = 0xffffffffu;

    // An empty (inert) handle.
    UserPacket() = default;
    // A copy of [bytes, bytes + len) with `headroom` free bytes in front, as
    // received: its flow hash is `hash` (0: none, as an skb without RSS
    // hash). valid() is false if the buffer cannot be allocated.
    UserPacket(const u8* bytes, usize len, u32 hash = 0, usize headroom = kDefaultHeadroom)
    {
        buf_ = alloc_buf(headroom + len);
        if (!buf_)
            return;
        head_ = buf_->bytes;
        data_ = static_cast<long>(headroom);
        len_ = len;
        if (len)
            __builtin_memcpy(head_ + data_, bytes, len);
        network_ = transport_ = inner_network_ = csum_start_ = data_;
        sync_view();
        if (hash)
            set_hash(hash);
    }
    // A packet over [bytes, bytes + len), which the caller keeps alive and
    // unmoved while the packet uses them; no headroom.
    static UserPacket borrow(u8* bytes, usize len) { return UserPacket(bytes, len, Borrowed {}); }
    UserPacket(UserPacket&& o) { take_from(o); }
    UserPacket& operator=(UserPacket&& o)
    {
        if (this != &o) {
            if (owns())
                note_packet_leaked();
            release();
            take_from(o);
        }
        return *this;
    }
    UserPacket(const UserPacket&) = delete;
    UserPacket& operator=(const UserPacket&) = delete;
    ~UserPacket()
    {
        if (OVSDP_UNLIKELY(buf_ || lin_ || tun_))
            destroy_slow();
    }

    // There is a packet (not moved from, freed or failed to allocate).
    bool valid() const { return head_ != nullptr; }
    // Give the packet back (kfree_skb / consume_skb): the handle becomes inert.
    void free()
    {
        release();
        data_ = 0;
        len_ = 0;
    }

    // The packet's bytes become [bytes, bytes + len) (a fresh buffer with the
    // default headroom; the header offsets back at the data), its metadata
    // kept: the conntrack model's reassembled datagram in place of the
    // fragment that completed it. False, the packet unchanged, when the
    // buffer cannot be allocated.
    bool replace_bytes(const u8* bytes, usize len)
    {
        Buf* nb = alloc_buf(kDefaultHeadroom + len);
        if (!nb)
            return false;
        make_linear();
        drop_buf();
        buf_ = nb;
        head_ = nb->bytes;
        data_ = static_cast<long>(kDefaultHeadroom);
        len_ = len;
        if (len)
            __builtin_memcpy(head_ + data_, bytes, len);
        network_ = transport_ = inner_network_ = csum_start_ = data_;
        sync_view();
        return true;
    }

    // skb_clone(): a new handle at `storage` sharing the bytes, with a copy
    // of all metadata. False (nothing constructed) when allocations fail.
    // A borrowed packet's clone gets a copy of the bytes.
    bool clone_into(void* storage) const
    {
        if (fail_allocs_ || !head_)
            return false;
        Buf* b = buf_;
        if (!b) {
            b = alloc_buf(static_cast<usize>(data_) + len_);
            if (!b)
                return false;
            __builtin_memcpy(b->bytes + data_, head_ + data_, len_);
        } else {
            b->refs++;
        }
        auto* c = new (storage) UserPacket();
        c->copy_meta_from(*this);
        c->buf_ = b;
        c->head_ = b->bytes;
        c->tun_ = tun_;
        if (tun_)
            __atomic_fetch_add(&tun_->refs, 1, __ATOMIC_RELAXED); // dst_clone()
        c->sync_view();
        return true;
    }

    // ---- The Packet interface (flow/packet.h) ----
    const u8* data() const { return rd_; }
    usize len() const { return len_; }
    OVSDP_ALWAYS_INLINE bool pull(usize n)
    {
        if (OVSDP_LIKELY(n <= rd_len_))
            return true;
        return pull_slow(n);
    }
    bool vlan_untag()
    {
        if (len_ < kVlanEthHlen)
            return false;
        usize linear = lin_ ? lin_len_ : ~usize(0);
        be16 tpid = load_unaligned<be16>(head_ + data_ + 2 * kEthAlen);
        u16 tci;
        Offsets rec = rec_; // what the caller set, not what the untag did
        if (pkt_vlan_pop_inband(*this, &tci) != 0)
            return false;
        rec_ = rec;
        rec_.popped_vlans++;
        vlan_set_tag(tpid, tci);
        if (linear != ~usize(0))
            return set_linear(linear - kVlanHlen);
        return true;
    }
    bool vlan_tag_present() const { return vlan_present_; }
    u16 vlan_tci() const { return vlan_tci_; }
    be16 vlan_proto() const { return vlan_proto_; }
    be16 protocol() const { return protocol_; }
    void set_protocol(be16 p) { protocol_ = p; }
    bool gso_udp() const { return gso_udp_; }
    void set_mac_len(usize n)
    {
        mac_len_ = static_cast<int>(n);
        rec_.mac_len = n;
    }
    void set_network_offset(usize n)
    {
        network_ = data_ + static_cast<long>(n);
        rec_.network = n;
    }
    void set_transport_offset(usize n)
    {
        transport_ = data_ + static_cast<long>(n);
        rec_.transport = n;
    }
    void set_inner_network_offset(usize n)
    {
        inner_network_ = data_ + static_cast<long>(n);
        rec_.inner_network = n;
    }

    // ---- The MutablePacket interface (actions/packet_ops.h) ----
    u8* make_writable(usize n)
    {
        if (n > len_)
            return nullptr;
        make_linear();
        if (shared() && !reallocate(data_))
            return nullptr;
        return head_ + data_;
    }
    u8* push_head(usize n)
    {
        make_linear();
        if (shared() || static_cast<usize>(data_) < n) {
            long headroom = data_ >= static_cast<long>(n) ? data_ : static_cast<long>(n + kDefaultHeadroom);
            if (!reallocate(headroom))
                return nullptr;
        }
        data_ -= static_cast<long>(n);
        len_ += n;
        sync_view();
        return head_ + data_;
    }
    void pull_head(usize n)
    {
        make_linear();
        data_ += static_cast<long>(n);
        len_ -= n;
        sync_view();
    }
    bool trim(usize n)
    {
        if (n >= len_)
            return true;
        make_linear();
        if (ip_summed_ == IpSummed::Complete) {
            csum_ = csum_block_sub(csum_, csum_partial(head_ + data_ + n, len_ - n, 0), n);
        } else if (ip_summed_ == IpSummed::Partial) {
            long field = csum_start_offset() + static_cast<long>(csum_offset_);
            if (field + 2 > static_cast<long>(n))
                return false;
        }
        len_ = n;
        sync_view();
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
    // The connection the userspace conntrack attached (skb->_nfct, with its
    // ctinfo): opaque to everything but platform/user/conntrack_user.cpp.
    u64 ct() const { return ct_; }
    bool ct_at_load() const { return ct_ != 0; }
    void set_ct(u64 v) { ct_ = v; }
    u32 priority() const { return priority_; }
    void set_priority(u32 p) { priority_ = p; }
    u32 get_hash()
    {
        if (!hash_valid_ && !hash_l4_) { // skb_get_hash(): keeps an sw or L4 hash
            // A stand-in for the flow dissector's hash: FNV-1a of the bytes.
            u32 h = 2166136261u;
            const u8* d = head_ + data_;
            for (usize i = 0; i < len_; i++)
                h = (h ^ d[i]) * 16777619u;
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

    // ---- DpPacket (datapath/packet_path.h) ----
    u32 hash() const
    {
        PacketHash h = hash_info();
        return h.sw || h.l4 ? h.hash : 0;
    }
    u32 mark_at_load() const { return mark(); }
    u32 priority_at_load() const { return priority(); }

    // ---- Tunnel metadata (the skb's metadata dst) ----
    bool has_tunnel() const { return tun_ != nullptr; }
    // All zero without tunnel.
    const ovsdp_tunnel& tunnel() const { return tun_ ? tun_->key : kNoTunnel; }
    // t.options_len bytes; nullptr without tunnel.
    const u8* tunnel_options() const { return tun_ ? tun_->opts : nullptr; }
    // The metadata block itself (which set(tunnel) made it), nullptr without.
    const void* tunnel_block() const { return tun_; }
    // No tunnel metadata any more (skb_dst_drop).
    void clear_tunnel() { drop_tunnel(); }
    // set(tunnel): a new reference to a block made by ovsdp_tunnel_dst_create()
    // replaces the packet's (skb_dst_drop, dst_hold, skb_dst_set).
    void set_tunnel_dst(void* dst)
    {
        auto* info = static_cast<TunnelInfo*>(dst);
        __atomic_fetch_add(&info->refs, 1, __ATOMIC_RELAXED);
        drop_tunnel();
        tun_ = info;
    }
    // The metadata block (the skb's metadata dst): reference-counted, shared
    // by clones and by the set(tunnel) actions that made it.
    struct TunnelInfo {
        u32 refs;
        ovsdp_tunnel key;
        u8 opts[255]; // key.options_len used
    };
    static void tunnel_dst_put(TunnelInfo* info)
    {
        if (__atomic_sub_fetch(&info->refs, 1, __ATOMIC_ACQ_REL) == 0)
            ovsdp_kfree(info);
    }
    // A new metadata block replaces the packet's (skb_dst_set). False, the
    // packet unchanged, when it cannot be allocated.
    bool set_tunnel(const ovsdp_tunnel& t, const u8* opts)
    {
        auto* info = static_cast<TunnelInfo*>(ovsdp_kmalloc(sizeof(TunnelInfo), OVSDP_GFP_ATOMIC));
        if (!info)
            return false;
        info->refs = 1;
        info->key = t;
        if (t.options_len)
            __builtin_memcpy(info->opts, opts, t.options_len);
        drop_tunnel();
        tun_ = info;
        return true;
    }

    // ---- Test set-up and observation ----
    // Only the first min(n, len()) bytes are linear from now on (a heap copy).
    // False if the copy cannot be allocated.
    bool set_linear(usize n) { return relinearize(n < len_ ? n : len_); }
    // pull() of more than n bytes fails as if memory were short (with a
    // linear prefix).
    void set_pull_limit(usize n) { pull_limit_ = n; }
    // The readable bytes at data() (len() unless a linear prefix was asked for).
    usize headlen() const { return rd_len_; }
    // What the Packet setters were last given, as offsets from data() at the
    // time (kUnset: never), and the VLAN tags vlan_untag() took out.
    static constexpr usize kUnset = ~usize(0);
    struct Offsets {
        usize mac_len = kUnset;
        usize network = kUnset;
        usize transport = kUnset;
        usize inner_network = kUnset;
        unsigned popped_vlans = 0;
    };
    const Offsets& offsets() const { return rec_; }
    void set_vlan_tag(be16 proto, u16 tci) { vlan_set_tag(proto, tci); }
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
        csum_ = csum_partial(head_ + data_, len_, 0);
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
    bool data_shared() const { return shared(); }
    usize headroom() const { return static_cast<usize>(data_); }
    int inner_network_offset() const { return static_cast<int>(inner_network_ - data_); }

private:
    static constexpr ovsdp_tunnel kNoTunnel {};

    struct Borrowed {};
    UserPacket(u8* bytes, usize len, Borrowed) : rd_(bytes), rd_len_(bytes ? len : 0), head_(bytes), len_(len) {}

    struct Buf {
        u32 refs;
        usize cap;
        u8 bytes[];
    };

    // The handle owns a packet the kernel would have to free.
    bool owns() const { return buf_ != nullptr; }
    bool shared() const { return buf_ && buf_->refs > 1; }

    Buf* alloc_buf(usize cap) const
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
        __builtin_memcpy(nb->bytes + headroom, head_ + data_, len_);
        long shift = headroom - data_;
        drop_buf();
        buf_ = nb;
        head_ = nb->bytes;
        data_ += shift;
        network_ += shift;
        transport_ += shift;
        inner_network_ += shift;
        csum_start_ += shift;
        sync_view();
        return true;
    }

    // Beyond the readable bytes: only a linear prefix can grow.
    OVSDP_NOINLINE bool pull_slow(usize n)
    {
        if (!lin_ || n > len_ || n > pull_limit_)
            return false;
        return relinearize(n);
    }
    // A fresh copy of exactly n bytes, so stale pointers and overreads show.
    bool relinearize(usize n)
    {
        // At least one byte, so that lin_ marks the copied mode.
        u8* lin = static_cast<u8*>(ovsdp_kmalloc(n ? n : 1, OVSDP_GFP_ATOMIC));
        if (!lin)
            return false;
        __builtin_memcpy(lin, head_ + data_, n);
        ovsdp_kfree(lin_);
        lin_ = lin;
        lin_len_ = n;
        sync_view();
        return true;
    }
    // All of the packet readable at data() again.
    void make_linear()
    {
        if (OVSDP_UNLIKELY(lin_ != nullptr)) {
            ovsdp_kfree(lin_);
            lin_ = nullptr;
            lin_len_ = 0;
            sync_view();
        }
    }

    // What data() and pull() see: the linear prefix's copy, or the bytes.
    void sync_view()
    {
        if (lin_) {
            rd_ = lin_;
            rd_len_ = lin_len_;
        } else {
            rd_ = head_ ? head_ + data_ : nullptr;
            rd_len_ = head_ ? len_ : 0;
        }
    }

    void drop_buf()
    {
        if (buf_ && --buf_->refs == 0)
            ovsdp_kfree(buf_);
        buf_ = nullptr;
    }

    void drop_tunnel()
    {
        if (tun_)
            tunnel_dst_put(tun_);
        tun_ = nullptr;
    }

    void release()
    {
        make_linear();
        drop_buf();
        drop_tunnel();
        head_ = nullptr;
        sync_view();
    }

    OVSDP_NOINLINE void destroy_slow()
    {
        if (owns())
            note_packet_leaked();
        release();
    }

    void copy_meta_from(const UserPacket& o)
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
        ct_ = o.ct_;
        priority_ = o.priority_;
        hash_ = o.hash_;
        hash_valid_ = o.hash_valid_;
        hash_l4_ = o.hash_l4_;
        cutlen_ = o.cutlen_;
        mru_ = o.mru_;
        gso_mac_seglen_ = o.gso_mac_seglen_;
        fail_allocs_ = o.fail_allocs_;
        pull_limit_ = o.pull_limit_;
        rec_ = o.rec_;
    }

    // Takes o's packet, bytes, linear copy and tunnel included; o becomes inert.
    void take_from(UserPacket& o)
    {
        copy_meta_from(o);
        buf_ = o.buf_;
        head_ = o.head_;
        lin_ = o.lin_;
        lin_len_ = o.lin_len_;
        tun_ = o.tun_;
        o.buf_ = nullptr;
        o.head_ = nullptr;
        o.lin_ = nullptr;
        o.lin_len_ = 0;
        o.tun_ = nullptr;
        sync_view();
        o.sync_view();
    }

    // The order matters for the extraction benchmark: g++ clears a run of
    // more than 64 zero-initialised bytes with `rep stos`, whose start-up
    // cost was most of an extraction (12 ns become 27). The fields a borrowed
    // packet gets from its arguments, and those that start non-zero, split
    // the zeros into shorter runs.
    const u8* rd_ = nullptr; // data(): head_ + data_, or lin_
    usize rd_len_ = 0; // bytes readable at rd_: len_, or lin_len_
    Buf* buf_ = nullptr; // owned (refcounted) buffer; nullptr when borrowed or inert
    u8* head_ = nullptr; // buf_->bytes, or the borrowed bytes
    long data_ = 0; // offset of data() in head_: the headroom
    usize len_ = 0;
    u8* lin_ = nullptr; // the linear prefix's copy (set_linear), else nullptr
    usize lin_len_ = 0;
    usize pull_limit_ = ~usize(0);
    // Absolute positions in head_, as skb->*_header.
    long network_ = 0;
    long transport_ = 0;
    long inner_network_ = 0;
    long csum_start_ = 0;
    int mac_len_ = 0;
    be16 protocol_ = 0;
    be16 inner_protocol_ = 0;
    be16 vlan_proto_ = 0;
    u16 vlan_tci_ = 0;
    u16 csum_offset_ = 0;
    u16 mru_ = 0;
    wsum csum_ = 0;
    u32 mark_ = 0;
    u64 ct_ = 0; // the userspace conntrack's connection on the packet (skb->_nfct), 0: none
    Offsets rec_;
    u32 priority_ = 0;
    u32 hash_ = 0;
    usize gso_mac_seglen_ = 0;
    TunnelInfo* tun_ = nullptr; // refcounted, shared by clones
    bool vlan_present_ = false;
    bool gso_udp_ = false;
    bool encapsulation_ = false;
    IpSummed ip_summed_ = IpSummed::None;
    bool hash_valid_ = false;
    bool hash_l4_ = false;
    bool fail_allocs_ = false;
    u32 cutlen_ = kNoCut;
};

static_assert(Packet<UserPacket>);
static_assert(MutablePacket<UserPacket>);

} // namespace ovsdp::user
