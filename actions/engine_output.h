// SPDX-License-Identifier: GPL-2.0
// The engine's output and userspace actions: the length cut (trunc), the
// packets an output costs the budget, letting softirqs run between the
// outputs of a long EXECUTE list, and the USERSPACE upcall request.
#pragma once

#include "actions/engine.h"
#include "actions/key_actions.h"

namespace ovsdp {

namespace act {

// A list's only action `output(port)` (the top-level shortcut). 0, or
// -E2BIG when the budget cannot pay for it (the packet is dropped). At
// level 1 the budget is whole and one output (8,200 packets at most)
// cannot overspend it: no charge, no MRU read.
template <MutablePacket P, typename Env>
inline int Engine<P, Env>::output(P&& pkt, u32 port, const FlowKey& key)
{
    if (OVSDP_UNLIKELY(st_.level > 1) && OVSDP_UNLIKELY(!charge(1 + kBudgetPacketCost * output_packets(pkt)))) {
        env_.drop(move(pkt), -err::TOOBIG);
        return -err::TOOBIG;
    }
    do_output(move(pkt), port, key);
    return 0;
}

// The packets an output of pkt makes: the IP fragments it leaves as when
// it is longer than its MRU plus an Ethernet header (do_output()), else
// one. A fragment carries a multiple of 8 bytes of at most the MRU less
// an IPv6 and a fragment header (48 bytes; IPv4 needs 20): an estimate a
// few percent high, never low. At most ~8,200 for a 64 KB packet.
template <MutablePacket P, typename Env>
inline u32 Engine<P, Env>::output_packets(const P& pkt)
{
    usize mru = pkt.mru();
    usize len = pkt.len();
    if (OVSDP_LIKELY(!mru) || len <= mru + kEthHlen)
        return 1;
    usize per = mru >= 56 ? (mru - 48) & ~usize(7) : 8;
    return static_cast<u32>((len + per - 1) / per);
}

// EXECUTE: between outputs of the top-level list, let pending softirqs
// run (other ports' packets). Only at level 1 with nothing deferred: no
// key copy is in use, and packets received meanwhile run as top-level
// executions (level 0 seen) with their own budget and deferred FIFO;
// their frames sit above ours and are gone when breathe() returns.
template <MutablePacket P, typename Env>
inline void Engine<P, Env>::maybe_breathe()
{
    if (OVSDP_LIKELY(st_.budget >= st_.next_breath) || st_.level != 1 || st_.fifo_head != 0 ||
        !env_.may_breathe())
        return;
    u32 budget = st_.budget;
    bool exceeded = st_.budget_exceeded;
    st_.level = 0;
    env_.breathe();
    st_.level = 1;
    st_.budget = budget;
    st_.budget_exceeded = exceeded;
    st_.next_breath = budget > kBreatheEvery ? budget - kBreatheEvery : 0;
}

// The cut applied here, never below the mac header, so the packet
// reaches Env::output() with its final length and no cut pending.
template <MutablePacket P, typename Env>
inline void Engine<P, Env>::do_output(P&& pkt, u32 port, const FlowKey& key)
{
    u32 cutlen = pkt.cutlen();
    if (OVSDP_UNLIKELY(cutlen != kNoCut)) {
        if (cutlen < pkt.len()) {
            usize keep = max<usize>(cutlen, mac_header_len(key));
            if (keep < pkt.len())
                (void)pkt.trim(keep);
        }
        pkt.set_cutlen(kNoCut);
    }
    env_.output(move(pkt), port, key);
}

template <MutablePacket P, typename Env>
inline void Engine<P, Env>::userspace(ActionFrame<P>& f, const NlAttr* a)
{
    P& pkt = f.pkt.get();
    UpcallRequest req;
    for (const NlAttr* u : nla_range(a)) {
        switch (u->type()) {
        case uapi::OVS_USERSPACE_ATTR_USERDATA:
            req.userdata = u;
            break;
        case uapi::OVS_USERSPACE_ATTR_PID:
            req.portid = u->get_u32();
            break;
        case uapi::OVS_USERSPACE_ATTR_EGRESS_TUN_PORT:
            req.has_egress_tun_port = true;
            req.egress_tun_port = u->get_u32();
            break;
        case uapi::OVS_USERSPACE_ATTR_ACTIONS:
            req.actions = f.list;
            req.actions_len = f.list_len;
            break;
        default:
            break;
        }
    }
    req.cutlen = pkt.cutlen();
    (void)env_.upcall(pkt, *f.key, req);
}

} // namespace act

} // namespace ovsdp
