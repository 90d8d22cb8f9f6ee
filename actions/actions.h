// SPDX-License-Identifier: GPL-2.0
// The action engine: executes a flow's validated action list on a packet
// (upstream's net/openvswitch/actions.c, ovs_execute_actions()).
//
//   template <MutablePacket P, ActionEnv<P> Env>
//   int execute_actions(Env& env, P&& pkt, FlowKey& key, const u8* actions, usize len);
//
// `actions` is a blob made by flow_netlink's copy_actions(): its internal
// forms (SET_TO_MASKED, set(tunnel) info, the sample/clone/check_pkt_len
// arguments) are documented in flow_netlink/flow_actions.h.
//
// Context: softirq or BH disabled, under rcu_read_lock (the action list and
// the per-CPU state must stay put). The packet is always consumed: output,
// handed to the environment, or freed; the return value (0 or a negative
// errno) only reports why a packet was dropped.
//
// Upstream semantics kept:
// - An output that is not the list's last action sends a clone; the last one
//   sends the packet itself. TRUNC sets a length cut applied by the next
//   output or userspace action, after which the cut is cleared. The cut is
//   kept as the number of bytes to keep (UINT32_MAX: none), as upstream
//   does since its fix of GSO upcall truncation; 6.1 kept the bytes to drop.
// - Nested action lists (sample, clone, check_pkt_len, dec_ttl's exception
//   actions) run on a clone of the packet, or on the packet itself when the
//   nesting action is last; on a copy of the flow key unless validation
//   found that they cannot change it ("exec"). Key copies come from a small
//   per-CPU pool (OVS_DEFERRED_ACTION_THRESHOLD); when it is exhausted the
//   nested list is deferred to a per-CPU FIFO drained after the top-level
//   list (DEFERRED_ACTION_FIFO_SIZE); when the FIFO is full the packet is
//   dropped.
// - RECIRC re-extracts an invalidated key, then re-enters the datapath
//   (Env::recirc) at once while a key copy is available, else via the FIFO.
//   Re-entry through recirculation or through ports that loop back into the
//   datapath is bounded by OVS_RECURSION_LIMIT (-ENETDOWN beyond it).
// - An error in a nested list drops the enclosing packets too, up to the top.
//
// Beyond upstream: a budget bounds the work one top-level execution (one
// received packet, one EXECUTE) can cause, whatever its action lists,
// recirculations and MRU say. Every action costs 1 unit; every packet it
// makes costs kBudgetPacketCost more: an output (each IP fragment it will
// leave as, at the packet's MRU), a userspace upcall, a recirculation, a
// clone for a nested list. kActionBudget allows 65,536 packets or about a
// million actions. Upstream has no bound: one 64 KB EXECUTE with a tiny MRU
// and 4,000 outputs emits 16 million fragments with BH off (minutes of CPU).
// What Open vSwitch sends stays far below it: a list carries at most ~8,190
// outputs (64 KB of attributes), so a flood of the largest list fits 8 times
// over, or a 64 KB reassembled datagram (45 fragments at a 1,500-byte MRU)
// flooded to 1,450 ports. When the budget runs out the action that would
// overspend it fails with -E2BIG, which ends its list and drops the enclosing
// packets like any error; whatever runs later in the same execution fails at
// its first action. Env::budget_exceeded() is told once per execution, and
// the top level returns -E2BIG. Cost: one subtraction per action.
// - When the environment allows it (EXECUTE, process context), the engine
//   lets pending softirqs run between outputs of the top-level list
//   (Env::breathe()), so other ports keep forwarding on this CPU while a
//   long list runs; only where no key copy or deferred action is pending,
//   and with the state of the list put aside, so that packets received
//   meanwhile run as top-level executions with budgets of their own.
//
// Unlike upstream, nested lists do not recurse on the C++ stack: the engine
// runs an explicit stack of frames kept in the per-CPU ActionState, bounded
// by validation's nesting limit per datapath re-entry level. Recirculation
// still re-enters through Env::recirc, bounded as upstream bounds it.
//
// Where 6.1 leaves a CHECKSUM_COMPLETE csum stale, the engine keeps it right
// (the bytes on the wire are the same): dec_ttl of IPv6, a port rewrite of
// UDP without checksum, any SCTP port rewrite, an IPv6 address rewrite no
// L4 checksum compensates, and trunc (pskb_trim_rcsum, not pskb_trim).
#pragma once

#include "actions/header_ops.h"
#include "actions/jhash.h"
#include "actions/packet_ops.h"
#include "actions/set_field.h"
#include "base/errno.h"
#include "base/netlink.h"
#include "base/new.h"
#include "base/ovs_abi.h"
#include "base/util.h"
#include "flow/flow_extract.h"
#include "flow/flow_key.h"
#include "flow_netlink/flow_actions.h"
#include "platform/platform.h"

namespace ovsdp {

inline constexpr int kRecursionLimit = 5; // OVS_RECURSION_LIMIT
inline constexpr int kDeferredActionThreshold = kRecursionLimit - 2; // OVS_DEFERRED_ACTION_THRESHOLD
inline constexpr u32 kDeferredFifoSize = 10; // DEFERRED_ACTION_FIFO_SIZE (holds one less)
// Deepest nesting of action lists below the top-level list: what
// flow_netlink's validation accepts (upstream's OVS_COPY_ACTIONS_MAX_DEPTH).
inline constexpr int kMaxActionNesting = static_cast<int>(kActionsMaxDepth);
// Frames for every re-entry level, each at most a top-level list plus its
// nesting.
inline constexpr u32 kActionFrameStackSize = kRecursionLimit * (kMaxActionNesting + 1);
inline constexpr u32 kNoCut = 0xffffffffu; // cutlen: keep the whole packet
// The amplification budget of one top-level execution (see above).
inline constexpr u32 kBudgetPacketCost = 16;
inline constexpr u32 kActionBudget = 65536 * kBudgetPacketCost;
// EXECUTE: pending softirqs run after every this many units of the top-level
// list (64 packets).
inline constexpr u32 kBreatheEvery = 64 * kBudgetPacketCost;
// One output of the largest packet at the smallest MRU (8 bytes a fragment)
// fits a whole budget: the top level's single-output shortcut skips the charge.
static_assert(1 + kBudgetPacketCost * (65536 / 8 + 1) < kActionBudget);

// What a USERSPACE action asks the environment to send (upstream's
// dp_upcall_info as output_userspace() fills it).
struct UpcallRequest {
    const NlAttr* userdata = nullptr; // OVS_USERSPACE_ATTR_USERDATA, whole attribute
    u32 portid = 0; // OVS_USERSPACE_ATTR_PID (per-CPU dispatch is the env's choice)
    bool has_egress_tun_port = false;
    u32 egress_tun_port = 0; // OVS_USERSPACE_ATTR_EGRESS_TUN_PORT
    const u8* actions = nullptr; // with OVS_USERSPACE_ATTR_ACTIONS: the list being run
    u32 actions_len = 0;
    u32 cutlen = kNoCut; // bytes of the packet to send; kNoCut: all
};

// Raw storage for one packet handle, constructed and destroyed explicitly,
// so that the per-CPU state is plain zeroed memory.
template <typename P>
class PacketSlot {
public:
    void* storage() { return bytes_; }
    P& get() { return *reinterpret_cast<P*>(bytes_); }
    void put(P&& p) { new (bytes_) P(move(p)); }
    void destroy() { get().~P(); }

private:
    alignas(P) u8 bytes_[sizeof(P)];
};

// One action list being executed.
template <typename P>
struct ActionFrame {
    const u8* pos; // next action
    const u8* list; // the whole list (for OVS_USERSPACE_ATTR_ACTIONS)
    u32 rem; // bytes from pos to the end of the list
    u32 list_len;
    FlowKey* key;
    bool has_pkt; // false once the packet was handed on
    bool owns_level; // runs on a key copy: leaving it leaves a level
    PacketSlot<P> pkt;
};

// A nested list or recirculation postponed to the end of the top-level list
// (upstream's struct deferred_action).
template <typename P>
struct DeferredAction {
    PacketSlot<P> pkt;
    const u8* actions; // nullptr: recirculation
    u32 actions_len;
    FlowKey key;
};

// Per-CPU engine state (upstream's action_fifos, flow_keys and
// exec_actions_level in one). Valid when zero-filled: allocate it with
// ovsdp_alloc_percpu() and reach it with the packet path's BH disabled.
template <typename P>
struct ActionState {
    int level; // exec_actions_level: datapath re-entry and key-copy depth
    u32 budget; // units left to the current top-level execution
    bool budget_exceeded; // it ran out (told to the Env once)
    u32 next_breath; // breathe when the budget falls below this
    u32 frame_top;
    u32 fifo_head;
    u32 fifo_tail;
    FlowKey keys[kDeferredActionThreshold];
    DeferredAction<P> fifo[kDeferredFifoSize];
    ActionFrame<P> frames[kActionFrameStackSize];
};

// The datapath around the engine: everything an action does outside the
// packet and the key. datapath/packet_path.h implements it (DpActionEnv) over
// the datapath, its vports and a host (the kernel's or the userspace one);
// the engine's own tests record the calls.
//
//   ActionState<P>& action_state();      this CPU's state (this_cpu_ptr; BH off)
//   bool clone(P& pkt, void* storage);   skb_clone(skb, GFP_ATOMIC), the new
//       handle placement-constructed in storage (sizeof(P), alignof(P));
//       false when memory is short. The clone starts with pkt's metadata
//       (cutlen, mru, mark, ... as skb_clone copies skb->cb).
//   void consume(P&& pkt);               consume_skb(): done with it
//   void drop(P&& pkt, int err);         kfree_skb(): dropped because of err
//   void output(P&& pkt, u32 port, const FlowKey& key);
//       upstream's do_output() after its truncation, which the engine has
//       done (the packet arrives cut, with cutlen() reset to kNoCut): look
//       the port up, check it is up, fragment to the MRU if needed,
//       ovs_vport_send() with the key's mac_proto; frees the packet when it
//       cannot send. Takes ownership.
//   int upcall(P& pkt, const FlowKey& key, const UpcallRequest& req);
//       ovs_dp_upcall() for OVS_PACKET_CMD_ACTION (mru from the packet; the
//       port id from req or the per-CPU dispatch table). The packet stays
//       the engine's. The key is passed as it is, maybe invalidated, as
//       upstream does.
//   void recirc(P&& pkt, FlowKey& key);  ovs_dp_process_packet(): look up
//       key (recirc_id set) and execute the flow's actions, re-entering
//       execute_actions(), or upcall a miss. Takes ownership.
//   bool meter(P& pkt, const FlowKey& key, u32 meter_id);
//       ovs_meter_execute(): true when the meter drops the packet.
//   int set_tunnel_info(P& pkt, ConstBytes info);
//       set(tunnel): attach the tunnel metadata flow_netlink stored in the
//       OVS_KEY_ATTR_TUNNEL_INFO payload (upstream: skb_dst_set() of its
//       metadata_dst). 0 or a negative errno.
//   u32 random_u32();                    get_random_u32()
//   void budget_exceeded(const FlowKey& key);
//       a top-level execution ran out of its budget (kActionBudget): count
//       and log it (rate-limited). `key`: the top-level packet's.
//   bool may_breathe() const;            the caller runs in process context
//       and lets softirqs run in the middle of the list (EXECUTE)
//   void breathe();                      let pending softirqs run (BH on and
//       off again; preemption stays off, the CPU stays the same)
template <typename E, typename P>
concept ActionEnv = requires(E& env, P& pkt, FlowKey& key, const FlowKey& ckey, void* storage, u32 v, int e,
    const UpcallRequest& req, ConstBytes info) {
    { env.action_state() } -> SameAs<ActionState<P>&>;
    { env.clone(pkt, storage) } -> SameAs<bool>;
    env.consume(static_cast<P&&>(pkt));
    env.drop(static_cast<P&&>(pkt), e);
    env.output(static_cast<P&&>(pkt), v, ckey);
    env.upcall(pkt, ckey, req);
    env.recirc(static_cast<P&&>(pkt), key);
    { env.meter(pkt, ckey, v) } -> SameAs<bool>;
    { env.set_tunnel_info(pkt, info) } -> SameAs<int>;
    { env.random_u32() } -> SameAs<u32>;
    env.budget_exceeded(ckey);
    { env.may_breathe() } -> SameAs<bool>;
    env.breathe();
};

namespace act {

constexpr bool key_valid(const FlowKey& key) { return !(key.mac_proto & kMacProtoKeyInvalid); }
constexpr void invalidate_key(FlowKey& key) { key.mac_proto |= kMacProtoKeyInvalid; }
constexpr u8 key_mac_proto(const FlowKey& key) { return key.mac_proto & static_cast<u8>(~kMacProtoKeyInvalid); }
constexpr usize mac_header_len(const FlowKey& key) { return key_mac_proto(key) == kMacProtoEthernet ? kEthHlen : 0; }

// ---- Header-changing actions (key bookkeeping around header_ops.h) -------------

template <MutablePacket P>
int push_mpls(P& pkt, FlowKey& key, be32 lse, be16 ethertype, int mac_len)
{
    int err = pkt_mpls_push(pkt, lse, ethertype, mac_len, mac_len != 0);
    if (err)
        return err;
    if (!mac_len)
        key.mac_proto = kMacProtoNone;
    invalidate_key(key);
    return 0;
}

template <MutablePacket P>
int pop_mpls(P& pkt, FlowKey& key, be16 ethertype)
{
    int err = pkt_mpls_pop(pkt, ethertype, pkt.mac_len(), key_mac_proto(key) == kMacProtoEthernet);
    if (err)
        return err;
    if (ethertype == htons(kEthPTeb))
        key.mac_proto = kMacProtoEthernet;
    invalidate_key(key);
    return 0;
}

template <MutablePacket P>
int push_vlan(P& pkt, FlowKey& key, const uapi::OvsActionPushVlan& vlan)
{
    if (pkt.vlan_tag_present()) {
        invalidate_key(key);
    } else {
        key.eth.vlan.tci = vlan.vlan_tci;
        key.eth.vlan.tpid = vlan.vlan_tpid;
    }
    return pkt_vlan_push(pkt, vlan.vlan_tpid, static_cast<u16>(ntohs(vlan.vlan_tci) & ~kVlanCfiMask));
}

template <MutablePacket P>
int pop_vlan(P& pkt, FlowKey& key)
{
    int err = pkt_vlan_pop(pkt);
    if (pkt.vlan_tag_present()) {
        invalidate_key(key);
    } else {
        key.eth.vlan.tci = 0;
        key.eth.vlan.tpid = 0;
    }
    return err;
}

template <MutablePacket P>
int push_eth(P& pkt, FlowKey& key, const uapi::OvsActionPushEth& eth)
{
    int err = pkt_eth_push(pkt, eth.addresses.eth_dst, eth.addresses.eth_src);
    if (err)
        return err;
    key.mac_proto = kMacProtoEthernet;
    invalidate_key(key);
    return 0;
}

// Never called for VLAN frames (validation), as upstream.
template <MutablePacket P>
int pop_eth(P& pkt, FlowKey& key)
{
    int err = pkt_eth_pop(pkt);
    if (err)
        return err;
    key.mac_proto = kMacProtoNone;
    invalidate_key(key);
    return 0;
}

// The key's dp_hash from the packet's L4 hash and the action's basis; never 0.
template <MutablePacket P>
void execute_hash(P& pkt, FlowKey& key, const uapi::OvsActionHash& act)
{
    u32 hash = act.hash_alg == uapi::OVS_HASH_ALG_L4 ? pkt.get_hash() : 0;
    hash = jhash_1word(hash, act.hash_basis);
    if (!hash)
        hash = 1;
    key.dp_hash = hash;
}

// -EHOSTUNREACH when the TTL or hop limit would reach 0. By skb->protocol,
// as upstream: other packets are left alone.
template <MutablePacket P>
int execute_dec_ttl(P& pkt, FlowKey& key)
{
    if (pkt.protocol() == htons(kEthPIpv6)) {
        u8* nh = writable_header(pkt, pkt.network_offset(), sizeof(wire::Ipv6Hdr));
        if (OVSDP_UNLIKELY(!nh))
            return -err::NOMEM;
        u8 hl = nh[ipv6_off::kHopLimit];
        if (hl <= 1)
            return -act_err::HOSTUNREACH;
        // Upstream leaves a COMPLETE csum stale here; keep it right, as its
        // set(ipv6) does.
        if (pkt.ip_summed() == IpSummed::Complete)
            pkt.set_csum(csum_replace_wsum(pkt.csum(), static_cast<wsum>(hl) << 8, static_cast<wsum>(hl - 1) << 8));
        nh[ipv6_off::kHopLimit] = static_cast<u8>(hl - 1);
        key.ip.ttl = nh[ipv6_off::kHopLimit];
    } else if (pkt.protocol() == htons(kEthPIp)) {
        u8* nh = writable_header(pkt, pkt.network_offset(), sizeof(wire::Ipv4Hdr));
        if (OVSDP_UNLIKELY(!nh))
            return -err::NOMEM;
        u8 ttl = nh[ipv4_off::kTtl];
        if (ttl <= 1)
            return -act_err::HOSTUNREACH;
        nh[ipv4_off::kTtl] = static_cast<u8>(ttl - 1);
        csum_replace2(nh + ipv4_off::kCheck, htons(static_cast<u16>(ttl << 8)), htons(static_cast<u16>((ttl - 1) << 8)));
        key.ip.ttl = nh[ipv4_off::kTtl];
    }
    return 0;
}

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

    // A list's only action `output(port)` (the top-level shortcut). 0, or
    // -E2BIG when the budget cannot pay for it (the packet is dropped). At
    // level 1 the budget is whole and one output (8,200 packets at most)
    // cannot overspend it: no charge, no MRU read.
    int output(P&& pkt, u32 port, const FlowKey& key)
    {
        if (OVSDP_UNLIKELY(st_.level > 1) && OVSDP_UNLIKELY(!charge(1 + kBudgetPacketCost * output_packets(pkt)))) {
            env_.drop(move(pkt), -err::TOOBIG);
            return -err::TOOBIG;
        }
        do_output(move(pkt), port, key);
        return 0;
    }

    // Starts a top-level execution's budget.
    void start_budget()
    {
        st_.budget = kActionBudget;
        st_.budget_exceeded = false;
        st_.next_breath = kActionBudget - kBreatheEvery;
    }

    // Drains the FIFO at the top level (process_deferred_actions()).
    void process_deferred()
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

    // The packets an output of pkt makes: the IP fragments it leaves as when
    // it is longer than its MRU plus an Ethernet header (do_output()), else
    // one. A fragment carries a multiple of 8 bytes of at most the MRU less
    // an IPv6 and a fragment header (48 bytes; IPv4 needs 20): an estimate a
    // few percent high, never low. At most ~8,200 for a 64 KB packet.
    static u32 output_packets(const P& pkt)
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
    void maybe_breathe()
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

    // A key copy from this level's slot, or nullptr when the levels are used
    // up (clone_key()).
    FlowKey* clone_key(const FlowKey& key)
    {
        int level = st_.level;
        if (level < 1 || level > kDeferredActionThreshold)
            return nullptr;
        FlowKey* k = &st_.keys[level - 1];
        *k = key;
        return k;
    }

    DeferredAction<P>* fifo_put()
    {
        if (st_.fifo_head >= kDeferredFifoSize - 1)
            return nullptr;
        return &st_.fifo[st_.fifo_head++];
    }

    // The cut applied here, never below the mac header, so the packet
    // reaches Env::output() with its final length and no cut pending.
    void do_output(P&& pkt, u32 port, const FlowKey& key)
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

    // Runs `actions` (or, when it is nullptr, recirculates with recirc_id)
    // on a clone of the frame's packet, or on the packet itself when `last`,
    // with a key copy when `clone_flow_key` (clone_execute()). An empty list
    // is a non-null `actions` with len 0. A pushed list finishes later;
    // anything else is done when this returns.
    Step clone_execute(ActionFrame<P>& f, u32 recirc_id, const u8* actions, u32 len, bool last, bool clone_flow_key)
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
    Step after_nested(Step s, bool last)
    {
        if (s.kind == Step::Pushed)
            return s;
        if (last)
            return Step::done(s.err);
        return s;
    }

    void userspace(ActionFrame<P>& f, const NlAttr* a)
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

    Step check_pkt_len(ActionFrame<P>& f, const NlAttr* a, bool last)
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

    // One action of f. Continue: go on with f; Pushed: a nested frame is on
    // top; Done: f is finished with err (its packet released or handed on).
    Step step(ActionFrame<P>& f)
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
        case OVS_ACTION_ATTR_CT_CLEAR:
            // No connection tracking: there is no state to clear.
            break;
        case OVS_ACTION_ATTR_CT:
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

    Env& env_;
    ActionState<P>& st_;
};

} // namespace act

// Executes `actions` (a validated list of len bytes) on pkt, which it
// consumes, with `key` its flow key (ovs_execute_actions()). Returns 0 or the
// negative errno the packet was dropped for. Re-entrant through the Env up
// to kRecursionLimit levels.
// Pass the packet as an rvalue (move it in): the engine owns it from here.
template <MutablePacket P, typename Env>
    requires ActionEnv<Env, P> && (!IsSame<P, RemoveReferenceT<P>&>)
int execute_actions(Env& env, P&& pkt, FlowKey& key, const u8* actions, usize len)
{
    ActionState<P>& st = env.action_state();
    int level = ++st.level;
    int err;
    act::Engine<P, Env> engine(env, st);
    if (level == 1)
        engine.start_budget();
    if (OVSDP_UNLIKELY(level > kRecursionLimit)) {
        ovsdp_log_ratelimited(OVSDP_LOG_ERR, "recursion limit reached, probable configuration error");
        env.drop(move(pkt), -act_err::NETDOWN);
        err = -act_err::NETDOWN;
    } else if (auto* a = reinterpret_cast<const NlAttr*>(actions);
               len == nla_total_size(sizeof(u32)) && a->nla_len == len && a->type() == uapi::OVS_ACTION_ATTR_OUTPUT) {
        // The most common list, one output: no frame, nothing deferred. Same
        // steps as the engine's last-action output (trunc included).
        err = engine.output(move(pkt), a->get_u32(), key);
    } else {
        err = engine.run_list(move(pkt), &key, actions, static_cast<u32>(len));
        if (level == 1)
            engine.process_deferred();
    }
    if (level == 1 && OVSDP_UNLIKELY(st.budget_exceeded)) {
        env.budget_exceeded(key);
        err = -err::TOOBIG;
    }
    st.level--;
    return err;
}

} // namespace ovsdp
