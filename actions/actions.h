// SPDX-License-Identifier: GPL-2.0
// The action engine: executes a flow's validated action list on a packet
// (upstream's net/openvswitch/actions.c, ovs_execute_actions()).
//
//   template <MutablePacket P, ActionEnv<P> Env>
//   int execute_actions(Env& env, P&& pkt, FlowKey& key, const u8* actions, usize len);
//
// `actions` is a blob made by flow_netlink's copy_actions(): its internal
// forms (SET_TO_MASKED, set(tunnel) info, the sample/clone/check_pkt_len
// arguments) are documented in flow_netlink/flow_actions.h.
//
// The engine is split by concern; this header has the entry point and
// includes the rest:
//   action_env.h       limits, per-CPU state (frames, key copies, the deferred
//                      FIFO) and the ActionEnv concept the datapath implements
//   key_actions.h      actions that change headers and key together (push/pop,
//                      hash, dec_ttl); set_field.h has set/set_masked
//   engine.h           the interpreter: frame stack, budget, list unwinding
//   engine_dispatch.h  the per-action switch
//   engine_nested.h    sample, clone, check_pkt_len, recirculation, deferral
//   engine_output.h    output (with trunc), userspace, breathing in EXECUTE
//
// Context: softirq or BH disabled, under rcu_read_lock (the action list and
// the per-CPU state must stay put). The packet is always consumed: output,
// handed to the environment, or freed; the return value (0 or a negative
// errno) only reports why a packet was dropped.
//
// Upstream semantics kept:
// - An output that is not the list's last action sends a clone; the last one
//   sends the packet itself. TRUNC sets a length cut applied by the next
//   output or userspace action, after which the cut is cleared. The cut is
//   kept as the number of bytes to keep (UINT32_MAX: none), as upstream
//   does since its fix of GSO upcall truncation; 6.1 kept the bytes to drop.
// - Nested action lists (sample, clone, check_pkt_len, dec_ttl's exception
//   actions) run on a clone of the packet, or on the packet itself when the
//   nesting action is last; on a copy of the flow key unless validation
//   found that they cannot change it ("exec"). Key copies come from a small
//   per-CPU pool (OVS_DEFERRED_ACTION_THRESHOLD); when it is exhausted the
//   nested list is deferred to a per-CPU FIFO drained after the top-level
//   list (DEFERRED_ACTION_FIFO_SIZE); when the FIFO is full the packet is
//   dropped.
// - RECIRC re-extracts an invalidated key, then re-enters the datapath
//   (Env::recirc) at once while a key copy is available, else via the FIFO.
//   Re-entry through recirculation or through ports that loop back into the
//   datapath is bounded by OVS_RECURSION_LIMIT (-ENETDOWN beyond it).
// - An error in a nested list drops the enclosing packets too, up to the top.
//
// Beyond upstream: a budget bounds the work one top-level execution (one
// received packet, one EXECUTE) can cause, whatever its action lists,
// recirculations and MRU say. Every action costs 1 unit; every packet it
// makes costs kBudgetPacketCost more: an output (each IP fragment it will
// leave as, at the packet's MRU), a userspace upcall, a recirculation, a
// clone for a nested list. kActionBudget allows 65,536 packets or about a
// million actions. Upstream has no bound: one 64 KB EXECUTE with a tiny MRU
// and 4,000 outputs emits 16 million fragments with BH off (minutes of CPU).
// What Open vSwitch sends stays far below it: a list carries at most ~8,190
// outputs (64 KB of attributes), so a flood of the largest list fits 8 times
// over, or a 64 KB reassembled datagram (45 fragments at a 1,500-byte MRU)
// flooded to 1,450 ports. When the budget runs out the action that would
// overspend it fails with -E2BIG, which ends its list and drops the enclosing
// packets like any error; whatever runs later in the same execution fails at
// its first action. Env::budget_exceeded() is told once per execution, and
// the top level returns -E2BIG. Cost: one subtraction per action.
// - When the environment allows it (EXECUTE, process context), the engine
//   lets pending softirqs run between outputs of the top-level list
//   (Env::breathe()), so other ports keep forwarding on this CPU while a
//   long list runs; only where no key copy or deferred action is pending,
//   and with the state of the list put aside, so that packets received
//   meanwhile run as top-level executions with budgets of their own.
//
// Unlike upstream, nested lists do not recurse on the C++ stack: the engine
// runs an explicit stack of frames kept in the per-CPU ActionState, bounded
// by validation's nesting limit per datapath re-entry level. Recirculation
// still re-enters through Env::recirc, bounded as upstream bounds it.
//
// Where 6.1 leaves a CHECKSUM_COMPLETE csum stale, the engine keeps it right
// (the bytes on the wire are the same): dec_ttl of IPv6, a port rewrite of
// UDP without checksum, any SCTP port rewrite, an IPv6 address rewrite no
// L4 checksum compensates, and trunc (pskb_trim_rcsum, not pskb_trim).
#pragma once

#include "actions/action_env.h"
#include "actions/engine.h"
#include "actions/engine_dispatch.h"
#include "actions/engine_nested.h"
#include "actions/engine_output.h"
#include "actions/key_actions.h"
#include "base/errno.h"
#include "platform/platform.h"

namespace ovsdp {

// Executes `actions` (a validated list of len bytes) on pkt, which it
// consumes, with `key` its flow key (ovs_execute_actions()). Returns 0 or the
// negative errno the packet was dropped for. Re-entrant through the Env up
// to kRecursionLimit levels.
// Pass the packet as an rvalue (move it in): the engine owns it from here.
template <MutablePacket P, typename Env>
    requires ActionEnv<Env, P> && (!IsSame<P, RemoveReferenceT<P>&>)
int execute_actions(Env& env, P&& pkt, FlowKey& key, const u8* actions, usize len)
{
    ActionState<P>& st = env.action_state();
    int level = ++st.level;
    int err;
    act::Engine<P, Env> engine(env, st);
    if (level == 1)
        engine.start_budget();
    if (OVSDP_UNLIKELY(level > kRecursionLimit)) {
        ovsdp_log_ratelimited(OVSDP_LOG_ERR, "recursion limit reached, probable configuration error");
        env.drop(move(pkt), -act_err::NETDOWN);
        err = -act_err::NETDOWN;
    } else if (len == 0) {
        // An empty list (a drop flow): done with the packet, as the engine's
        // end of a list is, without a frame.
        env.consume(move(pkt));
        err = 0;
    } else if (auto* a = reinterpret_cast<const NlAttr*>(actions);
               len == nla_total_size(sizeof(u32)) && a->nla_len == len && a->type() == uapi::OVS_ACTION_ATTR_OUTPUT) {
        // The most common list, one output: no frame, nothing deferred. Same
        // steps as the engine's last-action output (trunc included).
        err = engine.output(move(pkt), a->get_u32(), key);
    } else if (len == 2 * nla_total_size(sizeof(u32)) && a->nla_len == nla_total_size(sizeof(u32))
               && a->type() == uapi::OVS_ACTION_ATTR_METER && (a + 2)->nla_len == nla_total_size(sizeof(u32))
               && (a + 2)->type() == uapi::OVS_ACTION_ATTR_OUTPUT) {
        // An OpenFlow meter before one output: the same shortcut after the
        // meter, which may end the list (the packet is consumed, as the
        // engine's METER does).
        if (env.meter(pkt, key, a->get_u32())) {
            env.consume(move(pkt));
            err = 0;
        } else {
            err = engine.output(move(pkt), (a + 2)->get_u32(), key);
        }
    } else {
        err = engine.run_list(move(pkt), &key, actions, static_cast<u32>(len));
        if (level == 1)
            engine.process_deferred();
    }
    if (level == 1 && OVSDP_UNLIKELY(st.budget_exceeded)) {
        env.budget_exceeded(key);
        err = -err::TOOBIG;
    }
    st.level--;
    return err;
}

} // namespace ovsdp
