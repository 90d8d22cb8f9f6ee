// SPDX-License-Identifier: GPL-2.0
// Connection limits per conntrack zone (upstream's ovs_ct_limit family, in
// net/openvswitch/conntrack.c): a default limit and per-zone limits for each
// network namespace, set, deleted and read over OVS_CT_LIMIT_CMD_*, and
// looked up when a ct action commits a new connection. The host counts the
// connections (nf_conncount in kmod/conntrack.c) and keeps, per namespace,
// the pointer to the table (platform/conntrack.h); the core owns the table.
//
// The table is copied on write under ovs_mutex and published with RCU, so
// the commit path reads it with no lock. A limit of 0 is "unlimited".
#pragma once

#include "base/netlink.h"
#include "base/ovs_abi.h"
#include "platform/conntrack.h"
#include "platform/platform.h"

namespace ovsdp {

// Upstream's CT_LIMIT_HASH_BUCKETS: GET without zones lists the zones in
// the order of its hash table (zone % 512, the newest zone of a bucket
// first); the table keeps that order's ingredients (see CtZoneLimit::seq).
inline constexpr u32 kCtLimitBuckets = 512;

struct CtZoneLimit {
    u16 zone;
    u32 limit;
    u32 seq; // when the zone got its first limit: newer zones of a bucket come first
};

struct CtLimitTable {
    ovsdp_rcu_head rcu;
    u32 default_limit;
    u32 next_seq;
    u32 n;                 // entries, sorted by zone
    CtZoneLimit* entries() { return reinterpret_cast<CtZoneLimit*>(this + 1); }
    const CtZoneLimit* entries() const { return reinterpret_cast<const CtZoneLimit*>(this + 1); }
};

// One entry of an OVS_CT_LIMIT_ATTR_ZONE_LIMIT array as upstream walks it:
// over the attribute's aligned length, 12 bytes at a time (an entry the
// attribute's length cuts short reads its missing bytes as zero, never past
// the attribute). Returns the bytes left over (upstream logs them).
template <typename Fn>
usize ct_zone_limits_for_each(const NlAttr* a, Fn&& fn)
{
    usize len = a->len();
    usize rem = nla_align(len);
    usize off = 0;
    while (rem >= sizeof(uapi::OvsZoneLimit)) {
        uapi::OvsZoneLimit z {};
        if (off < len)
            __builtin_memcpy(&z, a->data() + off, len - off < sizeof(z) ? len - off : sizeof(z));
        fn(z);
        off += sizeof(z);
        rem -= sizeof(z);
    }
    return rem;
}

// Whether zone_id names a zone (0..65535); the default zone's -1 does not.
inline bool ct_zone_id_ok(s32 zone_id) { return zone_id >= 0 && zone_id <= 65535; }

// The index of `zone` in t's entries, or where it would go (*found false).
inline u32 ct_limit_find(const CtLimitTable* t, u16 zone, bool* found)
{
    u32 lo = 0, hi = t->n;
    const CtZoneLimit* e = t->entries();
    while (lo < hi) {
        u32 mid = lo + (hi - lo) / 2;
        if (e[mid].zone < zone)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < t->n && e[lo].zone == zone;
    return lo;
}

// The limit for `zone` in `t` (its own, else the default); 0: unlimited or
// no table. Under RCU (the commit path) or ovs_mutex.
u32 ct_limit_lookup(const CtLimitTable* t, u16 zone);

// The namespace's table (nullptr: no zone limit and no default limit set). Under ovs_mutex.
CtLimitTable* ct_limit_table_locked(void* net);

} // namespace ovsdp

extern "C" {
// The genetlink commands (datapath/commands.cpp's table).
int ovsdp_ct_limit_cmd_set(struct ovsdp_request* req);
int ovsdp_ct_limit_cmd_del(struct ovsdp_request* req);
int ovsdp_ct_limit_cmd_get(struct ovsdp_request* req);
}
