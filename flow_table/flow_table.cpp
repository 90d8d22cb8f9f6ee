// SPDX-License-Identifier: GPL-2.0
// The masked megaflow table: see flow_table.h for the structures and their
// invariants.
#include "flow_table/flow_table.h"

#include "platform/alloc.h"

namespace ovsdp {

// Internal helpers live in a named namespace: the kernel build compiles every
// core .cpp as one translation unit, where anonymous namespaces would merge.
namespace flow_table_detail {

// Instances retired with call_rcu and not yet freed, over all tables, for key
// ([0]) and UFID ([1]) instances. When it is zero, every instance of that kind
// replaced so far is past its grace period.
constinit Atomic<long> g_instances_pending[2];

OVSDP_ALWAYS_INLINE u32 fmix32(u32 h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

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

OVSDP_ALWAYS_INLINE Flow* flow_of_node(const HListNode* n, usize member_offset, u32 ver)
{
    return reinterpret_cast<Flow*>(const_cast<u8*>(reinterpret_cast<const u8*>(n)) - member_offset - ver * sizeof(HListNode));
}
inline constexpr usize kTableNodeOffset = OVSDP_OFFSETOF(Flow, table_node);
inline constexpr usize kUfidNodeOffset = OVSDP_OFFSETOF(Flow, ufid_node);
inline constexpr usize kDumpNodeOffset = OVSDP_OFFSETOF(Flow, dump_node);

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

TableInstance* instance_alloc(u32 n_buckets, bool ufid)
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

void instance_free(TableInstance* ti)
{
    if (!ti)
        return;
    ovsdp_kvfree(ti->buckets);
    destroy(ti);
}

void instance_free_cb(ovsdp_rcu_head* head)
{
    TableInstance* ti = container_of(head, &TableInstance::rcu);
    u32 kind = ti->ufid;
    instance_free(ti);
    g_instances_pending[kind].fetch_sub(1, __ATOMIC_RELEASE);
}

void instance_retire(TableInstance* ti)
{
    g_instances_pending[ti->ufid].fetch_add(1, __ATOMIC_RELAXED);
    ovsdp_call_rcu(&ti->rcu, instance_free_cb);
}

// ---- Dump index -----------------------------------------------------------------------

DumpIndex* dump_index_alloc(u32 bits, u32 ver)
{
    usize size = sizeof(DumpIndex) + (usize(1) << bits) * sizeof(HListHead);
    auto* di = static_cast<DumpIndex*>(ovsdp_kvmalloc(size, OVSDP_GFP_KERNEL | OVSDP_GFP_ZERO));
    if (!di)
        return nullptr;
    di->bits = bits;
    di->ver = ver;
    return di;
}

void dump_index_free_cb(ovsdp_rcu_head* head) { ovsdp_kvfree(container_of(head, &DumpIndex::rcu)); }

void dump_index_retire(DumpIndex* di) { ovsdp_call_rcu(&di->rcu, dump_index_free_cb); }

// ---- Masks and mask arrays ------------------------------------------------------------

void mask_free_cb(ovsdp_rcu_head* head) { ovsdp_kfree(container_of(head, &FlowMask::rcu)); }

MaskArray* mask_array_alloc(u32 max)
{
    usize size = sizeof(MaskArray) + max * sizeof(FlowMask*) + max * sizeof(u64);
    auto* ma = static_cast<MaskArray*>(ovsdp_kmalloc(size, OVSDP_GFP_KERNEL | OVSDP_GFP_ZERO));
    if (!ma)
        return nullptr;
    ma->max = max;
    ma->count = 0;
    ma->usage_zero = reinterpret_cast<u64*>(&ma->masks[max]);
    ma->usage = static_cast<u64*>(ovsdp_alloc_percpu(max * sizeof(u64), alignof(u64)));
    if (!ma->usage) {
        ovsdp_kfree(ma);
        return nullptr;
    }
    return ma;
}

void pf_free(MaskPrefilter* pf);

void mask_array_free(MaskArray* ma)
{
    if (!ma)
        return;
    pf_free(ma->pf); // retired together with its array
    ovsdp_free_percpu(ma->usage);
    ovsdp_kfree(ma);
}

void mask_array_free_cb(ovsdp_rcu_head* head) { mask_array_free(container_of(head, &MaskArray::rcu)); }

void mask_array_retire(MaskArray* ma) { ovsdp_call_rcu(&ma->rcu, mask_array_free_cb); }

// Fill `to` (unpublished) with the first `n` masks of `from` except slot
// `skip` (n or more: none), order kept, with their hit counters, so that a
// copy keeps the ranking information.
void mask_array_copy(MaskArray* to, const MaskArray* from, u32 n, u32 skip)
{
    int ncpu = ovsdp_nr_cpu_ids();
    u32 j = 0;
    for (u32 i = 0; i < n; i++) {
        if (i == skip)
            continue;
        to->masks[j] = from->masks[i];
        to->usage_zero[j] = from->usage_zero[i];
        j++;
    }
    for (int cpu = 0; cpu < ncpu; cpu++) {
        auto* f = static_cast<const u64*>(ovsdp_per_cpu_ptr(from->usage, cpu));
        auto* t = static_cast<u64*>(ovsdp_per_cpu_ptr(to->usage, cpu));
        j = 0;
        for (u32 i = 0; i < n; i++)
            if (i != skip)
                t[j++] = read_once(f[i]);
    }
    to->count = j;
}

u64 mask_usage_sum(const MaskArray* ma, u32 i)
{
    u64 sum = 0;
    int ncpu = ovsdp_nr_cpu_ids();
    for (int cpu = 0; cpu < ncpu; cpu++)
        sum += read_once(static_cast<const u64*>(ovsdp_per_cpu_ptr(ma->usage, cpu))[i]);
    return sum;
}

bool mask_equal(const FlowMask* m, const FlowKey& key, FlowKeyRange range)
{
    return m->range.start == range.start && m->range.end == range.end &&
           flow_key_equal_range(m->key, key, range.start, range.end);
}

// ---- Mask cache -------------------------------------------------------------------------

MaskCache* mask_cache_alloc(u32 size)
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

void mask_cache_free(MaskCache* mc)
{
    if (!mc)
        return;
    ovsdp_free_percpu(mc->entries);
    destroy(mc);
}

void mask_cache_free_cb(ovsdp_rcu_head* head) { mask_cache_free(container_of(head, &MaskCache::rcu)); }

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

void sift_down(MaskRank* a, usize start, usize n)
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
void sort_ranks(MaskRank* a, usize n)
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

// ---- Mask prefilter ------------------------------------------------------------------------

inline constexpr u32 kNoSlot = ~0u;

// The row index of `key`: bit i is the key bit plan[i] (gathered by runs).
OVSDP_ALWAYS_INLINE u32 pf_gather(const MaskPrefilter* pf, const FlowKey& key)
{
    u32 v = 0;
    for (u32 r = 0; r < pf->n_runs; r++) {
        const PfRun& run = pf->runs[r];
        u64 w;
        __builtin_memcpy(&w, key.bytes() + run.off, sizeof(w));
        v |= static_cast<u32>((w >> run.shift) & run.mask) << run.out;
    }
    return v;
}

inline u32 pf_pos(PfBit b) { return b.byte * 8u + b.shift; }

// Sort a plan by key position (insertion sort, n <= kPfMaxBits): runs of
// consecutive key bits then become runs of consecutive row bits.
inline void pf_sort_plan(PfBit* plan, u32 n)
{
    for (u32 i = 1; i < n; i++)
        for (u32 j = i; j > 0 && pf_pos(plan[j]) < pf_pos(plan[j - 1]); j--)
            swap(plan[j], plan[j - 1]);
}

// pf->runs from pf->plan (sorted): consecutive key bits share one load.
inline void pf_compile_runs(MaskPrefilter* pf)
{
    static_assert(kFlowKeySize >= sizeof(u64));
    pf->n_runs = 0;
    for (u32 i = 0; i < pf->n_bits;) {
        u32 first = pf_pos(pf->plan[i]);
        u32 len = 1;
        while (i + len < pf->n_bits && pf_pos(pf->plan[i + len]) == first + len && len < 32)
            len++;
        u32 off = first / 8;
        if (off + sizeof(u64) > kFlowKeySize)
            off = kFlowKeySize - sizeof(u64);
        PfRun& run = pf->runs[pf->n_runs++];
        run.off = static_cast<u16>(off);
        run.shift = static_cast<u8>(first - off * 8);
        run.out = static_cast<u8>(i);
        run.mask = static_cast<u32>((u64(1) << len) - 1);
        i += len;
    }
}

// Row bits of the chosen key bits `mask` does not cover.
inline u32 pf_free_bits(const MaskPrefilter* pf, const FlowMask* mask)
{
    return ~pf_gather(pf, mask->key) & ((1u << pf->n_bits) - 1);
}

inline void pf_set_bit(u64* word, u64 bit)
{
    u64 old = *word; // the writer is the only one to change it
    if (!(old & bit))
        write_once(*word, old | bit);
}

// The largest b (<= kPfMaxBits) whose rows for `words`-word bitmaps fit kPfMaxTableBytes.
inline u32 pf_max_bits(u32 words)
{
    u32 b = kPfMaxBits;
    while (b > 1 && ((usize(1) << b) + 1) * words * sizeof(u64) > kPfMaxTableBytes)
        b--;
    return b;
}

// Unpublished, all bits clear. nullptr on allocation failure.
MaskPrefilter* pf_alloc(const PfBit* plan, u32 n_bits, u32 max_slots)
{
    auto* pf = make_zeroed<MaskPrefilter>(Gfp::Kernel);
    if (!pf)
        return nullptr;
    pf->words = (max_slots + 63) / 64;
    pf->n_bits = min(n_bits, pf_max_bits(pf->words));
    for (u32 i = 0; i < pf->n_bits; i++)
        pf->plan[i] = plan[i];
    pf_sort_plan(pf->plan, pf->n_bits);
    pf_compile_runs(pf);
    usize n = ((usize(1) << pf->n_bits) + 1) * pf->words;
    pf->always = static_cast<u64*>(ovsdp_kvmalloc(n * sizeof(u64), OVSDP_GFP_KERNEL | OVSDP_GFP_ZERO));
    if (!pf->always) {
        destroy(pf);
        return nullptr;
    }
    pf->rows = pf->always + pf->words;
    return pf;
}

void pf_free(MaskPrefilter* pf)
{
    if (!pf)
        return;
    ovsdp_kvfree(pf->always);
    destroy(pf);
}

void pf_free_cb(ovsdp_rcu_head* head) { pf_free(container_of(head, &MaskPrefilter::rcu)); }

void pf_retire(MaskPrefilter* pf)
{
    if (pf)
        ovsdp_call_rcu(&pf->rcu, pf_free_cb);
}

// A mask now in `slot`: always probed if it leaves too many chosen bits free.
void pf_add_mask(MaskPrefilter* pf, u32 slot, const FlowMask* mask)
{
    if (static_cast<u32>(__builtin_popcount(pf_free_bits(pf, mask))) > kPfMaxFree)
        pf_set_bit(&pf->always[slot / 64], u64(1) << (slot % 64));
}

// A flow of the mask in `slot` (pf_add_mask done): its bit in every row it can match.
void pf_add_flow(MaskPrefilter* pf, u32 slot, const Flow* flow)
{
    u64 bit = u64(1) << (slot % 64);
    u32 w = slot / 64;
    if (pf->always[w] & bit)
        return;
    u32 free = pf_free_bits(pf, flow->mask);
    u32 fixed = pf_gather(pf, flow->key) & ~free; // the key is masked: free bits are 0 anyway
    u32 sub = 0;
    do {
        pf_set_bit(&pf->rows[usize(fixed | sub) * pf->words + w], bit);
        sub = (sub - free) & free; // next subset of the free bits
    } while (sub);
}

// dst (n words) = src (at least n words) without bit `skip` (>= 64 * n: none),
// higher bits moving down one.
void bitmap_copy_without(u64* dst, const u64* src, u32 src_words, u32 n, u32 skip)
{
    for (u32 i = 0; i < n; i++) {
        u64 w = i < src_words ? src[i] : 0;
        u32 lo = i * 64;
        if (skip < lo + 64) {
            u64 next = i + 1 < src_words ? src[i + 1] : 0;
            if (skip < lo) {
                w = (w >> 1) | (next << 63);
            } else {
                u32 b = skip - lo;
                u64 keep = b ? w & ((u64(1) << b) - 1) : 0;
                u64 high = b < 63 ? (w >> (b + 1)) << b : 0;
                w = keep | high | (next << 63);
            }
        }
        dst[i] = w;
    }
}

// A copy of `old` for an array of `max_slots` slots in which slot `skip` (if
// any) was removed and the slots above it moved down: same bits, columns
// remapped. nullptr on allocation failure.
MaskPrefilter* pf_remap(const MaskPrefilter* old, u32 max_slots, u32 skip)
{
    MaskPrefilter* pf = pf_alloc(old->plan, old->n_bits, max_slots);
    if (!pf)
        return nullptr;
    if (pf->n_bits != old->n_bits) {
        pf_free(pf); // the rows would not fit: the caller rebuilds or goes without
        return nullptr;
    }
    usize rows = usize(1) << pf->n_bits;
    for (usize r = 0; r <= rows; r++) // row "-1" is `always`
        bitmap_copy_without(pf->always + r * pf->words, old->always + r * old->words, old->words, pf->words, skip);
    return pf;
}

// Mask pointer -> slot, for walking flows (open addressing, linear probing).
struct SlotMap {
    struct Entry {
        const FlowMask* mask;
        u32 slot;
    };
    Entry* entries = nullptr;
    u32 size_mask = 0;

    bool init(const MaskArray* ma)
    {
        u32 size = 16;
        while (size < 2 * ma->count)
            size *= 2;
        entries = static_cast<Entry*>(ovsdp_kvmalloc(size * sizeof(Entry), OVSDP_GFP_KERNEL | OVSDP_GFP_ZERO));
        if (!entries)
            return false;
        size_mask = size - 1;
        for (u32 i = 0; i < ma->count; i++) {
            u32 h = hash(ma->masks[i]);
            while (entries[h].mask)
                h = (h + 1) & size_mask;
            entries[h] = { ma->masks[i], i };
        }
        return true;
    }
    ~SlotMap() { ovsdp_kvfree(entries); }
    u32 hash(const FlowMask* m) const
    {
        return fmix32(static_cast<u32>(reinterpret_cast<unsigned long>(m) >> 4) ^ static_cast<u32>(reinterpret_cast<unsigned long>(m) >> 36)) & size_mask;
    }
    u32 find(const FlowMask* m) const
    {
        for (u32 h = hash(m);; h = (h + 1) & size_mask) {
            if (entries[h].mask == m)
                return entries[h].slot;
            if (!entries[h].mask)
                return kNoSlot;
        }
    }
};

// Every flow linked in `ti` (datapath lock).
template <typename F>
void for_each_flow(const TableInstance* ti, F&& fn)
{
    u32 ver = ti->node_ver;
    for (u32 b = 0; b < ti->n_buckets; b++)
        for (const HListNode* n = ti->buckets[b].first; n; n = n->next)
            fn(flow_of_node(n, kTableNodeOffset, ver));
}

// xorshift64*: the choice is deterministic for a given table.
struct PfRng {
    u64 s = 0x2545f4914f6cdd1dull;
    u64 next()
    {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        return s * 0x2545f4914f6cdd1dull;
    }
};

// ---- Choosing the bits ----
//
// Model: packets are drawn from the flows (the same number from each mask),
// a flow's uncovered bits random. A mask is a candidate for a packet if one of
// its flows agrees with the packet on the chosen bits its mask covers, or if
// it leaves more than kPfMaxFree chosen bits uncovered (always probed). The
// cost of a bit set is the expected number of candidates per packet. Greedy:
// add the bit that lowers it most; when no bit lowers it by 1/16 of a mask,
// add the bit that separates the most (packet, flow) pairs instead, as bits
// covered by many flows with independent values only pay off together (a
// mask's few flows then cover few of the 2^b rows). Finally keep the shortest
// prefix of the chosen order whose cost is within 2 % (or 1/20 of a mask) of
// the best. Everything on a sample: up to kPfSamplePerMask flows per mask,
// kPfPackets packets, kPfPool candidate key bits (the best balanced ones).
inline constexpr u32 kPfPool = 64;
inline constexpr u32 kPfPackets = 128;
inline constexpr u32 kPfFlowPassPackets = 48;
inline constexpr u32 kPfSampleBudget = 2048;

struct PfChooser {
    // Sample: flows of slot s at sval[s*k + j], j < n_s[s].
    u32 n_masks = 0, k = 0;
    u64* mcare = nullptr; // per slot: pool bits its mask covers
    u32* n_s = nullptr;
    u32* seen = nullptr;
    u64* sval = nullptr; // per sampled flow: its pool bit values
    const Flow** sflow = nullptr;
    u64* pval = nullptr; // kPfPackets
    u64* cand = nullptr; // kPfPool each: per-step scratch
    u64* sep = nullptr;
    u64* rej = nullptr;
    u32 n_packets = 0;
    u16 pool[kPfPool]; // key bit positions
    u32 n_pool = 0;
    // Per-step scratch.
    u32* ufree = nullptr; // per slot: chosen bits its mask leaves free
    u32* incompat = nullptr; // per slot at the threshold: packets it rejects
    void* block = nullptr;

    ~PfChooser() { ovsdp_kvfree(block); }

    bool alloc(u32 masks)
    {
        n_masks = masks;
        k = kPfSampleBudget / masks;
        k = k < 2 ? 2 : k > 16 ? 16 : k;
        usize n = usize(masks) * k;
        usize bytes = (masks + n + kPfPackets + 3 * kPfPool) * sizeof(u64) + n * sizeof(Flow*) + 4 * masks * sizeof(u32);
        block = ovsdp_kvmalloc(bytes, OVSDP_GFP_KERNEL | OVSDP_GFP_ZERO);
        if (!block)
            return false;
        auto* p = static_cast<u8*>(block);
        mcare = reinterpret_cast<u64*>(p);
        p += masks * sizeof(u64);
        sval = reinterpret_cast<u64*>(p);
        p += n * sizeof(u64);
        pval = reinterpret_cast<u64*>(p);
        p += kPfPackets * sizeof(u64);
        cand = reinterpret_cast<u64*>(p);
        sep = cand + kPfPool;
        rej = sep + kPfPool;
        p += 3 * kPfPool * sizeof(u64);
        sflow = reinterpret_cast<const Flow**>(p);
        p += n * sizeof(Flow*);
        n_s = reinterpret_cast<u32*>(p);
        seen = n_s + masks;
        ufree = seen + masks;
        incompat = ufree + masks;
        return true;
    }

    // Pool bits gathered from a key, bit c = key bit pool[c].
    u64 pool_bits(const FlowKey& key) const
    {
        u64 v = 0;
        for (u32 c = 0; c < n_pool; c++)
            v |= u64((key.bytes()[pool[c] / 8] >> (pool[c] % 8)) & 1) << c;
        return v;
    }

    // The best balanced bits of the sampled flows: min(#1, #0) among the
    // sampled flows whose mask covers the bit. False if none is > 0.
    bool choose_pool(const MaskArray* ma)
    {
        constexpr u32 kBits = kFlowKeySize * 8;
        auto* cnt = static_cast<u32*>(ovsdp_kvmalloc(2 * kBits * sizeof(u32), OVSDP_GFP_KERNEL | OVSDP_GFP_ZERO));
        if (!cnt)
            return false;
        u32* cov = cnt;
        u32* ones = cnt + kBits;
        for (u32 s = 0; s < n_masks; s++) {
            const FlowMask* m = ma->masks[s];
            for (u32 j = 0; j < n_s[s]; j++) {
                const Flow* f = sflow[s * k + j];
                for (usize off = m->range.start; off < m->range.end; off += sizeof(u64)) {
                    u64 mw = *flow_key_ops::words(m->key, off);
                    u64 fw = *flow_key_ops::words(f->key, off);
                    while (mw) {
                        u32 b = static_cast<u32>(__builtin_ctzll(mw));
                        mw &= mw - 1;
                        u32 x = static_cast<u32>(off * 8) + b;
                        cov[x]++;
                        ones[x] += (fw >> b) & 1;
                    }
                }
            }
        }
        for (u32 x = 0; x < kBits; x++)
            cov[x] = min(ones[x], cov[x] - ones[x]); // the score, in place
        n_pool = 0;
        while (n_pool < kPfPool) {
            u32 best = 0, best_x = 0;
            for (u32 x = 0; x < kBits; x++) {
                if (cov[x] > best) {
                    best = cov[x];
                    best_x = x;
                }
            }
            if (!best)
                break;
            cov[best_x] = 0;
            pool[n_pool++] = static_cast<u16>(best_x);
        }
        ovsdp_kvfree(cnt);
        return n_pool > 0;
    }

    // One greedy step's counts, for chosen pool bits `chosen`: cand[c] is the
    // total candidates over the packets if pool bit c were added; with
    // `flows`, sep[c] counts the (packet, sampled flow) pairs still agreeing
    // on `chosen` that bit c would separate.
    void step(u64 chosen, bool flows)
    {
        u64 base = 0;
        for (u32 c = 0; c < n_pool; c++)
            sep[c] = rej[c] = 0;
        for (u32 s = 0; s < n_masks; s++) {
            incompat[s] = 0;
            if (ufree[s] > kPfMaxFree) {
                base += n_packets;
                continue;
            }
            const u64* sv = &sval[s * k];
            u64 care = mcare[s];
            for (u32 p = 0; p < n_packets; p++) {
                bool compat = false;
                u64 all = ~u64(0);
                for (u32 j = 0; j < n_s[s]; j++) {
                    u64 d = (sv[j] ^ pval[p]) & care;
                    if (d & chosen)
                        continue;
                    compat = true;
                    all &= d;
                    if (flows && p < kPfFlowPassPackets) {
                        for (u64 x = d; x; x &= x - 1)
                            sep[__builtin_ctzll(x)]++;
                    } else if (!all) {
                        break; // no bit can reject this packet for this mask
                    }
                }
                if (compat) {
                    base++;
                    for (u64 x = all & care; x; x &= x - 1)
                        rej[__builtin_ctzll(x)]++;
                } else {
                    incompat[s]++;
                }
            }
        }
        for (u32 c = 0; c < n_pool; c++) {
            cand[c] = base - rej[c];
            // A mask at the threshold that does not cover c becomes always probed.
            for (u32 s = 0; s < n_masks; s++)
                if (ufree[s] == kPfMaxFree && !((mcare[s] >> c) & 1))
                    cand[c] += incompat[s];
        }
    }

    // Greedy choice; returns the number of bits written to plan[].
    u32 choose(u32 max_bits, PfBit* plan)
    {
        u64 cost[kPfMaxBits + 1];
        u32 order[kPfMaxBits];
        u64 chosen = 0;
        u32 n = 0;
        cost[0] = u64(n_packets) * n_masks;
        u64 unit = n_packets; // one candidate per packet
        while (n < max_bits && n < n_pool) {
            step(chosen, false);
            u32 best = kPfPool;
            for (u32 c = 0; c < n_pool; c++)
                if (!((chosen >> c) & 1) && (best == kPfPool || cand[c] < cand[best]))
                    best = c;
            if (best == kPfPool)
                break;
            if (cand[best] + unit / 16 > cost[n]) {
                // No bit pays off alone: the one separating the most flows.
                step(chosen, true);
                u32 b2 = kPfPool;
                for (u32 c = 0; c < n_pool; c++)
                    if (!((chosen >> c) & 1) && cand[c] <= cost[n] + unit / 16 && sep[c] &&
                        (b2 == kPfPool || sep[c] > sep[b2]))
                        b2 = c;
                if (b2 == kPfPool)
                    break;
                best = b2;
            }
            chosen |= u64(1) << best;
            for (u32 s = 0; s < n_masks; s++)
                if (!((mcare[s] >> best) & 1))
                    ufree[s]++;
            order[n++] = best;
            cost[n] = cand[best];
            if (cost[n] <= unit + unit / 32)
                break; // about one candidate per packet: nothing left to gain
        }
        u64 lowest = cost[0];
        for (u32 t = 1; t <= n; t++)
            lowest = min(lowest, cost[t]);
        u64 slack = lowest / 50 > unit / 20 ? lowest / 50 : unit / 20;
        u32 keep = 0;
        while (cost[keep] > lowest + slack)
            keep++;
        if (cost[0] < cost[keep] + unit / 2)
            return 0; // saves less than half a probe per packet
        for (u32 i = 0; i < keep; i++)
            plan[i] = { static_cast<u16>(pool[order[i]] / 8), static_cast<u8>(pool[order[i]] % 8) };
        return keep;
    }
};

// Choose prefilter bits for the masks of `ma` and the flows of `ti`: the
// number written to plan[] (0: none worth it, or no memory).
u32 pf_choose(const MaskArray* ma, const TableInstance* ti, const SlotMap& map, u32 max_bits, PfBit* plan)
{
    PfChooser ch;
    if (!ch.alloc(ma->count))
        return 0;
    PfRng rng;
    // Reservoir sample of up to k flows per mask.
    for_each_flow(ti, [&](const Flow* f) {
        u32 s = map.find(f->mask);
        if (s == kNoSlot)
            return;
        u32 seen = ++ch.seen[s];
        if (ch.n_s[s] < ch.k) {
            ch.sflow[s * ch.k + ch.n_s[s]++] = f;
        } else {
            u64 r = rng.next() % seen;
            if (r < ch.k)
                ch.sflow[s * ch.k + r] = f;
        }
    });
    if (!ch.choose_pool(ma))
        return 0;
    u32 masks_with_flows = 0;
    for (u32 s = 0; s < ch.n_masks; s++) {
        ch.mcare[s] = ch.pool_bits(ma->masks[s]->key);
        for (u32 j = 0; j < ch.n_s[s]; j++)
            ch.sval[s * ch.k + j] = ch.pool_bits(ch.sflow[s * ch.k + j]->key);
        masks_with_flows += ch.n_s[s] != 0;
    }
    if (!masks_with_flows)
        return 0;
    // Packets: a random mask with flows, one of its sampled flows, random
    // values where that mask is a wildcard.
    for (ch.n_packets = 0; ch.n_packets < kPfPackets;) {
        u32 s = static_cast<u32>(rng.next() % ch.n_masks);
        if (!ch.n_s[s])
            continue;
        u32 j = static_cast<u32>(rng.next() % ch.n_s[s]);
        ch.pval[ch.n_packets++] = ch.sval[s * ch.k + j] | (rng.next() & ~ch.mcare[s]);
    }
    return ch.choose(max_bits, plan);
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
void free_instance_flows(TableInstance* ti)
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

void free_masks_rcu(MaskArray* ma)
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
    // bits) whenever a new array is built, or if many flows went.
    bool pf_want = pf_enabled_ && n >= kPfMinMasks;
    bool pf_choose = pf_want && (pf_masks_gen_ != pf_chosen_gen_ || count_ > 2 * pf_chosen_flows_ + 64 ||
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
