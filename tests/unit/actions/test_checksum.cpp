// SPDX-License-Identifier: GPL-2.0
// actions/checksum.h and actions/jhash.h: the ones' complement primitives,
// incremental updates checked against full recomputation, CRC32c known
// answers, and jhash_1word known answers (from the kernel's own macros).
#include "act_test_util.h"

#include <random>

using namespace ovsdp;
using namespace ovsdp::test;

namespace {

// RFC 1071 by the book: big-endian 16-bit words, odd byte padded.
u16 reference_fold(const u8* p, usize len)
{
    u64 s = 0;
    for (usize i = 0; i + 1 < len; i += 2)
        s += (u32(p[i]) << 8) | p[i + 1];
    if (len & 1)
        s += u32(p[len - 1]) << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return static_cast<u16>(~s);
}

// Two sums are the same ones' complement number (+0 and -0 are one).
bool same_sum(wsum a, wsum b)
{
    u16 x = csum_fold(a), y = csum_fold(b);
    return x == y || ((x == 0 || x == 0xffff) && (y == 0 || y == 0xffff));
}

// csum_fold() yields the complement in memory order; make it a host value.
u16 folded_host(wsum s) { return ntohs(csum_fold(s)); }

TEST(Checksum, CsumPartialAgreesWithRfc1071ForEveryLengthAndAlignment)
{
    std::mt19937 rng(1);
    u8 buf[300];
    for (auto& b : buf)
        b = static_cast<u8>(rng());
    for (usize off = 0; off < 4; off++)
        for (usize len = 0; len < 260; len++)
            ASSERT_EQ(folded_host(csum_partial(buf + off, len, 0)), reference_fold(buf + off, len))
                << "off " << off << " len " << len;
}

TEST(Checksum, FoldOfAllOnesAndZero)
{
    EXPECT_EQ(csum_fold(0), 0xffff);
    EXPECT_EQ(csum_fold(0xffff), 0);
    EXPECT_EQ(csum_fold(0xffffffffu), 0);
    EXPECT_EQ(csum_add(0xffffffffu, 1), 1u); // end-around carry
    EXPECT_EQ(csum_sub(5, 5), 0xffffffffu); // -0
}

TEST(Checksum, BlockAddAtOddOffsetEqualsSumOfConcatenation)
{
    std::mt19937 rng(2);
    for (int t = 0; t < 200; t++) {
        u8 buf[64];
        for (auto& b : buf)
            b = static_cast<u8>(rng());
        usize split = rng() % 64;
        wsum a = csum_partial(buf, split, 0);
        wsum b = csum_partial(buf + split, 64 - split, 0);
        EXPECT_TRUE(same_sum(csum_block_add(a, b, split), csum_partial(buf, 64, 0))) << split;
        EXPECT_TRUE(same_sum(csum_block_sub(csum_partial(buf, 64, 0), b, split), a)) << split;
    }
}

TEST(Checksum, Replace4And2MatchRecomputationOnIpv4Headers)
{
    std::mt19937 rng(3);
    for (int t = 0; t < 2000; t++) {
        Ip4 ip;
        ip.src = rng();
        ip.dst = rng();
        ip.ttl = static_cast<u8>(rng());
        ip.tos = static_cast<u8>(rng());
        Buf h = ipv4_hdr(ip, static_cast<u8>(rng()), rng() % 1400);
        ASSERT_EQ(ip_compute_csum(h.data(), 20), 0);
        be32 to = htonl(rng());
        csum_replace4(&h[10], load_unaligned<be32>(&h[12]), to);
        store_unaligned<be32>(&h[12], to);
        ASSERT_EQ(ip_compute_csum(h.data(), 20), 0) << hex(h);
        u8 ttl = static_cast<u8>(rng());
        csum_replace2(&h[10], htons(static_cast<u16>(h[8] << 8)), htons(static_cast<u16>(ttl << 8)));
        h[8] = ttl;
        ASSERT_EQ(ip_compute_csum(h.data(), 20), 0) << hex(h);
    }
}

TEST(Checksum, Ipv4ChangeDsfieldMatchesRecomputation)
{
    std::mt19937 rng(4);
    for (int t = 0; t < 2000; t++) {
        Ip4 ip;
        ip.src = rng();
        ip.tos = static_cast<u8>(rng());
        Buf h = ipv4_hdr(ip, kIpProtoUdp, 100);
        u8 mask = static_cast<u8>(rng());
        u8 value = static_cast<u8>(rng()) & mask;
        act::ipv4_change_dsfield(h.data(), static_cast<u8>(~mask), value);
        ASSERT_EQ(h[1], static_cast<u8>((ip.tos & ~mask) | value));
        ASSERT_EQ(ip_compute_csum(h.data(), 20), 0) << hex(h);
    }
}

TEST(Checksum, PseudoHeaderSumsMatchHandBuiltOnes)
{
    Buf ph = be32b(0xc0a80001) + be32b(0x08080808) + bytes({ 0, 6 }) + be16b(40);
    EXPECT_EQ(csum_fold(csum_pseudo_ipv4(htonl(0xc0a80001), htonl(0x08080808), 40, 6, 0)),
              csum_fold(csum_partial(ph.data(), ph.size(), 0)));
    Buf s = ip6(1), d = ip6(2);
    Buf ph6 = s + d + be32b(1000) + bytes({ 0, 0, 0, 17 });
    EXPECT_EQ(csum_fold(csum_pseudo_ipv6(s.data(), d.data(), 1000, 17, 0)),
              csum_fold(csum_partial(ph6.data(), ph6.size(), 0)));
}

TEST(Checksum, Crc32cKnownAnswers)
{
    const char* digits = "123456789";
    EXPECT_EQ(crc32c(reinterpret_cast<const u8*>(digits), 9), 0xE3069283u);
    u8 zeros[32] = {}, ones[32], inc[32];
    for (int i = 0; i < 32; i++) {
        ones[i] = 0xff;
        inc[i] = static_cast<u8>(i);
    }
    // RFC 3720 B.4 test vectors.
    EXPECT_EQ(crc32c(zeros, 32), 0x8A9136AAu);
    EXPECT_EQ(crc32c(ones, 32), 0x62A8AB43u);
    EXPECT_EQ(crc32c(inc, 32), 0x46DD794Eu);
    static_assert(kCrc32cTable.t[1] == 0xF26B8303u, "table is built at compile time");
}

TEST(Checksum, SctpChecksumIgnoresTheFieldAndIsLittleEndian)
{
    L4 s = sctp(1000, 2000, 20);
    Buf b = s.bytes;
    u32 c1 = sctp_compute_cksum(b.data(), b.size());
    store_unaligned<u32>(&b[8], 0xdeadbeef);
    EXPECT_EQ(sctp_compute_cksum(b.data(), b.size()), c1);
    Buf z = b;
    store_unaligned<u32>(&z[8], 0);
    EXPECT_EQ(c1, crc32c(z.data(), z.size()));
}

TEST(Jhash, OneWordKnownAnswersFromTheKernelMacros)
{
    // Computed with <linux/jhash.h> of 6.1 (its macros compiled verbatim).
    EXPECT_EQ(jhash_1word(0, 0), 0x049396b8u);
    EXPECT_EQ(jhash_1word(1, 0), 0x72a82a9bu);
    EXPECT_EQ(jhash_1word(0x12345678, 0), 0xbc441425u);
    EXPECT_EQ(jhash_1word(0xdeadbeef, 42), 0x2f661aebu);
    EXPECT_EQ(jhash_1word(0xffffffff, 0xffffffff), 0xeae46760u);
}

// inet_proto_csum_replace* over every checksum state, checked by
// recomputing the L4 checksum and the packet sum.
class ProtoCsumReplace : public ::testing::TestWithParam<IpSummed> {};

TEST_P(ProtoCsumReplace, AddressChangeKeepsL4AndPacketSumsRight)
{
    IpSummed mode = GetParam();
    std::mt19937 rng(5);
    for (int t = 0; t < 200; t++) {
        Ip4 ip;
        ip.src = rng();
        ip.dst = rng();
        Buf b = ipv4_packet(eth(kEthPIp), ip, tcp(static_cast<u16>(rng()), 80, rng() % 50));
        Pkt p(b.data(), b.size());
        const usize nh = 14, th = 34;
        wsum pseudo = csum_pseudo_ipv4(htonl(ip.src), htonl(ip.dst), static_cast<u32>(b.size() - th), kIpProtoTcp, 0);
        if (mode == IpSummed::Complete)
            p.set_csum_complete();
        else if (mode == IpSummed::Partial)
            make_partial(p, th, kIpProtoTcp, pseudo);
        else
            p.set_ip_summed(mode);
        u8* d = p.make_writable(p.len());
        be32 to = htonl(rng());
        inet_proto_csum_replace4(p, d + th + 16, load_unaligned<be32>(d + nh + 12), to, true);
        csum_replace4(d + nh + 10, load_unaligned<be32>(d + nh + 12), to);
        store_unaligned<be32>(d + nh + 12, to);
        // And a port change, which is L4 data.
        be16 port = htons(static_cast<u16>(rng()));
        inet_proto_csum_replace2(p, d + th + 16, load_unaligned<be16>(d + th), port, false);
        store_unaligned<be16>(d + th, port);

        Buf out = mode == IpSummed::Partial ? finish_partial(p) : bytes_of(p);
        ASSERT_TRUE(ipv4_csum_ok(out, nh));
        ASSERT_TRUE(l4_csum_ok(out, nh, th, kIpProtoTcp, false)) << hex(out);
        if (mode == IpSummed::Complete) {
            ASSERT_TRUE(complete_csum_ok(p));
        }
        EXPECT_EQ(p.ip_summed(), mode);
    }
}

TEST_P(ProtoCsumReplace, Ipv6AddressChangeKeepsL4AndPacketSumsRight)
{
    IpSummed mode = GetParam();
    std::mt19937 rng(6);
    for (int t = 0; t < 100; t++) {
        Ip6 ip;
        for (auto& x : ip.src)
            x = static_cast<u8>(rng());
        Buf b = ipv6_packet(eth(kEthPIpv6), ip, udp(53, static_cast<u16>(rng()), rng() % 40));
        Pkt p(b.data(), b.size());
        const usize nh = 14, th = 54;
        wsum pseudo = csum_pseudo_ipv6(ip.src.data(), ip.dst.data(), static_cast<u32>(b.size() - th), kIpProtoUdp, 0);
        if (mode == IpSummed::Complete)
            p.set_csum_complete();
        else if (mode == IpSummed::Partial)
            make_partial(p, th, kIpProtoUdp, pseudo);
        else
            p.set_ip_summed(mode);
        u8* d = p.make_writable(p.len());
        u8 to[16];
        for (auto& x : to)
            x = static_cast<u8>(rng());
        inet_proto_csum_replace16(p, d + th + 6, d + nh + 24, to, true);
        std::memcpy(d + nh + 24, to, 16);
        Buf out = mode == IpSummed::Partial ? finish_partial(p) : bytes_of(p);
        ASSERT_TRUE(l4_csum_ok(out, nh, th, kIpProtoUdp, true)) << hex(out);
        if (mode == IpSummed::Complete) {
            ASSERT_TRUE(complete_csum_ok(p));
        }
    }
}

INSTANTIATE_TEST_SUITE_P(AllStates, ProtoCsumReplace,
                         ::testing::Values(IpSummed::None, IpSummed::Unnecessary, IpSummed::Complete, IpSummed::Partial),
                         [](const auto& info) {
                             switch (info.param) {
                             case IpSummed::None:
                                 return std::string("None");
                             case IpSummed::Unnecessary:
                                 return std::string("Unnecessary");
                             case IpSummed::Complete:
                                 return std::string("Complete");
                             default:
                                 return std::string("Partial");
                             }
                         });

} // namespace
