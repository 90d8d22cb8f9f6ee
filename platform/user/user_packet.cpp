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
