// SPDX-License-Identifier: GPL-2.0
// The action engine's per-CPU state and the environment it runs in: its
// limits, the frames and deferred actions it keeps, and the ActionEnv
// concept the datapath implements (the engine itself: actions.h).
#pragma once

#include "actions/packet_ops.h"
#include "base/netlink.h"
#include "base/new.h"
#include "base/util.h"
#include "flow/flow_key.h"
#include "flow_netlink/flow_actions.h"

namespace ovsdp {

inline constexpr int kRecursionLimit = 5; // OVS_RECURSION_LIMIT
inline constexpr int kDeferredActionThreshold = kRecursionLimit - 2; // OVS_DEFERRED_ACTION_THRESHOLD
inline constexpr u32 kDeferredFifoSize = 10; // DEFERRED_ACTION_FIFO_SIZE (holds one less)
// Deepest nesting of action lists below the top-level list: what
// flow_netlink's validation accepts (upstream's OVS_COPY_ACTIONS_MAX_DEPTH).
inline constexpr int kMaxActionNesting = static_cast<int>(kActionsMaxDepth);
// Frames for every re-entry level, each at most a top-level list plus its
// nesting.
inline constexpr u32 kActionFrameStackSize = kRecursionLimit * (kMaxActionNesting + 1);
inline constexpr u32 kNoCut = 0xffffffffu; // cutlen: keep the whole packet
// The amplification budget of one top-level execution (see above).
inline constexpr u32 kBudgetPacketCost = 16;
inline constexpr u32 kActionBudget = 65536 * kBudgetPacketCost;
// EXECUTE: pending softirqs run after every this many units of the top-level
// list (64 packets).
inline constexpr u32 kBreatheEvery = 64 * kBudgetPacketCost;
// One output of the largest packet at the smallest MRU (8 bytes a fragment)
// fits a whole budget: the top level's single-output shortcut skips the charge.
static_assert(1 + kBudgetPacketCost * (65536 / 8 + 1) < kActionBudget);

// What a USERSPACE action asks the environment to send (upstream's
// dp_upcall_info as output_userspace() fills it).
struct UpcallRequest {
    const NlAttr* userdata = nullptr; // OVS_USERSPACE_ATTR_USERDATA, whole attribute
    u32 portid = 0; // OVS_USERSPACE_ATTR_PID (per-CPU dispatch is the env's choice)
    bool has_egress_tun_port = false;
    u32 egress_tun_port = 0; // OVS_USERSPACE_ATTR_EGRESS_TUN_PORT
    const u8* actions = nullptr; // with OVS_USERSPACE_ATTR_ACTIONS: the list being run
    u32 actions_len = 0;
    u32 cutlen = kNoCut; // bytes of the packet to send; kNoCut: all
};

// Raw storage for one packet handle, constructed and destroyed explicitly,
// so that the per-CPU state is plain zeroed memory.
template <typename P>
class PacketSlot {
public:
    void* storage() { return bytes_; }
    P& get() { return *reinterpret_cast<P*>(bytes_); }
    void put(P&& p) { new (bytes_) P(move(p)); }
    void destroy() { get().~P(); }

private:
    alignas(P) u8 bytes_[sizeof(P)];
};

// One action list being executed.
template <typename P>
struct ActionFrame {
    const u8* pos; // next action
    const u8* list; // the whole list (for OVS_USERSPACE_ATTR_ACTIONS)
    u32 rem; // bytes from pos to the end of the list
    u32 list_len;
    FlowKey* key;
    bool has_pkt; // false once the packet was handed on
    bool owns_level; // runs on a key copy: leaving it leaves a level
    PacketSlot<P> pkt;
};

// A nested list or recirculation postponed to the end of the top-level list
// (upstream's struct deferred_action).
template <typename P>
struct DeferredAction {
    PacketSlot<P> pkt;
    const u8* actions; // nullptr: recirculation
    u32 actions_len;
    FlowKey key;
};

// Per-CPU engine state (upstream's action_fifos, flow_keys and
// exec_actions_level in one). Valid when zero-filled: allocate it with
// ovsdp_alloc_percpu() and reach it with the packet path's BH disabled.
template <typename P>
struct ActionState {
    int level; // exec_actions_level: datapath re-entry and key-copy depth
    u32 budget; // units left to the current top-level execution
    bool budget_exceeded; // it ran out (told to the Env once)
    u32 next_breath; // breathe when the budget falls below this
    u32 frame_top;
    u32 fifo_head;
    u32 fifo_tail;
    FlowKey keys[kDeferredActionThreshold];
    DeferredAction<P> fifo[kDeferredFifoSize];
    ActionFrame<P> frames[kActionFrameStackSize];
};

// The datapath around the engine: everything an action does outside the
// packet and the key. datapath/packet_path.h implements it (DpActionEnv) over
// the datapath, its vports and a host (the kernel's or the userspace one);
// the engine's own tests record the calls.
//
//   ActionState<P>& action_state();      this CPU's state (this_cpu_ptr; BH off)
//   bool clone(P& pkt, void* storage);   skb_clone(skb, GFP_ATOMIC), the new
//       handle placement-constructed in storage (sizeof(P), alignof(P));
//       false when memory is short. The clone starts with pkt's metadata
//       (cutlen, mru, mark, ... as skb_clone copies skb->cb).
//   void consume(P&& pkt);               consume_skb(): done with it
//   void drop(P&& pkt, int err);         kfree_skb(): dropped because of err
//   void output(P&& pkt, u32 port, const FlowKey& key);
//       upstream's do_output() after its truncation, which the engine has
//       done (the packet arrives cut, with cutlen() reset to kNoCut): look
//       the port up, check it is up, fragment to the MRU if needed,
//       ovs_vport_send() with the key's mac_proto; frees the packet when it
//       cannot send. Takes ownership.
//   int upcall(P& pkt, const FlowKey& key, const UpcallRequest& req);
//       ovs_dp_upcall() for OVS_PACKET_CMD_ACTION (mru from the packet; the
//       port id from req or the per-CPU dispatch table). The packet stays
//       the engine's. The key is passed as it is, maybe invalidated, as
//       upstream does.
//   void recirc(P&& pkt, FlowKey& key);  ovs_dp_process_packet(): look up
//       key (recirc_id set) and execute the flow's actions, re-entering
//       execute_actions(), or upcall a miss. Takes ownership.
//   bool meter(P& pkt, const FlowKey& key, u32 meter_id);
//       ovs_meter_execute(): true when the meter drops the packet.
//   int set_tunnel_info(P& pkt, ConstBytes info);
//       set(tunnel): attach the tunnel metadata flow_netlink stored in the
//       OVS_KEY_ATTR_TUNNEL_INFO payload (upstream: skb_dst_set() of its
//       metadata_dst). 0 or a negative errno.
//   int ct(P& pkt, FlowKey& key, const ovsdp_ct_action& act);
//       the ct action (upstream's ovs_ct_execute()) on a valid key: look the
//       packet's connection up in act's zone, commit it if asked, update
//       key.ct. 0; -EINPROGRESS when the host kept the packet (a fragment
//       held for reassembly: pkt is left empty); another negative errno when
//       the packet is to be dropped.
//   void ct_clear(P& pkt, FlowKey& key);  the ct_clear action: no connection
//       on the packet (untracked) and key.ct zeroed
//   u32 random_u32();                    get_random_u32()
//   void budget_exceeded(const FlowKey& key);
//       a top-level execution ran out of its budget (kActionBudget): count
//       and log it (rate-limited). `key`: the top-level packet's.
//   bool may_breathe() const;            the caller runs in process context
//       and lets softirqs run in the middle of the list (EXECUTE)
//   void breathe();                      let pending softirqs run (BH on and
//       off again; preemption stays off, the CPU stays the same)
template <typename E, typename P>
concept ActionEnv = requires(E& env, P& pkt, FlowKey& key, const FlowKey& ckey, void* storage, u32 v, int e,
    const UpcallRequest& req, ConstBytes info, const ovsdp_ct_action& ct) {
    { env.action_state() } -> SameAs<ActionState<P>&>;
    { env.clone(pkt, storage) } -> SameAs<bool>;
    env.consume(static_cast<P&&>(pkt));
    env.drop(static_cast<P&&>(pkt), e);
    env.output(static_cast<P&&>(pkt), v, ckey);
    env.upcall(pkt, ckey, req);
    env.recirc(static_cast<P&&>(pkt), key);
    { env.meter(pkt, ckey, v) } -> SameAs<bool>;
    { env.set_tunnel_info(pkt, info) } -> SameAs<int>;
    { env.ct(pkt, key, ct) } -> SameAs<int>;
    env.ct_clear(pkt, key);
    { env.random_u32() } -> SameAs<u32>;
    env.budget_exceeded(ckey);
    { env.may_breathe() } -> SameAs<bool>;
    env.breathe();
};

} // namespace ovsdp
