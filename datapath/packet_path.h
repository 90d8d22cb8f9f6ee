// SPDX-License-Identifier: GPL-2.0
// The datapath's packet path (upstream's ovs_vport_receive,
// ovs_dp_process_packet, ovs_dp_upcall and the datapath side of actions.c):
// a packet received on a vport is keyed and looked up; a hit runs the flow's
// actions, a miss goes to userspace. Written once, over a host (DpHost below)
// that owns packets and talks to devices and sockets: kmod/dp_env.h is the
// kernel's, platform/user/user_host.h the userspace tests' and fuzzers'.
//
// Context: softirq, or BH disabled (EXECUTE), under rcu_read_lock.
#pragma once

#include "actions/actions.h"
#include "actions/tunnel_shim.h"
#include "datapath/datapath.h"
#include "flow/flow_extract.h"
#include "flow_netlink/flow_actions.h"
#include "flow_netlink/flow_netlink.h"
#include "platform/skb.h"
#include "platform/skb_ops.h"

namespace ovsdp {

// What the packet path needs of a packet beyond the action engine's
// MutablePacket: the state it was received with, and its MRU.
//
//   u32 hash() const;             the flow hash it arrived with, 0 if none
//                                 (the mask cache then hashes the key)
//   u32 mark_at_load() const;     skb->mark and skb->priority on arrival
//   u32 priority_at_load() const;
//   void set_mru(u16 mru);        the OVS control block's MRU (0: none)
template <typename P>
concept DpPacket = MutablePacket<P> && requires(P& p, const P& cp, u16 mru) {
    { cp.hash() } -> SameAs<u32>;
    { cp.mark_at_load() } -> SameAs<u32>;
    { cp.priority_at_load() } -> SameAs<u32>;
    p.set_mru(mru);
};

// One upcall as the host sends it: a genl message of the packet family,
// command `cmd`, to `portid` in `net`, whose attributes (at most `attrs_len`
// bytes) the core writes into the message the host reserved, followed by
// OVS_PACKET_ATTR_PACKET (the packet's first `cutlen` bytes; 0: all), which
// the host appends. `unaligned`: the datapath has OVS_DP_F_UNALIGNED (the
// packet may go by reference, unpadded).
struct UpcallMessage {
    void* net;
    u32 portid;
    u8 cmd;
    int dp_ifindex;
    u32 attrs_len;
    u32 cutlen;
    bool unaligned;
};

// What a host's for_each_segment is checked with (DpHost).
struct SegmentVisitorArchetype {
    template <typename P>
    int operator()(P& seg, bool first) const;
};

// The host: what the packet path does outside the core. Each call is made
// in the packet path's context (BH off, RCU) unless noted.
//
//   using Packet = ...;                        its packet handle (DpPacket)
//   ActionState<Packet>& action_state();       this CPU's engine state
//   bool clone(Packet& pkt, void* storage);    skb_clone(GFP_ATOMIC): a new
//       handle placement-constructed in storage sharing pkt's data; false
//       when memory is short. (The packet path puts back cutlen and MRU.)
//   void consume(Packet&& pkt);                consume_skb(): done with it
//   void drop(Packet&& pkt);                   kfree_skb(): dropped
//   void transmit(Vport* v, Packet&& pkt, u8 mac_proto);
//       ovs_vport_send() on v's device. Takes ownership.
//   void transmit_mru(Vport* v, Packet&& pkt, u8 mac_proto, be16 eth_type);
//       the same for a packet with an MRU: fragmented to it (IPv4, IPv6)
//       or dropped, as upstream's ovs_fragment(). Takes ownership.
//   int upcall_begin(const UpcallMessage& m, Packet& pkt, ovsdp_upcall_msg* u);
//       reserve the message for pkt (a packet or one GSO segment): its
//       headers, m.attrs_len bytes at u->attrs for the core's attributes and
//       room for the packet (VLAN tag inside, checksum complete). The packet
//       stays the caller's. 0 or -errno.
//   int upcall_commit(const UpcallMessage& m, ovsdp_upcall_msg* u, u32 attrs_len);
//       append OVS_PACKET_ATTR_PACKET after attrs_len bytes of attributes and
//       unicast the message. 0 or -errno.
//   void upcall_cancel(ovsdp_upcall_msg* u);   free a reserved message
//   int for_each_segment(Packet& pkt, F&& f);
//       f(Packet& seg, bool first) for each segment of a GSO packet, in order
//       (after a failure the rest are only freed), else f(pkt, true). The
//       first failure, or 0.
//   bool packet_from_bytes(ConstBytes b, Vport* in, void* storage, void* msg);
//       a new packet holding b's bytes, received on in's device (none yet
//       if in is nullptr), in storage (process context, EXECUTE); false
//       when memory is short. b lies in the request message `msg`
//       (ovsdp_request::msg, or null): the host may share that message's
//       buffer instead of copying (the kernel clones the request's skb).
//   void set_input_port(Packet& pkt, Vport* in);
//       the packet was received on in's device (EXECUTE, under RCU).
//   void set_tunnel_dst(Packet& pkt, void* dst);
//       set(tunnel): the packet's metadata becomes a new reference to `dst`,
//       made by ovsdp_tunnel_dst_create() when the actions were validated.
//   int rx_tunnel(Vport* in, Packet& pkt, const void* info, ovsdp_tunnel* t, u8* opts);
//       pkt arrived on `in` with the host's tunnel metadata `info` (non-null,
//       what the entry point was given): 1 with *t and t->options_len (at
//       most 255) bytes at opts filled; 0 when in's device is in another
//       namespace than the datapath, the host having scrubbed the packet
//       (no tunnel, dst or connection left; mark kept), as upstream's
//       ovs_vport_receive.
//   int egress_tunnel(Vport* v, Packet& pkt, ovsdp_tunnel* t, u8* opts, u32 cap);
//       the egress tunnel of pkt out of v (a tunnel port), as
//       dev_fill_metadata_dst(); -errno when v cannot tell one.
//   int ct(Packet& pkt, FlowKey& key, const ovsdp_ct_action& act, void* net);
//       the ct action in namespace net (ActionEnv::ct()): 0, -EINPROGRESS
//       (the host kept the packet; pkt left empty) or -errno (drop it).
//   void ct_clear(Packet& pkt);                no connection on the packet
//   void ct_fill_rx(Packet& pkt, FlowKey& key); at receive, for a packet that
//       carried a connection (pkt.ct_at_load()): key.ct from it
//   u32 random_u32();
//   u64 now_ns();                              monotonic nanoseconds (ktime),
//       the meters' clock
//   void bh_disable(); void bh_enable();       local_bh_*() (EXECUTE and its
//   void preempt_disable(); void preempt_enable();  breathing)
template <typename H>
concept DpHost = DpPacket<typename H::Packet> &&
    requires(H& h, typename H::Packet& pkt, Vport* v, void* storage, u8 mac_proto, be16 eth_type,
             const UpcallMessage& msg, ovsdp_upcall_msg* umsg, ConstBytes bytes, const ovsdp_tunnel& tun,
             ovsdp_tunnel* tun_out, const u8* opts, u8* opts_out, u32 cap, FlowKey& key,
             const ovsdp_ct_action& ct) {
        { h.action_state() } -> SameAs<ActionState<typename H::Packet>&>;
        { h.clone(pkt, storage) } -> SameAs<bool>;
        h.consume(static_cast<typename H::Packet&&>(pkt));
        h.drop(static_cast<typename H::Packet&&>(pkt));
        h.transmit(v, static_cast<typename H::Packet&&>(pkt), mac_proto);
        h.transmit_mru(v, static_cast<typename H::Packet&&>(pkt), mac_proto, eth_type);
        { h.upcall_begin(msg, pkt, umsg) } -> SameAs<int>;
        { h.upcall_commit(msg, umsg, cap) } -> SameAs<int>;
        h.upcall_cancel(umsg);
        { h.for_each_segment(pkt, SegmentVisitorArchetype {}) } -> SameAs<int>;
        { h.packet_from_bytes(bytes, v, storage, storage) } -> SameAs<bool>;
        h.set_input_port(pkt, v);
        h.set_tunnel_dst(pkt, storage);
        { h.rx_tunnel(v, pkt, storage, tun_out, opts_out) } -> SameAs<int>;
        { h.egress_tunnel(v, pkt, tun_out, opts_out, cap) } -> SameAs<int>;
        { h.ct(pkt, key, ct, storage) } -> SameAs<int>;
        h.ct_clear(pkt);
        h.ct_fill_rx(pkt, key);
        { h.random_u32() } -> SameAs<u32>;
        { h.now_ns() } -> SameAs<u64>;
        h.bh_disable();
        h.bh_enable();
        h.preempt_disable();
        h.preempt_enable();
    };

inline DpPerCpuStats* dp_this_cpu_stats(Datapath* dp)
{
    return static_cast<DpPerCpuStats*>(ovsdp_this_cpu_ptr(dp->stats_percpu));
}

// Bump one of this CPU's datapath counters (only this CPU writes it).
inline void dp_count(Datapath* dp, u64 DpPerCpuStats::*counter, u64 n = 1)
{
    DpPerCpuStats* s = dp_this_cpu_stats(dp);
    write_once(s->*counter, s->*counter + n);
}

// The hash that picks a packet's mask cache entry when the skb carries none.
// Upstream computes skb_get_hash() for every packet (flow dissector + siphash,
// ~300 instructions); the key is already extracted, so mix its flow fields
// instead (~25 instructions). Only a hint for the cache: a collision costs a
// probe, never a wrong match. recirc_id is left out: the table mixes it in.
inline u32 mask_cache_hash(const FlowKey& key)
{
    auto word = [&](usize off) {
        u64 v;
        __builtin_memcpy(&v, reinterpret_cast<const u8*>(&key.ipv4) + off, sizeof(v));
        return v;
    };
    u64 h = 0x9e3779b97f4a7c15ULL;
    auto mix = [&](u64 v) {
        h = (h ^ v) * 0xff51afd7ed558ccdULL;
        h ^= h >> 29;
    };
    mix(u64(key.in_port) | u64(key.eth.type) << 16 | u64(key.tp.src) << 32 | u64(key.tp.dst) << 48);
    mix(word(0) ^ key.ip.proto);
    if (key.eth.type == htons(kEthPIpv6)) {
        mix(word(8));
        mix(word(16));
        mix(word(24));
    }
    return static_cast<u32>(h ^ (h >> 32));
}

// The counting around a lookup in ovs_dp_process_packet: the masks and cache
// hits it took, then a hit (the flow's per-NUMA stats updated with a packet
// of `len` bytes) or, with `flow` null, a miss.
OVSDP_ALWAYS_INLINE void dp_count_lookup(Datapath* dp, Flow* flow, const FlowKey& key, u32 len, u32 n_mask_hit,
                                         u32 n_cache_hit)
{
    DpPerCpuStats* s = dp_this_cpu_stats(dp);
    write_once(s->n_mask_hit, s->n_mask_hit + n_mask_hit);
    write_once(s->n_cache_hit, s->n_cache_hit + n_cache_hit);
    if (OVSDP_UNLIKELY(!flow)) {
        write_once(s->n_missed, s->n_missed + 1);
        return;
    }
    write_once(s->n_hit, s->n_hit + 1);
    flow->stats.update(key.tp.flags, len);
}

// Upstream's ovs_flow_tbl_lookup_stats plus the counting around it in
// ovs_dp_process_packet: the flow for `key` or nullptr, counted as above.
// `skb_hash` selects the mask cache entry.
inline Flow* dp_lookup_count(Datapath* dp, const FlowKey& key, u32 skb_hash, u32 len)
{
    u32 n_mask_hit = 0;
    u32 n_cache_hit = 0;
    Flow* flow = dp->table.lookup(key, skb_hash, &n_mask_hit, &n_cache_hit);
    dp_count_lookup(dp, flow, key, len, n_mask_hit, n_cache_hit);
    return flow;
}

// The port id a miss from `key`'s input port goes to: this CPU's with per-CPU
// dispatch, else one of the input vport's by the packet's flow hash. Out of
// line: the miss path's.
inline OVSDP_NOINLINE u32 dp_miss_portid(Datapath* dp, const FlowKey& key, u32 hash)
{
    if (dp->user_features & uapi::kDpFDispatchUpcallPerCpu)
        return dp_upcall_pid_for_cpu(dp, static_cast<u32>(ovsdp_smp_processor_id()));
    Vport* in = dp_lookup_vport(dp, key.in_port);
    return in ? vport_find_upcall_pid(in, hash) : 0;
}

// One upcall message for `pkt`: reserved by the host, its attributes written
// in place by write(NlWriter&), sent.
template <DpHost H, typename Write>
int dp_upcall_one(H& host, const UpcallMessage& m, typename H::Packet& pkt, const Write& write)
{
    ovsdp_upcall_msg u;
    if (int rc = host.upcall_begin(m, pkt, &u))
        return rc;
    NlWriter w(u.attrs, u.attrs_room);
    write(w);
    if (OVSDP_UNLIKELY(w.overflowed())) {
        host.upcall_cancel(&u);
        return -err::MSGSIZE;
    }
    return host.upcall_commit(m, &u, static_cast<u32>(w.size()));
}

// A segment after the first of a UDP GSO packet (UFO) goes up as a later
// fragment, without L4 fields (upstream's queue_gso_packets). Out of line:
// the key copy stays off the common upcall's stack.
template <DpHost H, typename Write>
OVSDP_NOINLINE int dp_upcall_later_fragment(H& host, const UpcallMessage& m, typename H::Packet& seg,
                                            const FlowKey& key, const Write& write)
{
    FlowKey later = key;
    later.ip.frag = kFragLater;
    return dp_upcall_one(host, m, seg, [&](NlWriter& w) { write(w, later); });
}

// Upstream's ovs_dp_upcall / queue_userspace_packet: send the packet and its
// key (and for a userspace action, `req`, its userdata, actions and egress
// tunnel) to `portid`, written straight into the message the host reserves:
// OVS_PACKET_CMD_ACTION with `req`, OVS_PACKET_CMD_MISS without. The packet
// stays the caller's. 0 or -errno; the caller counts a failure as lost. Kept
// out of line: it is the miss path's, and its stack frame (a tunnel's
// options) stays off the hit path's.
template <DpHost H>
OVSDP_NOINLINE int dp_upcall(H& host, Datapath* dp, typename H::Packet& pkt, const FlowKey& key, u32 portid,
                             const UpcallRequest* req)
{
    u8 cmd = req ? uapi::OVS_PACKET_CMD_ACTION : uapi::OVS_PACKET_CMD_MISS;
    if (!portid)
        return -err::NOTCONN;
    // Room for the key: its largest form, less the tunnel's when the key has
    // none (the message then fits a smaller allocation, all of which the
    // kernel zeroes under init_on_alloc).
    usize key_room = key.tun_key.ip_family ? flow_key_attr_size() : flow_key_attr_size_without_tunnel();
    usize cap = nla_total_size(key_room) + nla_total_size(sizeof(u64)) + 2 * nla_total_size(4);
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
        if (v && host.egress_tunnel(v, pkt, &egress, egress_opts, sizeof(egress_opts)) == 0) {
            has_egress = true;
            cap += nla_total_size(tunnel_key_attr_size());
        }
    }
    u32 cut = req ? req->cutlen : kNoCut;
    // The attributes of every message: those of the packet as it is (a GSO
    // packet's segments share them), with `k` as the key.
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
    UpcallMessage msg { dp->net, portid, cmd, dp_ifindex(dp), static_cast<u32>(cap), cut == kNoCut ? 0 : cut,
                        (dp->user_features & uapi::kDpFUnaligned) != 0 };
    bool ufo = pkt.gso_udp();
    return host.for_each_segment(pkt, [&](typename H::Packet& seg, bool first) {
        if (OVSDP_UNLIKELY(ufo && !first))
            return dp_upcall_later_fragment(host, msg, seg, key, write_attrs);
        return dp_upcall_one(host, msg, seg, [&](NlWriter& w) { write_attrs(w, key); });
    });
}

template <DpHost H>
void dp_process_packet(H& host, Datapath* dp, typename H::Packet&& pkt, FlowKey& key);

// The action engine's environment (actions/actions.h, ActionEnv) over a host:
// output to vports, upcalls, recirculation back into the datapath.
template <DpHost H>
class DpActionEnv {
public:
    using P = typename H::Packet;

    // `breathes`: EXECUTE, in process context with preemption disabled, may
    // let softirqs run between outputs (ActionEnv::breathe()).
    DpActionEnv(H& host, Datapath* dp, bool breathes = false) : host_(host), dp_(dp), breathes_(breathes) {}

    ActionState<P>& action_state() { return host_.action_state(); }
    // The clone keeps the pending cut and the MRU, as upstream's clones do
    // (skb_clone copies the OVS control block).
    bool clone(P& pkt, void* storage)
    {
        u32 cut = pkt.cutlen();
        u16 mru = pkt.mru();
        if (OVSDP_UNLIKELY(!host_.clone(pkt, storage)))
            return false;
        P* c = static_cast<P*>(storage);
        c->set_cutlen(cut);
        if (mru)
            c->set_mru(mru);
        return true;
    }
    void consume(P&& pkt) { host_.consume(move(pkt)); }
    void drop(P&& pkt, int) { host_.drop(move(pkt)); }
    // upstream's do_output(): the engine has applied a pending trunc already.
    void output(P&& pkt, u32 port, const FlowKey& key)
    {
        Vport* vport = dp_lookup_vport(dp_, port);
        if (OVSDP_UNLIKELY(!vport || read_once(vport->detached))) {
            host_.drop(move(pkt));
            return;
        }
        if (OVSDP_UNLIKELY(pkt.mru()))
            host_.transmit_mru(vport, move(pkt), act::key_mac_proto(key), key.eth.type);
        else
            host_.transmit(vport, move(pkt), act::key_mac_proto(key));
    }
    int upcall(P& pkt, const FlowKey& key, const UpcallRequest& req)
    {
        u32 portid = dp_->user_features & uapi::kDpFDispatchUpcallPerCpu
            ? dp_upcall_pid_for_cpu(dp_, static_cast<u32>(ovsdp_smp_processor_id()))
            : req.portid;
        int rc = dp_upcall(host_, dp_, pkt, key, portid, &req);
        if (rc)
            dp_count(dp_, &DpPerCpuStats::n_lost);
        return rc;
    }
    void recirc(P&& pkt, FlowKey& key) { dp_process_packet(host_, dp_, move(pkt), key); }
    bool meter(P& pkt, const FlowKey&, u32 id)
    {
        return meter_execute(dp_->meters, id, static_cast<u32>(pkt.len()), host_.now_ns());
    }
    // set(tunnel): the tunnel rides on the packet as metadata (the key is
    // left alone, as upstream: a recirculation keeps the tunnel the packet
    // came in on in its key, and the set one on the packet).
    int set_tunnel_info(P& pkt, ConstBytes info)
    {
        void* dst;
        if (OVSDP_UNLIKELY(info.size() < sizeof(ActionTunnelInfo)))
            return -err::INVAL;
        __builtin_memcpy(&dst, info.data() + OVSDP_OFFSETOF(ActionTunnelInfo, dst), sizeof(dst));
        host_.set_tunnel_dst(pkt, dst);
        return 0;
    }
    int ct(P& pkt, FlowKey& key, const ovsdp_ct_action& act) { return host_.ct(pkt, key, act, dp_->net); }
    // Upstream's ovs_ct_clear(): untracked, and the key says so.
    void ct_clear(P& pkt, FlowKey& key)
    {
        host_.ct_clear(pkt);
        key.ct = FlowKeyCt {};
    }
    u32 random_u32() { return host_.random_u32(); }
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
        host_.bh_enable();
        host_.bh_disable();
    }

private:
    H& host_;
    Datapath* dp_;
    bool breathes_;
};

// A hit, counted: the flow's actions on the packet.
template <DpHost H>
OVSDP_ALWAYS_INLINE void dp_run_flow(H& host, Datapath* dp, typename H::Packet&& pkt, FlowKey& key,
                                     const FlowActions* acts)
{
    // Upstream hashes every packet at lookup (skb_get_hash); only a userspace
    // action shows the hash (OVS_PACKET_ATTR_HASH), so only then take it here,
    // before the actions change the packet.
    if (OVSDP_UNLIKELY(acts->flags & kFlowActionsUpcall))
        pkt.get_hash();
    DpActionEnv<H> env(host, dp);
    execute_actions(env, move(pkt), key, acts->data, acts->len);
}

// Upstream's ovs_dp_process_packet: look the key up; a hit counts in the
// flow's per-NUMA stats and runs its actions, a miss goes to userspace.
template <DpHost H>
void dp_process_packet(H& host, Datapath* dp, typename H::Packet&& pkt, FlowKey& key)
{
    u32 cache_hash = pkt.hash() ? pkt.hash() : mask_cache_hash(key);
    Flow* flow = dp_lookup_count(dp, key, cache_hash, static_cast<u32>(pkt.len()));
    if (OVSDP_UNLIKELY(!flow)) {
        // The upcall PID is chosen by the packet's own flow hash, as upstream;
        // computing it also gives the upcall its hash.
        u32 hash = pkt.get_hash();
        int rc = dp_upcall(host, dp, pkt, key, dp_miss_portid(dp, key, hash), nullptr);
        if (rc) {
            dp_count(dp, &DpPerCpuStats::n_lost);
            host.drop(move(pkt));
        } else {
            host.consume(move(pkt));
        }
        return;
    }
    dp_run_flow(host, dp, move(pkt), key, flow_actions(flow));
}

// The tunnel of a packet received with metadata `info` into key's tunnel
// fields (tun_key, tun_opts_len, the options right-aligned in tun_opts), as
// upstream's ovs_flow_key_extract copies ip_tunnel_info: false, key
// untouched, when the host dropped the metadata (another namespace). Out of
// line: the no-tunnel receive path keeps its frame.
template <DpHost H>
OVSDP_NOINLINE bool dp_rx_tunnel(H& host, Vport* vport, typename H::Packet& pkt, const void* info, FlowKey& key)
{
    ovsdp_tunnel t;
    u8 opts[kTunOptsMax];
    if (host.rx_tunnel(vport, pkt, info, &t, opts) <= 0)
        return false;
    key.tun_key = tunnel_from_shim(t);
    key.tun_opts_len = t.options_len;
    if (t.options_len)
        __builtin_memcpy(key.tun_opts + FlowKey::tun_opts_offset(t.options_len), opts, t.options_len);
    return true;
}

// The rest of upstream's ovs_vport_receive once the key's tunnel is known
// (md.tunnel_in_key): key the packet with the port's metadata and process
// it; a packet that cannot be keyed is dropped.
// The port's part of a received packet's metadata: its number, and the
// packet's skb->priority and skb->mark on arrival (a packet or a view).
template <typename P>
OVSDP_ALWAYS_INLINE void dp_receive_metadata(FlowKeyMetadata& md, const Vport* vport, const P& pkt)
{
    md.in_port = static_cast<u16>(vport->port_no);
    md.priority = pkt.priority_at_load();
    md.skb_mark = pkt.mark_at_load();
}

template <DpHost H>
OVSDP_ALWAYS_INLINE void dp_vport_receive_keyed(H& host, Vport* vport, typename H::Packet&& pkt, FlowKeyMetadata& md,
                                                FlowKey& key)
{
    dp_receive_metadata(md, vport, pkt);
    if (OVSDP_UNLIKELY(key_extract_with_metadata(pkt, md, key).is_error())) {
        host.drop(move(pkt));
        return;
    }
    // A connection already on the packet (the host stack tracked it before
    // an internal port or a veth handed it over): upstream's ovs_ct_fill_key().
    if (OVSDP_UNLIKELY(pkt.ct_at_load()))
        host.ct_fill_rx(pkt, key);
    dp_process_packet(host, vport->dp, move(pkt), key);
}

// Receive with tunnel metadata. Out of line, with its own key: the common
// path's key stays untouched until extraction, so its stores are not
// repeated for the tunnel fields.
template <DpHost H>
OVSDP_NOINLINE void dp_vport_receive_tunnel(H& host, Vport* vport, typename H::Packet&& pkt, const void* tun_info)
{
    FlowKey key;
    FlowKeyMetadata md;
    md.tunnel_in_key = dp_rx_tunnel(host, vport, pkt, tun_info, key);
    dp_vport_receive_keyed(host, vport, move(pkt), md, key);
}

// Upstream's ovs_vport_receive: a packet arrived on `vport`, with the host's
// tunnel metadata `tun_info` (null: none). Takes ownership. Inlined into the
// host's entry point, as upstream's is.
template <DpHost H>
OVSDP_ALWAYS_INLINE void dp_vport_receive(H& host, Vport* vport, typename H::Packet&& pkt,
                                          const void* tun_info = nullptr)
{
    if (OVSDP_UNLIKELY(tun_info != nullptr)) {
        dp_vport_receive_tunnel(host, vport, move(pkt), tun_info);
        return;
    }
    // Not zeroed at entry (-ftrivial-auto-var-init=zero would clear all 496
    // bytes per packet): key_extract_with_metadata() writes every byte but
    // the tunnel option bytes, which, as upstream's, only count under a mask
    // that also covers tun_opts_len.
    OVSDP_UNINITIALIZED FlowKey key;
    FlowKeyMetadata md;
    dp_vport_receive_keyed(host, vport, move(pkt), md, key);
}

// dp_vport_receive() for a packet someone else still holds (the kernel's
// shared skbs: pktgen, or any sender that keeps a reference), seen through
// a read-only view V (flow/packet.h's Packet plus failed(), hash(),
// mark_at_load(), priority_at_load() and apply_headers(H::Packet&)).
// Upstream clones every such packet before keying it (skb_share_check());
// here the copy is made only when the flow's actions need the packet:
// - the key cannot be extracted without writing to the packet, or it misses:
//   kSharedNotHandled, nothing counted; the caller makes the packet its own
//   and calls dp_vport_receive();
// - it hits a flow whose action list is empty (a drop flow): counted as
//   dp_process_packet() counts a hit, then done() (the caller drops its
//   reference, as the copy's consume would have); kSharedDropped;
// - it hits any other flow: counted, then unshare(storage) places the
//   host's own copy of the packet (data at the mac header) in storage, or
//   returns false when memory is short (the packet is gone); the view's
//   header writes are replayed onto it and the flow's actions run with the
//   key and flow already found; kSharedCopied.
enum SharedReceive { kSharedNotHandled = 0, kSharedDropped = 1, kSharedCopied = 2 };

template <DpHost H, typename V, typename Unshare, typename Done>
SharedReceive dp_vport_receive_shared(H& host, Vport* vport, V& view, Unshare&& unshare, Done&& done)
{
    using P = typename H::Packet;
    FlowKeyMetadata md;
    dp_receive_metadata(md, vport, view);
    OVSDP_UNINITIALIZED FlowKey key; // as in dp_vport_receive()
    if (key_extract_with_metadata(view, md, key).is_error() || view.failed())
        return kSharedNotHandled;
    Datapath* dp = vport->dp;
    u32 n_mask_hit = 0;
    u32 n_cache_hit = 0;
    Flow* flow = dp->table.lookup(key, view.hash() ? view.hash() : mask_cache_hash(key), &n_mask_hit, &n_cache_hit);
    // A miss is counted when the usual path looks the packet up again.
    if (OVSDP_UNLIKELY(!flow))
        return kSharedNotHandled;
    dp_count_lookup(dp, flow, key, static_cast<u32>(view.len()), n_mask_hit, n_cache_hit);
    const FlowActions* acts = flow_actions(flow);
    if (acts->len == 0) {
        done();
        return kSharedDropped;
    }
    alignas(P) OVSDP_UNINITIALIZED u8 storage[sizeof(P)];
    if (OVSDP_UNLIKELY(!unshare(static_cast<void*>(storage))))
        return kSharedCopied;
    P& pkt = *reinterpret_cast<P*>(storage);
    view.apply_headers(pkt);
    dp_run_flow(host, dp, move(pkt), key, acts);
    pkt.~P();
    return kSharedCopied;
}

} // namespace ovsdp
