// SPDX-License-Identifier: GPL-2.0
// Helpers of the megaflow table shared by flow_table.cpp and its mask
// prefilter (mask_prefilter.cpp); not part of the table's interface.
#pragma once

#include "flow_table/flow_table.h"
#include "platform/alloc.h"

namespace ovsdp {

// Internal helpers live in a named namespace: the kernel build compiles every
// core .cpp as one translation unit, where anonymous namespaces would merge.
namespace flow_table_detail {

OVSDP_ALWAYS_INLINE u32 fmix32(u32 h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

OVSDP_ALWAYS_INLINE Flow* flow_of_node(const HListNode* n, usize member_offset, u32 ver)
{
    return reinterpret_cast<Flow*>(const_cast<u8*>(reinterpret_cast<const u8*>(n)) - member_offset - ver * sizeof(HListNode));
}
inline constexpr usize kTableNodeOffset = OVSDP_OFFSETOF(Flow, table_node);
inline constexpr usize kUfidNodeOffset = OVSDP_OFFSETOF(Flow, ufid_node);
inline constexpr usize kDumpNodeOffset = OVSDP_OFFSETOF(Flow, dump_node);

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
} // namespace flow_table_detail

} // namespace ovsdp
