// SPDX-License-Identifier: GPL-2.0
// The masked megaflow table: see flow_table.h for the structures and their
// invariants.
#include "flow_table/flow_table.h"

#include "flow_table/flow_table_detail.h"
#include "platform/alloc.h"

namespace ovsdp {

// Internal helpers live in a named namespace: the kernel build compiles every
// core .cpp as one translation unit, where anonymous namespaces would merge.
namespace flow_table_detail {

// Instances retired with call_rcu and not yet freed, over all tables, for key
// ([0]) and UFID ([1]) instances. When it is zero, every instance of that kind
// replaced so far is past its grace period.
constinit Atomic<long> g_instances_pending[2];

// A bijection of u64 with mix64(0) == 0 (splitmix64's finaliser): dump keys.
inline u64 mix64(u64 z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

OVSDP_ALWAYS_INLINE HListHead* find_bucket(const TableInstance* ti, u32 hash)
{
    return &ti->buckets[fmix32(hash ^ ti->seed) & (ti->n_buckets - 1)];
}

inline Flow* dump_flow(const HListNode* n, u32 ver) { return flow_of_node(n, kDumpNodeOffset, ver); }

// Link n at the head of h for concurrent RCU readers. Every field a reader
// follows is written atomically (the node may be a version reused after a
// grace period, which a race detector cannot see).
inline void link_head_rcu(HListHead* h, HListNode* n)
{
    HListNode* first = h->first;
    write_once(n->next, first);
    n->pprev = &h->first;
    rcu_assign(h->first, n);
    if (first)
        first->pprev = &n->next;
}

// ---- Table instances ----------------------------------------------------------------

static TableInstance* instance_alloc(u32 n_buckets, bool ufid)
{
    auto* ti = make_zeroed<TableInstance>(Gfp::Kernel);
    if (!ti)
        return nullptr;
    ti->buckets = static_cast<HListHead*>(ovsdp_kvmalloc(n_buckets * sizeof(HListHead), OVSDP_GFP_KERNEL));
    if (!ti->buckets) {
        destroy(ti);
        return nullptr;
    }
    for (u32 i = 0; i < n_buckets; i++)
        new (&ti->buckets[i]) HListHead;
    ti->n_buckets = n_buckets;
    ti->seed = ovsdp_get_random_u32();
    ti->node_ver = 0;
    ti->ufid = ufid;
    return ti;
}

static void instance_free(TableInstance* ti)
{
    if (!ti)
        return;
    ovsdp_kvfree(ti->buckets);
    destroy(ti);
}

static void instance_free_cb(ovsdp_rcu_head* head)
{
    TableInstance* ti = container_of(head, &TableInstance::rcu);
    u32 kind = ti->ufid;
    instance_free(ti);
    g_instances_pending[kind].fetch_sub(1, __ATOMIC_RELEASE);
}

static void instance_retire(TableInstance* ti)
{
    g_instances_pending[ti->ufid].fetch_add(1, __ATOMIC_RELAXED);
    ovsdp_call_rcu(&ti->rcu, instance_free_cb);
}

// ---- Dump index -----------------------------------------------------------------------

static DumpIndex* dump_index_alloc(u32 bits, u32 ver)
{
    usize size = sizeof(DumpIndex) + (usize(1) << bits) * sizeof(HListHead);
    auto* di = static_cast<DumpIndex*>(ovsdp_kvmalloc(size, OVSDP_GFP_KERNEL | OVSDP_GFP_ZERO));
    if (!di)
        return nullptr;
    di->bits = bits;
    di->ver = ver;
    return di;
}

static void dump_index_free_cb(ovsdp_rcu_head* head) { ovsdp_kvfree(container_of(head, &DumpIndex::rcu)); }

static void dump_index_retire(DumpIndex* di) { ovsdp_call_rcu(&di->rcu, dump_index_free_cb); }

// ---- Masks and mask arrays ------------------------------------------------------------

static void mask_free_cb(ovsdp_rcu_head* head) { ovsdp_kfree(container_of(head, &FlowMask::rcu)); }

static MaskArray* mask_array_alloc(u32 max)
{
    usize size = sizeof(MaskArray) + max * sizeof(FlowMask*) + max * sizeof(u64);
    auto* ma = static_cast<MaskArray*>(ovsdp_kmalloc(size, OVSDP_GFP_KERNEL | OVSDP_GFP_ZERO));
    if (!ma)
        return nullptr;
    ma->max = max;
    ma->count = 0;
    ma->usage_zero = reinterpret_cast<u64*>(&ma->masks[max]);
    ma->usage = static_cast<u64*>(ovsdp_alloc_percpu(min(max, kMaskUsageSlots) * sizeof(u64), alignof(u64)));
    if (!ma->usage) {
        ovsdp_kfree(ma);
        return nullptr;
    }
    return ma;
}

static void mask_array_free(MaskArray* ma)
{
    if (!ma)
        return;
    pf_free(ma->pf); // retired together with its array
    ovsdp_free_percpu(ma->usage);
    ovsdp_kfree(ma);
}

static void mask_array_free_cb(ovsdp_rcu_head* head) { mask_array_free(container_of(head, &MaskArray::rcu)); }

static void mask_array_retire(MaskArray* ma) { ovsdp_call_rcu(&ma->rcu, mask_array_free_cb); }

// Fill `to` (unpublished) with the first `n` masks of `from` except slot
// `skip` (n or more: none), order kept, with their hit counters, so that a
// copy keeps the ranking information.
static void mask_array_copy(MaskArray* to, const MaskArray* from, u32 n, u32 skip)
{
    int ncpu = ovsdp_nr_cpu_ids();
    u32 from_counted = min(from->max, kMaskUsageSlots), to_counted = min(to->max, kMaskUsageSlots);
    u32 j = 0;
    for (u32 i = 0; i < n; i++) {
        if (i == skip)
            continue;
        to->masks[j] = from->masks[i];
        // Counters that move along keep their base; others start from 0.
        to->usage_zero[j] = i < from_counted && j < to_counted ? from->usage_zero[i] : 0;
        j++;
    }
    for (int cpu = 0; cpu < ncpu; cpu++) {
        auto* f = static_cast<const u64*>(ovsdp_per_cpu_ptr(from->usage, cpu));
        auto* t = static_cast<u64*>(ovsdp_per_cpu_ptr(to->usage, cpu));
        j = 0;
        for (u32 i = 0; i < n; i++) {
            if (i == skip)
                continue;
            if (j < to_counted)
                t[j] = i < from_counted ? read_once(f[i]) : 0;
            j++;
        }
    }
    to->count = j;
}

static u64 mask_usage_sum(const MaskArray* ma, u32 i)
{
    u64 sum = 0;
    if (i >= kMaskUsageSlots)
        return 0;
    int ncpu = ovsdp_nr_cpu_ids();
    for (int cpu = 0; cpu < ncpu; cpu++)
        sum += read_once(static_cast<const u64*>(ovsdp_per_cpu_ptr(ma->usage, cpu))[i]);
    return sum;
}

static bool mask_equal(const FlowMask* m, const FlowKey& key, FlowKeyRange range)
{
    return m->range.start == range.start && m->range.end == range.end &&
           flow_key_equal_range(m->key, key, range.start, range.end);
}

// ---- Mask cache -------------------------------------------------------------------------

static MaskCache* mask_cache_alloc(u32 size)
{
    auto* mc = make_zeroed<MaskCache>(Gfp::Kernel);
    if (!mc)
        return nullptr;
    mc->size = size;
    if (size) {
        mc->entries = static_cast<MaskCacheEntry*>(
            ovsdp_alloc_percpu(size * sizeof(MaskCacheEntry), alignof(MaskCacheEntry)));
        if (!mc->entries) {
            destroy(mc);
            return nullptr;
        }
    }
    return mc;
}

static void mask_cache_free(MaskCache* mc)
{
    if (!mc)
        return;
    ovsdp_free_percpu(mc->entries);
    destroy(mc);
}

static void mask_cache_free_cb(ovsdp_rcu_head* head) { mask_cache_free(container_of(head, &MaskCache::rcu)); }

// ---- Rebalance sort ------------------------------------------------------------------------

struct MaskRank {
    u64 hits;
    u32 index;
};

// Strict order: more hits first, then the current slot (so the sort is
// deterministic and an unchanged ranking is recognised).
inline bool rank_before(const MaskRank& a, const MaskRank& b)
{
    return a.hits != b.hits ? a.hits > b.hits : a.index < b.index;
}

static void sift_down(MaskRank* a, usize start, usize n)
{
    usize root = start;
    for (;;) {
        usize child = 2 * root + 1;
        if (child >= n)
            return;
        // Max-heap on "sorts later".
        if (child + 1 < n && rank_before(a[child], a[child + 1]))
            child++;
        if (!rank_before(a[root], a[child]))
            return;
        swap(a[root], a[child]);
        root = child;
    }
}

// In-place heap sort, no recursion.
static void sort_ranks(MaskRank* a, usize n)
{
    if (n < 2)
        return;
    for (usize i = n / 2; i-- > 0;)
        sift_down(a, i, n);
    for (usize end = n - 1; end > 0; end--) {
        swap(a[0], a[end]);
        sift_down(a, 0, end);
    }
}

// ---- Lookup core ------------------------------------------------------------------------------

OVSDP_ALWAYS_INLINE Flow* masked_flow_lookup(const TableInstance* ti, const FlowKey& key, const FlowMask* mask,
                                             u32* n_mask_hit)
{
    u32 hash = flow_hash_masked(key, mask->key, mask->range);
    const HListHead* head = find_bucket(ti, hash);
    u32 ver = ti->node_ver;
    (*n_mask_hit)++;
    for (const HListNode* n = rcu_deref(head->first); n; n = rcu_deref(n->next)) {
        Flow* flow = flow_of_node(n, kTableNodeOffset, ver);
        if (flow->mask == mask && flow->hash == hash && flow_cmp_masked(flow->key, key, mask->key, mask->range))
            return flow;
    }
    return nullptr;
}

OVSDP_ALWAYS_INLINE void count_mask_use(const MaskArray* ma, u32 i)
{
    if (OVSDP_UNLIKELY(i >= kMaskUsageSlots))
        return;
    u64* usage = static_cast<u64*>(ovsdp_this_cpu_ptr(ma->usage));
    write_once(usage[i], read_once(usage[i]) + 1);
}

// flow_lookup() with a prefilter: the hint if trusted (before the row is even
// computed: a right cache entry costs what it costs upstream) or a candidate,
// then the candidate slots of the packet's row in rank order. `count` <=
// ma->max, the prefilter's width.
OVSDP_ALWAYS_INLINE Flow* flow_lookup_pf(const TableInstance* ti, const MaskArray* ma, const MaskPrefilter* pf, u32 count,
                                    const FlowKey& key, u32* n_mask_hit, u32* n_cache_hit, u32* index, bool trusted)
{
    u32 hint = *index;
    bool hint_probed = false;
    const u64* row = nullptr;
    const u64* always = pf->always;
    auto probe_hint = [&]() -> Flow* {
        const FlowMask* mask = rcu_deref(ma->masks[hint]);
        if (!mask)
            return nullptr;
        hint_probed = true;
        Flow* flow = masked_flow_lookup(ti, key, mask, n_mask_hit);
        if (flow) {
            count_mask_use(ma, hint);
            (*n_cache_hit)++;
        }
        return flow;
    };
    if (hint < count && trusted) {
        if (Flow* flow = probe_hint())
            return flow;
    }
    row = pf->rows + usize(pf_gather(pf, key)) * pf->words;
    if (hint < count && !trusted && (((read_once(row[hint / 64]) | read_once(always[hint / 64])) >> (hint % 64)) & 1)) {
        if (Flow* flow = probe_hint())
            return flow;
    }
    u32 n_words = (count + 63) / 64;
    for (u32 w = 0; w < n_words; w++) {
        u64 bits = read_once(row[w]) | read_once(always[w]);
        if (w == n_words - 1 && count % 64)
            bits &= (u64(1) << (count % 64)) - 1;
        while (bits) {
            u32 i = w * 64 + static_cast<u32>(__builtin_ctzll(bits));
            bits &= bits - 1;
            if (i == hint && hint_probed)
                continue;
            const FlowMask* mask = rcu_deref(ma->masks[i]);
            if (OVSDP_UNLIKELY(!mask))
                return nullptr; // only after an in-place removal (see mask_remove_locked)
            if (Flow* flow = masked_flow_lookup(ti, key, mask, n_mask_hit)) {
                *index = i;
                count_mask_use(ma, i);
                return flow;
            }
        }
    }
    return nullptr;
}

} // namespace flow_table_detail

using namespace flow_table_detail;

// ---- Setup and teardown -------------------------------------------------------------------

Status FlowTable::init(u32 masks_cache_size)
{
    if (masks_cache_size > kMaskCacheMaxSize || (masks_cache_size && !is_power_of_2(masks_cache_size)))
        return make_error(err::INVAL, "Masks cache size must be 0 or a power of 2 up to 4096");
    ti_ = instance_alloc(kTableMinBuckets, false);
    ufid_ti_ = instance_alloc(kTableMinBuckets, true);
    mask_array_ = mask_array_alloc(kMaskArraySizeMin);
    mask_cache_ = mask_cache_alloc(masks_cache_size);
    dump_ = dump_index_alloc(__builtin_ctz(kDumpMinBuckets), 0);
    if (!ti_ || !ufid_ti_ || !mask_array_ || !mask_cache_ || !dump_) {
        instance_free(ti_);
        instance_free(ufid_ti_);
        mask_array_free(mask_array_);
        mask_cache_free(mask_cache_);
        ovsdp_kvfree(dump_);
        ti_ = ufid_ti_ = nullptr;
        mask_array_ = nullptr;
        mask_cache_ = nullptr;
        dump_ = nullptr;
        return make_error(err::NOMEM, nullptr);
    }
    count_ = ufid_count_ = 0;
    dump_seq_ = 0;
    dump_retired_ = false;
    destroyed_ = false;
    last_rehash_ = ovsdp_jiffies();
    return {};
}

namespace flow_table_detail {

// Queue every flow of `ti` (unpublished or being torn down) for freeing.
static void free_instance_flows(TableInstance* ti)
{
    u32 ver = ti->node_ver;
    for (u32 b = 0; b < ti->n_buckets; b++) {
        HListNode* n = ti->buckets[b].first;
        while (n) {
            HListNode* next = n->next; // before the flow can be freed
            flow_free_rcu(flow_of_node(n, kTableNodeOffset, ver));
            n = next;
        }
    }
}

static void free_masks_rcu(MaskArray* ma)
{
    for (u32 i = 0; i < ma->count; i++)
        if (ma->masks[i])
            ovsdp_call_rcu(&ma->masks[i]->rcu, mask_free_cb);
}

} // namespace flow_table_detail

void FlowTable::destroy_locked()
{
    assert_ovsl();
    if (!ti_ || destroyed_)
        return;
    // The pointers stay: a reader that found the table before it went (the
    // packet path, EXECUTE, flow GET and dump) walks them until it leaves its
    // RCU section; everything is freed after that.
    destroyed_ = true;
    free_instance_flows(ti_);
    free_masks_rcu(mask_array_);
    mask_array_retire(mask_array_);
    instance_retire(ti_);
    instance_retire(ufid_ti_);
    ovsdp_call_rcu(&mask_cache_->rcu, mask_cache_free_cb);
    dump_index_retire(dump_);
    write_once(count_, 0u);
    write_once(ufid_count_, 0u);
}

// ---- Lookups -------------------------------------------------------------------------------

namespace flow_table_detail {

// Probe the mask in slot *index first (a cache hit if it matches), then every
// other slot in rank order; on a hit elsewhere *index names the slot. With a
// prefilter (kPf), only candidate slots, and *index first only if `trusted` (a
// mask cache entry for this very hash) or a candidate.
template <bool kPf>
OVSDP_ALWAYS_INLINE Flow* flow_lookup(const TableInstance* ti, const MaskArray* ma, const MaskPrefilter* pf,
                                      const FlowKey& key, u32* n_mask_hit, u32* n_cache_hit, u32* index, bool trusted)
{
    u32 count = __atomic_load_n(&ma->count, __ATOMIC_ACQUIRE);
    if constexpr (kPf)
        return flow_lookup_pf(ti, ma, pf, count, key, n_mask_hit, n_cache_hit, index, trusted);
    u32 hint = *index;
    if (OVSDP_LIKELY(hint < count)) {
        const FlowMask* mask = rcu_deref(ma->masks[hint]);
        if (mask) {
            if (Flow* flow = masked_flow_lookup(ti, key, mask, n_mask_hit)) {
                count_mask_use(ma, hint);
                (*n_cache_hit)++;
                return flow;
            }
        }
    }
    for (u32 i = 0; i < count; i++) {
        if (i == hint)
            continue;
        const FlowMask* mask = rcu_deref(ma->masks[i]);
        if (OVSDP_UNLIKELY(!mask))
            break; // only after an in-place removal (see mask_remove_locked)
        if (Flow* flow = masked_flow_lookup(ti, key, mask, n_mask_hit)) {
            *index = i;
            count_mask_use(ma, i);
            return flow;
        }
    }
    return nullptr;
}

// The packet path, with (kPf) or without a prefilter: one instance each, so
// that upstream mode and small tables run the code they ran before the
// prefilter existed, behind one branch.
template <bool kPf>
OVSDP_ALWAYS_INLINE Flow* lookup_impl(const MaskCache* mc, const MaskArray* ma, const MaskPrefilter* pf, const TableInstance* ti,
                  const FlowKey& key, u32 skb_hash, u32* n_mask_hit, u32* n_cache_hit)
{
    *n_mask_hit = 0;
    *n_cache_hit = 0;
    if (OVSDP_UNLIKELY(!skb_hash || mc->size == 0)) {
        u32 index = 0;
        u32 cache_hit = 0;
        return flow_lookup<kPf>(ti, ma, pf, key, n_mask_hit, &cache_hit, &index, false);
    }
    // Pre- and post-recirculation packets share their skb hash: tell them apart.
    if (key.recirc_id) {
        skb_hash = fmix32(skb_hash ^ fmix32(key.recirc_id));
        if (!skb_hash)
            skb_hash = 1; // 0 marks an empty entry
    }
    auto* entries = static_cast<MaskCacheEntry*>(ovsdp_this_cpu_ptr(mc->entries));
    MaskCacheEntry* victim = nullptr;
    u32 victim_hash = 0;
    u32 hash = skb_hash;
    for (u32 seg = 0; seg < kMaskCacheHashSegs; seg++) {
        MaskCacheEntry* e = &entries[hash & (mc->size - 1)];
        u32 e_hash = read_once(e->skb_hash);
        if (e_hash == skb_hash) {
            u32 index = read_once(e->mask_index);
            u32 old_index = index;
            Flow* flow = flow_lookup<kPf>(ti, ma, pf, key, n_mask_hit, n_cache_hit, &index, true);
            if (!flow)
                write_once(e->skb_hash, 0u);
            else if (index != old_index)
                write_once(e->mask_index, index);
            return flow;
        }
        // Replace the entry with the smallest hash (empty ones first).
        if (!victim || e_hash < victim_hash) {
            victim = e;
            victim_hash = e_hash;
        }
        hash >>= kMaskCacheHashShift;
    }
    // Cache miss: full lookup, starting from the victim's stale index.
    u32 index = read_once(victim->mask_index);
    Flow* flow = flow_lookup<kPf>(ti, ma, pf, key, n_mask_hit, n_cache_hit, &index, false);
    if (flow) {
        write_once(victim->mask_index, index);
        write_once(victim->skb_hash, skb_hash);
    }
    *n_cache_hit = 0;
    return flow;
}

} // namespace flow_table_detail

Flow* FlowTable::lookup(const FlowKey& key, u32 skb_hash, u32* n_mask_hit, u32* n_cache_hit)
{
    const MaskCache* mc = rcu_deref(mask_cache_);
    const MaskArray* ma = rcu_deref(mask_array_);
    const TableInstance* ti = rcu_deref(ti_);
    // The prefilter belongs to this array: its width is ma->max >= any count read later.
    if (const MaskPrefilter* pf = rcu_deref(ma->pf); OVSDP_UNLIKELY(pf != nullptr))
        return lookup_impl<true>(mc, ma, pf, ti, key, skb_hash, n_mask_hit, n_cache_hit);
    return lookup_impl<false>(mc, ma, nullptr, ti, key, skb_hash, n_mask_hit, n_cache_hit);
}

Flow* FlowTable::lookup(const FlowKey& key)
{
    u32 n_mask_hit = 0, n_cache_hit = 0, index = 0;
    // The per-CPU hit counters need the CPU to stay put.
    ovsdp_local_bh_disable();
    ovsdp_rcu_read_lock();
    const MaskArray* ma = rcu_deref(mask_array_);
    const MaskPrefilter* pf = rcu_deref(ma->pf);
    Flow* flow = pf ? flow_lookup<true>(rcu_deref(ti_), ma, pf, key, &n_mask_hit, &n_cache_hit, &index, false)
                    : flow_lookup<false>(rcu_deref(ti_), ma, nullptr, key, &n_mask_hit, &n_cache_hit, &index, false);
    ovsdp_rcu_read_unlock();
    ovsdp_local_bh_enable();
    return flow;
}

Flow* FlowTable::lookup_exact(const FlowKey& key, FlowKeyRange range)
{
    const MaskArray* ma = rcu_deref(mask_array_);
    const TableInstance* ti = rcu_deref(ti_);
    u32 count = __atomic_load_n(&ma->count, __ATOMIC_ACQUIRE);
    for (u32 i = 0; i < count; i++) {
        const FlowMask* mask = rcu_deref(ma->masks[i]);
        if (!mask)
            break;
        u32 n_mask_hit = 0;
        Flow* flow = masked_flow_lookup(ti, key, mask, &n_mask_hit);
        if (flow && !flow_has_ufid(flow) && flow_cmp_unmasked_key(flow, key, range))
            return flow;
    }
    return nullptr;
}

Flow* FlowTable::lookup_ufid(const FlowUfid& ufid)
{
    const TableInstance* ti = rcu_deref(ufid_ti_);
    u32 hash = flow_ufid_hash(ufid);
    const HListHead* head = find_bucket(ti, hash);
    u32 ver = ti->node_ver;
    for (const HListNode* n = rcu_deref(head->first); n; n = rcu_deref(n->next)) {
        Flow* flow = flow_of_node(n, kUfidNodeOffset, ver);
        if (flow->ufid_hash == hash && flow_cmp_ufid(flow, ufid))
            return flow;
    }
    return nullptr;
}

// ---- Masks -------------------------------------------------------------------------------

Status FlowTable::mask_array_append_locked(FlowMask* mask)
{
    assert_ovsl();
    MaskArray* ma = mask_array_;
    if (ma->count >= ma->max) {
        MaskArray* bigger = mask_array_alloc(ma->max * 2);
        if (!bigger)
            return make_error(err::NOMEM, nullptr);
        mask_array_copy(bigger, ma, ma->count, ma->count);
        if (ma->pf)
            bigger->pf = pf_remap(ma->pf, bigger->max, kNoSlot); // none if no memory: probe all
        rcu_assign(mask_array_, bigger);
        mask_array_retire(ma);
        ma = bigger;
    }
    rcu_assign(ma->masks[ma->count], mask);
    __atomic_store_n(&ma->count, ma->count + 1, __ATOMIC_RELEASE);
    if (ma->pf) // a new mask has no flows yet: its bits can come after count
        pf_add_mask(ma->pf, ma->count - 1, mask);
    return {};
}

FlowMask* FlowTable::mask_insert_locked(const FlowKey& key, FlowKeyRange range, u32* slot)
{
    assert_ovsl();
    MaskArray* ma = mask_array_;
    for (u32 i = 0; i < ma->count; i++) {
        FlowMask* m = ma->masks[i];
        if (mask_equal(m, key, range)) {
            m->ref_count++;
            *slot = i;
            return m;
        }
    }
    auto* m = static_cast<FlowMask*>(ovsdp_kmalloc(sizeof(FlowMask), OVSDP_GFP_KERNEL | OVSDP_GFP_ZERO));
    if (!m)
        return nullptr;
    m->ref_count = 1;
    m->range = range;
    flow_mask_key(&m->key, key, key, range, true);
    if (mask_array_append_locked(m).is_error()) {
        ovsdp_kfree(m);
        return nullptr;
    }
    *slot = mask_array_->count - 1;
    pf_masks_gen_++;
    // Choose prefilter bits when the mask count first reaches kPfMinMasks and
    // each time it doubles since the last choice (O(flows) each time).
    if (pf_enabled_ && mask_array_->count >= kPfMinMasks && mask_array_->count >= 2 * pf_chosen_masks_)
        prefilter_rebuild_locked();
    return m;
}

void FlowTable::mask_remove_locked(FlowMask* mask)
{
    assert_ovsl();
    if (--mask->ref_count > 0)
        return;
    MaskArray* ma = mask_array_;
    u32 n = ma->count;
    u32 slot = n;
    for (u32 i = 0; i < n; i++) {
        if (ma->masks[i] == mask) {
            slot = i;
            break;
        }
    }
    if (slot < n) {
        u32 max = ma->max;
        if (max >= 2 * kMaskArraySizeMin && n - 1 <= max / 3)
            max /= 2;
        MaskArray* smaller = mask_array_alloc(max);
        if (smaller) {
            // Copy without the slot, order kept: readers of the old array
            // still see every mask. The prefilter's columns move with the slots.
            mask_array_copy(smaller, ma, n, slot);
            if (ma->pf && n - 1 >= kPfMinMasks)
                smaller->pf = pf_remap(ma->pf, smaller->max, slot);
            rcu_assign(mask_array_, smaller);
            mask_array_retire(ma);
        } else {
            // No memory for a copy: upstream's in-place removal. A reader
            // between the two stores may miss the moved mask once. The
            // prefilter's columns would no longer match: drop it first.
            pf_attach_locked(ma, nullptr);
            rcu_assign(ma->masks[slot], ma->masks[n - 1]);
            rcu_assign(ma->masks[n - 1], static_cast<FlowMask*>(nullptr));
            __atomic_store_n(&ma->count, n - 1, __ATOMIC_RELEASE);
        }
    }
    pf_masks_gen_++;
    ovsdp_call_rcu(&mask->rcu, mask_free_cb);
}

void FlowTable::masks_rebalance_locked()
{
    assert_ovsl();
    MaskArray* ma = mask_array_;
    u32 n = ma->count;
    if (n == 0)
        return;
    // The prefilter: bits re-chosen if the masks changed since the last
    // choice or the flow count changed a lot; refilled exactly (no stale
    // bits) whenever a new array is built, or if many flows went. From
    // kPfRechooseMasks masks on, a choice costs seconds of CPU (O(masks x
    // sampled flows x packets) per greedy step) and masks come and go all
    // the time under a tuple-space explosion: changed masks then re-choose
    // only once their count doubled or halved since the last choice, as
    // inserts do; the bits in place stay correct for the masks added since.
    bool pf_want = pf_enabled_ && n >= kPfMinMasks;
    bool masks_changed = pf_masks_gen_ != pf_chosen_gen_ &&
        (n < kPfRechooseMasks || n >= 2 * pf_chosen_masks_ || 2 * n <= pf_chosen_masks_);
    bool pf_choose = pf_want && (masks_changed || count_ > 2 * pf_chosen_flows_ + 64 ||
                                 2 * count_ + 64 < pf_chosen_flows_);
    auto* ranks = static_cast<MaskRank*>(ovsdp_kmalloc(n * sizeof(MaskRank), OVSDP_GFP_KERNEL));
    if (!ranks)
        return;
    for (u32 i = 0; i < n; i++) {
        u64 sum = mask_usage_sum(ma, i);
        ranks[i] = { sum - ma->usage_zero[i], i };
        ma->usage_zero[i] = sum;
    }
    sort_ranks(ranks, n);
    u32 first_moved = n;
    for (u32 i = 0; i < n; i++) {
        if (ranks[i].index != i) {
            first_moved = i;
            break;
        }
    }
    if (first_moved < n) {
        MaskArray* sorted = mask_array_alloc(ma->max);
        if (sorted) {
            for (u32 i = 0; i < n; i++)
                sorted->masks[i] = ma->masks[ranks[i].index];
            sorted->count = n;
            if (pf_want)
                sorted->pf = pf_build_locked(sorted, pf_choose);
            rcu_assign(mask_array_, sorted);
            mask_array_retire(ma);
            ma = nullptr;
        }
    }
    if (ma && pf_want && (pf_choose || pf_stale_ > count_ / 8 || (!ma->pf && pf_n_bits_)))
        pf_attach_locked(ma, pf_build_locked(ma, pf_choose));
    ovsdp_kfree(ranks);
}

// ---- Prefilter -------------------------------------------------------------------------------

// A prefilter for `ma` (unpublished, or the current array) from the flows of
// the key table: bits chosen anew with `choose`, else the last chosen ones.
// nullptr if disabled, too few masks, no bits worth it, or no memory (all
// meaning: probe every slot).
MaskPrefilter* FlowTable::pf_build_locked(const MaskArray* ma, bool choose)
{
    if (!pf_enabled_ || ma->count < kPfMinMasks)
        return nullptr;
    SlotMap map;
    if (!map.init(ma))
        return nullptr;
    if (choose) {
        pf_n_bits_ = pf_choose(ma, ti_, map, pf_max_bits((ma->max + 63) / 64), pf_plan_);
        pf_chosen_gen_ = pf_masks_gen_;
        pf_chosen_flows_ = count_;
        pf_chosen_masks_ = ma->count;
    }
    if (!pf_n_bits_)
        return nullptr;
    MaskPrefilter* pf = pf_alloc(pf_plan_, pf_n_bits_, ma->max);
    if (!pf)
        return nullptr;
    for (u32 s = 0; s < ma->count; s++)
        pf_add_mask(pf, s, ma->masks[s]);
    for_each_flow(ti_, [&](const Flow* f) {
        u32 s = map.find(f->mask);
        if (s != kNoSlot)
            pf_add_flow(pf, s, f);
    });
    pf_stale_ = 0;
    return pf;
}

void FlowTable::pf_attach_locked(MaskArray* ma, MaskPrefilter* pf)
{
    MaskPrefilter* old = ma->pf;
    if (old == pf)
        return;
    rcu_assign(ma->pf, pf);
    pf_retire(old);
}

void FlowTable::prefilter_rebuild_locked()
{
    assert_ovsl();
    pf_attach_locked(mask_array_, pf_build_locked(mask_array_, true));
}

void FlowTable::set_prefilter_locked(bool on)
{
    assert_ovsl();
    pf_enabled_ = on;
    if (on)
        prefilter_rebuild_locked();
    else
        pf_attach_locked(mask_array_, nullptr);
}

const MaskPrefilter* FlowTable::prefilter() const
{
    const MaskArray* ma = rcu_deref(mask_array_);
    return ma ? rcu_deref(ma->pf) : nullptr;
}

Status FlowTable::set_masks_cache_size_locked(u32 size)
{
    assert_ovsl();
    if (size > kMaskCacheMaxSize || (size && !is_power_of_2(size)))
        return make_error(err::INVAL, "Masks cache size must be 0 or a power of 2 up to 4096");
    if (mask_cache_->size == size)
        return {};
    MaskCache* mc = mask_cache_alloc(size);
    if (!mc)
        return make_error(err::NOMEM, nullptr);
    MaskCache* old = mask_cache_;
    rcu_assign(mask_cache_, mc);
    ovsdp_call_rcu(&old->rcu, mask_cache_free_cb);
    return {};
}

// ---- Instances -----------------------------------------------------------------------------

// A new instance of `n_buckets` holding every flow of `old`, linked through
// the other node version; unpublished. nullptr on allocation failure.
TableInstance* FlowTable::instance_copy_locked(TableInstance* old, u32 n_buckets, bool ufid)
{
    assert_ovsl();
    // The other version may still be walked by readers of the instance that
    // used it before `old`. Wait for them if this table retired an instance
    // of this kind since its last wait and such instances are still pending
    // (when none is, every retired one is past its grace period).
    if (retired_[ufid] != synced_[ufid] && g_instances_pending[ufid].load(__ATOMIC_ACQUIRE) != 0) {
        ovsdp_synchronize_rcu();
        synced_[0] = retired_[0];
        synced_[1] = retired_[1];
    }
    TableInstance* ti = instance_alloc(n_buckets, ufid);
    if (!ti)
        return nullptr;
    u32 old_ver = old->node_ver;
    u32 new_ver = !old_ver;
    ti->node_ver = new_ver;
    usize offset = ufid ? kUfidNodeOffset : kTableNodeOffset;
    for (u32 b = 0; b < old->n_buckets; b++) {
        for (HListNode* n = old->buckets[b].first; n; n = n->next) {
            Flow* flow = flow_of_node(n, offset, old_ver);
            u32 hash = ufid ? flow->ufid_hash : flow->hash;
            HListNode* link = ufid ? &flow->ufid_node[new_ver] : &flow->table_node[new_ver];
            link_head_rcu(find_bucket(ti, hash), link);
        }
    }
    return ti;
}

void FlowTable::instance_replace_locked(TableInstance** slot, TableInstance* ti)
{
    assert_ovsl();
    TableInstance* old = *slot;
    u32 ufid = old->ufid; // read before the free is queued: a grace period may end before the next line
    rcu_assign(*slot, ti);
    instance_retire(old);
    retired_[ufid]++;
}

Status FlowTable::rehash_locked()
{
    assert_ovsl();
    TableInstance* ti = instance_copy_locked(ti_, ti_->n_buckets, false);
    if (!ti)
        return make_error(err::NOMEM, nullptr);
    TableInstance* uti = instance_copy_locked(ufid_ti_, ufid_ti_->n_buckets, true);
    instance_replace_locked(&ti_, ti);
    if (uti)
        instance_replace_locked(&ufid_ti_, uti);
    last_rehash_ = ovsdp_jiffies();
    return {};
}

// ---- Insert and remove ----------------------------------------------------------------------

void FlowTable::key_insert_locked(Flow* flow)
{
    assert_ovsl();
    TableInstance* ti = ti_;
    link_head_rcu(find_bucket(ti, flow->hash), &flow->table_node[ti->node_ver]);
    write_once(count_, count_ + 1);
    unsigned long now = ovsdp_jiffies();
    if (count_ > ti->n_buckets) {
        if (TableInstance* bigger = instance_copy_locked(ti, ti->n_buckets * 2, false)) {
            instance_replace_locked(&ti_, bigger);
            last_rehash_ = now;
        }
    } else if (jiffies_after(now, last_rehash_ + ovsdp_msecs_to_jiffies(kRehashIntervalMs))) {
        (void)rehash_locked();
    }
}

void FlowTable::ufid_insert_locked(Flow* flow)
{
    assert_ovsl();
    TableInstance* ti = ufid_ti_;
    link_head_rcu(find_bucket(ti, flow->ufid_hash), &flow->ufid_node[ti->node_ver]);
    write_once(ufid_count_, ufid_count_ + 1);
    if (ufid_count_ > ti->n_buckets) {
        if (TableInstance* bigger = instance_copy_locked(ti, ti->n_buckets * 2, true))
            instance_replace_locked(&ufid_ti_, bigger);
    }
}

Status FlowTable::insert_locked(Flow* flow, const FlowKey& mask, FlowKeyRange range)
{
    assert_ovsl();
    if (!flow_key_range_valid(range))
        return make_error(err::INVAL, "Flow mask range is not long-aligned inside the key");
    u32 slot;
    FlowMask* m = mask_insert_locked(mask, range, &slot);
    if (!m)
        return make_error(err::NOMEM, nullptr);
    flow->mask = m;
    flow->hash = flow_hash(flow->key, m->range);
    // Prefilter bits before the flow is linked, so that any lookup that starts
    // after this insertion probes its mask.
    if (MaskPrefilter* pf = mask_array_->pf)
        pf_add_flow(pf, slot, flow);
    dump_insert_locked(flow);
    key_insert_locked(flow);
    if (flow_has_ufid(flow))
        ufid_insert_locked(flow);
    return {};
}

void FlowTable::remove_locked(Flow* flow)
{
    assert_ovsl();
    hlist_del_rcu(&flow->table_node[ti_->node_ver]);
    write_once(count_, count_ - 1);
    if (flow_has_ufid(flow)) {
        hlist_del_rcu(&flow->ufid_node[ufid_ti_->node_ver]);
        write_once(ufid_count_, ufid_count_ - 1);
    }
    // A dump reader on the flow still finds its successor (the flow is freed
    // after a grace period).
    hlist_del_rcu(&flow->dump_node[dump_->ver]);
    pf_stale_++; // its prefilter bits stay until the next refill
    mask_remove_locked(flow->mask);
}

Status FlowTable::flush_locked()
{
    assert_ovsl();
    TableInstance* ti = instance_alloc(kTableMinBuckets, false);
    TableInstance* uti = instance_alloc(kTableMinBuckets, true);
    MaskArray* ma = mask_array_alloc(kMaskArraySizeMin);
    DumpIndex* dump = dump_index_alloc(__builtin_ctz(kDumpMinBuckets), 0);
    if (!ti || !uti || !ma || !dump) {
        instance_free(ti);
        instance_free(uti);
        mask_array_free(ma);
        ovsdp_kvfree(dump);
        return make_error(err::NOMEM, nullptr);
    }
    TableInstance* old_ti = ti_;
    TableInstance* old_uti = ufid_ti_;
    MaskArray* old_ma = mask_array_;
    rcu_assign(ti_, ti);
    rcu_assign(ufid_ti_, uti);
    rcu_assign(mask_array_, ma);
    // The old flows are never linked again: the new index may use either
    // version at once.
    DumpIndex* old_dump = dump_;
    rcu_assign(dump_, dump);
    write_once(count_, 0u);
    write_once(ufid_count_, 0u);
    last_rehash_ = ovsdp_jiffies();
    pf_n_bits_ = 0;
    pf_chosen_masks_ = 0;
    pf_stale_ = 0;
    pf_masks_gen_++;

    free_instance_flows(old_ti);
    free_masks_rcu(old_ma);
    mask_array_retire(old_ma);
    instance_retire(old_ti);
    instance_retire(old_uti);
    dump_index_retire(old_dump);
    return {};
}

// ---- Dump index -------------------------------------------------------------------------------

void FlowTable::dump_grow_locked()
{
    assert_ovsl();
    DumpIndex* old = dump_;
    // The other version may still be walked by readers of the index that
    // used it before `old`.
    if (dump_retired_) {
        ovsdp_synchronize_rcu();
        dump_retired_ = false;
    }
    DumpIndex* di = dump_index_alloc(old->bits + 1, !old->ver);
    if (!di)
        return; // longer chains, still correct
    u32 old_n = 1u << old->bits;
    for (u32 b = 0; b < old_n; b++) {
        // Old bucket b splits into 2b and 2b+1; appending in order keeps
        // each new chain sorted. Unpublished, but the nodes of the reused
        // version may still be read by a (late) reader of a replaced index
        // until the grace period above: write the fields atomically.
        HListNode** tail[2] = { &di->buckets[2 * b].first, &di->buckets[2 * b + 1].first };
        for (HListNode* node = old->buckets[b].first; node; node = node->next) {
            Flow* flow = dump_flow(node, old->ver);
            u32 side = static_cast<u32>(flow->dump_key >> (64 - di->bits)) & 1;
            HListNode* link = &flow->dump_node[di->ver];
            write_once(link->next, static_cast<HListNode*>(nullptr));
            link->pprev = tail[side];
            write_once(*tail[side], link);
            tail[side] = &link->next;
        }
    }
    rcu_assign(dump_, di);
    dump_index_retire(old);
    dump_retired_ = true;
}

void FlowTable::dump_insert_locked(Flow* flow)
{
    assert_ovsl();
    if (count_ + 1 > (2u << dump_->bits))
        dump_grow_locked();
    DumpIndex* di = dump_;
    u64 key = mix64(++dump_seq_);
    flow->dump_key = key;
    HListNode** link = &di->buckets[key >> (64 - di->bits)].first;
    while (*link && dump_flow(*link, di->ver)->dump_key < key)
        link = &(*link)->next;
    // One release store publishes the flow in its sorted place.
    HListNode* n = &flow->dump_node[di->ver];
    HListNode* next = *link;
    write_once(n->next, next);
    n->pprev = link;
    if (next)
        next->pprev = &n->next;
    rcu_assign(*link, n);
}

Flow* FlowTable::dump_next(u64 cursor) const
{
    const DumpIndex* di = rcu_deref(dump_);
    if (!di || cursor == ~u64(0))
        return nullptr;
    u32 n = 1u << di->bits;
    u32 b = static_cast<u32>(cursor >> (64 - di->bits));
    for (const HListNode* node = rcu_deref(di->buckets[b].first); node; node = rcu_deref(node->next))
        if (Flow* f = dump_flow(node, di->ver); f->dump_key > cursor)
            return f;
    for (b++; b < n; b++)
        if (const HListNode* node = rcu_deref(di->buckets[b].first))
            return dump_flow(node, di->ver);
    return nullptr;
}

// ---- Counters -------------------------------------------------------------------------------

u32 FlowTable::n_masks() const
{
    const MaskArray* ma = rcu_deref(mask_array_);
    return ma ? __atomic_load_n(&ma->count, __ATOMIC_ACQUIRE) : 0;
}

u32 FlowTable::masks_cache_size() const
{
    const MaskCache* mc = rcu_deref(mask_cache_);
    return mc ? mc->size : 0;
}

u32 FlowTable::n_buckets() const
{
    const TableInstance* ti = rcu_deref(ti_);
    return ti ? ti->n_buckets : 0;
}

u32 FlowTable::mask_array_capacity() const
{
    const MaskArray* ma = rcu_deref(mask_array_);
    return ma ? ma->max : 0;
}

const FlowMask* FlowTable::mask_at(u32 i) const
{
    const MaskArray* ma = rcu_deref(mask_array_);
    return ma && i < ma->count ? ma->masks[i] : nullptr;
}

} // namespace ovsdp
