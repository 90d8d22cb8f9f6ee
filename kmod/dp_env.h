// SPDX-License-Identifier: GPL-2.0
// The kernel host of the packet path (datapath/packet_path.h, DpHost): skbs
// as packets, vports' devices and genetlink sockets through kmod/'s C
// functions. Included into kmod/core.cpp through kmod/receive.cpp.
#pragma once

#include "datapath/packet_path.h"
#include "kmod/skb_packet.h"
#include "platform/conntrack.h"
#include "platform/netdev.h"
#include "platform/skb.h"
#include "platform/skb_ops.h"

namespace ovsdp {

// An IPv6 neighbour solicitation or advertisement: no conntrack original
// tuple in its key (upstream's sw_flow_key_is_nd()).
inline u8 ct_key_is_nd(const FlowKey& key)
{
    return key.eth.type == htons(kEthPIpv6) && key.ip.proto == kIpProtoIcmpv6
        && (key.tp.src == htons(wire::kNdNeighbourSolicitation) || key.tp.src == htons(wire::kNdNeighbourAdvertisement))
        && !key.tp.dst;
}

// Per-CPU engine state, allocated at module load (ovsdp_core_init).
constinit ActionState<SkbPacket>* g_action_state = nullptr;

class KernelHost {
public:
    using Packet = SkbPacket;

    ActionState<SkbPacket>& action_state()
    {
        return *static_cast<ActionState<SkbPacket>*>(ovsdp_this_cpu_ptr(g_action_state));
    }
    bool clone(SkbPacket& pkt, void* storage)
    {
        void* c = ovsdp_skb_clone(pkt.skb());
        if (!c)
            return false;
        new (storage) SkbPacket(c);
        return true;
    }
    void consume(SkbPacket&& pkt) { ovsdp_skb_consume(pkt.release()); }
    void drop(SkbPacket&& pkt) { ovsdp_skb_free(pkt.release()); }
    void transmit(Vport* v, SkbPacket&& pkt, u8 mac_proto) { ovsdp_vport_send(v->dev, v->type, pkt.release(), mac_proto); }
    void transmit_mru(Vport* v, SkbPacket&& pkt, u8 mac_proto, be16 eth_type)
    {
        ovsdp_vport_send_mru(v->dev, v->type, pkt.release(), mac_proto, eth_type);
    }
    int upcall_begin(const UpcallMessage& m, SkbPacket& pkt, ovsdp_upcall_msg* u)
    {
        return ovsdp_upcall_begin(m.cmd, m.dp_ifindex, pkt.skb(), m.cutlen, m.attrs_len, m.unaligned, u);
    }
    int upcall_commit(const UpcallMessage& m, ovsdp_upcall_msg* u, u32 attrs_len)
    {
        return ovsdp_upcall_commit(m.net, m.portid, u, attrs_len);
    }
    void upcall_cancel(ovsdp_upcall_msg* u) { ovsdp_upcall_cancel(u); }
    template <typename F>
    OVSDP_ALWAYS_INLINE int for_each_segment(SkbPacket& pkt, F&& f)
    {
        int err;
        void* segs = ovsdp_skb_gso_segment(pkt.skb(), &err);
        if (OVSDP_LIKELY(!segs))
            return err ? err : f(pkt, true);
        for (void* s = segs; s;) {
            void* next = ovsdp_skb_next(s);
            SkbPacket seg(s);
            if (!err)
                err = f(seg, s == segs);
            ovsdp_skb_free(seg.release());
            s = next;
        }
        return err;
    }
    bool packet_from_bytes(ConstBytes b, Vport* in, void* storage, void* msg)
    {
        void* skb = ovsdp_skb_from_data(b.data(), static_cast<u32>(b.size()), in ? in->dev : nullptr, msg);
        if (!skb)
            return false;
        new (storage) SkbPacket(skb);
        return true;
    }
    void set_input_port(SkbPacket& pkt, Vport* in) { ovsdp_skb_set_dev(pkt.skb(), in->dev); }
    void set_tunnel_dst(SkbPacket& pkt, void* dst) { ovsdp_skb_set_tunnel_dst(pkt.skb(), dst); }
    int rx_tunnel(Vport* in, SkbPacket& pkt, const void* info, ovsdp_tunnel* t, u8* opts)
    {
        return ovsdp_skb_rx_tunnel(pkt.skb(), info, in->dp->net, t, opts);
    }
    int egress_tunnel(Vport* v, SkbPacket& pkt, ovsdp_tunnel* t, u8* opts, u32 cap)
    {
        return ovsdp_skb_egress_tunnel(v->dev, pkt.skb(), t, opts, cap);
    }
    // Conntrack (kmod/conntrack.c): the key's ct fields are written there
    // as a struct ovsdp_ct_key.
    int ct(SkbPacket& pkt, FlowKey& key, const ovsdp_ct_action& act, void* net)
    {
        ovsdp_ct_pkt info { key.eth.type, key.ip.frag, ct_key_is_nd(key), 0, 0, 0 };
        int rc = ovsdp_ct_execute(pkt.skb(), net, &act, &info, reinterpret_cast<ovsdp_ct_key*>(&key.ct));
        if (OVSDP_UNLIKELY(info.stolen)) {
            pkt.release(); // kept for reassembly (-EINPROGRESS) or freed
            return rc;
        }
        pkt.refresh();
        // NAT rewrote addresses or ports, or a fragment became its whole
        // datagram: the key follows the packet (upstream's
        // ovs_nat_update_key(), ovs_flow_key_update_l3l4()); its ct fields
        // stay, and a reassembled datagram is not a fragment.
        if (rc == 0 && (info.nat_done | info.reassembled)) {
            if (key_extract(pkt, key).is_error())
                return -err::INVAL;
            if (info.reassembled)
                key.ip.frag = kFragNone;
        }
        return rc;
    }
    void ct_clear(SkbPacket& pkt) { ovsdp_skb_ct_clear(pkt.skb()); }
    OVSDP_NOINLINE void ct_fill_rx(SkbPacket& pkt, FlowKey& key)
    {
        ovsdp_ct_pkt info { key.eth.type, key.ip.frag, ct_key_is_nd(key), 0, 0, 0 };
        ovsdp_ct_fill_key_rx(pkt.skb(), &info, reinterpret_cast<ovsdp_ct_key*>(&key.ct));
    }
    u32 random_u32() { return ovsdp_get_random_u32(); }
    u64 now_ns() { return ovsdp_ktime_get_ns(); }
    void bh_disable() { ovsdp_local_bh_disable(); }
    void bh_enable() { ovsdp_local_bh_enable(); }
    void preempt_disable() { ovsdp_preempt_disable(); }
    void preempt_enable() { ovsdp_preempt_enable(); }
};

static_assert(DpHost<KernelHost>);

// kmod/conntrack.c writes FlowKeyCt through its C twin.
static_assert(sizeof(ovsdp_ct_key) == sizeof(FlowKeyCt) && OVSDP_OFFSETOF(ovsdp_ct_key, mark) == OVSDP_OFFSETOF(FlowKeyCt, mark)
    && OVSDP_OFFSETOF(ovsdp_ct_key, labels) == OVSDP_OFFSETOF(FlowKeyCt, labels)
    && OVSDP_OFFSETOF(ovsdp_ct_key, orig_tp_src) == OVSDP_OFFSETOF(FlowKeyCt, orig_tp_src)
    && OVSDP_OFFSETOF(ovsdp_ct_key, orig) == OVSDP_OFFSETOF(FlowKeyCt, orig)
    && OVSDP_OFFSETOF(ovsdp_ct_key, zone) == OVSDP_OFFSETOF(FlowKeyCt, zone));

} // namespace ovsdp
