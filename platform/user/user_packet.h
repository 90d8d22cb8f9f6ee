// SPDX-License-Identifier: GPL-2.0
// UserPacket: the userspace host's packet (platform/user/user_host.h), an
// skb as the packet path sees it. The bytes and the metadata the action
// engine touches are MutableBufferPacket's (actions/buffer_packet_mut.h:
// clones share the bytes, writes unshare them); on top of that it carries what
// the kernel keeps beside the data (tunnel metadata, the hash it arrived with)
// and the kernel's ownership rule: a handle that owns a packet must hand it to
// the host (consume, drop, transmit) before it goes away. One that is
// destroyed still owning its packet is counted (packets_leaked()): in the
// kernel that skb would leak, so tests fail on it.
#pragma once

#include "actions/buffer_packet_mut.h"
#include "platform/skb_ops.h"

namespace ovsdp::user {

// Packet handles destroyed while owning a packet, since the last reset.
long packets_leaked();
void reset_packets_leaked();
void note_packet_leaked();

class UserPacket : public MutableBufferPacket {
public:
    UserPacket() = default;
    // A copy of [bytes, bytes + len), as received: its flow hash is `hash`
    // (0: none, as an skb without RSS hash).
    UserPacket(const u8* bytes, usize len, u32 hash = 0, usize headroom = kDefaultHeadroom)
        : MutableBufferPacket(bytes, len, headroom)
    {
        if (hash)
            set_hash(hash);
    }
    UserPacket(UserPacket&& o) : MutableBufferPacket(move(o)), tunnel_(o.tunnel_), has_tunnel_(o.has_tunnel_)
    {
        __builtin_memcpy(tunnel_opts_, o.tunnel_opts_, tunnel_.options_len);
    }
    UserPacket& operator=(UserPacket&& o)
    {
        if (this != &o) {
            if (valid())
                note_packet_leaked();
            MutableBufferPacket::operator=(move(o));
            tunnel_ = o.tunnel_;
            has_tunnel_ = o.has_tunnel_;
            __builtin_memcpy(tunnel_opts_, o.tunnel_opts_, tunnel_.options_len);
        }
        return *this;
    }
    ~UserPacket()
    {
        if (valid())
            note_packet_leaked();
    }

    // Give the packet back (kfree_skb / consume_skb): the handle becomes inert.
    void free() { MutableBufferPacket::operator=(MutableBufferPacket()); }

    // skb_clone(): a new handle at `storage` sharing the bytes, with a copy
    // of all metadata. False (nothing constructed) when allocations fail.
    bool clone_into(void* storage) const
    {
        alignas(MutableBufferPacket) u8 tmp[sizeof(MutableBufferPacket)];
        if (!MutableBufferPacket::clone_into(tmp))
            return false;
        auto* base = reinterpret_cast<MutableBufferPacket*>(tmp);
        auto* c = new (storage) UserPacket();
        static_cast<MutableBufferPacket&>(*c) = move(*base);
        base->~MutableBufferPacket();
        c->tunnel_ = tunnel_;
        c->has_tunnel_ = has_tunnel_;
        __builtin_memcpy(c->tunnel_opts_, tunnel_opts_, tunnel_.options_len);
        return true;
    }

    // ---- DpPacket (datapath/packet_path.h) ----
    u32 hash() const
    {
        PacketHash h = hash_info();
        return h.sw || h.l4 ? h.hash : 0;
    }
    u32 mark_at_load() const { return mark(); }
    u32 priority_at_load() const { return priority(); }

    // ---- Tunnel metadata (the skb's metadata dst) ----
    bool has_tunnel() const { return has_tunnel_; }
    const ovsdp_tunnel& tunnel() const { return tunnel_; }
    const u8* tunnel_options() const { return tunnel_opts_; }
    void set_tunnel(const ovsdp_tunnel& t, const u8* opts)
    {
        tunnel_ = t;
        has_tunnel_ = true;
        if (t.options_len)
            __builtin_memcpy(tunnel_opts_, opts, t.options_len);
    }

private:
    ovsdp_tunnel tunnel_ {};
    u8 tunnel_opts_[255];
    bool has_tunnel_ = false;
};

} // namespace ovsdp::user
