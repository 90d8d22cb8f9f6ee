// SPDX-License-Identifier: GPL-2.0
// The mask prefilter: its allocation, filling, remapping and the choice of its
// bits. See mask_prefilter.h for the structure and its invariant.
#include "flow_table/mask_prefilter.h"

#include "flow_table/flow_table_detail.h"
#include "platform/alloc.h"

namespace ovsdp {

namespace flow_table_detail {

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

static void pf_free_cb(ovsdp_rcu_head* head) { pf_free(container_of(head, &MaskPrefilter::rcu)); }

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
static void bitmap_copy_without(u64* dst, const u64* src, u32 src_words, u32 n, u32 skip)
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

} // namespace flow_table_detail

} // namespace ovsdp
