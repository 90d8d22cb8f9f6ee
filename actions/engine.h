// SPDX-License-Identifier: GPL-2.0
// The action engine's interpreter: the Engine class, its frame stack
// (nested lists run on an explicit stack, not by recursion) and its budget.
// The members that do the work of single actions are defined in
// engine_output.h (output, userspace), engine_nested.h (sample, clone,
// check_pkt_len, recirculation, the deferred FIFO) and engine_dispatch.h (the
// per-action switch); actions.h includes them all and has the entry point.
#pragma once

#include "actions/action_env.h"
#include "base/errno.h"
#include "base/netlink.h"
#include "base/util.h"
#include "platform/platform.h"

namespace ovsdp {

namespace act {

// ---- The interpreter --------------------------------------------------------------

// The first attribute nested in `a` and the attribute stream after it.
struct NestedArg {
    const NlAttr* arg = nullptr; // nullptr when `a` holds no whole attribute
    const u8* rest = nullptr; // never null with arg: an empty list is a list
    u32 rest_len = 0;
};

inline NestedArg split_nested(const NlAttr* a)
{
    NestedArg r;
    usize len = a->len();
    if (len < kNlaHdrLen)
        return r;
    auto* first = reinterpret_cast<const NlAttr*>(a->data());
    if (first->nla_len < kNlaHdrLen || first->nla_len > len)
        return r;
    r.arg = first;
    usize step = nla_align(first->nla_len);
    if (step > len)
        step = len;
    r.rest = a->data() + step;
    r.rest_len = static_cast<u32>(len - step);
    return r;
}

template <MutablePacket P, typename Env>
class Engine {
public:
    Engine(Env& env, ActionState<P>& st) : env_(env), st_(st) {}

    // Runs a list on pkt to the end, nested lists included (do_execute_actions()).
    int run_list(P&& pkt, FlowKey* key, const u8* actions, u32 len)
    {
        u32 base = st_.frame_top;
        if (OVSDP_UNLIKELY(!push_frame(move(pkt), key, actions, len, false))) {
            ovsdp_log_ratelimited(OVSDP_LOG_WARN, "action frame stack exhausted");
            env_.drop(move(pkt), -err::LOOP);
            return -err::LOOP;
        }
        int res = 0;
        for (;;) {
            ActionFrame<P>& f = st_.frames[st_.frame_top - 1];
            Step s;
            if (f.has_pkt && f.rem > 0) {
                s = step(f);
                if (s.kind != Step::Done)
                    continue;
            } else {
                // End of the list: done with the packet (unless handed on).
                if (f.has_pkt)
                    release(f, 0);
                s = Step::done(0);
            }
            // The frame is finished with s.err: unwind it and every enclosing
            // frame whose packet went with it or that must die with it.
            res = s.err;
            for (;;) {
                pop_frame();
                if (st_.frame_top == base)
                    return res;
                ActionFrame<P>& parent = st_.frames[st_.frame_top - 1];
                if (parent.has_pkt && res == 0)
                    break; // the parent carries on
                if (parent.has_pkt)
                    release(parent, res);
            }
        }
    }

    // The top-level single-output shortcut (engine_output.h).
    int output(P&& pkt, u32 port, const FlowKey& key);

    // Starts a top-level execution's budget.
    void start_budget()
    {
        st_.budget = kActionBudget;
        st_.budget_exceeded = false;
        st_.next_breath = kActionBudget - kBreatheEvery;
    }

    // Drains the deferred FIFO at the top level (engine_nested.h).
    void process_deferred();

private:
    struct Step {
        enum Kind { Continue, Pushed, Done } kind;
        int err;
        static Step cont() { return { Continue, 0 }; }
        static Step pushed() { return { Pushed, 0 }; }
        static Step done(int err) { return { Done, err }; }
    };

    // Spends `units` of the execution's budget. When they are not there the
    // budget is exhausted for the rest of the execution: false.
    bool charge(u32 units)
    {
        if (OVSDP_LIKELY(st_.budget >= units)) {
            st_.budget -= units;
            return true;
        }
        st_.budget = 0;
        st_.budget_exceeded = true;
        return false;
    }

    bool push_frame(P&& pkt, FlowKey* key, const u8* actions, u32 len, bool owns_level)
    {
        if (OVSDP_UNLIKELY(st_.frame_top >= kActionFrameStackSize))
            return false;
        ActionFrame<P>& f = st_.frames[st_.frame_top++];
        f.pos = actions;
        f.list = actions;
        f.rem = len;
        f.list_len = len;
        f.key = key;
        f.has_pkt = true;
        f.owns_level = owns_level;
        f.pkt.put(move(pkt));
        return true;
    }

    void pop_frame()
    {
        ActionFrame<P>& f = st_.frames[--st_.frame_top];
        if (f.owns_level)
            st_.level--;
    }

    // The frame's packet, taken out of it.
    P take(ActionFrame<P>& f)
    {
        P pkt(move(f.pkt.get()));
        f.pkt.destroy();
        f.has_pkt = false;
        return pkt;
    }

    // Done with the frame's packet: consumed (err 0) or dropped.
    void release(ActionFrame<P>& f, int err)
    {
        P pkt = take(f);
        if (err)
            env_.drop(move(pkt), err);
        else
            env_.consume(move(pkt));
    }

    // ---- Output and userspace (engine_output.h) ----
    static u32 output_packets(const P& pkt);
    void maybe_breathe();
    void do_output(P&& pkt, u32 port, const FlowKey& key);
    void userspace(ActionFrame<P>& f, const NlAttr* a);

    // ---- Nested lists and deferral (engine_nested.h) ----
    FlowKey* clone_key(const FlowKey& key);
    DeferredAction<P>* fifo_put();
    Step clone_execute(ActionFrame<P>& f, u32 recirc_id, const u8* actions, u32 len, bool last, bool clone_flow_key);
    Step after_nested(Step s, bool last);
    Step check_pkt_len(ActionFrame<P>& f, const NlAttr* a, bool last);

    // ---- One action (engine_dispatch.h) ----
    Step step(ActionFrame<P>& f);
    Step conntrack(ActionFrame<P>& f, const NlAttr* a);

    Env& env_;
    ActionState<P>& st_;
};

} // namespace act

} // namespace ovsdp
