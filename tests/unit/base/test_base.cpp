// SPDX-License-Identifier: GPL-2.0
#include "base/byteorder.h"
#include "base/list.h"
#include "base/result.h"
#include "base/span.h"

#include <gtest/gtest.h>

using namespace ovsdp;

TEST(Span, SliceChecksBoundsWithoutOverflow)
{
    u8 buf[10] = {};
    Bytes b(buf);
    EXPECT_EQ(b.slice(0, 10).size(), 10u);
    EXPECT_EQ(b.slice(10, 0).size(), 0u);
    EXPECT_NE(b.slice(10, 0).data(), nullptr);
    EXPECT_EQ(b.slice(11, 0).data(), nullptr);
    EXPECT_EQ(b.slice(5, 6).data(), nullptr);
    EXPECT_EQ(b.slice(1, ~usize(0)).data(), nullptr);
    EXPECT_EQ(b.slice(~usize(0), 2).data(), nullptr);
    EXPECT_EQ(b.slice(4).size(), 6u);
}

static Result<int> half(int v)
{
    if (v & 1)
        return make_error(err::INVAL, "odd");
    return v / 2;
}

static Result<int> quarter(int v)
{
    int h = TRY(half(v));
    return TRY(half(h));
}

TEST(Result, TryPropagatesErrors)
{
    auto r = quarter(8);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value(), 2);
    auto e = quarter(6);
    ASSERT_TRUE(e.is_error());
    EXPECT_EQ(e.error().code, err::INVAL);
    EXPECT_STREQ(e.error().msg, "odd");
    EXPECT_EQ(e.error().negative(), -22);
}

TEST(ByteOrder, RoundTrips)
{
    EXPECT_EQ(htons(0x1234), 0x3412);
    EXPECT_EQ(ntohl(htonl(0xdeadbeef)), 0xdeadbeefu);
    u8 b[3] = { 0, 0x12, 0x34 };
    EXPECT_EQ(ntohs(load_unaligned<be16>(b + 1)), 0x1234);
}

struct Item {
    int v;
    HListNode a;
    HListNode b;
};

TEST(HList, IntrusiveInTwoListsAndRcuDelete)
{
    HListHead h1, h2;
    Item items[3] = { { 1, {}, {} }, { 2, {}, {} }, { 3, {}, {} } };
    for (auto& it : items) {
        h1.add_head_rcu(&it.a);
        h2.add_head(&it.b);
    }
    int sum = 0;
    for (Item* it : hlist_range(&h1, &Item::a))
        sum = sum * 10 + it->v;
    EXPECT_EQ(sum, 321);
    hlist_del_rcu(&items[1].a);
    EXPECT_TRUE(items[1].a.unhashed());
    sum = 0;
    for (Item* it : hlist_range(&h1, &Item::a))
        sum = sum * 10 + it->v;
    EXPECT_EQ(sum, 31);
    sum = 0;
    for (Item* it : hlist_range(&h2, &Item::b))
        sum = sum * 10 + it->v;
    EXPECT_EQ(sum, 321);
    Item repl { 9, {}, {} };
    hlist_replace_rcu(&items[2].a, &repl.a);
    sum = 0;
    for (Item* it : hlist_range(&h1, &Item::a))
        sum = sum * 10 + it->v;
    EXPECT_EQ(sum, 91);
}
