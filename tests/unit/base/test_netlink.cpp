// SPDX-License-Identifier: GPL-2.0
#include "base/netlink.h"

#include <gtest/gtest.h>
#include <vector>

using namespace ovsdp;

TEST(Netlink, WriterAndIteratorRoundTrip)
{
    u8 buf[128];
    NlWriter w(buf, sizeof(buf));
    EXPECT_TRUE(w.put_u32(1, 0xdeadbeef));
    EXPECT_TRUE(w.put_string(2, "dp0"));
    usize nest = w.nest_begin(3);
    EXPECT_TRUE(w.put_u8(4, 7));
    w.nest_end(nest);
    EXPECT_TRUE(w.put_flag(5));
    ASSERT_FALSE(w.overflowed());
    EXPECT_EQ(w.size(), 8u + 8u + (4u + 8u) + 4u);

    std::vector<u16> types;
    NlAttrIter it(ConstBytes(buf, w.size()));
    for (; !it.done(); it.next())
        types.push_back(it.get()->type());
    EXPECT_TRUE(it.valid());
    EXPECT_EQ(types, (std::vector<u16> { 1, 2, 3, 5 }));

    const NlAttr* nested = reinterpret_cast<const NlAttr*>(buf + 16);
    EXPECT_EQ(nested->type(), 3);
    int n = 0;
    for (const NlAttr* a : nla_range(nested)) {
        EXPECT_EQ(a->type(), 4);
        EXPECT_EQ(a->get_u8(), 7);
        n++;
    }
    EXPECT_EQ(n, 1);
}

TEST(Netlink, WriterOverflowIsStickyUntilRollback)
{
    u8 buf[12];
    NlWriter w(buf, sizeof(buf));
    EXPECT_TRUE(w.put_u32(1, 1));
    usize mark = w.size();
    EXPECT_FALSE(w.put_u64(2, 2));
    EXPECT_TRUE(w.overflowed());
    EXPECT_FALSE(w.put_u8(3, 3)) << "no writes after an overflow";
    w.rollback(mark);
    EXPECT_FALSE(w.overflowed());
    EXPECT_EQ(w.size(), 8u);
}

// A nest longer than nla_len can say overflows the writer instead of
// wrapping its length (a flow's 64 KiB of actions plus a little).
TEST(Netlink, NestLongerThanAnAttributeOverflows)
{
    std::vector<u8> buf(1 << 17);
    NlWriter w(buf.data(), buf.size());
    usize nest = w.nest_begin(1);
    for (int i = 0; i < 8190; i++)
        w.put_u32(2, i); // 65,520 bytes: fits
    w.nest_end(nest);
    ASSERT_FALSE(w.overflowed());
    EXPECT_EQ(reinterpret_cast<const NlAttr*>(buf.data())->nla_len, 65524);
    w.rollback(0);
    nest = w.nest_begin(1);
    for (int i = 0; i < 8192; i++)
        w.put_u32(2, i); // 65,536 bytes
    EXPECT_FALSE(w.overflowed());
    w.nest_end(nest);
    EXPECT_TRUE(w.overflowed());
}

TEST(Netlink, MalformedStreamsAreDetected)
{
    // Length below the header size.
    u8 a[] = { 2, 0, 1, 0 };
    EXPECT_FALSE(nla_stream_ok(ConstBytes(a, sizeof(a))));
    // Length beyond the stream.
    u8 b[] = { 12, 0, 1, 0, 0, 0, 0, 0 };
    EXPECT_FALSE(nla_stream_ok(ConstBytes(b, sizeof(b))));
    // Unpadded last attribute is fine (5 bytes, stream ends there).
    u8 c[] = { 5, 0, 1, 0, 9 };
    EXPECT_TRUE(nla_stream_ok(ConstBytes(c, sizeof(c))));
    // Short trailing garbage (< header) is ignored as padding.
    u8 d[] = { 4, 0, 1, 0, 0xff, 0xff };
    EXPECT_TRUE(nla_stream_ok(ConstBytes(d, sizeof(d))));
    // Empty stream.
    EXPECT_TRUE(nla_stream_ok(ConstBytes()));
}
