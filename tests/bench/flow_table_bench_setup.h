// SPDX-License-Identifier: GPL-2.0
// The core lookup benchmark's workload (DESIGN §6): a ClassBench-like
// megaflow set with M distinct masks and F flows per mask, and packet sets
// drawn from the installed flows (hits) and from outside them (misses).
//
// Masks look like OVS megaflows over IPv4 5-tuples: recirc_id, in_port and
// the ethertype always exact; then a source and a destination prefix
// (0..32 bits), and the IP protocol, source port and destination port each
// either exact or wildcarded. M distinct combinations are drawn with a fixed
// seed, so every run builds the same table (the table's hash seeds are still
// random, as in the kernel).
#pragma once

#include "base/byteorder.h"
#include "flow/flow_key.h"
#include "flow_table/flow.h"
#include "flow_table/flow_table.h"
#include "platform/platform.h"
#include "platform/user/user_platform.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <set>
#include <tuple>
#include <vector>

namespace ovsdp::bench {

struct MaskSpec {
    int src_len, dst_len;
    bool proto, tp_src, tp_dst;
    auto tie() const { return std::tie(src_len, dst_len, proto, tp_src, tp_dst); }
    bool operator<(const MaskSpec& o) const { return tie() < o.tie(); }
};

inline be32 prefix(int len) { return htonl(len ? ~u32(0) << (32 - len) : 0); }

inline void build_mask(const MaskSpec& s, FlowKey* mask, FlowKeyRange* range)
{
    std::memset(mask, 0, sizeof(*mask));
    *range = {};
    FlowKeyWriter w(*mask, *range);
    w.put(mask->recirc_id, ~u32(0));
    w.put(mask->in_port, u16(0xffff));
    w.put(mask->eth.type, be16(0xffff));
    if (s.proto)
        w.put(mask->ip.proto, u8(0xff));
    if (s.src_len)
        w.put(mask->ipv4.src, prefix(s.src_len));
    if (s.dst_len)
        w.put(mask->ipv4.dst, prefix(s.dst_len));
    if (s.tp_src)
        w.put(mask->tp.src, be16(0xffff));
    if (s.tp_dst)
        w.put(mask->tp.dst, be16(0xffff));
}

// A random IPv4 5-tuple packet key on one of four ports.
inline void random_packet(std::mt19937& rng, FlowKey* k)
{
    std::memset(k, 0, sizeof(*k));
    k->in_port = static_cast<u16>(1 + rng() % 4);
    k->mac_proto = kMacProtoEthernet;
    k->eth.type = htons(kEthPIp);
    k->ip.proto = rng() % 2 ? kIpProtoTcp : kIpProtoUdp;
    k->ip.ttl = 64;
    k->ipv4.src = static_cast<be32>(rng());
    k->ipv4.dst = static_cast<be32>(rng());
    k->tp.src = static_cast<be16>(rng());
    k->tp.dst = static_cast<be16>(rng());
}

struct Packet {
    FlowKey key;
    u32 skb_hash;
};

class Workload {
public:
    Workload(u32 n_masks, u32 flows_per_mask, u32 cache_size = kMaskCacheDefaultSize)
    {
        user::set_cpu(0);
        OvsLock ovsl; // as the datapath's writers
        if (table_.init(cache_size).is_error())
            die("table init");
        std::mt19937 rng(12345 + n_masks);
        std::set<MaskSpec> specs;
        while (specs.size() < n_masks) {
            MaskSpec s { static_cast<int>(rng() % 33), static_cast<int>(rng() % 33), rng() % 2 == 0,
                         rng() % 2 == 0, rng() % 2 == 0 };
            specs.insert(s);
        }
        std::vector<MaskSpec> order(specs.begin(), specs.end());
        std::shuffle(order.begin(), order.end(), rng);
        FlowKey mask;
        FlowKeyRange range;
        for (const MaskSpec& s : order) {
            build_mask(s, &mask, &range);
            for (u32 f = 0; f < flows_per_mask; f++) {
                FlowKey k;
                random_packet(rng, &k);
                Flow* flow = flow_alloc().release_value();
                flow_mask_key(&flow->key, k, mask, range, true);
                if (flow_set_unmasked_key(flow, k).is_error())
                    die("unmasked key");
                // Skip keys an installed flow already covers: userspace
                // installs a megaflow only for a packet that missed.
                if (table_.lookup(k) || table_.insert_locked(flow, mask, range).is_error()) {
                    flow_free(flow);
                    continue;
                }
                flows_.push_back(k);
            }
        }
        if (table_.n_masks() != n_masks)
            die("mask count");
        table_.prefilter_rebuild_locked(); // as the datapath's periodic rebalance would
    }
    ~Workload()
    {
        OvsLock ovsl;
        table_.destroy_locked();
        ovsdp_rcu_barrier();
    }

    // `n` packets from random installed flows. With `hashed`, each carries a
    // fixed nonzero skb hash (as RSS gives a 5-tuple); else 0 (no cache).
    std::vector<Packet> hits(u32 n, bool hashed, u32 seed = 1) const
    {
        std::mt19937 rng(seed);
        std::vector<Packet> out(n);
        for (Packet& p : out) {
            p.key = flows_[rng() % flows_.size()];
            p.skb_hash = hashed ? (rng() | 1) : 0;
        }
        return out;
    }
    // `n` packets no flow matches (an unused input port): every mask probed.
    std::vector<Packet> misses(u32 n, bool hashed, u32 seed = 2) const
    {
        std::mt19937 rng(seed);
        std::vector<Packet> out(n);
        for (Packet& p : out) {
            random_packet(rng, &p.key);
            p.key.in_port = 100;
            p.skb_hash = hashed ? (rng() | 1) : 0;
        }
        return out;
    }

    FlowTable& table() { return table_; }
    usize n_flows() const { return flows_.size(); }

private:
    [[noreturn]] static void die(const char* what)
    {
        std::fprintf(stderr, "workload: %s failed\n", what);
        std::exit(1);
    }
    FlowTable table_;
    std::vector<FlowKey> flows_; // unmasked keys of the installed flows
};

// ---- W(M): the VM benchmark's workload, identical to it -------------------------
//
// Traffic: IPv4/UDP, in_port 1, ip src 10.0.0.1, ip dst random in 10.1.0.0/16,
// udp src port random, udp dst 9; every packet a new 5-tuple (its own skb
// hash), so no per-packet cache can serve it. M masks (k = log2 M), 4 flows
// each: in_port, eth_type, ip proto and ip frag exact; ipv4 dst 10.1.0.0/(16+k)
// with the k bits after /16 equal to the mask number i; two bits (a, b) of the
// udp src port, pair i mod 120 of the pairs a < b of 0..15 in lexicographic
// order, the 4 flows taking their 4 values; for i >= 120, udp dst & (c << 12)
// == 0 with c = i / 120. Every packet hits exactly one flow; masks are hit
// alike, so upstream probes (M + 1) / 2 masks per packet on average.
inline void w_pair(u32 p, u32* a, u32* b)
{
    for (u32 x = 0; x < 16; x++)
        for (u32 y = x + 1; y < 16; y++)
            if (p-- == 0) {
                *a = x;
                *b = y;
                return;
            }
}

inline void w_packet_base(FlowKey* k)
{
    std::memset(k, 0, sizeof(*k));
    k->in_port = 1;
    k->mac_proto = kMacProtoEthernet;
    k->eth.type = htons(kEthPIp);
    k->ip.proto = kIpProtoUdp;
    k->ip.ttl = 64;
    k->ipv4.src = htonl(0x0a000001);
    k->tp.dst = htons(9);
}

class WWorkload {
public:
    explicit WWorkload(u32 n_masks, u32 cache_size = kMaskCacheDefaultSize) : n_masks_(n_masks)
    {
        user::set_cpu(0);
        OvsLock ovsl; // as the datapath's writers
        if (table_.init(cache_size).is_error())
            std::exit(1);
        u32 k = 0;
        while ((1u << k) < n_masks)
            k++;
        for (u32 i = 0; i < n_masks; i++) {
            u32 a = 0, b = 0;
            w_pair(i % 120, &a, &b);
            u32 c = i / 120;
            FlowKey mask;
            FlowKeyRange range {};
            std::memset(&mask, 0, sizeof(mask));
            FlowKeyWriter w(mask, range);
            w.put(mask.in_port, u16(0xffff));
            w.put(mask.eth.type, be16(0xffff));
            w.put(mask.ip.proto, u8(0xff));
            w.put(mask.ip.frag, u8(0xff));
            w.put(mask.ipv4.dst, htonl(~u32(0) << (16 - k)));
            w.put(mask.tp.src, htons(static_cast<u16>((1u << a) | (1u << b))));
            if (c)
                w.put(mask.tp.dst, htons(static_cast<u16>(c << 12)));
            for (u32 q = 0; q < 4; q++) {
                FlowKey key;
                w_packet_base(&key);
                key.ipv4.dst = htonl(0x0a010000 | (i << (16 - k)));
                key.tp.src = htons(static_cast<u16>(((q & 1) << a) | ((q >> 1) << b)));
                Flow* flow = flow_alloc().release_value();
                flow_mask_key(&flow->key, key, mask, range, true);
                if (flow_set_unmasked_key(flow, key).is_error() || table_.insert_locked(flow, mask, range).is_error())
                    std::exit(1);
            }
        }
        if (table_.n_masks() != n_masks)
            std::exit(1);
        table_.prefilter_rebuild_locked(); // as the datapath's periodic rebalance would
    }
    ~WWorkload()
    {
        OvsLock ovsl;
        table_.destroy_locked();
        ovsdp_rcu_barrier();
    }
    // n new 5-tuples, each with its own nonzero skb hash.
    std::vector<Packet> packets(u32 n, u32 seed = 7) const
    {
        std::mt19937 rng(seed);
        std::vector<Packet> out(n);
        for (Packet& p : out) {
            w_packet_base(&p.key);
            p.key.ipv4.dst = htonl(0x0a010000 | (rng() & 0xffff));
            p.key.tp.src = htons(static_cast<u16>(rng()));
            p.skb_hash = rng() | 1;
        }
        return out;
    }
    FlowTable& table() { return table_; }
    usize n_flows() const { return 4 * n_masks_; }

private:
    FlowTable table_;
    u32 n_masks_;
};

inline constexpr u32 kWPackets = 8192;

// Lookups of one traffic class, for both the benchmark and the callgrind driver.
struct LookupTotals {
    u64 found = 0;
    u64 masks = 0;
    u64 cache_hits = 0;
    usize next = 0; // the packet the next call starts from
};

// n lookups cycling over pkts[0, n_pkts), continuing from out->next.
inline OVSDP_NOINLINE void lookup_packets(FlowTable& t, const Packet* pkts, usize n_pkts, u64 n, LookupTotals* out)
{
    u64 found = 0, masks = 0, cache_hits = 0;
    usize i = out->next;
    for (u64 j = 0; j < n; j++) {
        u32 nm, nc;
        const Packet& p = pkts[i];
        Flow* f = t.lookup(p.key, p.skb_hash, &nm, &nc);
        found += f != nullptr;
        masks += nm;
        cache_hits += nc;
        if (++i == n_pkts)
            i = 0;
    }
    out->found += found;
    out->masks += masks;
    out->cache_hits += cache_hits;
    out->next = i;
}

// Traffic classes reported in the table.
enum class Traffic { HitUncached, HitCached, Miss };
inline const char* traffic_name(Traffic t)
{
    switch (t) {
    case Traffic::HitUncached:
        return "hit-uncached";
    case Traffic::HitCached:
        return "hit-cached";
    default:
        return "miss";
    }
}

// hit-uncached: 1024 packets over all flows, no skb hash (linear mask walk).
// hit-cached: 128 packets (a working set the 256-entry cache holds), hashed.
// miss: 1024 packets matching nothing, hashed (the cache cannot help).
inline std::vector<Packet> traffic(const Workload& w, Traffic t)
{
    switch (t) {
    case Traffic::HitUncached:
        return w.hits(1024, false);
    case Traffic::HitCached:
        return w.hits(128, true);
    default:
        return w.misses(1024, true);
    }
}

} // namespace ovsdp::bench
