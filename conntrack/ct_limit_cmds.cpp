// SPDX-License-Identifier: GPL-2.0
// The ovs_ct_limit commands (SET, DEL, GET),
// as upstream's ovs_ct_limit_cmd_*: a request's OVS_CT_LIMIT_ATTR_ZONE_LIMIT
// is an array of struct ovs_zone_limit; zone_id -1 is the default limit; an
// entry with a zone outside 0..65535 is logged and skipped, as are trailing
// bytes; SET and DEL without the array fail with EINVAL; every reply carries
// the request's dp_ifindex, and GET's the (possibly empty) array.
#include "conntrack/ct_limit.h"

#include "base/atomic.h"
#include "base/errno.h"
#include "datapath/datapath.h"
#include "datapath/genl_msg.h"

using namespace ovsdp;

// Named inside the anonymous namespace: the kernel build compiles the core
// as one unit, where other files' file-local names are visible too.
namespace {
namespace ct_limit_impl {

constexpr int kFamily = OVSDP_FAMILY_CT_LIMIT;
constexpr u32 kMaxZones = 65536;
// Upstream's replies are genlmsg_new(NLMSG_DEFAULT_SIZE): 3,760 bytes asked
// for, which with the headers and skb_shared_info take an 8 KiB kmalloc on
// x86-64, all of it usable: 8,192 - 320 (shared info) - 16 (netlink
// header) - 4 (genl header) - 4 (struct ovs_header) bytes of attributes,
// 653 zone limits in GET's array. One more fails with EMSGSIZE (checked
// against the kernel's module in tests/vm/cases/ct_limit_abi.py).
constexpr usize kReplyRoom = 8192 - 320 - 16 - 4 - 4;

usize table_bytes(u32 n) { return sizeof(CtLimitTable) + usize(n) * sizeof(CtZoneLimit); }

CtLimitTable* table_alloc(u32 cap)
{
    auto* t = static_cast<CtLimitTable*>(ovsdp_kvmalloc(table_bytes(cap), OVSDP_GFP_KERNEL | OVSDP_GFP_ZERO));
    return t;
}

void table_free_rcu(ovsdp_rcu_head* head) { ovsdp_kvfree(reinterpret_cast<CtLimitTable*>(head)); }

void log_zone_out_of_range() { ovsdp_log_ratelimited(OVSDP_LOG_WARN, "openvswitch: zone id is out of range"); }

void log_trailing(const char* what, usize rem)
{
    if (rem)
        ovsdp_log_ratelimited(OVSDP_LOG_WARN, "openvswitch: %s zone limit has %d unknown bytes", what, int(rem));
}

enum class Op { Set, Del };

// A copy of `old` (nullptr: an empty table) with the request's entries
// applied in order, as upstream applies them one by one. nullptr: no memory.
CtLimitTable* table_apply(const CtLimitTable* old, const NlAttr* a, Op op)
{
    u32 old_n = old ? old->n : 0;
    usize k = a->len() / sizeof(uapi::OvsZoneLimit) + 1;
    u32 cap = op == Op::Del ? old_n : (old_n + k > kMaxZones ? kMaxZones : u32(old_n + k));
    CtLimitTable* t = table_alloc(cap);
    if (!t)
        return nullptr;
    if (old) {
        t->default_limit = old->default_limit;
        t->next_seq = old->next_seq;
        t->n = old_n;
        __builtin_memcpy(t->entries(), old->entries(), usize(old_n) * sizeof(CtZoneLimit));
    }
    usize rem = ct_zone_limits_for_each(a, [&](const uapi::OvsZoneLimit& z) {
        if (z.zone_id == uapi::OVS_ZONE_LIMIT_DEFAULT_ZONE) {
            t->default_limit = op == Op::Set ? z.limit : 0;
            return;
        }
        if (!ct_zone_id_ok(z.zone_id)) {
            log_zone_out_of_range();
            return;
        }
        u16 zone = u16(z.zone_id);
        bool found;
        u32 i = ct_limit_find(t, zone, &found);
        CtZoneLimit* e = t->entries();
        if (op == Op::Set) {
            if (found) {
                e[i].limit = z.limit; // replaced in place: keeps its place in GET's order
                return;
            }
            __builtin_memmove(e + i + 1, e + i, usize(t->n - i) * sizeof(*e));
            e[i] = CtZoneLimit { zone, z.limit, t->next_seq++ };
            t->n++;
        } else if (found) {
            __builtin_memmove(e + i, e + i + 1, usize(t->n - i - 1) * sizeof(*e));
            t->n--;
        }
    });
    log_trailing(op == Op::Set ? "set" : "del", rem);
    return t;
}

void** slot_of(void* net) { return ovsdp_ct_limit_slot(net); }

// SET and DEL: the new table built and published under ovs_mutex, the old
// one freed after a grace period.
int change_limits(ovsdp_request* req, Op op)
{
    u8 cmd = op == Op::Set ? uapi::OVS_CT_LIMIT_CMD_SET : uapi::OVS_CT_LIMIT_CMD_DEL;
    GenlMsg msg;
    if (int rc = msg.begin(req, kFamily, cmd, req->dp_ifindex, kReplyRoom, false))
        return rc;
    const NlAttr* a = req_attr(req, uapi::OVS_CT_LIMIT_ATTR_ZONE_LIMIT);
    if (!a)
        return req_fail(req, make_error(err::INVAL, "Zone limits (OVS_CT_LIMIT_ATTR_ZONE_LIMIT) are required"));
    {
        OvsLock ovsl;
        void** slot = slot_of(req->net);
        auto* old = static_cast<CtLimitTable*>(*slot);
        if (op == Op::Del && !old) {
            // Nothing to delete; still log what upstream logs.
            usize rem = ct_zone_limits_for_each(a, [](const uapi::OvsZoneLimit& z) {
                if (z.zone_id != uapi::OVS_ZONE_LIMIT_DEFAULT_ZONE && !ct_zone_id_ok(z.zone_id))
                    log_zone_out_of_range();
            });
            log_trailing("del", rem);
        } else {
            CtLimitTable* t = table_apply(old, a, op);
            if (!t)
                return req_fail(req, make_error(err::NOMEM, "Cannot allocate the zone limit table"));
            if (!t->n && !t->default_limit) {
                // No limit left: the namespace holds no table, as before
                // the first SET (an empty table and none read alike).
                ovsdp_kvfree(t);
                t = nullptr;
            }
            rcu_assign(*reinterpret_cast<CtLimitTable**>(slot), t);
            if (old)
                ovsdp_call_rcu(&old->rcu, table_free_rcu);
        }
    }
    return msg.send(req, kFamily, false);
}

void put_zone(NlWriter& w, void* net, const CtLimitTable* t, u16 zone)
{
    uapi::OvsZoneLimit z { zone, ct_limit_lookup(t, zone), ovsdp_ct_limit_count(net, zone) };
    w.put_nohdr(&z, sizeof(z));
}

void put_default(NlWriter& w, const CtLimitTable* t)
{
    uapi::OvsZoneLimit z { uapi::OVS_ZONE_LIMIT_DEFAULT_ZONE, t ? t->default_limit : 0, 0 };
    w.put_nohdr(&z, sizeof(z));
}

// Every zone with a limit, in the order of upstream's hash table: by
// bucket (zone % 512), newest first within a bucket.
void put_all_zones(NlWriter& w, void* net, const CtLimitTable* t)
{
    if (!t)
        return;
    const CtZoneLimit* e = t->entries();
    for (u32 b = 0; b < kCtLimitBuckets && !w.overflowed(); b++) {
        // The zones of bucket b, already emitted ones excluded by seq.
        u32 below = ~0u; // emit in decreasing seq: each round the largest seq under `below`
        for (;;) {
            const CtZoneLimit* best = nullptr;
            for (u32 z = b; z < kMaxZones; z += kCtLimitBuckets) {
                bool found;
                u32 i = ct_limit_find(t, u16(z), &found);
                if (found && e[i].seq < below && (!best || e[i].seq > best->seq))
                    best = &e[i];
            }
            if (!best)
                break;
            put_zone(w, net, t, best->zone);
            below = best->seq;
        }
    }
}

} // namespace ct_limit_impl
} // namespace

namespace ovsdp {

CtLimitTable* ct_limit_table_locked(void* net)
{
    assert_ovsl();
    return static_cast<CtLimitTable*>(*ct_limit_impl::slot_of(net));
}

} // namespace ovsdp

extern "C" int ovsdp_ct_limit_cmd_set(ovsdp_request* req) { return ct_limit_impl::change_limits(req, ct_limit_impl::Op::Set); }

extern "C" int ovsdp_ct_limit_cmd_del(ovsdp_request* req) { return ct_limit_impl::change_limits(req, ct_limit_impl::Op::Del); }

extern "C" int ovsdp_ct_limit_cmd_get(ovsdp_request* req)
{
    assert_ovsl();
    GenlMsg msg;
    if (int rc = msg.begin(req, ct_limit_impl::kFamily, uapi::OVS_CT_LIMIT_CMD_GET, req->dp_ifindex, ct_limit_impl::kReplyRoom, false))
        return rc;
    const CtLimitTable* t = ct_limit_table_locked(req->net);
    NlWriter& w = msg.writer();
    usize nest = w.nest_begin(uapi::OVS_CT_LIMIT_ATTR_ZONE_LIMIT);
    if (const NlAttr* a = req_attr(req, uapi::OVS_CT_LIMIT_ATTR_ZONE_LIMIT)) {
        usize rem = ct_zone_limits_for_each(a, [&](const uapi::OvsZoneLimit& z) {
            if (z.zone_id == uapi::OVS_ZONE_LIMIT_DEFAULT_ZONE)
                ct_limit_impl::put_default(w, t);
            else if (!ct_zone_id_ok(z.zone_id))
                ct_limit_impl::log_zone_out_of_range();
            else
                ct_limit_impl::put_zone(w, req->net, t, u16(z.zone_id));
        });
        ct_limit_impl::log_trailing("get", rem);
    } else {
        ct_limit_impl::put_default(w, t);
        ct_limit_impl::put_all_zones(w, req->net, t);
    }
    w.nest_end(nest);
    if (w.overflowed())
        return req_fail(req, make_error(err::MSGSIZE, "Too many zone limits for one reply"));
    return msg.send(req, ct_limit_impl::kFamily, false);
}
