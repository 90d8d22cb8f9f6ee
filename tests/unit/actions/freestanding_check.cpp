// SPDX-License-Identifier: GPL-2.0
// Compiled with the kernel's C++ subset (see CMakeLists.txt): instantiates the
// whole engine over a packet type and an environment, so that anything the
// kernel build cannot take (libc or libstdc++ headers, floating point,
// guarded statics, big stack frames) fails the test suite.
#include "actions/actions.h"
#include "platform/user/user_packet.h"

namespace ovsdp {

using user::UserPacket;

struct CheckEnv {
    ActionState<UserPacket>* state;
    ActionState<UserPacket>& action_state() { return *state; }
    bool clone(UserPacket& p, void* storage) { return p.clone_into(storage); }
    void consume(UserPacket&& p) { p.free(); }
    void drop(UserPacket&& p, int) { p.free(); }
    void output(UserPacket&& p, u32, const FlowKey&) { p.free(); }
    int upcall(UserPacket&, const FlowKey&, const UpcallRequest&) { return 0; }
    void recirc(UserPacket&& p, FlowKey&) { p.free(); }
    bool meter(UserPacket&, const FlowKey&, u32) { return false; }
    int set_tunnel_info(UserPacket&, ConstBytes) { return 0; }
    int ct(UserPacket&, FlowKey&, const ovsdp_ct_action&) { return 0; }
    void ct_clear(UserPacket&, FlowKey& key) { key.ct = FlowKeyCt {}; }
    u32 random_u32() { return ovsdp_get_random_u32(); }
    void budget_exceeded(const FlowKey&) { }
    bool may_breathe() const { return false; }
    void breathe() { }
};

static_assert(ActionEnv<CheckEnv, UserPacket>);

int check_execute(CheckEnv& env, const u8* bytes, usize n, FlowKey& key, const u8* acts, usize len)
{
    return execute_actions(env, UserPacket(bytes, n), key, acts, len);
}

} // namespace ovsdp
