// SPDX-License-Identifier: GPL-2.0
// The receive path's datapath side, shared by the kernel (kmod/dp_env.h) and
// the userspace tests: the lookup with its per-CPU counters, and a keying
// front end over any Packet.
//
// Context: softirq or BH disabled, under rcu_read_lock.
#pragma once

#include "datapath/datapath.h"
#include "flow/flow_extract.h"

namespace ovsdp {

inline DpPerCpuStats* dp_this_cpu_stats(Datapath* dp)
{
    return static_cast<DpPerCpuStats*>(ovsdp_this_cpu_ptr(dp->stats_percpu));
}

// Bump one of this CPU's datapath counters (only this CPU writes it).
inline void dp_count(Datapath* dp, u64 DpPerCpuStats::*counter, u64 n = 1)
{
    DpPerCpuStats* s = dp_this_cpu_stats(dp);
    write_once(s->*counter, s->*counter + n);
}

// The hash that picks a packet's mask cache entry when the skb carries none.
// Upstream computes skb_get_hash() for every packet (flow dissector + siphash,
// ~300 instructions); the key is already extracted, so mix its flow fields
// instead (~25 instructions). Only a hint for the cache: a collision costs a
// probe, never a wrong match. recirc_id is left out: the table mixes it in.
inline u32 mask_cache_hash(const FlowKey& key)
{
    auto word = [&](usize off) {
        u64 v;
        __builtin_memcpy(&v, reinterpret_cast<const u8*>(&key.ipv4) + off, sizeof(v));
        return v;
    };
    u64 h = 0x9e3779b97f4a7c15ULL;
    auto mix = [&](u64 v) {
        h = (h ^ v) * 0xff51afd7ed558ccdULL;
        h ^= h >> 29;
    };
    mix(u64(key.in_port) | u64(key.eth.type) << 16 | u64(key.tp.src) << 32 | u64(key.tp.dst) << 48);
    mix(word(0) ^ key.ip.proto);
    if (key.eth.type == htons(kEthPIpv6)) {
        mix(word(8));
        mix(word(16));
        mix(word(24));
    }
    return static_cast<u32>(h ^ (h >> 32));
}

// Upstream's ovs_flow_tbl_lookup_stats plus the counting around it in
// ovs_dp_process_packet: the flow for `key` (its per-NUMA stats updated with a
// packet of `len` bytes) or nullptr, with hit or miss and the masks and cache
// hits counted. `skb_hash` selects the mask cache entry.
inline Flow* dp_lookup_count(Datapath* dp, const FlowKey& key, u32 skb_hash, u32 len)
{
    u32 n_mask_hit = 0;
    u32 n_cache_hit = 0;
    Flow* flow = dp->table.lookup(key, skb_hash, &n_mask_hit, &n_cache_hit);
    DpPerCpuStats* s = dp_this_cpu_stats(dp);
    write_once(s->n_mask_hit, s->n_mask_hit + n_mask_hit);
    write_once(s->n_cache_hit, s->n_cache_hit + n_cache_hit);
    if (OVSDP_UNLIKELY(!flow)) {
        write_once(s->n_missed, s->n_missed + 1);
        return nullptr;
    }
    write_once(s->n_hit, s->n_hit + 1);
    flow->stats.update(key.tp.flags, len);
    return flow;
}

// Key a packet received on `vport` and look it up; false when it could not be
// keyed (the caller frees it). For tests, which have no upcall channel: a
// miss is counted as lost, as upstream counts a miss it could not queue.
template <Packet P>
bool dp_receive(Vport* vport, P& pkt, const FlowKeyMetadata& md, u32 skb_hash)
{
    Datapath* dp = vport->dp;
    FlowKey key;
    if (OVSDP_UNLIKELY(key_extract_with_metadata(pkt, md, key).is_error()))
        return false;
    if (!dp_lookup_count(dp, key, skb_hash, static_cast<u32>(pkt.len())))
        dp_count(dp, &DpPerCpuStats::n_lost);
    return true;
}

} // namespace ovsdp
