// SPDX-License-Identifier: GPL-2.0
// The mask prefilter of the megaflow table (flow_table.h): which slots of a
// mask array can match a packet, from a few chosen key bits.
//
// MaskPrefilter  (optional, MaskArray::pf, RCU) which slots of *its* mask
//              array can match a packet, from b <= kPfMaxBits key bits: row v
//              (the packet's chosen bits, gathered by a byte/shift plan) is a
//              bitmap over the array's `max` slots. Invariant: for every flow
//              linked in the key table whose mask is in slot s, either bit s
//              of `always` is set, or bit s is set in every row whose chosen
//              bits agree with the flow's key on the chosen bits its mask
//              covers (uncovered chosen bits take both values). Only bits are
//              ever added to a published prefilter (flow insert, mask
//              append); removed flows leave stale bits (extra probes only).
//              Anything that changes slot numbers builds a new prefilter with
//              the new array before both are published: growth and mask
//              removal remap the bit columns (no flow walk), rebalance and
//              prefilter_rebuild_locked() re-choose the bits (greedy, on a
//              sample of flows) and refill exactly from the flows. None below
//              kPfMinMasks masks or when disabled; the in-place removal
//              fallback detaches it first.
//
// Contexts: pf_gather() runs on the packet path (rcu_read_lock, on the
// prefilter of the mask array the reader loaded); the rest is called by the
// table with the datapath lock held.
#pragma once

#include "flow/flow_key.h"
#include "platform/platform.h"

namespace ovsdp {

struct Flow;
struct FlowMask;
struct MaskArray;
struct TableInstance;

// Prefilter limits: at most kPfMaxBits chosen bits (2^b rows); a mask that
// leaves more than kPfMaxFree chosen bits uncovered is always probed (so a
// flow sets at most 2^kPfMaxFree row bits); rows use at most
// kPfMaxTableBytes, or kPfMaxBytesPerSlot per slot of the array when that is
// more: a row is one bit per slot, so 2^b rows cost 2^b / 8 bytes per slot,
// and a fixed cap would leave a wide array (thousands of masks, the
// tuple-space explosion) few bits and many candidates per packet (16,384
// slots: 7 bits, 128 candidates; with 256 bytes per slot, next to the 1 KiB
// of a mask itself: 11 bits, 8 candidates).
inline constexpr u32 kPfMaxBits = 12;
inline constexpr u32 kPfMaxFree = 6;
inline constexpr u32 kPfMinMasks = 4;
inline constexpr usize kPfMaxTableBytes = 512 * 1024;
inline constexpr usize kPfMaxBytesPerSlot = 256;
// From this many masks on, a rebalance re-chooses the bits for changed masks
// only when their count doubled or halved since the last choice (flow_table.cpp).
inline constexpr u32 kPfRechooseMasks = 1024;

struct PfBit {
    u16 byte; // offset in FlowKey
    u8 shift; // bit in that byte (0 = least significant)
};

// Consecutive chosen key bits, gathered with one (unaligned) 8-byte load:
// row bits [out, out + popcount(mask)) = (load(key + off) >> shift) & mask.
struct PfRun {
    u16 off;
    u8 shift;
    u8 out;
    u32 mask;
};

struct MaskPrefilter {
    ovsdp_rcu_head rcu;
    u32 n_bits; // b, 1..kPfMaxBits
    u32 words; // u64 per bitmap: the array's max / 64, rounded up
    PfBit plan[kPfMaxBits]; // row index bit i = key bit plan[i], in key order
    u32 n_runs;
    PfRun runs[kPfMaxBits]; // the same bits, as runs of consecutive ones
    u64* always; // `words`: slots probed whatever the row says
    u64* rows; // 2^n_bits bitmaps of `words`
};

// Internal to the table (flow_table.cpp) and the prefilter (mask_prefilter.cpp).
namespace flow_table_detail {

struct SlotMap;

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

// The largest b (<= kPfMaxBits) whose rows for `words`-word bitmaps fit
// kPfMaxTableBytes or kPfMaxBytesPerSlot per slot, whichever is more.
inline u32 pf_max_bits(u32 words)
{
    usize cap = words * sizeof(u64) + words * 64 * kPfMaxBytesPerSlot; // `always`, then the rows
    if (cap < kPfMaxTableBytes)
        cap = kPfMaxTableBytes;
    u32 b = kPfMaxBits;
    while (b > 1 && ((usize(1) << b) + 1) * words * sizeof(u64) > cap)
        b--;
    return b;
}

MaskPrefilter* pf_alloc(const PfBit* plan, u32 n_bits, u32 max_slots);
void pf_free(MaskPrefilter* pf);
void pf_retire(MaskPrefilter* pf);
void pf_add_mask(MaskPrefilter* pf, u32 slot, const FlowMask* mask);
void pf_add_flow(MaskPrefilter* pf, u32 slot, const Flow* flow);
MaskPrefilter* pf_remap(const MaskPrefilter* old, u32 max_slots, u32 skip);
u32 pf_choose(const MaskArray* ma, const TableInstance* ti, const SlotMap& map, u32 max_bits, PfBit* plan);

} // namespace flow_table_detail

} // namespace ovsdp
