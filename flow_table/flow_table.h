// SPDX-License-Identifier: GPL-2.0
// The masked megaflow table (upstream's flow_table.c; DESIGN §5 seeds 5, 12).
//
// Structures and their invariants
// -------------------------------
// MaskArray    the distinct masks of the table's flows, hole-free: slots
//              [0, count) are non-null, ranked by use (masks_rebalance_locked
//              re-sorts them from per-CPU hit counters). Readers take count
//              (acquire) then walk the slots. Appending writes slot `count`
//              before publishing count + 1. Every other change (grow, remove a
//              mask, rebalance, flush) builds a new array and publishes it with
//              RCU, so a reader walking an array always sees every mask that
//              stayed in the table; the old array is freed after a grace
//              period. (If that copy cannot be allocated, removal falls back
//              to upstream's in-place move of the last mask into the hole; a
//              concurrent reader may then miss one lookup.)
// MaskPrefilter  (optional, MaskArray::pf, RCU) which slots of *its* mask
//              array can match a packet: see mask_prefilter.h.
// MaskCache    per-CPU arrays of {skb_hash, mask index} sized by
//              OVS_DP_ATTR_MASKS_CACHE_SIZE (0 = no cache). An entry is a hint:
//              the index is bounds-checked and the mask it names is probed
//              like any other, so a stale entry costs probes, never a wrong
//              result. Replaced whole (RCU) on resize.
// TableInstance  hash buckets (hlist heads), a random seed and a version
//              (0/1). Every flow has one link per version; a new instance
//              (grow, periodic rehash) links all flows through the other
//              version before it is published, so readers still on the old
//              instance walk intact chains. A version is reused only after a
//              grace period has passed since the instance that used it was
//              replaced (synchronize_rcu if needed; insertions are process
//              context). Two instances: by masked key, and by UFID.
// Flow         sits in the key instance (always), the UFID instance (if it
//              has a UFID) and the dump index; its mask's ref_count counts it.
// DumpIndex    buckets of hlists, each sorted by the flows' dump_key (a
//              bijective mix of an insertion number: unique per table and
//              independent of the hash seeds and table sizes); bucket b holds
//              the keys whose top `bits` bits are b, so walking the buckets in
//              order walks the keys in order. A dump resumes from the last
//              key it returned, so flows that stay in the table are returned
//              exactly once whatever is inserted, removed, grown or rehashed
//              between two netlink messages. RCU-readable: a flow is linked
//              into its sorted place with one release store and unlinked with
//              hlist_del_rcu (its next pointer stays valid until it is freed,
//              after a grace period), so a reader never skips a flow that
//              stays. Growth links every flow through the other version of
//              Flow::dump_node into a new index, published with RCU; a
//              version is reused only after a grace period has passed since
//              the index that used it was replaced (like TableInstance).
//
// Contexts: lookup() is the packet path (softirq: BH disabled, under
// rcu_read_lock). lookup_ufid()/lookup_exact() need rcu_read_lock or the
// datapath lock. *_locked() need the datapath lock (ovs_mutex) in process
// context; they may sleep (insert and rehash may wait for a grace period), so
// never call them inside an RCU read-side section.
#pragma once

#include "base/list.h"
#include "base/result.h"
#include "flow/flow_key.h"
#include "flow_table/flow.h"
#include "flow_table/mask_prefilter.h"
#include "platform/platform.h"

namespace ovsdp {

inline constexpr u32 kTableMinBuckets = 1024; // TBL_MIN_BUCKETS
inline constexpr u32 kMaskArraySizeMin = 16; // MASK_ARRAY_SIZE_MIN
// Slots with per-CPU hit counters: a per-CPU area holds at most 32 KiB
// (OVSDP_PERCPU_MAX_SIZE), 4,096 u64. Upstream sizes its counters by the
// array and so cannot grow past 4,096 masks (the allocation fails, with a
// kernel warning, at 8,192); here slots from 4,096 on are not counted: the
// rebalance ranks their masks behind the counted ones, in their order.
inline constexpr u32 kMaskUsageSlots = OVSDP_PERCPU_MAX_SIZE / sizeof(u64);
inline constexpr u32 kMaskCacheDefaultSize = 256; // MC_DEFAULT_HASH_ENTRIES
inline constexpr u32 kMaskCacheMaxSize = 4096; // per-CPU unit bound, as upstream
inline constexpr u32 kMaskCacheHashShift = 8; // MC_HASH_SHIFT
inline constexpr u32 kMaskCacheHashSegs = 32 / kMaskCacheHashShift; // MC_HASH_SEGS
inline constexpr u32 kDumpMinBuckets = 256;
// REHASH_INTERVAL: 10 minutes, in milliseconds (converted with the platform's HZ).
inline constexpr u32 kRehashIntervalMs = 10 * 60 * 1000;

struct MaskCacheEntry {
    u32 skb_hash;
    u32 mask_index;
};

struct MaskCache {
    ovsdp_rcu_head rcu;
    u32 size; // 0 or a power of 2
    MaskCacheEntry* entries; // per-CPU area of `size` entries; nullptr if size 0
};

struct MaskArray {
    ovsdp_rcu_head rcu;
    MaskPrefilter* pf; // RCU; nullptr: probe every slot
    u32 count; // masks in [0, count); readers load with acquire
    u32 max; // capacity
    u64* usage; // per-CPU area of min(max, kMaskUsageSlots) hit counters
    u64* usage_zero; // writer: per-slot counter sum at the last rebalance
    FlowMask* masks[]; // RCU; then `max` u64 for usage_zero
};

struct DumpIndex {
    ovsdp_rcu_head rcu;
    u32 bits; // log2 of the bucket count
    u32 ver; // which Flow::dump_node[] this index links
    HListHead buckets[]; // 1 << bits
};

struct TableInstance {
    ovsdp_rcu_head rcu;
    HListHead* buckets;
    u32 n_buckets; // power of 2
    u32 seed;
    u32 node_ver; // which Flow::*_node[] this instance links
    u32 ufid; // 0: key table (Flow::table_node), 1: UFID table (Flow::ufid_node)
};

class FlowTable : Pinned {
public:
    FlowTable() = default;

    // Process context. NOMEM on failure (nothing to destroy then).
    Status init(u32 masks_cache_size = kMaskCacheDefaultSize);
    // Datapath lock, no new readers possible (the datapath is unlinked).
    // Frees every flow, mask and instance after a grace period. The callbacks
    // never touch the FlowTable object: it may go once current readers are
    // done with it (e.g. with the datapath, after a grace period). Readers
    // still inside their RCU section keep seeing the old structures.
    void destroy_locked() OVSDP_REQUIRES(ovsdp_ovs_mutex);

    // ---- Lookups ----

    // The packet path (upstream ovs_flow_tbl_lookup_stats): the flow whose
    // mask and masked key match `key`, or nullptr. `skb_hash` (0 = none)
    // selects a mask cache entry. Reports the masks probed and whether the
    // cached mask hit, for the datapath's per-CPU counters.
    Flow* lookup(const FlowKey& key, u32 skb_hash, u32* n_mask_hit, u32* n_cache_hit);
    // Process context, no cache (upstream ovs_flow_tbl_lookup): used by flow
    // install to find an overlapping flow. Takes rcu_read_lock and disables
    // BH itself (the per-CPU mask hit counters).
    Flow* lookup(const FlowKey& key);
    // A key-identified flow (no UFID) whose unmasked key equals `key` over
    // [flow_key_start(key), range.end) among every mask's candidate (upstream
    // ovs_flow_tbl_lookup_exact). RCU or datapath lock.
    Flow* lookup_exact(const FlowKey& key, FlowKeyRange range);
    // By UFID. RCU or datapath lock.
    Flow* lookup_ufid(const FlowUfid& ufid);

    // ---- Changes (datapath lock) ----

    // Insert `flow`, whose key is already masked by (mask, range) (see
    // flow_mask_key). Finds or creates the shared mask. Duplicates are the
    // caller's to reject (lookup first). INVAL for a bad range, NOMEM when a
    // mask or mask array cannot be allocated (the flow is then not inserted).
    // May grow or rehash the key table.
    Status insert_locked(Flow* flow, const FlowKey& mask, FlowKeyRange range) OVSDP_REQUIRES(ovsdp_ovs_mutex);
    // Unlink `flow` from every index and drop its mask reference. The caller
    // may still read the flow (and its mask) under RCU/the lock, and frees it
    // with flow_free_rcu().
    void remove_locked(Flow* flow) OVSDP_REQUIRES(ovsdp_ovs_mutex);
    // Remove and free (after a grace period) every flow and mask. NOMEM, with
    // the table unchanged, if the empty instances cannot be allocated.
    Status flush_locked() OVSDP_REQUIRES(ovsdp_ovs_mutex);
    // Re-seed the key table (the periodic rehash, also done by insert every
    // kRehashIntervalMs). NOMEM leaves it as it was.
    Status rehash_locked() OVSDP_REQUIRES(ovsdp_ovs_mutex);
    // Re-rank masks by hits since the last call (the datapath calls this
    // periodically, as upstream's ovs_flow_masks_rebalance every 4 s).
    void masks_rebalance_locked() OVSDP_REQUIRES(ovsdp_ovs_mutex);
    // 0 disables the cache; else a power of 2 up to kMaskCacheMaxSize (INVAL
    // otherwise). NOMEM keeps the old cache.
    Status set_masks_cache_size_locked(u32 size) OVSDP_REQUIRES(ovsdp_ovs_mutex);
    // The mask prefilter (on by default). Off: upstream's behaviour, every
    // slot probed in rank order (for A/B measurements). On: built now if the
    // table has kPfMinMasks masks or more.
    void set_prefilter_locked(bool on) OVSDP_REQUIRES(ovsdp_ovs_mutex);
    bool prefilter_enabled() const { return pf_enabled_; }
    // Re-choose the prefilter's bits from the current flows and refill it
    // (rebalance does this when masks changed since the last choice).
    void prefilter_rebuild_locked() OVSDP_REQUIRES(ovsdp_ovs_mutex);

    // ---- Dump (RCU or datapath lock) ----

    // The flow after `cursor` in dump order (cursor 0 = from the start), or
    // nullptr at the end. After writing the flow out, the caller stores
    // flow->dump_key as its new cursor (fits in a netlink callback's args);
    // the flow stays readable until the caller leaves its RCU section.
    Flow* dump_next(u64 cursor) const;

    // ---- Counters (any context; a racy snapshot outside the lock) ----

    u32 n_flows() const { return read_once(count_); }
    u32 n_ufid_flows() const { return read_once(ufid_count_); }
    u32 n_masks() const;
    u32 masks_cache_size() const;

    // ---- Introspection for tests and benchmarks ----
    u32 n_buckets() const;
    u32 n_dump_buckets() const { return 1u << rcu_deref(dump_)->bits; }
    u32 mask_array_capacity() const;
    unsigned long last_rehash() const { return last_rehash_; }
    // The mask in slot i (datapath lock), nullptr past the end.
    const FlowMask* mask_at(u32 i) const;
    // The current prefilter (datapath lock): nullptr if none.
    const MaskPrefilter* prefilter() const;

private:
    FlowMask* mask_insert_locked(const FlowKey& mask, FlowKeyRange range, u32* slot) OVSDP_REQUIRES(ovsdp_ovs_mutex);
    MaskPrefilter* pf_build_locked(const MaskArray* ma, bool choose) OVSDP_REQUIRES(ovsdp_ovs_mutex);
    void pf_attach_locked(MaskArray* ma, MaskPrefilter* pf) OVSDP_REQUIRES(ovsdp_ovs_mutex);
    void mask_remove_locked(FlowMask* mask) OVSDP_REQUIRES(ovsdp_ovs_mutex);
    Status mask_array_append_locked(FlowMask* mask) OVSDP_REQUIRES(ovsdp_ovs_mutex);
    void key_insert_locked(Flow* flow) OVSDP_REQUIRES(ovsdp_ovs_mutex);
    void ufid_insert_locked(Flow* flow) OVSDP_REQUIRES(ovsdp_ovs_mutex);
    TableInstance* instance_copy_locked(TableInstance* old, u32 n_buckets, bool ufid) OVSDP_REQUIRES(ovsdp_ovs_mutex);
    void instance_replace_locked(TableInstance** slot, TableInstance* ti) OVSDP_REQUIRES(ovsdp_ovs_mutex);
    void dump_insert_locked(Flow* flow) OVSDP_REQUIRES(ovsdp_ovs_mutex);
    void dump_grow_locked() OVSDP_REQUIRES(ovsdp_ovs_mutex);

    TableInstance* ti_ = nullptr; // RCU
    TableInstance* ufid_ti_ = nullptr; // RCU
    MaskArray* mask_array_ = nullptr; // RCU
    MaskCache* mask_cache_ = nullptr; // RCU
    unsigned long last_rehash_ = 0; // jiffies
    // Instances replaced by grow/rehash, per kind (key, UFID), and the counts
    // at the last synchronize_rcu: see instance_copy_locked().
    u32 retired_[2] = {};
    u32 synced_[2] = {};
    u32 count_ = 0;
    u32 ufid_count_ = 0;

    // Prefilter state (datapath lock): the bits last chosen (reused when the
    // mask set did not change), and what they were chosen for.
    bool pf_enabled_ = true;
    u32 pf_n_bits_ = 0; // 0: none chosen yet (or none worth it)
    PfBit pf_plan_[kPfMaxBits] = {};
    u64 pf_masks_gen_ = 0; // bumped on every mask add/remove
    u64 pf_chosen_gen_ = ~u64(0); // pf_masks_gen_ at the last choice
    u32 pf_chosen_flows_ = 0; // count_ at the last choice
    u32 pf_chosen_masks_ = 0; // masks at the last choice (0: none since flush)
    u32 pf_stale_ = 0; // flows removed since the current prefilter was filled

    // Dump index.
    DumpIndex* dump_ = nullptr; // RCU
    u64 dump_seq_ = 0; // insertion number of the last flow inserted
    bool dump_retired_ = false; // an index was replaced since the last grace period
    bool destroyed_ = false;
};

} // namespace ovsdp
