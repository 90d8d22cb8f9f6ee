// SPDX-License-Identifier: GPL-2.0
// The engine's nested action lists (sample, clone, check_pkt_len, dec_ttl's
// exception list) and recirculation: run on a clone or on the packet itself,
// with a key copy from the per-CPU pool, or deferred to the per-CPU FIFO
// that the top level drains.
#pragma once

#include "actions/engine.h"
#include "flow_netlink/flow_actions.h"

namespace ovsdp {

namespace act {

// Drains the FIFO at the top level (process_deferred_actions()).
template <MutablePacket P, typename Env>
inline void Engine<P, Env>::process_deferred()
{
    if (st_.fifo_head == st_.fifo_tail)
        return;
    do {
        DeferredAction<P>& da = st_.fifo[st_.fifo_tail++];
        P pkt(move(da.pkt.get()));
        da.pkt.destroy();
        if (da.actions)
            run_list(move(pkt), &da.key, da.actions, da.actions_len);
        else
            env_.recirc(move(pkt), da.key);
    } while (st_.fifo_head != st_.fifo_tail);
    st_.fifo_head = st_.fifo_tail = 0;
}

// A key copy from this level's slot, or nullptr when the levels are used
// up (clone_key()).
template <MutablePacket P, typename Env>
inline FlowKey* Engine<P, Env>::clone_key(const FlowKey& key)
{
    int level = st_.level;
    if (level < 1 || level > kDeferredActionThreshold)
        return nullptr;
    FlowKey* k = &st_.keys[level - 1];
    *k = key;
    return k;
}

template <MutablePacket P, typename Env>
inline DeferredAction<P>* Engine<P, Env>::fifo_put()
{
    if (st_.fifo_head >= kDeferredFifoSize - 1)
        return nullptr;
    return &st_.fifo[st_.fifo_head++];
}

// Runs `actions` (or, when it is nullptr, recirculates with recirc_id)
// on a clone of the frame's packet, or on the packet itself when `last`,
// with a key copy when `clone_flow_key` (clone_execute()). An empty list
// is a non-null `actions` with len 0. A pushed list finishes later;
// anything else is done when this returns.
template <MutablePacket P, typename Env>
inline auto Engine<P, Env>::clone_execute(ActionFrame<P>& f, u32 recirc_id, const u8* actions, u32 len, bool last, bool clone_flow_key) -> Step
{
    PacketSlot<P> slot;
    if (last) {
        slot.put(take(f));
    } else if (!env_.clone(f.pkt.get(), slot.storage())) {
        return Step::cont(); // out of memory: skip this action
    }
    FlowKey* key = clone_flow_key ? clone_key(*f.key) : f.key;
    if (key) {
        if (actions) {
            if (push_frame(move(slot.get()), key, actions, len, clone_flow_key)) {
                slot.destroy();
                if (clone_flow_key)
                    st_.level++;
                return Step::pushed();
            }
            // No frame left: defer like a key shortage.
        } else {
            key->recirc_id = recirc_id;
            env_.recirc(move(slot.get()), *key);
            slot.destroy();
            return last ? Step::done(0) : Step::cont();
        }
    }
    DeferredAction<P>* da = fifo_put();
    if (da) {
        da->pkt.put(move(slot.get()));
        da->actions = actions;
        da->actions_len = len;
        da->key = *f.key;
        if (!actions)
            da->key.recirc_id = recirc_id;
    } else {
        env_.drop(move(slot.get()), -err::NOSPC);
        if (actions)
            ovsdp_log_ratelimited(OVSDP_LOG_WARN, "deferred action limit reached, drop sample action");
        else
            ovsdp_log_ratelimited(OVSDP_LOG_WARN,
                "deferred action limit reached, drop recirc action (recirc_id=%#x)", recirc_id);
    }
    slot.destroy();
    return last ? Step::done(0) : Step::cont();
}

// An action that may finish the frame: Done when `last` (the packet went
// with it), else the frame goes on unless err.
template <MutablePacket P, typename Env>
inline auto Engine<P, Env>::after_nested(Step s, bool last) -> Step
{
    if (s.kind == Step::Pushed)
        return s;
    if (last)
        return Step::done(s.err);
    return s;
}

template <MutablePacket P, typename Env>
inline auto Engine<P, Env>::check_pkt_len(ActionFrame<P>& f, const NlAttr* a, bool last) -> Step
{
    NestedArg n = split_nested(a);
    if (OVSDP_UNLIKELY(!n.arg || n.arg->len() < sizeof(CheckPktLenArg)))
        return Step::done(-err::INVAL);
    auto arg = n.arg->get<CheckPktLenArg>();
    // IF_LESS_EQUAL comes first, IF_GREATER second.
    NlAttrIter it(ConstBytes(n.rest, n.rest_len));
    const NlAttr* le = it.get();
    if (le)
        it.next();
    const NlAttr* gt = it.get();
    if (OVSDP_UNLIKELY(!le || !gt))
        return Step::done(-err::INVAL);

    P& pkt = f.pkt.get();
    usize len = pkt.mru() ? static_cast<usize>(pkt.mru()) + static_cast<usize>(pkt.mac_len()) : pkt.len();
    const NlAttr* acts;
    bool clone_flow_key;
    if (pkt.gso_mac_len_fits(arg.pkt_len) || len <= arg.pkt_len) {
        acts = le;
        clone_flow_key = !arg.exec_for_lesser_equal;
    } else {
        acts = gt;
        clone_flow_key = !arg.exec_for_greater;
    }
    return clone_execute(f, 0, acts->data(), static_cast<u32>(acts->len()), last, clone_flow_key);
}

} // namespace act

} // namespace ovsdp
