// SPDX-License-Identifier: GPL-2.0
// The ovs_flow genetlink commands: NEW (create, or replace actions), SET,
// DEL (one, or all), GET and dump, with upstream's semantics for identifiers
// (UFID or unmasked key), NLM_F_CREATE/EXCL, UFID terse flags and PROBE.
// Each command's lock context is in datapath/commands.cpp.
#include "datapath/datapath.h"
#include "datapath/genl_msg.h"
#include "datapath/ovsdp_ext.h"

#include "flow_netlink/flow_actions.h"
#include "flow_netlink/flow_netlink.h"
#include "platform/alloc.h"
#include "platform/netdev.h"

namespace ovsdp {

namespace {

constexpr u16 kNlmFExcl = 0x200;   // NLM_F_EXCL
constexpr u16 kNlmFCreate = 0x400; // NLM_F_CREATE

// Upstream's lines when flow NEW / SET refuse the actions (OVS_NLERR: a
// rate-limited pr_info "openvswitch: netlink: ..."), which tools look for in
// the kernel log (the kernel's selftest netlink_checks); the client gets the
// precise reason in the extack message.
constexpr char kNewActionsRefusedLog[] = "netlink: Flow actions may not be safe on all matching packets.";
constexpr char kSetActionsRefusedLog[] = "netlink: Actions may not be safe on all matching packets";

// A parsed match: two keys, on the stack of a netlink command (~900 bytes, as
// upstream keeps its match key and mask). parse_match() initialises it: the
// keys are zeroed once, by the parser (or here without a KEY attribute).
struct ParsedMatch {
    FlowKey key;
    FlowKey mask;
    FlowMatch m;
    FlowUfid ufid;
};

// Upstream's ovs_flow_used_time(): jiffies of last use -> milliseconds on the
// monotonic clock (what ovs-dpctl subtracts from its own clock).
u64 used_time_ms(unsigned long used)
{
    u64 ns = ovsdp_ktime_get_ns();
    u64 cur_ms = static_cast<u64>(static_cast<u32>(ns / 1000000000ULL)) * 1000 + (ns % 1000000000ULL) / 1000000;
    u64 idle_ms = ovsdp_jiffies_to_msecs(ovsdp_jiffies() - used);
    return cur_ms - idle_ms;
}

usize flow_msg_size(const Flow* flow, const FlowActions* acts)
{
    usize n = nla_total_size(kMaxUfidLength) + 3 * nla_total_size(flow_key_attr_size()) +
              nla_total_size(sizeof(uapi::FlowStats)) + nla_total_size(sizeof(u64)) + nla_total_size(sizeof(u8));
    if (acts)
        n += nla_total_size(actions_nlattr_size({ acts->data, acts->len }));
    // The per-NUMA extension: one nest per node with five attributes.
    n += nla_total_size(0) + flow->stats.n_nodes() * nla_total_size(4 * nla_total_size(8) + nla_total_size(4));
    return n;
}

// The per-NUMA statistics extension (datapath/ovsdp_ext.h).
void put_numa_stats(const Flow* flow, NlWriter& w)
{
    usize outer = w.nest_begin(OVSDP_FLOW_ATTR_NUMA_STATS);
    for (u32 node = 0; node < flow->stats.n_nodes(); node++) {
        FlowStatsReading st;
        if (!flow->stats.read_node(static_cast<int>(node), &st))
            continue;
        usize inner = w.nest_begin(OVSDP_NUMA_ATTR_NODE);
        w.put_u32(OVSDP_NUMA_NODE_ID, node);
        w.put_u64(OVSDP_NUMA_NODE_PACKETS, st.packets);
        w.put_u64(OVSDP_NUMA_NODE_BYTES, st.bytes);
        if (st.used)
            w.put_u64(OVSDP_NUMA_NODE_USED, used_time_ms(st.used));
        w.put_u16(OVSDP_NUMA_NODE_TCP_FLAGS, ntohs(st.tcp_flags));
        w.nest_end(inner);
    }
    w.nest_end(outer);
}

// Upstream's ovs_flow_cmd_fill_info (attributes only). `numa`: the client
// asked for per-NUMA statistics. False when w overflows; but for a flow alone
// in its message (`alone`), actions that do not fit w, or whose attribute
// would be longer than a netlink attribute can say, are left out instead, as
// upstream does.
bool flow_fill_info(const Flow* flow, u32 ufid_flags, bool numa, NlWriter& w, bool alone)
{
    bool ufid = flow_has_ufid(flow);
    if (ufid)
        w.put(uapi::OVS_FLOW_ATTR_UFID, flow->ufid.data, flow->ufid.len);
    else
        put_flow_key(w, uapi::OVS_FLOW_ATTR_KEY, *flow->unmasked_key, *flow->unmasked_key, false);
    if (ufid && !(ufid_flags & uapi::kUfidFOmitKey))
        put_flow_key(w, uapi::OVS_FLOW_ATTR_KEY, flow->key, flow->key, false);
    if (!(ufid_flags & uapi::kUfidFOmitMask))
        put_flow_key(w, uapi::OVS_FLOW_ATTR_MASK, flow->key, flow->mask->key, true);

    FlowStatsReading st;
    flow->stats.read(&st);
    if (st.used)
        w.put_u64(uapi::OVS_FLOW_ATTR_USED, used_time_ms(st.used));
    if (st.packets) {
        uapi::FlowStats fs = { st.packets, st.bytes };
        w.put(uapi::OVS_FLOW_ATTR_STATS, &fs, sizeof(fs));
    }
    if (static_cast<u8>(ntohs(st.tcp_flags)))
        w.put_u8(uapi::OVS_FLOW_ATTR_TCP_FLAGS, static_cast<u8>(ntohs(st.tcp_flags)));
    if (numa)
        put_numa_stats(flow, w);
    if (w.overflowed())
        return false;

    if (!(ufid_flags & uapi::kUfidFOmitActions)) {
        const FlowActions* acts = flow_actions(flow);
        usize mark = w.size();
        usize nest = w.nest_begin(uapi::OVS_FLOW_ATTR_ACTIONS);
        if (acts)
            put_actions(acts, w);
        w.nest_end(nest);
        if (w.overflowed()) {
            if (!alone)
                return false;
            w.rollback(mark); // too large for one message: omit them
        }
    }
    return true;
}

int flow_reply(ovsdp_request* req, const Flow* flow, int dp_ifindex, u32 ufid_flags, u8 cmd, bool notify,
               bool numa = false)
{
    // A notification nobody receives (no echo asked, no listener): do not
    // build it. ovs-vswitchd installs and deletes flows this way.
    if (notify && !ovsdp_genl_must_notify(req, OVSDP_FAMILY_FLOW))
        return 0;
    GenlMsg msg;
    if (int rc = msg.begin(req, OVSDP_FAMILY_FLOW, cmd, dp_ifindex, flow_msg_size(flow, flow_actions(flow)), notify))
        return rc;
    if (!flow_fill_info(flow, ufid_flags, numa, msg.writer(), true))
        return -err::MSGSIZE;
    return msg.send(req, OVSDP_FAMILY_FLOW, notify);
}

// Parse KEY, MASK (with `with_mask`; absent: an exact match) and UFID into p.
// No KEY is not an error here: callers that need one check. `log`: log
// refusals (not for PROBE).
Status parse_match(ovsdp_request* req, ParsedMatch* p, bool with_mask, bool log)
{
    const NlAttr* key = req_attr(req, uapi::OVS_FLOW_ATTR_KEY);
    p->m = FlowMatch {};
    p->m.key = &p->key;
    p->m.mask = with_mask ? &p->mask : nullptr;
    p->ufid = {};
    p->ufid.len = ufid_from_nlattr(req_attr(req, uapi::OVS_FLOW_ATTR_UFID), p->ufid.data, log);
    if (!key) {
        __builtin_memset(&p->key, 0, sizeof(p->key));
        __builtin_memset(&p->mask, 0, sizeof(p->mask));
        return {};
    }
    Status st = flow_key_from_nlattrs(key, with_mask ? req_attr(req, uapi::OVS_FLOW_ATTR_MASK) : nullptr, p->m, log);
    if (st.is_error())
        req->extack_attr = key;
    return st;
}

// The flow named by the request's UFID, or else by its exact key. RCU or
// ovs_mutex.
Flow* lookup_by_id(Datapath* dp, const ParsedMatch* p)
{
    if (p->ufid.len)
        return dp->table.lookup_ufid(p->ufid);
    return dp->table.lookup_exact(p->key, p->m.range);
}

} // namespace

} // namespace ovsdp

using namespace ovsdp;

// Context OVSDP_CTX_SELF: parses the match, allocates the flow and checks
// its actions before it takes ovs_mutex, as upstream's ovs_flow_cmd_new.
extern "C" int ovsdp_flow_cmd_new(ovsdp_request* req)
{
    bool log = !req_attr(req, uapi::OVS_FLOW_ATTR_PROBE);
    const NlAttr* a_key = req_attr(req, uapi::OVS_FLOW_ATTR_KEY);
    const NlAttr* a_acts = req_attr(req, uapi::OVS_FLOW_ATTR_ACTIONS);
    if (!a_key)
        return req_fail(req, make_error(err::INVAL, "Flow key attribute not present in new flow"));
    if (!a_acts)
        return req_fail(req, make_error(err::INVAL, "Flow actions attribute not present in new flow"));

    OVSDP_UNINITIALIZED ParsedMatch pm; // parse_match() fills it
    ParsedMatch* p = &pm;
    if (auto st = parse_match(req, p, true, log); st.is_error())
        return req_fail(req, st.error());

    auto fr = flow_alloc();
    if (fr.is_error())
        return -err::NOMEM;
    OwnFlow flow(fr.value());
    // The flow's key is the masked key; the actions are checked against it.
    flow_mask_key(&flow->key, p->key, p->mask, p->m.mask_range, true);
    Status st = p->ufid.len ? flow_set_ufid(flow.get(), p->ufid.data, p->ufid.len)
                            : flow_set_unmasked_key(flow.get(), p->key);
    if (st.is_error())
        return req_fail(req, st.error());
    auto validated = validate_and_copy_actions(a_acts->payload(), flow->key, log, req->net);
    if (validated.is_error()) {
        if (log)
            ovsdp_log_ratelimited(OVSDP_LOG_INFO, "%s", kNewActionsRefusedLog);
        return req_fail(req, validated.error(), a_acts);
    }
    OwnActions acts(validated.value());
    u32 ufid_flags = ufid_flags_from_nlattr(req_attr(req, uapi::OVS_FLOW_ATTR_UFID_FLAGS));

    OvsLock ovsl;
    Datapath* dp = dp_lookup_by_ifindex(req->net, req->dp_ifindex);
    if (!dp)
        return req_fail(req, make_error(err::NODEV, "No datapath with this ifindex"));
    int ifindex = dp_ifindex(dp);

    // A duplicate has the same UFID or, failing that, a key the new one
    // matches (upstream checks both, whatever identifies the new flow).
    Flow* existing = p->ufid.len ? dp->table.lookup_ufid(p->ufid) : nullptr;
    if (!existing)
        existing = dp->table.lookup(p->key);
    if (!existing) {
        flow->actions = acts.release();
        if (auto ins = dp->table.insert_locked(flow.get(), p->mask, p->m.mask_range); ins.is_error())
            return req_fail(req, ins.error());
        Flow* added = flow.release(); // the table's now
        flow_reply(req, added, ifindex, ufid_flags, uapi::OVS_FLOW_CMD_NEW, true);
        return 0;
    }

    // A flow already covers this key. Generic netlink turns NLM_F_EXCL into a
    // dump request, so NLM_F_CREATE stands in for it, as upstream accepts.
    if (req->nlmsg_flags & (kNlmFCreate | kNlmFExcl))
        return req_fail(req, make_error(err::EXIST, "Flow already exists"));
    // The flow found must be the one named (upstream's ovs_flow_cmp): a
    // UFID-identified flow whose masked key is the request's key over its
    // range, or a key-identified flow with the same unmasked key, which may
    // also be found again among overlapping ones by its exact key.
    bool same = flow_has_ufid(existing)
        ? flow_key_equal_range(existing->key, p->key, p->m.range.start, p->m.range.end)
        : flow_cmp_unmasked_key(existing, p->key, p->m.range);
    if (!same)
        existing = flow_has_ufid(existing) ? nullptr : dp->table.lookup_exact(p->key, p->m.range);
    if (!existing)
        return req_fail(req, make_error(err::NOENT, "Flow with a different identifier overlaps"));
    flow_replace_actions_locked(existing, acts.release());
    flow_stats_flush_all(); // every CPU's pending counts (flow_stats.h)
    flow_reply(req, existing, ifindex, ufid_flags, uapi::OVS_FLOW_CMD_NEW, true);
    return 0;
}

// Context OVSDP_CTX_SELF: parses and checks the new actions before it takes
// ovs_mutex.
extern "C" int ovsdp_flow_cmd_set(ovsdp_request* req)
{
    bool log = !req_attr(req, uapi::OVS_FLOW_ATTR_PROBE);
    const NlAttr* a_key = req_attr(req, uapi::OVS_FLOW_ATTR_KEY);
    const NlAttr* a_acts = req_attr(req, uapi::OVS_FLOW_ATTR_ACTIONS);
    OVSDP_UNINITIALIZED ParsedMatch pm; // parse_match() fills it
    ParsedMatch* p = &pm;
    if (auto st = parse_match(req, p, a_acts != nullptr, log); st.is_error())
        return req_fail(req, st.error());
    if (!p->ufid.len && !a_key)
        return req_fail(req, make_error(err::INVAL, "Flow set needs a key or a UFID"));

    OwnActions acts;
    if (a_acts) {
        if (!a_key)
            return req_fail(req, make_error(err::INVAL, "Flow key attribute not present in set flow"));
        // Actions are validated against the masked key, as for a new flow.
        Owned<FlowKey> masked(make<FlowKey>(Gfp::Kernel));
        if (!masked)
            return -err::NOMEM;
        flow_mask_key(masked.get(), p->key, p->mask, p->m.mask_range, true);
        auto r = validate_and_copy_actions(a_acts->payload(), *masked, log, req->net);
        if (r.is_error()) {
            if (log)
                ovsdp_log_ratelimited(OVSDP_LOG_INFO, "%s", kSetActionsRefusedLog);
            return req_fail(req, r.error(), a_acts);
        }
        acts.reset(r.value());
    }
    u32 ufid_flags = ufid_flags_from_nlattr(req_attr(req, uapi::OVS_FLOW_ATTR_UFID_FLAGS));

    OvsLock ovsl;
    Datapath* dp = dp_lookup_by_ifindex(req->net, req->dp_ifindex);
    if (!dp)
        return req_fail(req, make_error(err::NODEV, "No datapath with this ifindex"));
    Flow* flow = lookup_by_id(dp, p);
    if (!flow)
        return req_fail(req, make_error(err::NOENT, "Flow not found"));
    if (acts)
        flow_replace_actions_locked(flow, acts.release());
    // Fold every CPU's pending counts first: the reply is exact, and counts
    // from before a CLEAR do not come back after it (flow_stats.h).
    flow_stats_flush_all();
    if (req_attr(req, uapi::OVS_FLOW_ATTR_CLEAR))
        flow->stats.clear();
    flow_reply(req, flow, dp_ifindex(dp), ufid_flags, uapi::OVS_FLOW_CMD_SET, true);
    return 0;
}

// Context OVSDP_CTX_RCU: the flow is found and its reply written under
// rcu_read_lock, into a message reserved before (again, larger, if the flow's
// message outgrew it), and sent after.
extern "C" int ovsdp_flow_cmd_get(ovsdp_request* req)
{
    bool log = !req_attr(req, uapi::OVS_FLOW_ATTR_PROBE);
    OVSDP_UNINITIALIZED ParsedMatch pm; // parse_match() fills it
    ParsedMatch* p = &pm;
    if (auto st = parse_match(req, p, false, log); st.is_error())
        return req_fail(req, st.error());
    if (!p->ufid.len && !req_attr(req, uapi::OVS_FLOW_ATTR_KEY))
        return req_fail(req, make_error(err::INVAL, "Flow get needs a key or a UFID"));
    u32 ufid_flags = ufid_flags_from_nlattr(req_attr(req, uapi::OVS_FLOW_ATTR_UFID_FLAGS));
    bool numa = req_attr(req, OVSDP_FLOW_ATTR_NUMA_STATS) != nullptr;
    flow_stats_flush_all(); // may sleep: before the read-side section
    usize cap = 2048;
    for (;;) {
        // The message is reserved before the read-side section (it may
        // sleep); the datapath found by req->dp_ifindex has that ifindex.
        GenlMsg msg;
        if (int rc = msg.begin(req, OVSDP_FAMILY_FLOW, uapi::OVS_FLOW_CMD_GET, req->dp_ifindex, cap, false))
            return rc;
        usize need;
        {
            RcuReadGuard rcu;
            Datapath* dp = dp_lookup_by_ifindex(req->net, req->dp_ifindex);
            if (!dp)
                return req_fail(req, make_error(err::NODEV, "No datapath with this ifindex"));
            const Flow* flow = lookup_by_id(dp, p);
            if (!flow)
                return req_fail(req, make_error(err::NOENT, "Flow not found"));
            need = flow_msg_size(flow, flow_actions(flow));
            if (need <= cap && !flow_fill_info(flow, ufid_flags, numa, msg.writer(), true))
                return -err::MSGSIZE;
        }
        if (need > cap) {
            cap = need; // its actions grew meanwhile, or more than the guess
            continue;
        }
        return msg.send(req, OVSDP_FAMILY_FLOW, false);
    }
}

extern "C" int ovsdp_flow_cmd_del(ovsdp_request* req)
{
    assert_ovsl();
    bool log = !req_attr(req, uapi::OVS_FLOW_ATTR_PROBE);
    OVSDP_UNINITIALIZED ParsedMatch pm; // parse_match() fills it
    ParsedMatch* p = &pm;
    if (auto st = parse_match(req, p, false, log); st.is_error())
        return req_fail(req, st.error());
    Datapath* dp = dp_lookup_by_ifindex(req->net, req->dp_ifindex);
    if (!dp)
        return req_fail(req, make_error(err::NODEV, "No datapath with this ifindex"));
    if (!p->ufid.len && !req_attr(req, uapi::OVS_FLOW_ATTR_KEY)) {
        if (auto st = dp->table.flush_locked(); st.is_error())
            return req_fail(req, st.error());
        return 0;
    }
    Flow* flow = lookup_by_id(dp, p);
    if (!flow)
        return req_fail(req, make_error(err::NOENT, "Flow not found"));
    dp->table.remove_locked(flow);
    // The reply counts every update completed before this point; a packet
    // still in flight on another CPU may count later and is lost, as upstream.
    // Without a reply the counts are not read: no flush (the flow's pending
    // slots are folded before it is freed, flow_stats.h).
    if (ovsdp_genl_must_notify(req, OVSDP_FAMILY_FLOW)) {
        flow_stats_flush_all();
        u32 ufid_flags = ufid_flags_from_nlattr(req_attr(req, uapi::OVS_FLOW_ATTR_UFID_FLAGS));
        flow_reply(req, flow, dp_ifindex(dp), ufid_flags, uapi::OVS_FLOW_CMD_DEL, true);
    }
    flow_free_rcu(flow);
    return 0;
}

// Cursor: args[0] is the dump key of the last flow written (0: start).
// Context OVSDP_CTX_RCU: flows are read under rcu_read_lock; the buffer a
// flow is written into is allocated outside it (the walk leaves the section
// to grow it and resumes from the cursor).
extern "C" int ovsdp_flow_cmd_dump(ovsdp_dump* d)
{
    u32 ufid_flags = 0;
    if (d->attrs && uapi::OVS_FLOW_ATTR_UFID_FLAGS <= d->maxattr && d->attrs[uapi::OVS_FLOW_ATTR_UFID_FLAGS])
        ufid_flags = static_cast<const NlAttr*>(d->attrs[uapi::OVS_FLOW_ATTR_UFID_FLAGS])->get_u32();
    bool numa = d->ext_attrs[OVSDP_FLOW_ATTR_NUMA_STATS - OVSDP_EXT_ATTR_BASE] != nullptr;
    flow_stats_flush_all(); // once per dump message; may sleep
    u64 cursor = static_cast<u64>(d->args[0]);
    {
        // Each flow is written straight into the dump skb: nothing to
        // allocate, so the whole message is built under RCU.
        RcuReadGuard rcu;
        Datapath* dp = dp_lookup_by_ifindex(d->net, d->dp_ifindex);
        if (!dp)
            return -err::NODEV;
        int ifindex = dp_ifindex(dp);
        for (const Flow* flow = dp->table.dump_next(cursor); flow; flow = dp->table.dump_next(cursor)) {
            // No room left: the flow starts the next message. Alone in a
            // message and still too large, it goes without its actions, as
            // upstream's (the client can GET them).
            bool alone = ovsdp_dump_empty(d);
            DumpMsg msg(d);
            if (!msg.begin(OVSDP_FAMILY_FLOW, uapi::OVS_FLOW_CMD_GET, ifindex)
                || !flow_fill_info(flow, ufid_flags, numa, msg.writer(), alone))
                break;
            msg.commit();
            cursor = flow->dump_key;
        }
    }
    d->args[0] = static_cast<long>(cursor);
    return 0;
}
