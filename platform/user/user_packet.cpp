// SPDX-License-Identifier: GPL-2.0
// UserPacket's leak count (user_packet.h), for every test binary that makes
// packets: the packet-path tests and fuzzers check it.
#include "platform/user/user_packet.h"

#include <atomic>

namespace ovsdp::user {

namespace {
std::atomic<long> g_packets_leaked { 0 };
}

long packets_leaked() { return g_packets_leaked.load(); }
void reset_packets_leaked() { g_packets_leaked = 0; }
void note_packet_leaked() { g_packets_leaked++; }

} // namespace ovsdp::user

// The userspace platform's set(tunnel) metadata: UserPacket's block.
extern "C" void* ovsdp_tunnel_dst_create(const ovsdp_tunnel* t, const void* options)
{
    using Info = ovsdp::user::UserPacket::TunnelInfo;
    auto* info = static_cast<Info*>(ovsdp_kmalloc(sizeof(Info), OVSDP_GFP_KERNEL | OVSDP_GFP_ZERO));
    if (!info)
        return nullptr;
    info->refs = 1;
    info->key = *t;
    if (t->options_len)
        __builtin_memcpy(info->opts, options, t->options_len);
    return info;
}

extern "C" void ovsdp_tunnel_dst_release(void* dst)
{
    ovsdp::user::UserPacket::tunnel_dst_put(static_cast<ovsdp::user::UserPacket::TunnelInfo*>(dst));
}
