// SPDX-License-Identifier: GPL-2.0
// Compiled with the kernel's C++ subset (see CMakeLists.txt): instantiates the
// whole engine over a packet type and an environment, so that anything the
// kernel build cannot take (libc or libstdc++ headers, floating point,
// guarded statics, big stack frames) fails the test suite.
#include "actions/actions.h"
#include "actions/buffer_packet_mut.h"

namespace ovsdp {

struct CheckEnv {
    ActionState<MutableBufferPacket>* state;
    ActionState<MutableBufferPacket>& action_state() { return *state; }
    bool clone(MutableBufferPacket& p, void* storage) { return p.clone_into(storage); }
    void consume(MutableBufferPacket&& p) { MutableBufferPacket gone(move(p)); }
    void drop(MutableBufferPacket&& p, int) { MutableBufferPacket gone(move(p)); }
    void output(MutableBufferPacket&& p, u32, const FlowKey&) { MutableBufferPacket gone(move(p)); }
    int upcall(MutableBufferPacket&, const FlowKey&, const UpcallRequest&) { return 0; }
    void recirc(MutableBufferPacket&& p, FlowKey&) { MutableBufferPacket gone(move(p)); }
    bool meter(MutableBufferPacket&, const FlowKey&, u32) { return false; }
    int set_tunnel_info(MutableBufferPacket&, ConstBytes) { return 0; }
    u32 random_u32() { return ovsdp_get_random_u32(); }
    void budget_exceeded(const FlowKey&) { }
    bool may_breathe() const { return false; }
    void breathe() { }
};

static_assert(ActionEnv<CheckEnv, MutableBufferPacket>);

int check_execute(CheckEnv& env, const u8* bytes, usize n, FlowKey& key, const u8* acts, usize len)
{
    return execute_actions(env, MutableBufferPacket(bytes, n), key, acts, len);
}

} // namespace ovsdp
