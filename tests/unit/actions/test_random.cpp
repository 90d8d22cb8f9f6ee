// SPDX-License-Identifier: GPL-2.0
// Random action lists (any action, any nesting up to validation's depth, any
// arguments, valid or not for the packet) on random packets in random
// checksum states, under the sanitizers. Whatever happens to the bytes:
// - every packet handle ends exactly once (output, consume, drop or recirc);
// - nothing leaks and the per-CPU state is back to idle (fixture checks);
// - a recirculated key is always valid.
// For lists flow_netlink's validation accepts for the packet's key (the
// generated blob turned back into userspace attributes and validated), a
// CHECKSUM_COMPLETE csum also always equals the sum of the bytes: every byte
// the engine changes is accounted for. (Unvalidated lists can set headers
// the packet does not have, overlapping others, and are only run for the
// properties above.)
#include "act_test_util.h"
#include "flow_netlink/flow_actions.h"

#include <memory>
#include <random>

using namespace ovsdp;
using namespace ovsdp::test;

namespace {

bool same_sum(wsum a, wsum b)
{
    u16 x = csum_fold(a), y = csum_fold(b);
    return x == y || ((x == 0 || x == 0xffff) && (y == 0 || y == 0xffff));
}

class Gen {
public:
    explicit Gen(u32 seed) : rng_(seed) {}

    u32 u(u32 n) { return static_cast<u32>(rng_() % n); }
    u32 r32() { return static_cast<u32>(rng_()); }
    bool coin() { return rng_() & 1; }

    Buf packet(u8& mac_proto, u16& l3_proto)
    {
        mac_proto = kMacProtoEthernet;
        l3_proto = 0;
        Ip4 ip4;
        ip4.ttl = static_cast<u8>(u(4));
        ip4.src = r32();
        if (u(5) == 0)
            ip4.frag_off = static_cast<u16>(r32() & 0x3fff);
        Ip6 ip6;
        ip6.hlim = static_cast<u8>(u(4));
        L4 l4;
        switch (u(6)) {
        case 0:
            l4 = tcp(static_cast<u16>(r32()), 80, u(30));
            break;
        case 1:
            l4 = udp(static_cast<u16>(r32()), 53, u(30), coin());
            break;
        case 2:
            l4 = sctp(1, 2, u(30));
            break;
        case 3:
            l4 = icmp(8, 0, u(20));
            break;
        case 4:
            l4 = icmpv6(128, 0, u(20));
            break;
        default:
            l4 = { static_cast<u8>(r32()), filler(u(40)), false };
        }
        Buf l3 = coin() ? ipv4_packet(Buf {}, ip4, l4) : ipv6_packet(Buf {}, ip6, l4,
                                                                        coin() ? routing_hdr(l4.proto, static_cast<u8>(u(2))) : Buf {},
                                                                        -1);
        u16 l3type = l3[0] >> 4 == 4 ? kEthPIp : kEthPIpv6;
        if (l3[0] >> 4 == 6 && l3.size() > 54 && l3[6] != l4.proto) {
            // Routing header present: chain it.
            l3[6] = kIpProtoRouting;
        }
        switch (u(9)) {
        case 0:
            return kMacA + kMacB + vlan_tag(0x8100, static_cast<u16>(r32() & 0xfff)) + be16b(l3type) + l3;
        case 1:
            return kMacA + kMacB + vlan_tag(0x88a8, 1) + vlan_tag(0x8100, 2) + be16b(l3type) + l3;
        case 2:
            return eth(kEthPMplsUc) + mpls_lse(r32() & 0xfffff, coin()) + mpls_lse(5, true) + l3;
        case 3:
            return eth(kEthPArp) + filler(28);
        case 4:
            mac_proto = kMacProtoNone;
            l3_proto = l3type;
            return l3;
        case 5:
            return eth(l3type) + Buf(l3.begin(), l3.begin() + u(static_cast<u32>(l3.size())));
        default:
            return eth(l3type) + l3;
        }
    }

    // A random list of up to `n` actions at nesting `depth`.
    std::unique_ptr<Actions> list(int depth, int n)
    {
        auto a = std::make_unique<Actions>();
        int count = static_cast<int>(u(static_cast<u32>(n) + 1));
        for (int i = 0; i < count; i++)
            action(*a, depth);
        return a;
    }

private:
    template <typename T>
    void random_set(Actions& a, u16 type)
    {
        T v, m;
        u8* pv = reinterpret_cast<u8*>(&v);
        u8* pm = reinterpret_cast<u8*>(&m);
        for (usize i = 0; i < sizeof(T); i++) {
            pm[i] = coin() ? 0xff : static_cast<u8>(r32());
            pv[i] = static_cast<u8>(r32()) & pm[i];
        }
        // Mostly within what validation accepts: no protocol or fragment
        // bits, a 20-bit flow label.
        if (u(4) != 0) {
            if constexpr (IsSame<T, uapi::OvsKeyIpv4>) {
                v.ipv4_proto = m.ipv4_proto = v.ipv4_frag = m.ipv4_frag = 0;
            } else if constexpr (IsSame<T, uapi::OvsKeyIpv6>) {
                v.ipv6_proto = m.ipv6_proto = v.ipv6_frag = m.ipv6_frag = 0;
                m.ipv6_label &= htonl(0xfffff);
                v.ipv6_label &= m.ipv6_label;
            }
        }
        if (u(3) == 0)
            a.set_full(type, v);
        else
            a.set_masked(type, v, m);
    }

    void action(Actions& a, int depth)
    {
        bool can_nest = depth < kMaxActionNesting;
        switch (u(can_nest ? 30 : 25)) {
        case 0:
        case 1:
            a.output(1 + u(4));
            break;
        case 2:
            a.trunc(u(120));
            break;
        case 3:
            a.userspace({});
            break;
        case 4:
            a.hash(r32());
            break;
        case 5:
            a.push_vlan(coin() ? kEthP8021Q : kEthP8021AD, static_cast<u16>(0x1000 | (r32() & 0xefff)));
            break;
        case 6:
            a.pop_vlan();
            break;
        case 7:
            a.push_mpls(r32(), coin() ? kEthPMplsUc : kEthPMplsMc);
            break;
        case 8:
            a.add_mpls(r32(), kEthPMplsUc, coin());
            break;
        case 9: {
            const u16 types[] = { kEthPIp, kEthPIpv6, kEthPMplsUc, kEthPTeb };
            a.pop_mpls(types[u(4)]);
            break;
        }
        case 10:
            a.push_eth(kMacA, kMacB);
            break;
        case 11:
            a.pop_eth();
            break;
        case 12:
            random_set<uapi::OvsKeyEthernet>(a, uapi::OVS_KEY_ATTR_ETHERNET);
            break;
        case 13:
            random_set<uapi::OvsKeyIpv4>(a, uapi::OVS_KEY_ATTR_IPV4);
            break;
        case 14:
            random_set<uapi::OvsKeyIpv6>(a, uapi::OVS_KEY_ATTR_IPV6);
            break;
        case 15:
            random_set<uapi::OvsKeyPorts>(a, uapi::OVS_KEY_ATTR_TCP);
            break;
        case 16:
            random_set<uapi::OvsKeyPorts>(a, uapi::OVS_KEY_ATTR_UDP);
            break;
        case 17:
            random_set<uapi::OvsKeyPorts>(a, uapi::OVS_KEY_ATTR_SCTP);
            break;
        case 18:
            random_set<be32>(a, uapi::OVS_KEY_ATTR_MPLS);
            break;
        case 19:
            random_set<u32>(a, coin() ? uapi::OVS_KEY_ATTR_SKB_MARK : uapi::OVS_KEY_ATTR_PRIORITY);
            break;
        case 20:
            a.set_raw(uapi::OVS_KEY_ATTR_TUNNEL_INFO, filler(u(70)));
            break;
        case 21:
            a.recirc(r32());
            break;
        case 22:
            a.meter(u(3));
            break;
        case 23:
            a.ct_clear();
            break;
        case 24:
            a.output(1);
            break;
        case 25:
            a.dec_ttl(*list(depth + 1, 3));
            break;
        case 26:
            a.sample(coin() ? 0xffffffff : r32(), coin(), *list(depth + 1, 4));
            break;
        case 27:
        case 28:
            a.clone(coin(), *list(depth + 1, 4));
            break;
        default:
            a.check_pkt_len(static_cast<u16>(u(150)), *list(depth + 1, 3), coin(), *list(depth + 1, 3), coin());
        }
    }

    std::mt19937 rng_;
};

class RandomActions : public ActionsTest {};

TEST_F(RandomActions, EveryPacketEndsOnceAndCompleteChecksumsStayRight)
{
    const int kRuns = 4000;
    int validated = 0;
    for (int seed = 1; seed <= kRuns; seed++) {
        Gen g(static_cast<u32>(seed));
        u8 mac_proto;
        u16 l3_proto;
        Buf b = g.packet(mac_proto, l3_proto);
        env.events.clear();
        env.clones = 0;
        env.meter_drop_id = g.u(4);
        env.random_values = { g.r32(), g.r32(), g.r32() };
        env.clone_fail = g.u(20) == 0;

        Received r { Pkt(b.data(), b.size(), 0, g.coin() ? 32 : 0), {} };
        FlowKeyMetadata md;
        md.in_port = 1;
        md.mac_proto = mac_proto;
        if (mac_proto == kMacProtoNone)
            r.pkt.set_protocol(htons(l3_proto));
        if (key_extract_with_metadata(r.pkt, md, r.key).is_error())
            continue;
        bool complete = g.coin();
        if (complete)
            r.pkt.set_csum_complete();
        if (g.u(4) == 0)
            r.pkt.set_mru(static_cast<u16>(g.u(100)));
        if (g.u(4) == 0)
            r.pkt.set_gso_mac_seglen(g.u(100));
        auto acts = g.list(0, 8);

        // The same list as validation would make it for this packet, if it
        // accepts it.
        std::vector<u8> us(64 * 1024);
        NlWriter w(us.data(), us.size());
        ActionsBuf blob;
        bool valid = actions_to_nlattrs({ acts->data(), acts->size() }, w) && !w.overflowed()
            && copy_actions({ w.data(), w.size() }, r.key, blob, false).ok();
        if (valid)
            validated++;
        if (valid)
            (void)execute_actions(env, move(r.pkt), r.key, blob.data(), blob.size());
        else
            (void)run(r, *acts);
        complete = complete && valid;

        usize terminal = 0;
        for (const Event& e : env.events) {
            if (e.what == "output" || e.what == "consume" || e.what == "drop" || e.what == "recirc") {
                terminal++;
                if (complete && e.pkt.valid() && e.pkt.ip_summed() == IpSummed::Complete) {
                    ASSERT_TRUE(same_sum(e.pkt.csum(), csum_partial(e.pkt.data(), e.pkt.len(), 0)))
                        << "seed " << seed << " " << env.trace() << "\npacket\n"
                        << hex(b) << "\nactions\n"
                        << hex(Buf(acts->data(), acts->data() + acts->size()));
                }
            }
            if (e.what == "recirc") {
                ASSERT_FALSE(e.key.mac_proto & kMacProtoKeyInvalid)
                    << "seed " << seed << " " << env.trace() << "\npacket\n"
                    << hex(b) << "\nactions\n"
                    << hex(Buf(acts->data(), acts->data() + acts->size()));
            }
        }
        ASSERT_EQ(terminal, usize(1 + env.clones)) << "seed " << seed << ": " << env.trace();
        ASSERT_EQ(env.action_state().level, 0);
        ASSERT_EQ(env.action_state().frame_top, 0u);
    }
    // Enough of the lists were valid for the checksum property to mean
    // something.
    EXPECT_GT(validated, kRuns / 10);
    std::printf("%d of %d random lists passed validation\n", validated, kRuns);
}

} // namespace
