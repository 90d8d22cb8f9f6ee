// SPDX-License-Identifier: GPL-2.0
// The engine's per-action dispatch: one action of a frame, by type.
#pragma once

#include "actions/engine.h"
#include "actions/engine_nested.h"
#include "actions/engine_output.h"
#include "actions/key_actions.h"
#include "actions/set_field.h"
#include "flow/flow_extract.h"

namespace ovsdp {

namespace act {

// The ct action (upstream's OVS_ACTION_ATTR_CT case): out of line, so that
// step() stays as it was for lists without ct. A stolen fragment ends the
// list quietly; another error drops the packet and ends it.
template <MutablePacket P, typename Env>
OVSDP_NOINLINE auto Engine<P, Env>::conntrack(ActionFrame<P>& f, const NlAttr* a) -> Step
{
    P& pkt = f.pkt.get();
    FlowKey& key = *f.key;
    int err = 0;
    ovsdp_ct_action ct;
    if (OVSDP_UNLIKELY(!ct_action_from_blob(a, &ct))) {
        err = -err::INVAL;
    } else if (!key_valid(key)) {
        Status s = key_update(pkt, key);
        if (s.is_error())
            err = s.error().negative();
    }
    if (!err) {
        err = env_.ct(pkt, key, ct);
        if (err == -act_err::INPROGRESS) {
            [[maybe_unused]] P stolen = take(f); // empty: the host kept the packet
            return Step::done(0);
        }
    }
    if (err) {
        release(f, err);
        return Step::done(err);
    }
    return Step::cont();
}

// One action of f. Continue: go on with f; Pushed: a nested frame is on
// top; Done: f is finished with err (its packet released or handed on).
template <MutablePacket P, typename Env>
inline auto Engine<P, Env>::step(ActionFrame<P>& f) -> Step
{
    auto* a = reinterpret_cast<const NlAttr*>(f.pos);
    if (OVSDP_UNLIKELY(f.rem < kNlaHdrLen || a->nla_len < kNlaHdrLen || a->nla_len > f.rem)) {
        release(f, -err::INVAL);
        return Step::done(-err::INVAL);
    }
    if (OVSDP_UNLIKELY(!charge(1))) {
        release(f, -err::TOOBIG);
        return Step::done(-err::TOOBIG);
    }
    bool last = a->nla_len == f.rem; // nla_is_last()
    usize step_len = nla_align(a->nla_len);
    if (step_len >= f.rem) {
        f.rem = 0;
    } else {
        f.pos += step_len;
        f.rem -= static_cast<u32>(step_len);
    }

    P& pkt = f.pkt.get();
    FlowKey& key = *f.key;
    int err = 0;
    using namespace uapi;
    switch (a->type()) {
    case OVS_ACTION_ATTR_OUTPUT: {
        u32 port = a->get_u32();
        if (OVSDP_UNLIKELY(!charge(kBudgetPacketCost * output_packets(pkt)))) {
            err = -err::TOOBIG;
            break;
        }
        if (last) {
            do_output(take(f), port, key);
            return Step::done(0);
        }
        PacketSlot<P> clone;
        if (env_.clone(pkt, clone.storage())) {
            do_output(move(clone.get()), port, key);
            clone.destroy();
        }
        pkt.set_cutlen(kNoCut);
        maybe_breathe();
        break;
    }
    case OVS_ACTION_ATTR_TRUNC:
        pkt.set_cutlen(a->get<OvsActionTrunc>().max_len);
        break;
    case OVS_ACTION_ATTR_USERSPACE:
        if (OVSDP_UNLIKELY(!charge(kBudgetPacketCost))) {
            err = -err::TOOBIG;
            break;
        }
        userspace(f, a);
        pkt.set_cutlen(kNoCut);
        break;
    case OVS_ACTION_ATTR_HASH:
        execute_hash(pkt, key, a->get<OvsActionHash>());
        break;
    case OVS_ACTION_ATTR_PUSH_MPLS: {
        auto mpls = a->get<OvsActionPushMpls>();
        err = push_mpls(pkt, key, mpls.mpls_lse, mpls.mpls_ethertype, pkt.mac_len());
        break;
    }
    case OVS_ACTION_ATTR_ADD_MPLS: {
        auto mpls = a->get<OvsActionAddMpls>();
        int mac_len = (mpls.tun_flags & kMplsL3TunnelFlagMask) ? pkt.mac_len() : 0;
        err = push_mpls(pkt, key, mpls.mpls_lse, mpls.mpls_ethertype, mac_len);
        break;
    }
    case OVS_ACTION_ATTR_POP_MPLS:
        err = pop_mpls(pkt, key, a->get_be16());
        break;
    case OVS_ACTION_ATTR_PUSH_VLAN:
        err = push_vlan(pkt, key, a->get<OvsActionPushVlan>());
        break;
    case OVS_ACTION_ATTR_POP_VLAN:
        err = pop_vlan(pkt, key);
        break;
    case OVS_ACTION_ATTR_PUSH_ETH:
        err = push_eth(pkt, key, a->get<OvsActionPushEth>());
        break;
    case OVS_ACTION_ATTR_POP_ETH:
        err = pop_eth(pkt, key);
        break;
    case OVS_ACTION_ATTR_RECIRC: {
        if (OVSDP_UNLIKELY(!charge(kBudgetPacketCost))) {
            err = -err::TOOBIG;
            break;
        }
        if (!key_valid(key)) {
            Status s = key_update(pkt, key);
            if (s.is_error()) {
                err = s.error().negative();
                break;
            }
        }
        Step s = clone_execute(f, a->get_u32(), nullptr, 0, last, true);
        if (last)
            return Step::done(s.err);
        err = s.err;
        break;
    }
    case OVS_ACTION_ATTR_SET: {
        NestedArg n = split_nested(a);
        if (n.arg && n.arg->type() == OVS_KEY_ATTR_TUNNEL_INFO)
            err = env_.set_tunnel_info(pkt, n.arg->payload());
        else
            err = -err::INVAL; // other sets were made masked by validation
        break;
    }
    case OVS_ACTION_ATTR_SET_MASKED:
    case kActionAttrSetToMasked: {
        NestedArg n = split_nested(a);
        err = n.arg ? execute_masked_set_action(pkt, key, n.arg) : -err::INVAL;
        break;
    }
    case OVS_ACTION_ATTR_SAMPLE: {
        NestedArg n = split_nested(a);
        if (OVSDP_UNLIKELY(!n.arg || n.arg->len() < sizeof(SampleArg))) {
            err = -err::INVAL;
            break;
        }
        auto arg = n.arg->get<SampleArg>();
        if (arg.probability != 0xffffffffu && (!arg.probability || env_.random_u32() > arg.probability)) {
            if (last) {
                release(f, 0);
                return Step::done(0);
            }
            break;
        }
        if (OVSDP_UNLIKELY(!last && !charge(kBudgetPacketCost))) {
            err = -err::TOOBIG;
            break;
        }
        Step s = after_nested(clone_execute(f, 0, n.rest, n.rest_len, last, !arg.exec), last);
        if (s.kind != Step::Continue)
            return s;
        err = s.err;
        break;
    }
    case OVS_ACTION_ATTR_CLONE: {
        NestedArg n = split_nested(a);
        if (OVSDP_UNLIKELY(!n.arg)) {
            err = -err::INVAL;
            break;
        }
        bool exec = n.arg->get_u32() != 0;
        if (OVSDP_UNLIKELY(!last && !charge(kBudgetPacketCost))) {
            err = -err::TOOBIG;
            break;
        }
        Step s = after_nested(clone_execute(f, 0, n.rest, n.rest_len, last, !exec), last);
        if (s.kind != Step::Continue)
            return s;
        err = s.err;
        break;
    }
    case OVS_ACTION_ATTR_CHECK_PKT_LEN: {
        if (OVSDP_UNLIKELY(!last && !charge(kBudgetPacketCost))) {
            err = -err::TOOBIG;
            break;
        }
        Step s = check_pkt_len(f, a, last);
        if (s.kind == Step::Done && f.has_pkt) {
            // A malformed argument: f still holds its packet.
            err = s.err;
            break;
        }
        s = after_nested(s, last);
        if (s.kind != Step::Continue)
            return s;
        err = s.err;
        break;
    }
    case OVS_ACTION_ATTR_DEC_TTL: {
        err = execute_dec_ttl(pkt, key);
        if (err != -act_err::HOSTUNREACH)
            break;
        // The exception handler: the nested actions get the packet (and
        // the key as it is), and the list ends here.
        NestedArg n = split_nested(a);
        if (n.arg && n.arg->len()) {
            Step s = clone_execute(f, 0, n.arg->data(), static_cast<u32>(n.arg->len()), true, false);
            return s.kind == Step::Pushed ? s : Step::done(s.err);
        }
        release(f, 0);
        return Step::done(0);
    }
    case OVS_ACTION_ATTR_METER:
        if (env_.meter(pkt, key, a->get_u32())) {
            release(f, 0);
            return Step::done(0);
        }
        break;
    case OVS_ACTION_ATTR_CT: {
        Step s = conntrack(f, a);
        if (s.kind != Step::Continue)
            return s;
        break;
    }
    case OVS_ACTION_ATTR_CT_CLEAR:
        env_.ct_clear(pkt, key);
        break;
    case OVS_ACTION_ATTR_PUSH_NSH:
    case OVS_ACTION_ATTR_POP_NSH:
        // Not supported; validation refuses them.
        err = -err::OPNOTSUPP;
        break;
    default:
        break;
    }
    if (OVSDP_UNLIKELY(err)) {
        release(f, err);
        return Step::done(err);
    }
    return Step::cont();
}

} // namespace act

} // namespace ovsdp
