// SPDX-License-Identifier: GPL-2.0
// Keys, masks and flows for the flow table tests: random megaflow masks over a
// handful of realistic fields, keys from small value domains so that random
// packets hit, and a reference model (a plain list searched linearly).
#pragma once

#include "flow/flow_key.h"
#include "flow_table/flow.h"
#include "flow_table/flow_table.h"
#include "platform/platform.h"
#include "platform/user/user_platform.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <vector>

namespace ovsdp::test {

// A field of the key the generators vary: offset and size in FlowKey.
struct KeyField {
    usize offset;
    usize size;
    bool tunnel; // part of the tunnel metadata
};

#define OVSDP_FT_FIELD(m, tun) KeyField { OVSDP_OFFSETOF(FlowKey, m), OVSDP_SIZEOF_MEMBER(FlowKey, m), tun }
inline const KeyField kFields[] = {
    OVSDP_FT_FIELD(in_port, false),
    OVSDP_FT_FIELD(skb_mark, false),
    OVSDP_FT_FIELD(recirc_id, false),
    OVSDP_FT_FIELD(eth.src, false),
    OVSDP_FT_FIELD(eth.dst, false),
    OVSDP_FT_FIELD(eth.type, false),
    OVSDP_FT_FIELD(ip.proto, false),
    OVSDP_FT_FIELD(ip.tos, false),
    OVSDP_FT_FIELD(ipv4.src, false),
    OVSDP_FT_FIELD(ipv4.dst, false),
    OVSDP_FT_FIELD(tp.src, false),
    OVSDP_FT_FIELD(tp.dst, false),
    OVSDP_FT_FIELD(tun_key.tun_id, true),
    OVSDP_FT_FIELD(tun_key.ipv4.dst, true),
};
#undef OVSDP_FT_FIELD
inline constexpr usize kNumFields = sizeof(kFields) / sizeof(kFields[0]);
inline constexpr usize kInPortField = 0;

struct TestMask {
    FlowKey key {};
    FlowKeyRange range {};
};

// Values each field takes in generated keys: a few per field, so that
// packets drawn at random hit flows often.
class KeyDomain {
public:
    explicit KeyDomain(std::mt19937& rng, int values_per_field = 3)
    {
        for (usize f = 0; f < kNumFields; f++)
            for (int v = 0; v < values_per_field; v++) {
                std::vector<u8> bytes(kFields[f].size);
                for (auto& b : bytes)
                    b = static_cast<u8>(rng());
                values_[f].push_back(bytes);
            }
    }

    // A packet key: every field from its domain, plus noise in fields no mask
    // covers (ttl), as a real packet would have.
    void random_key(std::mt19937& rng, FlowKey* key, bool tunnel) const
    {
        std::memset(key, 0, sizeof(*key));
        for (usize f = 0; f < kNumFields; f++) {
            if (kFields[f].tunnel && !tunnel)
                continue;
            const auto& choices = values_[f];
            const auto& v = choices[rng() % choices.size()];
            std::memcpy(key->bytes() + kFields[f].offset, v.data(), v.size());
        }
        key->ip.ttl = static_cast<u8>(rng());
        if (tunnel)
            key->tun_key.ip_family = kAfInet;
    }

private:
    std::vector<std::vector<u8>> values_[kNumFields];
};

// A random megaflow mask: in_port always (so tests can partition traffic by
// port), then a random subset of the other fields, each exact, a prefix, or a
// random bit pattern. Tunnel fields only when `tunnel`.
inline TestMask random_mask(std::mt19937& rng, bool tunnel)
{
    TestMask m;
    FlowKeyWriter w(m.key, m.range);
    for (usize f = 0; f < kNumFields; f++) {
        const KeyField& kf = kFields[f];
        if (kf.tunnel && !tunnel)
            continue;
        if (f != kInPortField && rng() % 3 != 0)
            continue;
        u8* p = m.key.bytes() + kf.offset;
        switch (rng() % 3) {
        case 0: // exact
            std::memset(p, 0xff, kf.size);
            break;
        case 1: { // prefix
            usize bits = 1 + rng() % (kf.size * 8);
            for (usize i = 0; i < kf.size; i++) {
                usize b = bits > i * 8 ? min<usize>(bits - i * 8, 8) : 0;
                p[i] = static_cast<u8>(0xff00 >> b);
            }
            break;
        }
        default: // arbitrary bits
            for (usize i = 0; i < kf.size; i++)
                p[i] = static_cast<u8>(rng());
            break;
        }
        if (f == kInPortField)
            std::memset(p, 0xff, kf.size);
        w.mark(p, kf.size);
    }
    if (tunnel) {
        m.key.tun_key.ip_family = 0xff;
        w.mark(&m.key.tun_key.ip_family, 1);
    }
    return m;
}

inline bool key_equal(const FlowKey& a, const FlowKey& b) { return std::memcmp(&a, &b, sizeof(FlowKey)) == 0; }

// A flow with key `key & mask`; identifier: the UFID if given, else the
// unmasked key.
inline Flow* make_flow(const FlowKey& key, const TestMask& mask, const FlowUfid* ufid = nullptr)
{
    Result<Flow*> r = flow_alloc();
    if (r.is_error())
        return nullptr;
    Flow* flow = r.value();
    flow_mask_key(&flow->key, key, mask.key, mask.range, true);
    Status s = ufid ? flow_set_ufid(flow, ufid->data, ufid->len) : flow_set_unmasked_key(flow, key);
    EXPECT_TRUE(s.ok());
    return flow;
}

// The reference: a plain list searched linearly over whole keys.
struct ModelFlow {
    Flow* flow;
    FlowKey masked;
    FlowKey mask;
    FlowKey unmasked;
    FlowUfid ufid; // len 0: key-identified
};

class Model {
public:
    std::vector<ModelFlow> flows;

    // Whole-key comparison, a word at a time.
    static bool matches(const ModelFlow& mf, const FlowKey& pkt)
    {
        auto* k = reinterpret_cast<const unsigned long*>(&pkt);
        auto* m = reinterpret_cast<const unsigned long*>(&mf.mask);
        auto* f = reinterpret_cast<const unsigned long*>(&mf.masked);
        for (usize i = 0; i < sizeof(FlowKey) / 8; i++)
            if ((k[i] & m[i]) != f[i])
                return false;
        return true;
    }
    // Index of a flow with this mask and masked key, or -1.
    int find_same(const FlowKey& masked, const FlowKey& mask) const
    {
        for (usize i = 0; i < flows.size(); i++)
            if (key_equal(flows[i].masked, masked) && key_equal(flows[i].mask, mask))
                return static_cast<int>(i);
        return -1;
    }
    std::vector<const Flow*> lookup(const FlowKey& pkt) const
    {
        std::vector<const Flow*> out;
        for (const auto& mf : flows)
            if (matches(mf, pkt))
                out.push_back(mf.flow);
        return out;
    }
};

// RAII: a table initialised for a test, destroyed and drained at the end.
class TableFixture {
public:
    explicit TableFixture(u32 cache_size = kMaskCacheDefaultSize)
    {
        live_before_ = user::live_allocations();
        EXPECT_TRUE(table.init(cache_size).ok());
    }
    ~TableFixture()
    {
        table.destroy_locked();
        ovsdp_rcu_barrier();
        EXPECT_EQ(user::live_allocations(), live_before_) << "leaked allocations";
    }
    FlowTable table;

private:
    long live_before_;
};

} // namespace ovsdp::test
