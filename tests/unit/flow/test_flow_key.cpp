// SPDX-License-Identifier: GPL-2.0
// FlowKey layout, key ranges and the range-tracking writer.
#include "flow/flow_key.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace ovsdp;

TEST(FlowKey, LayoutPutsTunnelFirstAndIsLongAligned)
{
    EXPECT_EQ(sizeof(FlowKey), 496u);
    // Conntrack last: key_extract() stops before it, non-ct flows' ranges too.
    EXPECT_EQ(kFlowKeyCtStart, 432u);
    EXPECT_EQ(alignof(FlowKey), sizeof(long));
    EXPECT_EQ(kFlowKeyNonTunnelStart, 312u);
    EXPECT_EQ(kFlowKeyPacketStart, 332u);
    // Everything tunnel sits below the non-tunnel start.
    EXPECT_LE(OVSDP_OFFSETOF(FlowKey, tun_key) + sizeof(FlowTunnelKey), kFlowKeyNonTunnelStart);
    EXPECT_LT(OVSDP_OFFSETOF(FlowKey, tun_opts_len), kFlowKeyNonTunnelStart);
    // Options end where the length begins: N bytes of options widen a range
    // by N bytes only.
    EXPECT_EQ(FlowKey::tun_opts_offset(0) , OVSDP_OFFSETOF(FlowKey, tun_opts_len));
    EXPECT_EQ(FlowKey::tun_opts_offset(255), 0u);
}

TEST(FlowKeyRange, WidensToWholeLongs)
{
    FlowKeyRange r;
    EXPECT_TRUE(r.empty());
    r.widen(OVSDP_OFFSETOF(FlowKey, eth.type), 2); // 352..354
    EXPECT_EQ(r.start, 352);
    EXPECT_EQ(r.end, 360);
    r.widen(OVSDP_OFFSETOF(FlowKey, in_port), 2); // 328..330
    EXPECT_EQ(r.start, 328);
    EXPECT_EQ(r.end, 360);
    r.widen(OVSDP_OFFSETOF(FlowKey, tp.src), 2); // 358..360
    EXPECT_EQ(r.end, 360);
    r.widen(OVSDP_OFFSETOF(FlowKey, ipv6.nd.tll), 6); // ..428
    EXPECT_EQ(r.end, 432);
    EXPECT_EQ(r.size(), 104u);

    EXPECT_EQ(FlowKeyRange::full().start, 0);
    EXPECT_EQ(FlowKeyRange::full().end, 496);
    EXPECT_EQ(FlowKeyRange::non_tunnel().start, 312);
}

TEST(FlowKeyWriter, EveryWriteWidensTheRange)
{
    FlowKey key;
    std::memset(&key, 0, sizeof(key));
    FlowKeyRange range;
    FlowKeyWriter w(key, range);

    w.put(key.eth.type, htons(kEthPIpv6));
    EXPECT_EQ(key.eth.type, htons(kEthPIpv6));
    EXPECT_EQ(range.start, 352);
    EXPECT_EQ(range.end, 360);

    const u8 mac[6] = { 1, 2, 3, 4, 5, 6 };
    w.put_bytes(key.eth.src, mac, sizeof(mac));
    EXPECT_EQ(std::memcmp(key.eth.src, mac, 6), 0);
    EXPECT_EQ(range.start, 328);

    u8 addr[16];
    std::memset(addr, 0xfe, sizeof(addr));
    w.put(key.ipv6.src, addr); // arrays are copied whole
    EXPECT_EQ(key.ipv6.src[15], 0xfe);

    // A tunnel flow with 8 bytes of options: the range starts just below
    // the options, far above the start of the array.
    FlowKey tkey;
    std::memset(&tkey, 0, sizeof(tkey));
    FlowKeyRange trange;
    FlowKeyWriter tw(tkey, trange);
    const u8 opts[8] = { 9, 9, 9, 9, 9, 9, 9, 9 };
    tw.put_bytes(tkey.tun_opts + FlowKey::tun_opts_offset(8), opts, 8);
    tw.put(tkey.tun_opts_len, u8(8));
    tw.put(tkey.tun_key.tun_id, htonll(42));
    EXPECT_EQ(trange.start, 240);
    EXPECT_EQ(trange.end, 264);
    EXPECT_EQ(tkey.tun_opts_data()[0], 9);

    tw.fill_bytes(&tkey.tun_key.ipv4, 0xff, sizeof(tkey.tun_key.ipv4));
    EXPECT_EQ(tkey.tun_key.ipv4.dst, 0xffffffffu);
    EXPECT_EQ(trange.end, 272);
    tw.mark(&tkey.recirc_id, 4);
    EXPECT_EQ(trange.end, 328);
}
