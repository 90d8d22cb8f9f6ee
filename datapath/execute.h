// SPDX-License-Identifier: GPL-2.0
// OVS_PACKET_CMD_EXECUTE (upstream ovs_packet_cmd_execute): userspace hands
// a packet, its metadata as a key and an action list; the datapath keys the
// packet, validates the actions against that key and runs them once. Over
// the packet path's host (datapath/packet_path.h).
//
// Context (OVSDP_CTX_RCU_BH, datapath/commands.h): process, no lock held on
// entry. The packet, key and actions are made and checked first (may
// sleep); the datapath and input port are then found, and the actions run,
// under rcu_read_lock with preemption and BH disabled. Never ovs_mutex: the
// datapath or its ports may go away meanwhile (ENODEV, as upstream).
#pragma once

#include "datapath/packet_path.h"
#include "platform/alloc.h"

namespace ovsdp {

// Bytes of validated actions EXECUTE keeps on its stack (ovs-vswitchd's
// lists for one packet are mostly a few outputs and sets).
inline constexpr u32 kExecuteInlineActions = 256;

// Inlined into the host's handler (one caller each).
template <DpHost H>
OVSDP_ALWAYS_INLINE int packet_cmd_execute(H& host, ovsdp_request* req)
{
    using P = typename H::Packet;
    const NlAttr* a_pkt = req_attr(req, uapi::OVS_PACKET_ATTR_PACKET);
    const NlAttr* a_key = req_attr(req, uapi::OVS_PACKET_ATTR_KEY);
    const NlAttr* a_acts = req_attr(req, uapi::OVS_PACKET_ATTR_ACTIONS);
    if (!a_pkt || !a_key || !a_acts)
        return req_fail(req, make_error(err::INVAL, "Packet, key and actions are required"));
    bool log = !req_attr(req, uapi::OVS_PACKET_ATTR_PROBE);

    // On the stack (432 bytes, process context), as the packet path keeps
    // its key: no allocation per EXECUTE. Zeroed once, by the parser.
    OVSDP_UNINITIALIZED FlowKey key_storage;
    FlowKey* key = &key_storage;
    if (auto st = flow_metadata_from_nlattrs(a_key->payload(), key, log); st.is_error())
        return req_fail(req, st.error(), a_key);
    // No device yet: the input port is found under RCU, below.
    PacketSlot<P> slot;
    if (!host.packet_from_bytes(a_pkt->payload(), nullptr, slot.storage(), req->msg))
        return -err::NOMEM;
    P& pkt = slot.get();
    // Frees the packet on an error before the actions take it.
    auto fail = [&](Error e, const NlAttr* bad) {
        host.drop(move(pkt));
        slot.destroy();
        return req_fail(req, e, bad);
    };
    if (const NlAttr* mru = req_attr(req, uapi::OVS_PACKET_ATTR_MRU))
        pkt.set_mru(mru->get_u16());
    if (const NlAttr* hash = req_attr(req, uapi::OVS_PACKET_ATTR_HASH))
        pkt.set_hash_info(packet_hash_from_attr(hash->get_u64()));
    // An L3 packet's protocol comes from the key (upstream sets skb->protocol
    // before key_extract); an Ethernet one's from its header.
    if ((key->mac_proto & static_cast<u8>(~kMacProtoKeyInvalid)) == kMacProtoNone)
        pkt.set_protocol(key->eth.type);
    if (auto st = key_extract(pkt, *key); st.is_error())
        return fail(st.error(), a_pkt);
    // On the stack too: a list longer than this grows to the heap. Its ct
    // resources, if any, go with it.
    OVSDP_UNINITIALIZED InlineActionsBuf<kExecuteInlineActions> acts;
    if (auto st = copy_actions(a_acts->payload(), *key, acts, log, req->net); st.is_error())
        return fail(st.error(), a_acts);
    pkt.set_priority(key->priority);
    pkt.set_mark(key->skb_mark);

    RcuReadGuard rcu;
    Datapath* dp = dp_lookup_by_ifindex(req->net, req->dp_ifindex);
    if (!dp)
        return fail(make_error(err::NODEV, "No datapath with this ifindex"), nullptr);
    // An input port that does not exist (or none) makes the packet the
    // local port's, as upstream; without either the datapath is going away.
    Vport* in = dp_lookup_vport(dp, key->in_port);
    if (!in)
        in = dp_lookup_vport(dp, uapi::kLocalPort);
    if (!in)
        return fail(make_error(err::NODEV, "Input port and local port are gone"), nullptr);
    host.set_input_port(pkt, in);

    // As upstream, with BH off: but the engine may let softirqs run between
    // outputs of a long list (preemption stays off: the per-CPU engine state
    // is this CPU's throughout). Its budget bounds the whole execution.
    host.preempt_disable();
    host.bh_disable();
    DpActionEnv<H> env(host, dp, true);
    int rc = execute_actions(env, move(pkt), *key, acts.data(), acts.size());
    host.bh_enable();
    host.preempt_enable();
    slot.destroy();
    if (rc == -err::TOOBIG)
        return req_fail(req, make_error(err::TOOBIG, "Actions exceeded the packet budget of one execution"), a_acts);
    return rc;
}

} // namespace ovsdp
