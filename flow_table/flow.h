// SPDX-License-Identifier: GPL-2.0
// A datapath flow (upstream's sw_flow) and the things it points to: its
// shared mask, its actions and its identifier; plus the masked key operations
// every lookup is made of (DESIGN §5 seed 5).
//
// Lifetime: a Flow is allocated in process context (flow_alloc), filled in by
// its creator (masked key, identifier, actions), then inserted into a
// FlowTable under the datapath lock. Once inserted, RCU readers may see it at
// any time; it is removed under the lock and freed after a grace period
// (flow_free_rcu), together with its actions and statistics. Its mask is
// owned by the table (refcounted, freed after a grace period too).
#pragma once

#include "base/atomic.h"
#include "base/list.h"
#include "base/own.h"
#include "base/result.h"
#include "flow/flow_key.h"
#include "flow_table/flow_stats.h"
#include "platform/platform.h"

namespace ovsdp {

// ---- Masks --------------------------------------------------------------------

// A wildcard mask shared by every flow that uses it (upstream's sw_flow_mask).
// Its key holds 1-bits where flows match; `range` covers every nonzero byte of
// it, rounded out to longs. Owned by a FlowTable: ref_count is the number of
// flows in the table using it, under the datapath lock; freed after a grace
// period once unused.
struct FlowMask {
    int ref_count;
    ovsdp_rcu_head rcu;
    FlowKeyRange range;
    FlowKey key;
};

// True when `range` can be walked a long at a time inside a FlowKey.
inline constexpr bool flow_key_range_valid(FlowKeyRange r)
{
    return r.start <= r.end && r.end <= kFlowKeySize && r.start % sizeof(long) == 0 && r.end % sizeof(long) == 0;
}

// ---- Actions ------------------------------------------------------------------

// The most a flow's validated actions may take. Upstream (6.1.192) has no
// fixed cap any more (the old MAX_ACTIONS_BUFSIZE of 32 KiB is gone): what
// bounds the actions is the attribute that carries them, at most 65,531
// bytes, and validation may grow them. The largest growth is a set(tunnel)
// in bridge mode, 12 bytes sent and 80 kept (its ActionTunnelInfo with the
// metadata pointer, 6.7x), so 7 x 64 KiB holds the validated form of any
// action list one attribute can carry.
inline constexpr u32 kMaxActionsBufsize = 7 * 64 * 1024;

// A flow's actions: validated netlink attributes, opaque to the table. The
// flow_netlink/actions code fills `data`; a flow points to one through an
// RCU-protected pointer, replaced whole (flow_replace_actions_locked) and
// freed after a grace period.
struct FlowActions {
    ovsdp_rcu_head rcu;
    u32 len; // bytes used in data
    u32 capacity; // bytes allocated for data
    u32 flags; // kFlowActionsUpcall, kFlowActionsCt
    // Gives back what actions hold outside the blob (conntrack templates and
    // helpers, kFlowActionsCt; tunnel metadata, kFlowActionsTunnel) before
    // the blob is freed; null when nothing.
    void (*release)(FlowActions* acts);
    alignas(8) u8 data[];
};

// FlowActions::flags: a userspace action somewhere in the list, nested ones
// included (the receive path then takes the packet's hash before running
// them, as upstream's lookup does, so that OVS_PACKET_ATTR_HASH is the same).
inline constexpr u32 kFlowActionsUpcall = 1u << 0;
// A ct action somewhere in the list, nested ones included: its host
// resources are released with the actions (FlowActions::release).
inline constexpr u32 kFlowActionsCt = 1u << 1;
// A set(tunnel) somewhere in the list: each holds a reference to the tunnel
// metadata made for it at validation, released with the actions.
inline constexpr u32 kFlowActionsTunnel = 1u << 2;

// Process context (or gfp = NoWait). E2BIG above kMaxActionsBufsize, NOMEM
// when the allocation fails. `len` starts at 0; data is zeroed.
Result<FlowActions*> flow_actions_alloc(u32 capacity, unsigned gfp = OVSDP_GFP_KERNEL);
// Immediately (never published, or from an RCU callback); runs
// acts->release first.
void flow_actions_free(FlowActions* acts);
// After a grace period.
void flow_actions_free_rcu(FlowActions* acts);
// The owner of actions not yet published.
using OwnActions = Own<FlowActions, flow_actions_free>;

// ---- Identifier ---------------------------------------------------------------

inline constexpr u32 kMaxUfidLength = 16; // MAX_UFID_LENGTH

// A unique flow identifier chosen by userspace (OVS_FLOW_ATTR_UFID).
struct FlowUfid {
    u32 len; // 1..kMaxUfidLength bytes; 0 = none
    u8 data[kMaxUfidLength]; // zero beyond len
};

// ---- The flow -------------------------------------------------------------------

struct Flow {
    // -- Read by every lookup that reaches this flow's bucket. --
    HListNode table_node[2]; // in FlowTable's key table, one per instance version
    u32 hash; // masked-key hash over mask->range (seed-independent)
    u32 ufid_hash; // hash of ufid, if any
    FlowMask* mask; // shared, set by FlowTable::insert_locked
    FlowActions* actions; // RCU; replaced with flow_replace_actions_locked

    // -- Lookup by UFID, dump, lifetime. --
    HListNode ufid_node[2]; // in FlowTable's UFID table (flows with a UFID only)
    HListNode dump_node[2]; // FlowTable's dump index, one per index version
    u64 dump_key; // position in dump order, unique per table
    ovsdp_rcu_head rcu;
    // Identifier: the UFID, or else the unmasked key (upstream's sw_flow_id).
    FlowUfid ufid;
    bool from_cache; // allocated from the flow cache (flow_cache_init)
    FlowKey* unmasked_key; // set iff ufid.len == 0 and an identifier was given

    FlowKey key; // masked key: zero outside mask->range and where mask is 0

    FlowStats stats; // last: per-node instance pointers follow
};

// The slab cache of flows, sized for this host's NUMA nodes (module load;
// process context). Flows then take 640 bytes instead of kmalloc's 1,024.
// Without it (the userspace tests) flows come from kmalloc; so does a flow
// that does not fit (a simulated topology with more nodes than at init).
// flow_cache_exit() only once every flow was freed (after an RCU barrier).
Status flow_cache_init();
void flow_cache_exit();

// Process context. A zeroed flow with its node-0 statistics; nullptr (NOMEM)
// on allocation failure.
Result<Flow*> flow_alloc();
// Frees the flow, its identifier, actions and statistics. The flow must not be
// reachable by any reader (never inserted, or after a grace period).
void flow_free(Flow* flow);
// After a grace period (the flow was removed from its table).
void flow_free_rcu(Flow* flow);
// The owner of a flow not (yet) in a table.
using OwnFlow = Own<Flow, flow_free>;

// Identifier setters, before insertion; exactly one of them per flow.
// INVAL when len is 0 or above kMaxUfidLength.
Status flow_set_ufid(Flow* flow, const u8* ufid, u32 len);
// Copies `key` (process context); NOMEM on failure.
Status flow_set_unmasked_key(Flow* flow, const FlowKey& key);
inline bool flow_has_ufid(const Flow* flow) { return flow->ufid.len != 0; }

// Publish new actions for readers; the old ones are freed after a grace
// period. Datapath lock.
void flow_replace_actions_locked(Flow* flow, FlowActions* acts) OVSDP_REQUIRES(ovsdp_ovs_mutex);
// The current actions: under rcu_read_lock or the datapath lock.
inline const FlowActions* flow_actions(const Flow* flow) { return rcu_deref(flow->actions); }

// ---- Masked key operations (word by word over [start, end)) ----------------------

namespace flow_key_ops {

inline const unsigned long* words(const FlowKey& k, usize offset)
{
    return reinterpret_cast<const unsigned long*>(k.bytes() + offset);
}

inline constexpr u64 kMul = 0x9e3779b97f4a7c15ull;

OVSDP_ALWAYS_INLINE u64 rotl64(u64 v, int s) { return (v << s) | (v >> (64 - s)); }
OVSDP_ALWAYS_INLINE u64 mix_word(u64 h, u64 w) { return rotl64((h ^ w) * kMul, 29); }
// Fold the lanes to 32 bits. No finaliser here: a table's bucket index mixes
// the hash with its seed through a full 32-bit finaliser (fmix32), and the
// stored hash only needs to tell keys apart.
OVSDP_ALWAYS_INLINE u32 finish(u64 a, u64 b, usize n_words)
{
    u64 h = a ^ rotl64(b, 32) ^ n_words;
    return static_cast<u32>(h ^ (h >> 32));
}

} // namespace flow_key_ops

static_assert(sizeof(unsigned long) == sizeof(u64), "the masked hash assumes 64-bit longs");

// Hash of `key & mask` over `range` (key need not be masked). Two lanes so that
// the multiply chains overlap.
OVSDP_ALWAYS_INLINE u32 flow_hash_masked(const FlowKey& key, const FlowKey& mask, FlowKeyRange range)
{
    using namespace flow_key_ops;
    const unsigned long* k = words(key, range.start);
    const unsigned long* m = words(mask, range.start);
    usize n = range.size() / sizeof(long);
    u64 a = 0, b = kMul;
    usize i = 0;
    for (; i + 1 < n; i += 2) {
        a = mix_word(a, k[i] & m[i]);
        b = mix_word(b, k[i + 1] & m[i + 1]);
    }
    if (i < n)
        a = mix_word(a, k[i] & m[i]);
    return finish(a, b, n);
}

// Hash of an already masked key over `range`; equal to flow_hash_masked() of
// any key that masks to it.
OVSDP_ALWAYS_INLINE u32 flow_hash(const FlowKey& masked, FlowKeyRange range)
{
    using namespace flow_key_ops;
    const unsigned long* k = words(masked, range.start);
    usize n = range.size() / sizeof(long);
    u64 a = 0, b = kMul;
    usize i = 0;
    for (; i + 1 < n; i += 2) {
        a = mix_word(a, k[i]);
        b = mix_word(b, k[i + 1]);
    }
    if (i < n)
        a = mix_word(a, k[i]);
    return finish(a, b, n);
}

// True when `masked == key & mask` over `range`.
OVSDP_ALWAYS_INLINE bool flow_cmp_masked(const FlowKey& masked, const FlowKey& key, const FlowKey& mask, FlowKeyRange range)
{
    using namespace flow_key_ops;
    const unsigned long* f = words(masked, range.start);
    const unsigned long* k = words(key, range.start);
    const unsigned long* m = words(mask, range.start);
    usize n = range.size() / sizeof(long);
    unsigned long diff = 0;
    for (usize i = 0; i < n; i++)
        diff |= (k[i] & m[i]) ^ f[i];
    return diff == 0;
}

// True when a and b are equal over [start, end) (long-aligned offsets).
OVSDP_ALWAYS_INLINE bool flow_key_equal_range(const FlowKey& a, const FlowKey& b, usize start, usize end)
{
    using namespace flow_key_ops;
    if (end <= start)
        return true;
    const unsigned long* x = words(a, start);
    const unsigned long* y = words(b, start);
    usize n = (end - start) / sizeof(long);
    unsigned long diff = 0;
    for (usize i = 0; i < n; i++)
        diff |= x[i] ^ y[i];
    return diff == 0;
}

// dst = src & mask over `range`; with `full`, dst is zeroed elsewhere
// (upstream's ovs_flow_mask_key).
void flow_mask_key(FlowKey* dst, const FlowKey& src, const FlowKey& mask, FlowKeyRange range, bool full);

// Where a key's identifying bytes start: tunnel metadata counts only for
// tunnelled keys (upstream's flow_key_start).
inline usize flow_key_start(const FlowKey& key)
{
    return key.tun_key.ip_family ? 0 : kFlowKeyNonTunnelStart;
}

// A key-identified flow's unmasked key equals `key` over
// [flow_key_start(key), range.end) (upstream's ovs_flow_cmp_unmasked_key).
inline bool flow_cmp_unmasked_key(const Flow* flow, const FlowKey& key, FlowKeyRange range)
{
    return flow->unmasked_key && flow_key_equal_range(*flow->unmasked_key, key, flow_key_start(key), range.end);
}

inline bool flow_cmp_ufid(const Flow* flow, const FlowUfid& ufid)
{
    return flow->ufid.len == ufid.len && __builtin_memcmp(flow->ufid.data, ufid.data, ufid.len) == 0;
}

// Hash of a UFID (seed-independent; the tables mix in their seed).
inline u32 flow_ufid_hash(const FlowUfid& ufid)
{
    u64 lo, hi;
    __builtin_memcpy(&lo, ufid.data, 8);
    __builtin_memcpy(&hi, ufid.data + 8, 8);
    return flow_key_ops::finish(flow_key_ops::mix_word(0, lo), flow_key_ops::mix_word(flow_key_ops::kMul, hi), ufid.len);
}

} // namespace ovsdp
