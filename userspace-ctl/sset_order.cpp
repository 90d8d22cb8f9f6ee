// SPDX-License-Identifier: Apache-2.0
#include "userspace-ctl/sset_order.h"

#include <cstring>
#include <unordered_set>

namespace ovsdp::ctl {
namespace {

uint32_t rot(uint32_t x, int k)
{
    return (x << k) | (x >> (32 - k));
}

uint32_t mhash_add(uint32_t hash, uint32_t data)
{
    if (data) {
        data *= 0xcc9e2d51;
        data = rot(data, 15);
        data *= 0x1b873593;
        hash ^= data;
    }
    hash = rot(hash, 13);
    return hash * 5 + 0xe6546b64;
}

uint32_t mhash_finish(uint32_t hash)
{
    hash ^= hash >> 16;
    hash *= 0x85ebca6b;
    hash ^= hash >> 13;
    hash *= 0xc2b2ae35;
    hash ^= hash >> 16;
    return hash;
}

// The bucket mask OVS's hmap chooses for 'capacity' nodes.
size_t calc_mask(size_t capacity)
{
    size_t mask = capacity / 2;
    for (unsigned shift = 1; shift < 64; shift <<= 1) {
        mask |= mask >> shift;
    }
    mask |= (mask & 1) << 1;
    return mask;
}

struct Node {
    std::string name;
    uint32_t hash;
};

// Bucket chains hold node indexes, head first, like hmap's singly linked lists.
using Buckets = std::vector<std::vector<size_t>>;

void insert_fast(Buckets& b, size_t mask, const std::vector<Node>& nodes, size_t idx)
{
    auto& chain = b[nodes[idx].hash & mask];
    chain.insert(chain.begin(), idx);
}

}  // namespace

uint32_t ovs_hash_string(std::string_view s, uint32_t basis)
{
    uint32_t hash = basis;
    size_t n = s.size();
    const char* p = s.data();
    while (n >= 4) {
        uint32_t w;
        std::memcpy(&w, p, 4);  // little-endian host, as on amd64
        hash = mhash_add(hash, w);
        p += 4;
        n -= 4;
    }
    if (n) {
        uint32_t w = 0;
        std::memcpy(&w, p, n);
        hash = mhash_add(hash, w);
    }
    return mhash_finish(hash ^ static_cast<uint32_t>(s.size()));
}

std::vector<std::string> ovs_sset_order(std::span<const std::string> names)
{
    std::vector<Node> nodes;
    std::unordered_set<std::string> seen;
    size_t mask = 0;
    Buckets buckets(1);
    for (const std::string& name : names) {
        if (!seen.insert(name).second) {
            continue;
        }
        nodes.push_back(Node{name, ovs_hash_string(name)});
        insert_fast(buckets, mask, nodes, nodes.size() - 1);
        size_t n = nodes.size();
        if (n / 2 > mask) {
            size_t new_mask = calc_mask(n);
            if (new_mask > mask) {
                Buckets grown(new_mask + 1);
                for (const auto& chain : buckets) {
                    for (size_t idx : chain) {
                        insert_fast(grown, new_mask, nodes, idx);
                    }
                }
                buckets = std::move(grown);
                mask = new_mask;
            }
        }
    }
    std::vector<std::string> out;
    for (const auto& chain : buckets) {
        for (size_t idx : chain) {
            out.push_back(nodes[idx].name);
        }
    }
    return out;
}

}  // namespace ovsdp::ctl
