// SPDX-License-Identifier: GPL-2.0
// The action engine's environment in the kernel (actions/actions.h,
// ActionEnv): skb lifetime, output to vports, recirculation back into the
// datapath. Included into kmod/core.cpp through kmod/receive.cpp.
#pragma once

#include "actions/actions.h"
#include "actions/tunnel_shim.h"
#include "datapath/datapath.h"
#include "datapath/dp_receive.h"
#include "flow_netlink/flow_actions.h"
#include "flow_netlink/flow_netlink.h"
#include "kmod/skb_packet.h"
#include "platform/netdev.h"
#include "platform/skb_ops.h"

namespace ovsdp {

// Per-CPU engine state, allocated at module load (ovsdp_core_init).
constinit ActionState<SkbPacket>* g_action_state = nullptr;

void dp_process_packet(Datapath* dp, SkbPacket&& pkt, FlowKey& key);

// Upstream's ovs_dp_upcall / queue_userspace_packet: send the packet and its
// key (and for a userspace action its userdata and actions) to `portid`.
// The packet stays the caller's. 0 or -errno; a failure counts as lost.
int dp_upcall(Datapath* dp, SkbPacket& pkt, const FlowKey& key, u8 cmd, u32 portid, const UpcallRequest* req)
{
    if (!portid)
        return -err::NOTCONN;
    usize cap = nla_total_size(flow_key_attr_size()) + nla_total_size(sizeof(u64)) + 2 * nla_total_size(4);
    if (req && req->userdata)
        cap += nla_total_size(req->userdata->len());
    if (req && req->actions)
        cap += nla_total_size(actions_nlattr_size({ req->actions, req->actions_len }));
    // The egress tunnel (upstream: only with OVS_USERSPACE_ATTR_EGRESS_TUN_PORT
    // naming a port whose device fills tunnel metadata, i.e. a tunnel port).
    ovsdp_tunnel egress;
    u8 egress_opts[255];
    bool has_egress = false;
    if (req && req->has_egress_tun_port) {
        Vport* v = dp_lookup_vport(dp, req->egress_tun_port);
        if (v && ovsdp_skb_egress_tunnel(v->dev, pkt.skb(), &egress, egress_opts, sizeof(egress_opts)) == 0) {
            has_egress = true;
            cap += nla_total_size(tunnel_key_attr_size());
        }
    }
    // A UDP GSO packet (UFO) is keyed as a first fragment; the segments after
    // the first go up as later fragments, without L4 fields (upstream's
    // queue_gso_packets): their attributes are written a second time.
    bool ufo = pkt.gso_udp();
    u8* buf = static_cast<u8*>(ovsdp_kmalloc(ufo ? 2 * cap : cap, OVSDP_GFP_ATOMIC));
    if (!buf)
        return -err::NOMEM;
    u32 cut = req ? req->cutlen : kNoCut;
    auto write_attrs = [&](NlWriter& w, const FlowKey& k) {
        put_flow_key(w, uapi::OVS_PACKET_ATTR_KEY, k, k, false);
        if (req && req->userdata)
            w.put(uapi::OVS_PACKET_ATTR_USERDATA, req->userdata->data(), req->userdata->len());
        if (has_egress) {
            usize nest = w.nest_begin(uapi::OVS_PACKET_ATTR_EGRESS_TUN_KEY);
            put_tunnel_info(w, tunnel_from_shim(egress), egress_opts, egress.options_len, egress.mode);
            w.nest_end(nest);
        }
        if (req && req->actions) {
            usize nest = w.nest_begin(uapi::OVS_PACKET_ATTR_ACTIONS);
            actions_to_nlattrs({ req->actions, req->actions_len }, w);
            w.nest_end(nest);
        }
        if (u16 mru = pkt.mru())
            w.put_u16(uapi::OVS_PACKET_ATTR_MRU, mru);
        if (cut != kNoCut && cut < pkt.len())
            w.put_u32(uapi::OVS_PACKET_ATTR_LEN, static_cast<u32>(pkt.len()));
        // The hash as it is, with its type bits (upstream: skb_get_hash_raw() and
        // OVS_PACKET_HASH_SW_BIT / _L4_BIT); the receive path computed it before
        // a miss or a flow with a userspace action, as upstream's lookup does.
        w.put_u64(uapi::OVS_PACKET_ATTR_HASH, packet_hash_to_attr(pkt.hash_info()));
    };
    NlWriter w(buf, cap);
    write_attrs(w, key);
    NlWriter wl(buf + cap, ufo ? cap : 0);
    if (ufo) {
        FlowKey later = key;
        later.ip.frag = kFragLater;
        write_attrs(wl, later);
    }
    int rc = -err::MSGSIZE;
    if (!w.overflowed() && !wl.overflowed())
        rc = ovsdp_upcall_send(dp->net, portid, cmd, dp_ifindex(dp), buf, w.size(), ufo ? buf + cap : nullptr,
                               wl.size(), pkt.skb(), cut == kNoCut ? 0 : cut);
    ovsdp_kfree(buf);
    return rc;
}

// The port id a miss from `key`'s input port goes to.
u32 dp_miss_portid(Datapath* dp, const FlowKey& key, u32 hash)
{
    if (dp->user_features & uapi::kDpFDispatchUpcallPerCpu)
        return dp_upcall_pid_for_cpu(dp, static_cast<u32>(ovsdp_smp_processor_id()));
    Vport* in = dp_lookup_vport(dp, key.in_port);
    return in ? vport_find_upcall_pid(in, hash) : 0;
}

class KernelEnv {
public:
    // `breathes`: EXECUTE, in process context with preemption disabled, may
    // let softirqs run between outputs (ActionEnv::breathe()).
    explicit KernelEnv(Datapath* dp, bool breathes = false) : dp_(dp), breathes_(breathes) {}

    ActionState<SkbPacket>& action_state()
    {
        return *static_cast<ActionState<SkbPacket>*>(ovsdp_this_cpu_ptr(g_action_state));
    }
    bool clone(SkbPacket& pkt, void* storage)
    {
        void* c = ovsdp_skb_clone(pkt.skb());
        if (!c)
            return false;
        // skb_clone copied the OVS control block, but loading the clone as
        // a packet starts a fresh one: put back the pending cut and the MRU
        // (upstream's clones keep both).
        u32 cut = pkt.cutlen();
        u16 mru = pkt.mru();
        auto* p = new (storage) SkbPacket(c);
        p->set_cutlen(cut);
        if (mru)
            ovsdp_skb_set(c, OVSDP_SKB_MRU, mru);
        return true;
    }
    void consume(SkbPacket&& pkt) { ovsdp_skb_consume(pkt.release()); }
    void drop(SkbPacket&& pkt, int) { ovsdp_skb_free(pkt.release()); }
    void output(SkbPacket&& pkt, u32 port, const FlowKey& key)
    {
        Vport* vport = dp_lookup_vport(dp_, port);
        if (OVSDP_UNLIKELY(!vport || read_once(vport->detached))) {
            ovsdp_skb_free(pkt.release());
            return;
        }
        // The engine has applied a pending trunc already (ActionEnv::output).
        if (OVSDP_UNLIKELY(pkt.mru()))
            ovsdp_vport_send_mru(vport->dev, vport->type, pkt.release(), act::key_mac_proto(key), key.eth.type);
        else
            ovsdp_vport_send(vport->dev, vport->type, pkt.release(), act::key_mac_proto(key));
    }
    int upcall(SkbPacket& pkt, const FlowKey& key, const UpcallRequest& req)
    {
        u32 portid = dp_->user_features & uapi::kDpFDispatchUpcallPerCpu
            ? dp_upcall_pid_for_cpu(dp_, static_cast<u32>(ovsdp_smp_processor_id()))
            : req.portid;
        int rc = dp_upcall(dp_, pkt, key, uapi::OVS_PACKET_CMD_ACTION, portid, &req);
        if (rc)
            dp_count(dp_, &DpPerCpuStats::n_lost);
        return rc;
    }
    void recirc(SkbPacket&& pkt, FlowKey& key) { dp_process_packet(dp_, move(pkt), key); }
    bool meter(SkbPacket&, const FlowKey&, u32) { return false; }
    // set(tunnel): the tunnel rides on the skb as a metadata dst (the key is
    // left alone, as upstream: a recirculation keeps the tunnel the packet
    // came in on in its key, and the set one on the skb).
    int set_tunnel_info(SkbPacket& pkt, ConstBytes info)
    {
        ovsdp_tunnel t;
        const u8* opts;
        if (OVSDP_UNLIKELY(!tunnel_to_shim(info, &t, &opts)))
            return -err::INVAL;
        return ovsdp_skb_set_tunnel(pkt.skb(), &t, opts);
    }
    u32 random_u32() { return ovsdp_get_random_u32(); }
    void budget_exceeded(const FlowKey& key)
    {
        dp_count(dp_, &DpPerCpuStats::n_budget_drops);
        ovsdp_log_ratelimited(OVSDP_LOG_WARN,
            "%s: packet from port %u exceeded the packet budget of its actions (%u packets), rest dropped",
            dp_name(dp_), key.in_port, kActionBudget / kBudgetPacketCost);
    }
    bool may_breathe() const { return breathes_; }
    void breathe()
    {
        ovsdp_local_bh_enable();
        ovsdp_local_bh_disable();
    }

private:
    Datapath* dp_;
    bool breathes_;
};

static_assert(ActionEnv<KernelEnv, SkbPacket>);

// Upstream's ovs_dp_process_packet: look the key up; a hit counts in the
// flow's per-NUMA stats and runs its actions, a miss goes to userspace.
void dp_process_packet(Datapath* dp, SkbPacket&& pkt, FlowKey& key)
{
    u32 cache_hash = pkt.hash() ? pkt.hash() : mask_cache_hash(key);
    Flow* flow = dp_lookup_count(dp, key, cache_hash, static_cast<u32>(pkt.len()));
    if (OVSDP_UNLIKELY(!flow)) {
        // The upcall PID is chosen by the skb's own flow hash, as upstream;
        // computing it also gives the upcall its hash.
        u32 hash = pkt.get_hash();
        int rc = dp_upcall(dp, pkt, key, uapi::OVS_PACKET_CMD_MISS, dp_miss_portid(dp, key, hash), nullptr);
        if (rc) {
            dp_count(dp, &DpPerCpuStats::n_lost);
            ovsdp_skb_free(pkt.release());
        } else {
            ovsdp_skb_consume(pkt.release());
        }
        return;
    }
    const FlowActions* acts = flow_actions(flow);
    // Upstream hashes every packet at lookup (skb_get_hash); only a userspace
    // action shows the hash (OVS_PACKET_ATTR_HASH), so only then take it here,
    // before the actions change the packet.
    if (OVSDP_UNLIKELY(acts->flags & kFlowActionsUpcall))
        pkt.get_hash();
    KernelEnv env(dp);
    execute_actions(env, move(pkt), key, acts->data, acts->len);
}

} // namespace ovsdp
