// SPDX-License-Identifier: GPL-2.0
// OVS_PACKET_CMD_EXECUTE (upstream ovs_packet_cmd_execute): userspace hands
// a packet, its metadata as a key and an action list; the datapath keys the
// packet, validates the actions against that key and runs them once.
// Included into kmod/core.cpp (it needs SkbPacket and the kernel Env).
#include "kmod/dp_env.h"

extern "C" int ovsdp_packet_cmd_execute(ovsdp_request* req)
{
    using namespace ovsdp;
    const NlAttr* a_pkt = req_attr(req, uapi::OVS_PACKET_ATTR_PACKET);
    const NlAttr* a_key = req_attr(req, uapi::OVS_PACKET_ATTR_KEY);
    const NlAttr* a_acts = req_attr(req, uapi::OVS_PACKET_ATTR_ACTIONS);
    if (!a_pkt || !a_key || !a_acts)
        return req_fail(req, make_error(err::INVAL, "Packet, key and actions are required"));
    bool log = !req_attr(req, uapi::OVS_PACKET_ATTR_PROBE);

    Datapath* dp = dp_lookup_by_ifindex(req->net, req->dp_ifindex);
    if (!dp)
        return req_fail(req, make_error(err::NODEV, "No datapath with this ifindex"));

    FlowKey* key = make<FlowKey>(Gfp::Kernel);
    if (!key)
        return -err::NOMEM;
    if (auto st = flow_metadata_from_nlattrs(a_key->payload(), key, log); st.is_error()) {
        destroy(key);
        return req_fail(req, st.error(), a_key);
    }
    Vport* in = dp_lookup_vport(dp, key->in_port);
    if (!in)
        in = dp_lookup_vport(dp, uapi::kLocalPort);
    void* skb = ovsdp_skb_from_data(a_pkt->data(), static_cast<u32>(a_pkt->len()), in->dev);
    if (!skb) {
        destroy(key);
        return -err::NOMEM;
    }
    SkbPacket pkt(skb);
    if (const NlAttr* mru = req_attr(req, uapi::OVS_PACKET_ATTR_MRU))
        ovsdp_skb_set(skb, OVSDP_SKB_MRU, mru->get_u16());
    if (const NlAttr* hash = req_attr(req, uapi::OVS_PACKET_ATTR_HASH))
        pkt.set_hash_info(packet_hash_from_attr(hash->get_u64()));
    // An L3 packet's protocol comes from the key (upstream sets skb->protocol
    // before key_extract); an Ethernet one's from its header.
    if ((key->mac_proto & static_cast<u8>(~kMacProtoKeyInvalid)) == kMacProtoNone)
        pkt.set_protocol(key->eth.type);
    if (auto st = key_extract(pkt, *key); st.is_error()) {
        ovsdp_skb_free(pkt.release());
        destroy(key);
        return req_fail(req, st.error(), a_pkt);
    }
    auto acts = validate_and_copy_actions(a_acts->payload(), *key, log);
    if (acts.is_error()) {
        ovsdp_skb_free(pkt.release());
        destroy(key);
        return req_fail(req, acts.error(), a_acts);
    }
    pkt.set_priority(key->priority);
    pkt.set_mark(key->skb_mark);

    // As upstream, with BH off: but the engine may let softirqs run between
    // outputs of a long list (preemption stays off: the per-CPU engine state
    // is this CPU's throughout). Its budget bounds the whole execution.
    int rc;
    {
        RcuReadGuard rcu;
        ovsdp_preempt_disable();
        ovsdp_local_bh_disable();
        KernelEnv env(dp, true);
        rc = execute_actions(env, move(pkt), *key, acts.value()->data, acts.value()->len);
        ovsdp_local_bh_enable();
        ovsdp_preempt_enable();
    }
    flow_actions_free(acts.value());
    destroy(key);
    if (rc == -err::TOOBIG)
        return req_fail(req, make_error(err::TOOBIG, "Actions exceeded the packet budget of one execution"), a_acts);
    return rc;
}
