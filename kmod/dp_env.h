// SPDX-License-Identifier: GPL-2.0
// The kernel host of the packet path (datapath/packet_path.h, DpHost): skbs
// as packets, vports' devices and genetlink sockets through kmod/'s C
// functions. Included into kmod/core.cpp through kmod/receive.cpp.
#pragma once

#include "datapath/packet_path.h"
#include "kmod/skb_packet.h"
#include "platform/netdev.h"
#include "platform/skb.h"
#include "platform/skb_ops.h"

namespace ovsdp {

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
    bool packet_from_bytes(ConstBytes b, Vport* in, void* storage)
    {
        void* skb = ovsdp_skb_from_data(b.data(), static_cast<u32>(b.size()), in ? in->dev : nullptr);
        if (!skb)
            return false;
        new (storage) SkbPacket(skb);
        return true;
    }
    void set_input_port(SkbPacket& pkt, Vport* in) { ovsdp_skb_set_dev(pkt.skb(), in->dev); }
    int set_tunnel(SkbPacket& pkt, const ovsdp_tunnel& t, const u8* opts)
    {
        return ovsdp_skb_set_tunnel(pkt.skb(), &t, opts);
    }
    int egress_tunnel(Vport* v, SkbPacket& pkt, ovsdp_tunnel* t, u8* opts, u32 cap)
    {
        return ovsdp_skb_egress_tunnel(v->dev, pkt.skb(), t, opts, cap);
    }
    // Conntrack (kmod/conntrack.c). The ct action is refused at validation
    // while ovsdp_ct_enabled() says no, so it never gets here yet.
    int ct(SkbPacket&, FlowKey&, const ovsdp_ct_action&, void*) { return -err::OPNOTSUPP; }
    void ct_clear(SkbPacket& pkt) { ovsdp_skb_ct_clear(pkt.skb()); }
    u32 random_u32() { return ovsdp_get_random_u32(); }
    void bh_disable() { ovsdp_local_bh_disable(); }
    void bh_enable() { ovsdp_local_bh_enable(); }
    void preempt_disable() { ovsdp_preempt_disable(); }
    void preempt_enable() { ovsdp_preempt_enable(); }
};

static_assert(DpHost<KernelHost>);

} // namespace ovsdp
