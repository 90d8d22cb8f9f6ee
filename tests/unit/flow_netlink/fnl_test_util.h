// SPDX-License-Identifier: GPL-2.0
// Key attribute builders and parse/serialise helpers for the flow_netlink tests.
#pragma once

#include "flow_netlink/flow_actions.h"
#include "flow_netlink/flow_netlink.h"
#include "flow_table/flow.h"
#include "nl_build.h"

#include <gtest/gtest.h>

#include <memory>

namespace ovsdp::test {

using namespace uapi;

inline OvsKeyEthernet eth_key(u8 src_last, u8 dst_last)
{
    return { { 0x02, 0, 0, 0, 0, src_last }, { 0x02, 0, 0, 0, 0, dst_last } };
}
inline OvsKeyEthernet eth_all(u8 v)
{
    OvsKeyEthernet e;
    std::memset(&e, v, sizeof(e));
    return e;
}
inline OvsKeyIpv4 ipv4_key(u32 src, u32 dst, u8 proto, u8 tos = 0, u8 ttl = 64, u8 frag = 0)
{
    return { htonl(src), htonl(dst), proto, tos, ttl, frag };
}
inline OvsKeyIpv6 ipv6_key(u8 src_last, u8 dst_last, u8 proto, u32 label = 0, u8 tclass = 0, u8 hlimit = 64,
    u8 frag = 0)
{
    OvsKeyIpv6 k;
    std::memset(&k, 0, sizeof(k));
    u8 src[16] = { 0x20, 0x01, 0x0d, 0xb8 };
    u8 dst[16] = { 0x20, 0x01, 0x0d, 0xb8 };
    src[15] = src_last;
    dst[15] = dst_last;
    std::memcpy(k.ipv6_src, src, 16);
    std::memcpy(k.ipv6_dst, dst, 16);
    k.ipv6_label = htonl(label);
    k.ipv6_proto = proto;
    k.ipv6_tclass = tclass;
    k.ipv6_hlimit = hlimit;
    k.ipv6_frag = frag;
    return k;
}
inline OvsKeyPorts ports(u16 src, u16 dst) { return { htons(src), htons(dst) }; }
template <typename T>
T all_ones()
{
    T v;
    std::memset(&v, 0xff, sizeof(v));
    return v;
}
template <typename T>
T all_zero()
{
    T v;
    std::memset(&v, 0, sizeof(v));
    return v;
}

// The metadata every OVS flow put carries, in OVS's order.
inline Nl& ovs_meta(Nl& n, u32 in_port, u32 priority = 0, u32 mark = 0, u32 recirc = 0, u32 dp_hash = 0)
{
    return n.u32_(OVS_KEY_ATTR_PRIORITY, priority)
        .u32_(OVS_KEY_ATTR_SKB_MARK, mark)
        .u32_(OVS_KEY_ATTR_RECIRC_ID, recirc)
        .u32_(OVS_KEY_ATTR_DP_HASH, dp_hash)
        .u32_(OVS_KEY_ATTR_IN_PORT, in_port);
}

// The mask of ovs_meta(): exact in_port, recirc_id; the rest as given.
inline Nl& ovs_meta_mask(Nl& n, u32 priority = 0, u32 mark = 0, u32 recirc = 0xffffffff, u32 dp_hash = 0)
{
    return n.u32_(OVS_KEY_ATTR_PRIORITY, priority)
        .u32_(OVS_KEY_ATTR_SKB_MARK, mark)
        .u32_(OVS_KEY_ATTR_RECIRC_ID, recirc)
        .u32_(OVS_KEY_ATTR_DP_HASH, dp_hash)
        .u32_(OVS_KEY_ATTR_IN_PORT, 0xffffffff);
}

// A parsed flow: key, mask and the masked key a flow would store.
struct Parsed {
    FlowKey key;
    FlowKey mask;
    FlowKey masked;
    FlowMatch m;
    Status status;

    bool ok() const { return status.ok(); }
    int err() const { return status.error().code; }
    const char* msg() const { return status.error().msg; }
};

inline std::unique_ptr<Parsed> parse(const Nl& key, const Nl* mask)
{
    auto p = std::make_unique<Parsed>();
    p->m.key = &p->key;
    p->m.mask = &p->mask;
    p->status = flow_key_from_nlattrs(key.span(), mask ? mask->span() : ConstBytes {}, mask != nullptr, p->m, false);
    if (p->ok())
        flow_mask_key(&p->masked, p->key, p->mask, p->m.mask_range, true);
    return p;
}

// What a flow dump returns for a flow parsed as p (upstream's
// ovs_nla_put_masked_key / ovs_nla_put_mask), without the outer nest.
inline Buf dump_masked_key(const Parsed& p)
{
    Out o;
    EXPECT_TRUE(flow_key_to_nlattrs(p.masked, p.masked, false, o.w));
    return o.bytes();
}
inline Buf dump_mask(const Parsed& p)
{
    Out o;
    EXPECT_TRUE(flow_key_to_nlattrs(p.masked, p.mask, true, o.w));
    return o.bytes();
}
// The identifier of a key-identified flow (ovs_nla_put_identifier).
inline Buf dump_unmasked_key(const Parsed& p)
{
    Out o;
    EXPECT_TRUE(flow_key_to_nlattrs(p.key, p.key, false, o.w));
    return o.bytes();
}

// Printed as nests (at every depth: a readable approximation; the bytes are
// compared too).
inline const std::initializer_list<u16> kKeyNests = { OVS_KEY_ATTR_ENCAP, OVS_KEY_ATTR_TUNNEL };

#define EXPECT_ATTRS_EQ(expected, actual)                                                   \
    do {                                                                                    \
        EXPECT_EQ(::ovsdp::test::dump(expected, ::ovsdp::test::kKeyNests),                  \
            ::ovsdp::test::dump(actual, ::ovsdp::test::kKeyNests));                         \
        EXPECT_EQ(::ovsdp::test::hex(expected), ::ovsdp::test::hex(actual));                \
    } while (0)

} // namespace ovsdp::test
