// SPDX-License-Identifier: GPL-2.0
// Flow actions: validation and copy into the blob (its exact internal forms),
// and the dump back to what userspace sent, for every action.
#include "fnl_test_util.h"
#include "platform/user/conntrack_user.h"
#include "platform/user/user_platform.h"

#include "platform/user/user_platform.h"

using namespace ovsdp;
using namespace ovsdp::test;

namespace {

const std::initializer_list<u16> kActNests = { OVS_ACTION_ATTR_SAMPLE, OVS_ACTION_ATTR_CLONE,
    OVS_ACTION_ATTR_CHECK_PKT_LEN, OVS_ACTION_ATTR_DEC_TTL };

#define EXPECT_ACTS_EQ(expected, actual)                                                    \
    do {                                                                                    \
        EXPECT_EQ(::ovsdp::test::dump(expected, kActNests), ::ovsdp::test::dump(actual, kActNests)); \
        EXPECT_EQ(::ovsdp::test::hex(expected), ::ovsdp::test::hex(actual));                \
    } while (0)

// Flow keys as the masked key of a parsed flow.
FlowKey key_of(const Nl& k)
{
    auto p = parse(k, nullptr);
    EXPECT_TRUE(p->ok()) << p->msg();
    return p->masked;
}
FlowKey tcp4_key()
{
    Nl k;
    ovs_meta(k, 1).val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2)).be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800).val(
        OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 6)).val(OVS_KEY_ATTR_TCP, ports(1, 2)).be16_(OVS_KEY_ATTR_TCP_FLAGS, 0);
    return key_of(k);
}
FlowKey udp6_key()
{
    Nl k;
    ovs_meta(k, 1).val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2)).be16_(OVS_KEY_ATTR_ETHERTYPE, 0x86dd).val(
        OVS_KEY_ATTR_IPV6, ipv6_key(1, 2, 17)).val(OVS_KEY_ATTR_UDP, ports(1, 2));
    return key_of(k);
}
FlowKey vlan_key()
{
    Nl k;
    ovs_meta(k, 1).val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2)).be16_(OVS_KEY_ATTR_ETHERTYPE, 0x8100).be16_(OVS_KEY_ATTR_VLAN, 0x1005)
        .nested(OVS_KEY_ATTR_ENCAP, Nl().be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800).val(OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 17))
            .val(OVS_KEY_ATTR_UDP, ports(1, 2)));
    return key_of(k);
}
FlowKey mpls_key(int labels)
{
    Buf lses(4 * labels, 0);
    Nl k;
    ovs_meta(k, 1).val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2)).be16_(OVS_KEY_ATTR_ETHERTYPE, 0x8847).put(OVS_KEY_ATTR_MPLS, lses);
    return key_of(k);
}
FlowKey l3_key()
{
    Nl k;
    ovs_meta(k, 1).be16_(OVS_KEY_ATTR_ETHERTYPE, 0x0800).val(OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 17)).val(OVS_KEY_ATTR_UDP, ports(1, 2));
    return key_of(k);
}

struct Copied {
    ActionsBuf buf;
    Status status;
    Buf blob() const { return Buf(buf.data(), buf.data() + buf.size()); }
    Buf dumped() const
    {
        Out o;
        EXPECT_TRUE(actions_to_nlattrs(buf.bytes(), o.w));
        EXPECT_LE(o.w.size(), actions_nlattr_size(buf.bytes()));
        return o.bytes();
    }
};

std::unique_ptr<Copied> copy(const Nl& acts, const FlowKey& key)
{
    auto c = std::make_unique<Copied>();
    c->status = copy_actions(acts.span(), key, c->buf, false);
    return c;
}

// Actions kept as sent: the blob is the input, and so is the dump.
void expect_verbatim(const Nl& acts, const FlowKey& key)
{
    auto c = copy(acts, key);
    ASSERT_TRUE(c->status.ok()) << c->status.error().msg;
    EXPECT_ACTS_EQ(acts.bytes(), c->blob());
    EXPECT_ACTS_EQ(acts.bytes(), c->dumped());
    EXPECT_EQ(actions_nlattr_size(c->buf.bytes()), acts.size());
}

TEST(ActionsNetlink, Empty)
{
    auto c = copy(Nl(), tcp4_key());
    ASSERT_TRUE(c->status.ok());
    EXPECT_EQ(c->buf.size(), 0u);
    EXPECT_TRUE(c->dumped().empty());
}

TEST(ActionsNetlink, SimpleActionsVerbatim)
{
    FlowKey k = tcp4_key();
    expect_verbatim(Nl().u32_(OVS_ACTION_ATTR_OUTPUT, 2).u32_(OVS_ACTION_ATTR_OUTPUT, 0).u32_(OVS_ACTION_ATTR_OUTPUT, 65534), k);
    expect_verbatim(Nl().u32_(OVS_ACTION_ATTR_RECIRC, 77), k);
    expect_verbatim(Nl().val(OVS_ACTION_ATTR_HASH, OvsActionHash { OVS_HASH_ALG_L4, 0x1234 }).u32_(OVS_ACTION_ATTR_RECIRC, 1), k);
    expect_verbatim(Nl().val(OVS_ACTION_ATTR_TRUNC, OvsActionTrunc { 14 }).u32_(OVS_ACTION_ATTR_OUTPUT, 1), k);
    expect_verbatim(Nl().val(OVS_ACTION_ATTR_PUSH_VLAN, OvsActionPushVlan { htons(0x8100), htons(0x1005) })
                        .val(OVS_ACTION_ATTR_PUSH_VLAN, OvsActionPushVlan { htons(0x88a8), htons(0x1fff) }), k);
    expect_verbatim(Nl().u32_(OVS_ACTION_ATTR_METER, 3).flag(OVS_ACTION_ATTR_CT_CLEAR), k);
    expect_verbatim(Nl().flag(OVS_ACTION_ATTR_POP_ETH), k);
    expect_verbatim(Nl().flag(OVS_ACTION_ATTR_POP_VLAN), vlan_key());
    expect_verbatim(Nl().val(OVS_ACTION_ATTR_PUSH_ETH, OvsActionPushEth { eth_key(5, 6) }).u32_(OVS_ACTION_ATTR_OUTPUT, 1), l3_key());
    OvsActionPushMpls pm;
    std::memset(&pm, 0, sizeof(pm));
    pm.mpls_lse = htonl(5 << 12 | 0x140);
    pm.mpls_ethertype = htons(0x8847);
    expect_verbatim(Nl().val(OVS_ACTION_ATTR_PUSH_MPLS, pm).be16_(OVS_ACTION_ATTR_POP_MPLS, 0x0800), k);
    expect_verbatim(Nl().val(OVS_ACTION_ATTR_ADD_MPLS, OvsActionAddMpls { htonl(1 << 12), htons(0x8848), kMplsL3TunnelFlagMask })
                        .val(OVS_ACTION_ATTR_ADD_MPLS, OvsActionAddMpls { htonl(2 << 12), htons(0x8847), 0 }), k);
}

TEST(ActionsNetlink, UserspaceVerbatim)
{
    Nl us;
    us.begin(OVS_ACTION_ATTR_USERSPACE)
        .u32_(OVS_USERSPACE_ATTR_PID, 4321)
        .put(OVS_USERSPACE_ATTR_USERDATA, Buf { 1, 2, 3, 4, 5, 6, 7, 8, 9 })
        .u32_(OVS_USERSPACE_ATTR_EGRESS_TUN_PORT, 4)
        .flag(OVS_USERSPACE_ATTR_ACTIONS)
        .end();
    expect_verbatim(us, tcp4_key());
    // As upstream's liberal policy: unknown attribute types are carried.
    Nl us2;
    us2.begin(OVS_ACTION_ATTR_USERSPACE).u32_(OVS_USERSPACE_ATTR_PID, 1).u32_(9, 7).end();
    expect_verbatim(us2, tcp4_key());
}

TEST(ActionsNetlink, SetMaskedVerbatim)
{
    OvsKeyEthernet v = eth_key(7, 8), m = eth_all(0xff);
    Buf vm(reinterpret_cast<u8*>(&v), reinterpret_cast<u8*>(&v) + sizeof(v));
    vm.insert(vm.end(), reinterpret_cast<u8*>(&m), reinterpret_cast<u8*>(&m) + sizeof(m));
    expect_verbatim(Nl().nested(OVS_ACTION_ATTR_SET_MASKED, Nl().put(OVS_KEY_ATTR_ETHERNET, vm)), tcp4_key());

    OvsKeyIpv4 iv = all_zero<OvsKeyIpv4>(), im = all_zero<OvsKeyIpv4>();
    iv.ipv4_dst = htonl(0x0a000005);
    im.ipv4_dst = 0xffffffff;
    iv.ipv4_ttl = 9;
    im.ipv4_ttl = 0xff;
    Buf b(reinterpret_cast<u8*>(&iv), reinterpret_cast<u8*>(&iv) + sizeof(iv));
    b.insert(b.end(), reinterpret_cast<u8*>(&im), reinterpret_cast<u8*>(&im) + sizeof(im));
    expect_verbatim(Nl().nested(OVS_ACTION_ATTR_SET_MASKED, Nl().put(OVS_KEY_ATTR_IPV4, b)), tcp4_key());
}

// A set of any field but the tunnel becomes a masked set with an all-ones
// mask in the blob, and a set again in the dump.
TEST(ActionsNetlink, SetBecomesSetToMasked)
{
    struct Case {
        FlowKey key;
        Nl set; // the key attribute
    };
    OvsKeyIpv4 ip4 = ipv4_key(9, 10, 6, 4, 12, 0);
    OvsKeyIpv6 ip6 = ipv6_key(9, 10, 17, 0x54321, 1, 2, 0);
    std::vector<Case> cases;
    cases.push_back({ tcp4_key(), Nl().val(OVS_KEY_ATTR_IPV4, ip4) });
    cases.push_back({ tcp4_key(), Nl().val(OVS_KEY_ATTR_TCP, ports(7, 8)) });
    cases.push_back({ tcp4_key(), Nl().val(OVS_KEY_ATTR_ETHERNET, eth_key(3, 4)) });
    cases.push_back({ tcp4_key(), Nl().u32_(OVS_KEY_ATTR_PRIORITY, 5) });
    cases.push_back({ tcp4_key(), Nl().u32_(OVS_KEY_ATTR_SKB_MARK, 6) });
    cases.push_back({ udp6_key(), Nl().val(OVS_KEY_ATTR_IPV6, ip6) });
    cases.push_back({ udp6_key(), Nl().val(OVS_KEY_ATTR_UDP, ports(7, 8)) });
    cases.push_back({ mpls_key(2), Nl().be32_(OVS_KEY_ATTR_MPLS, 0x12345140) });
    for (auto& c : cases) {
        Nl acts;
        acts.nested(OVS_ACTION_ATTR_SET, c.set);
        auto r = copy(acts, c.key);
        ASSERT_TRUE(r->status.ok()) << r->status.error().msg << " " << dump(c.set.bytes());
        const NlAttr* k = reinterpret_cast<const NlAttr*>(c.set.bytes().data());
        Buf vm(k->data(), k->data() + k->len());
        Buf mask(k->len(), 0xff);
        if (k->type() == OVS_KEY_ATTR_IPV6) {
            be32 lm = htonl(0x000fffff);
            std::memcpy(&mask[OVSDP_OFFSETOF(OvsKeyIpv6, ipv6_label)], &lm, 4);
        }
        vm.insert(vm.end(), mask.begin(), mask.end());
        Nl blob;
        blob.nested(kActionAttrSetToMasked, Nl().put(k->type(), vm));
        EXPECT_ACTS_EQ(blob.bytes(), r->blob());
        EXPECT_ACTS_EQ(acts.bytes(), r->dumped());
    }
}

Nl geneve_set_tunnel()
{
    Nl t;
    t.be64_(OVS_TUNNEL_KEY_ATTR_ID, 0x77)
        .be32_(OVS_TUNNEL_KEY_ATTR_IPV4_SRC, 0x0a000001)
        .be32_(OVS_TUNNEL_KEY_ATTR_IPV4_DST, 0x0a000002)
        .u8_(OVS_TUNNEL_KEY_ATTR_TOS, 4)
        .u8_(OVS_TUNNEL_KEY_ATTR_TTL, 64)
        .flag(OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT)
        .flag(OVS_TUNNEL_KEY_ATTR_CSUM)
        .be16_(OVS_TUNNEL_KEY_ATTR_TP_SRC, 1000)
        .be16_(OVS_TUNNEL_KEY_ATTR_TP_DST, 6081)
        .flag(OVS_TUNNEL_KEY_ATTR_OAM)
        // Two TLVs, the second critical (type bit 7), 4 bytes of data each.
        .put(OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS, Buf { 0x01, 0x02, 0x03, 0x01, 1, 2, 3, 4, 0x01, 0x02, 0x83, 0x01, 5, 6, 7, 8 });
    return t;
}

ActionTunnelInfo blob_tunnel_info(const Copied& c, Buf* opts)
{
    Buf b = c.blob();
    auto* set = reinterpret_cast<const NlAttr*>(b.data());
    EXPECT_EQ(set->type(), OVS_ACTION_ATTR_SET);
    auto* info_attr = reinterpret_cast<const NlAttr*>(set->data());
    EXPECT_EQ(info_attr->type(), kKeyAttrTunnelInfo);
    ActionTunnelInfo info;
    std::memcpy(&info, info_attr->data(), sizeof(info));
    EXPECT_EQ(info_attr->len(), sizeof(info) + info.options_len);
    if (opts)
        opts->assign(info_attr->data() + sizeof(info), info_attr->data() + sizeof(info) + info.options_len);
    return info;
}

TEST(ActionsNetlink, SetTunnelGeneve)
{
    Nl acts;
    acts.nested(OVS_ACTION_ATTR_SET, Nl().nested(OVS_KEY_ATTR_TUNNEL, geneve_set_tunnel())).u32_(OVS_ACTION_ATTR_OUTPUT, 3);
    auto c = copy(acts, tcp4_key());
    ASSERT_TRUE(c->status.ok()) << c->status.error().msg;
    Buf opts;
    ActionTunnelInfo info = blob_tunnel_info(*c, &opts);
    EXPECT_EQ(info.mode, kTunnelInfoTx);
    EXPECT_EQ(info.options_len, 16);
    EXPECT_EQ(opts[10], 0x83);
    EXPECT_EQ(info.key.ip_family, kAfInet);
    EXPECT_EQ(info.key.tun_id, htonll(0x77));
    EXPECT_EQ(info.key.ipv4.dst, htonl(0x0a000002));
    EXPECT_EQ(info.key.tun_flags,
        htons(kTunnelKey | kTunnelDontFragment | kTunnelCsum | kTunnelOam | kTunnelGeneveOpt | kTunnelCritOpt));
    EXPECT_ACTS_EQ(acts.bytes(), c->dumped());
}

TEST(ActionsNetlink, SetTunnelIpv6VxlanAndBridge)
{
    u8 dst[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9 };
    Nl t6;
    t6.be64_(OVS_TUNNEL_KEY_ATTR_ID, 5).put(OVS_TUNNEL_KEY_ATTR_IPV6_DST, dst, 16).u8_(OVS_TUNNEL_KEY_ATTR_TTL, 8)
        .be16_(OVS_TUNNEL_KEY_ATTR_TP_DST, 4789).nested(OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS, Nl().u32_(OVS_VXLAN_EXT_GBP, 0x800123));
    Nl acts;
    acts.nested(OVS_ACTION_ATTR_SET, Nl().nested(OVS_KEY_ATTR_TUNNEL, t6));
    auto c = copy(acts, tcp4_key());
    ASSERT_TRUE(c->status.ok()) << c->status.error().msg;
    ActionTunnelInfo info = blob_tunnel_info(*c, nullptr);
    EXPECT_EQ(info.mode, kTunnelInfoTx | kTunnelInfoIpv6);
    EXPECT_EQ(info.options_len, 4);
    EXPECT_EQ(info.key.tun_flags, htons(kTunnelKey | kTunnelVxlanOpt));
    EXPECT_ACTS_EQ(acts.bytes(), c->dumped());

    // Bridge mode (IPV4_INFO_BRIDGE): only a tunnel ID.
    Nl br;
    br.nested(OVS_ACTION_ATTR_SET,
        Nl().nested(OVS_KEY_ATTR_TUNNEL, Nl().be64_(OVS_TUNNEL_KEY_ATTR_ID, 9).flag(OVS_TUNNEL_KEY_ATTR_IPV4_INFO_BRIDGE)));
    auto b = copy(br, tcp4_key());
    ASSERT_TRUE(b->status.ok()) << b->status.error().msg;
    EXPECT_EQ(blob_tunnel_info(*b, nullptr).mode, kTunnelInfoTx | kTunnelInfoBridge);
    EXPECT_ACTS_EQ(br.bytes(), b->dumped());
}

// Zero-valued and PAD tunnel attributes are dropped, others come back in
// upstream's order.
TEST(ActionsNetlink, SetTunnelDumpIsCanonical)
{
    Nl in;
    in.u8_(OVS_TUNNEL_KEY_ATTR_TTL, 5).flag(OVS_TUNNEL_KEY_ATTR_PAD).be32_(OVS_TUNNEL_KEY_ATTR_IPV4_DST, 0x01020304)
        .u8_(OVS_TUNNEL_KEY_ATTR_TOS, 0).be32_(OVS_TUNNEL_KEY_ATTR_IPV4_SRC, 0);
    Nl out;
    out.be32_(OVS_TUNNEL_KEY_ATTR_IPV4_DST, 0x01020304).u8_(OVS_TUNNEL_KEY_ATTR_TTL, 5);
    auto c = copy(Nl().nested(OVS_ACTION_ATTR_SET, Nl().nested(OVS_KEY_ATTR_TUNNEL, in)), tcp4_key());
    ASSERT_TRUE(c->status.ok()) << c->status.error().msg;
    EXPECT_ACTS_EQ(Nl().nested(OVS_ACTION_ATTR_SET, Nl().nested(OVS_KEY_ATTR_TUNNEL, out)).bytes(), c->dumped());
}

SampleArg sample_arg_of(const Buf& blob)
{
    auto* s = reinterpret_cast<const NlAttr*>(blob.data());
    auto* arg = reinterpret_cast<const NlAttr*>(s->data());
    EXPECT_EQ(arg->type(), kSampleAttrArg);
    return arg->get<SampleArg>();
}

TEST(ActionsNetlink, Sample)
{
    Nl inner;
    inner.u32_(OVS_ACTION_ATTR_OUTPUT, 4).begin(OVS_ACTION_ATTR_USERSPACE).u32_(OVS_USERSPACE_ATTR_PID, 5).end();
    Nl acts;
    acts.begin(OVS_ACTION_ATTR_SAMPLE).u32_(OVS_SAMPLE_ATTR_PROBABILITY, 0x40000000).nested(OVS_SAMPLE_ATTR_ACTIONS, inner).end()
        .u32_(OVS_ACTION_ATTR_OUTPUT, 1);
    auto c = copy(acts, tcp4_key());
    ASSERT_TRUE(c->status.ok()) << c->status.error().msg;
    Nl blob;
    SampleArg arg;
    std::memset(&arg, 0, sizeof(arg));
    arg.exec = true; // output and userspace only: in place
    arg.probability = 0x40000000;
    blob.begin(OVS_ACTION_ATTR_SAMPLE).val(kSampleAttrArg, arg).append(inner).end().u32_(OVS_ACTION_ATTR_OUTPUT, 1);
    EXPECT_ACTS_EQ(blob.bytes(), c->blob());
    EXPECT_ACTS_EQ(acts.bytes(), c->dumped());

    // Actions that change the key are deferred, unless the sample is last.
    Nl changing;
    changing.flag(OVS_ACTION_ATTR_POP_ETH);
    Nl s1;
    s1.begin(OVS_ACTION_ATTR_SAMPLE).u32_(OVS_SAMPLE_ATTR_PROBABILITY, ~0u).nested(OVS_SAMPLE_ATTR_ACTIONS, changing).end()
        .u32_(OVS_ACTION_ATTR_OUTPUT, 1);
    auto d = copy(s1, tcp4_key());
    ASSERT_TRUE(d->status.ok());
    EXPECT_FALSE(sample_arg_of(d->blob()).exec);
    Nl s2;
    s2.begin(OVS_ACTION_ATTR_SAMPLE).u32_(OVS_SAMPLE_ATTR_PROBABILITY, ~0u).nested(OVS_SAMPLE_ATTR_ACTIONS, changing).end();
    auto e = copy(s2, tcp4_key());
    ASSERT_TRUE(e->status.ok());
    EXPECT_TRUE(sample_arg_of(e->blob()).exec);
    EXPECT_ACTS_EQ(s2.bytes(), e->dumped());

    // Empty action list.
    Nl s3;
    s3.begin(OVS_ACTION_ATTR_SAMPLE).u32_(OVS_SAMPLE_ATTR_PROBABILITY, 1).nested(OVS_SAMPLE_ATTR_ACTIONS, Nl()).end();
    auto f = copy(s3, tcp4_key());
    ASSERT_TRUE(f->status.ok());
    EXPECT_ACTS_EQ(s3.bytes(), f->dumped());
}

TEST(ActionsNetlink, Clone)
{
    Nl inner;
    inner.nested(OVS_ACTION_ATTR_SET, Nl().u32_(OVS_KEY_ATTR_SKB_MARK, 3)).u32_(OVS_ACTION_ATTR_OUTPUT, 2);
    Nl acts;
    acts.nested(OVS_ACTION_ATTR_CLONE, inner).u32_(OVS_ACTION_ATTR_OUTPUT, 1);
    auto c = copy(acts, tcp4_key());
    ASSERT_TRUE(c->status.ok()) << c->status.error().msg;
    Buf mark_vm { 3, 0, 0, 0, 0xff, 0xff, 0xff, 0xff };
    Nl blob;
    blob.begin(OVS_ACTION_ATTR_CLONE)
        .u32_(kCloneAttrExec, 0)
        .nested(kActionAttrSetToMasked, Nl().put(OVS_KEY_ATTR_SKB_MARK, mark_vm))
        .u32_(OVS_ACTION_ATTR_OUTPUT, 2)
        .end()
        .u32_(OVS_ACTION_ATTR_OUTPUT, 1);
    EXPECT_ACTS_EQ(blob.bytes(), c->blob());
    EXPECT_ACTS_EQ(acts.bytes(), c->dumped());

    // Last: in place.
    Nl last;
    last.u32_(OVS_ACTION_ATTR_OUTPUT, 1).nested(OVS_ACTION_ATTR_CLONE, inner);
    auto d = copy(last, tcp4_key());
    ASSERT_TRUE(d->status.ok());
    Buf b = d->blob();
    auto* cl = reinterpret_cast<const NlAttr*>(b.data() + 8);
    EXPECT_EQ(reinterpret_cast<const NlAttr*>(cl->data())->get_u32(), 1u);
    EXPECT_ACTS_EQ(last.bytes(), d->dumped());
}

TEST(ActionsNetlink, CheckPktLen)
{
    Nl le, gt;
    le.u32_(OVS_ACTION_ATTR_OUTPUT, 2);
    gt.begin(OVS_ACTION_ATTR_USERSPACE).u32_(OVS_USERSPACE_ATTR_PID, 9).end().flag(OVS_ACTION_ATTR_POP_ETH);
    Nl acts;
    acts.begin(OVS_ACTION_ATTR_CHECK_PKT_LEN)
        .u16_(OVS_CHECK_PKT_LEN_ATTR_PKT_LEN, 1500)
        .nested(OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL, le)
        .nested(OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER, gt)
        .end()
        .u32_(OVS_ACTION_ATTR_OUTPUT, 7);
    auto c = copy(acts, tcp4_key());
    ASSERT_TRUE(c->status.ok()) << c->status.error().msg;
    CheckPktLenArg arg { 1500, false, true };
    Nl blob;
    blob.begin(OVS_ACTION_ATTR_CHECK_PKT_LEN)
        .val(kCheckPktLenAttrArg, arg)
        .nested(OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL, le)
        .nested(OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER, gt)
        .end()
        .u32_(OVS_ACTION_ATTR_OUTPUT, 7);
    EXPECT_ACTS_EQ(blob.bytes(), c->blob());
    EXPECT_ACTS_EQ(acts.bytes(), c->dumped());

    // Userspace may send the lists in any order; the dump is upstream's.
    Nl swapped;
    swapped.begin(OVS_ACTION_ATTR_CHECK_PKT_LEN)
        .nested(OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER, gt)
        .nested(OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL, le)
        .u16_(OVS_CHECK_PKT_LEN_ATTR_PKT_LEN, 1500)
        .end()
        .u32_(OVS_ACTION_ATTR_OUTPUT, 7);
    auto d = copy(swapped, tcp4_key());
    ASSERT_TRUE(d->status.ok()) << d->status.error().msg;
    EXPECT_ACTS_EQ(acts.bytes(), d->dumped());

    // Each list starts from the state at the check: a pop_eth in the first
    // does not make the second's pop_vlan invalid... but pop_eth before it does.
    Nl st;
    st.begin(OVS_ACTION_ATTR_CHECK_PKT_LEN)
        .u16_(OVS_CHECK_PKT_LEN_ATTR_PKT_LEN, 100)
        .nested(OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL, Nl().be16_(OVS_ACTION_ATTR_POP_MPLS, 0x0800))
        .nested(OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER, Nl().be16_(OVS_ACTION_ATTR_POP_MPLS, 0x0800))
        .end();
    EXPECT_TRUE(copy(st, mpls_key(1))->status.ok());
}

TEST(ActionsNetlink, DecTtl)
{
    Nl expired;
    expired.begin(OVS_ACTION_ATTR_USERSPACE).u32_(OVS_USERSPACE_ATTR_PID, 3).end();
    Nl acts;
    acts.begin(OVS_ACTION_ATTR_DEC_TTL).nested(OVS_DEC_TTL_ATTR_ACTION, expired).end().u32_(OVS_ACTION_ATTR_OUTPUT, 1);
    auto c = copy(acts, tcp4_key());
    ASSERT_TRUE(c->status.ok()) << c->status.error().msg;
    EXPECT_ACTS_EQ(acts.bytes(), c->blob());
    EXPECT_ACTS_EQ(acts.bytes(), c->dumped());

    // Unknown attributes above the maximum are ignored (future proofing).
    Nl future;
    future.begin(OVS_ACTION_ATTR_DEC_TTL).u32_(7, 1).nested(OVS_DEC_TTL_ATTR_ACTION, expired).end();
    auto d = copy(future, tcp4_key());
    ASSERT_TRUE(d->status.ok()) << d->status.error().msg;
    EXPECT_ACTS_EQ(Nl().begin(OVS_ACTION_ATTR_DEC_TTL).nested(OVS_DEC_TTL_ATTR_ACTION, expired).end().bytes(), d->dumped());
}

Nl nest_clones(int depth, const Nl& leaf)
{
    Nl n = leaf;
    for (int i = 0; i < depth; i++)
        n = Nl().nested(OVS_ACTION_ATTR_CLONE, n);
    return n;
}

// CVE-2024-1151: nesting is limited to 16 lists below the top one, whatever
// the nesting actions.
TEST(ActionsNetlink, NestingDepthLimit)
{
    Nl leaf;
    leaf.u32_(OVS_ACTION_ATTR_OUTPUT, 1);
    auto ok = copy(nest_clones(16, leaf), tcp4_key());
    ASSERT_TRUE(ok->status.ok()) << ok->status.error().msg;
    EXPECT_ACTS_EQ(nest_clones(16, leaf).bytes(), ok->dumped());
    auto deep = copy(nest_clones(17, leaf), tcp4_key());
    EXPECT_EQ(deep->status.error().code, err::OVERFLOW);
    EXPECT_EQ(deep->buf.size(), 0u);
    // An empty list too deep is refused as well.
    EXPECT_EQ(copy(nest_clones(17, Nl()), tcp4_key())->status.error().code, err::OVERFLOW);

    // Mixed: sample, check_pkt_len (either list), dec_ttl.
    auto wrap = [](int kind, const Nl& in) {
        Nl n;
        switch (kind % 4) {
        case 0:
            n.begin(OVS_ACTION_ATTR_SAMPLE).u32_(OVS_SAMPLE_ATTR_PROBABILITY, 1).nested(OVS_SAMPLE_ATTR_ACTIONS, in).end();
            break;
        case 1:
            n.begin(OVS_ACTION_ATTR_CHECK_PKT_LEN).u16_(OVS_CHECK_PKT_LEN_ATTR_PKT_LEN, 64)
                .nested(OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL, Nl())
                .nested(OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER, in).end();
            break;
        case 2:
            n.begin(OVS_ACTION_ATTR_DEC_TTL).nested(OVS_DEC_TTL_ATTR_ACTION, in).end();
            break;
        default:
            n.nested(OVS_ACTION_ATTR_CLONE, in);
            break;
        }
        return n;
    };
    for (int depth : { 16, 17 }) {
        Nl n = leaf;
        for (int i = 0; i < depth; i++)
            n = wrap(i, n);
        auto c = copy(n, tcp4_key());
        if (depth == 16) {
            ASSERT_TRUE(c->status.ok()) << c->status.error().msg;
            EXPECT_ACTS_EQ(n.bytes(), c->dumped());
        } else {
            EXPECT_EQ(c->status.error().code, err::OVERFLOW);
        }
    }
    // Width is not depth: many sibling clones are fine.
    Nl wide;
    for (int i = 0; i < 200; i++)
        wide.append(nest_clones(3, leaf));
    EXPECT_TRUE(copy(wide, tcp4_key())->status.ok());
}

// What one attribute can carry is accepted, as by 6.1.192 (no 32 KiB cap
// any more): 8,000 outputs or 2,000 masked set(eth), 64,000 bytes each, are
// kept verbatim and dump back unchanged.
TEST(ActionsNetlink, ActionListsUpToAnAttributeAreAccepted)
{
    Nl outputs;
    for (u32 i = 0; i < 8000; i++)
        outputs.u32_(OVS_ACTION_ATTR_OUTPUT, i % 100 + 1);
    ASSERT_EQ(outputs.size(), 64000u);
    expect_verbatim(outputs, tcp4_key());

    OvsKeyEthernet v = eth_key(7, 8), m = eth_all(0xff);
    Buf vm(reinterpret_cast<u8*>(&v), reinterpret_cast<u8*>(&v) + sizeof(v));
    vm.insert(vm.end(), reinterpret_cast<u8*>(&m), reinterpret_cast<u8*>(&m) + sizeof(m));
    Nl sets;
    for (u32 i = 0; i < 2000; i++)
        sets.nested(OVS_ACTION_ATTR_SET_MASKED, Nl().put(OVS_KEY_ATTR_ETHERNET, vm));
    ASSERT_EQ(sets.size(), 64000u);
    expect_verbatim(sets, tcp4_key());

    // Unmasked sets grow by their mask once validated (20 -> 32 bytes for
    // set(eth)): the largest attribute's worth still fits, and dumps back.
    Nl plain;
    while (plain.size() + 20 <= 65531)
        plain.nested(OVS_ACTION_ATTR_SET, Nl().val(OVS_KEY_ATTR_ETHERNET, eth_key(1, 2)));
    auto c = copy(plain, tcp4_key());
    ASSERT_TRUE(c->status.ok()) << c->status.error().msg;
    EXPECT_EQ(c->buf.size(), plain.size() / 20 * 32);
    EXPECT_ACTS_EQ(plain.bytes(), c->dumped());
}

// kMaxActionsBufsize is sized for the largest growth: set(tunnel) in bridge
// mode, 12 bytes sent, 80 kept. A whole attribute of them fits, and dumps
// back as sent.
TEST(ActionsNetlink, WorstGrowthOfAnAttributeFits)
{
    Nl tun = Nl().flag(OVS_TUNNEL_KEY_ATTR_IPV4_INFO_BRIDGE);
    Nl acts;
    while (acts.size() + 12 <= 65531)
        acts.nested(OVS_ACTION_ATTR_SET, Nl().nested(OVS_KEY_ATTR_TUNNEL, tun));
    auto c = copy(acts, tcp4_key());
    ASSERT_TRUE(c->status.ok()) << c->status.error().msg;
    EXPECT_EQ(c->buf.size(), acts.size() / 12 * 80);
    EXPECT_LE(c->buf.size(), kMaxActionsBufsize);
    EXPECT_ACTS_EQ(acts.bytes(), c->dumped());
}

// CVE-2022-2639: the blob may not outgrow its limit, however it grows, and
// a nested list may not outgrow what its attribute's 16-bit length can say
// (upstream would wrap it).
TEST(ActionsNetlink, SizeLimit)
{
    Nl fits, over;
    for (u32 i = 0; i < kMaxActionsBufsize / 8; i++)
        fits.u32_(OVS_ACTION_ATTR_OUTPUT, 1);
    over = fits;
    over.u32_(OVS_ACTION_ATTR_OUTPUT, 1);
    auto a = copy(fits, tcp4_key());
    ASSERT_TRUE(a->status.ok());
    EXPECT_EQ(a->buf.size(), kMaxActionsBufsize);
    auto b = copy(over, tcp4_key());
    EXPECT_EQ(b->status.error().code, err::MSGSIZE);
    EXPECT_STREQ(b->status.error().msg, "Flow actions exceed 448 KiB once validated");

    // Nested growth: 5,000 bridge-mode set(tunnel) in a clone are 60,004
    // bytes sent, 400,012 validated.
    Nl tun = Nl().flag(OVS_TUNNEL_KEY_ATTR_IPV4_INFO_BRIDGE);
    Nl n;
    for (u32 i = 0; i < 5000; i++)
        n.nested(OVS_ACTION_ATTR_SET, Nl().nested(OVS_KEY_ATTR_TUNNEL, tun));
    Nl in_clone;
    in_clone.nested(OVS_ACTION_ATTR_CLONE, n);
    auto d = copy(in_clone, tcp4_key());
    EXPECT_EQ(d->status.error().code, err::MSGSIZE);
    EXPECT_STREQ(d->status.error().msg, "Nested flow actions exceed 64 KiB once validated");
    // ... while a clone whose validated form still fits is fine.
    Nl outs;
    for (u32 i = 0; i < 8000; i++)
        outs.u32_(OVS_ACTION_ATTR_OUTPUT, 1);
    Nl big_clone;
    big_clone.nested(OVS_ACTION_ATTR_CLONE, outs);
    auto e = copy(big_clone, tcp4_key());
    ASSERT_TRUE(e->status.ok()) << e->status.error().msg;
    EXPECT_ACTS_EQ(big_clone.bytes(), e->dumped());
}

// The state a list carries: what each action leaves for the next.
TEST(ActionsNetlink, StateTracking)
{
    OvsActionPushMpls pm;
    std::memset(&pm, 0, sizeof(pm));
    pm.mpls_lse = htonl(1 << 12);
    pm.mpls_ethertype = htons(0x8847);
    OvsActionPushVlan pv { htons(0x8100), htons(0x1001) };
    auto set_ip4 = Nl().nested(OVS_ACTION_ATTR_SET, Nl().val(OVS_KEY_ATTR_IPV4, ipv4_key(1, 2, 6)));

    auto code = [](const Nl& n, const FlowKey& k) {
        auto c = copy(n, k);
        return c->status.ok() ? 0 : c->status.error().code;
    };
    EXPECT_EQ(code(Nl().val(OVS_ACTION_ATTR_PUSH_VLAN, pv).val(OVS_ACTION_ATTR_PUSH_MPLS, pm), tcp4_key()), err::INVAL);
    EXPECT_EQ(code(Nl().flag(OVS_ACTION_ATTR_POP_VLAN).val(OVS_ACTION_ATTR_PUSH_MPLS, pm), vlan_key()), 0);
    EXPECT_EQ(code(Nl().val(OVS_ACTION_ATTR_PUSH_MPLS, pm).append(set_ip4), tcp4_key()), err::INVAL);
    EXPECT_EQ(code(Nl().val(OVS_ACTION_ATTR_PUSH_MPLS, pm).be16_(OVS_ACTION_ATTR_POP_MPLS, 0x0800).append(set_ip4), tcp4_key()),
        err::INVAL); // nothing is known after the last label is popped
    EXPECT_EQ(code(Nl().be16_(OVS_ACTION_ATTR_POP_MPLS, 0x8847).be16_(OVS_ACTION_ATTR_POP_MPLS, 0x0800), mpls_key(2)), 0);
    EXPECT_EQ(code(Nl().be16_(OVS_ACTION_ATTR_POP_MPLS, 0x8847).be16_(OVS_ACTION_ATTR_POP_MPLS, 0x8847), mpls_key(1)),
        err::INVAL);
    EXPECT_EQ(code(Nl().flag(OVS_ACTION_ATTR_POP_ETH).val(OVS_ACTION_ATTR_PUSH_VLAN, pv), tcp4_key()), err::INVAL);
    EXPECT_EQ(code(Nl().flag(OVS_ACTION_ATTR_POP_ETH).val(OVS_ACTION_ATTR_PUSH_ETH, OvsActionPushEth { eth_key(1, 2) })
                       .val(OVS_ACTION_ATTR_PUSH_VLAN, pv), tcp4_key()), 0);
    // add_mpls at L2 removes the Ethernet header.
    EXPECT_EQ(code(Nl().val(OVS_ACTION_ATTR_ADD_MPLS, OvsActionAddMpls { 0, htons(0x8847), 0 }).flag(OVS_ACTION_ATTR_POP_ETH),
        tcp4_key()), err::INVAL);
    // Pop to Ethernet (TEB) only from a packet without Ethernet header.
    EXPECT_EQ(code(Nl().be16_(OVS_ACTION_ATTR_POP_MPLS, 0x6558), mpls_key(1)), err::INVAL);
    EXPECT_EQ(code(Nl().val(OVS_ACTION_ATTR_ADD_MPLS, OvsActionAddMpls { 0, htons(0x8847), 0 }).be16_(OVS_ACTION_ATTR_POP_MPLS, 0x6558),
        tcp4_key()), 0);
    // As upstream, a nested list starts from the flow key's MAC protocol
    // (and from the current ethertype and VLAN).
    EXPECT_EQ(code(Nl().flag(OVS_ACTION_ATTR_POP_ETH).nested(OVS_ACTION_ATTR_CLONE, Nl().val(OVS_ACTION_ATTR_PUSH_VLAN, pv)),
        tcp4_key()), 0);
    EXPECT_EQ(code(Nl().val(OVS_ACTION_ATTR_PUSH_MPLS, pm).nested(OVS_ACTION_ATTR_CLONE, set_ip4), tcp4_key()), err::INVAL);
    // Sets depend on the flow's protocol, not on later rewrites of it.
    EXPECT_EQ(code(Nl().nested(OVS_ACTION_ATTR_SET, Nl().val(OVS_KEY_ATTR_UDP, ports(1, 2))), tcp4_key()), err::INVAL);
}

// An unpadded last action (upstream's negative remainder) is accepted and
// copied padded; a short tail is not.
TEST(ActionsNetlink, Padding)
{
    Nl n;
    n.u32_(OVS_ACTION_ATTR_OUTPUT, 1).be16_(OVS_ACTION_ATTR_POP_MPLS, 0x0800);
    Buf unpadded = n.bytes();
    unpadded.resize(unpadded.size() - 2);
    ActionsBuf out;
    ASSERT_TRUE(copy_actions({ unpadded.data(), unpadded.size() }, mpls_key(1), out, false).ok());
    EXPECT_EQ(hex(n.bytes()), hex(Buf(out.data(), out.data() + out.size())));

    Buf tail = Nl().u32_(OVS_ACTION_ATTR_OUTPUT, 1).bytes();
    tail.push_back(0);
    tail.push_back(0);
    EXPECT_EQ(copy_actions({ tail.data(), tail.size() }, tcp4_key(), out, false).error().code, err::INVAL);
    EXPECT_EQ(out.size(), 0u);
}

TEST(ActionsNetlink, FlowActionsInterface)
{
    Nl acts;
    acts.nested(OVS_ACTION_ATTR_SET, Nl().u32_(OVS_KEY_ATTR_PRIORITY, 3)).u32_(OVS_ACTION_ATTR_OUTPUT, 2);
    auto r = validate_and_copy_actions(acts.span(), tcp4_key(), false);
    ASSERT_TRUE(r.ok());
    FlowActions* fa = r.value();
    EXPECT_EQ(fa->len, 4u + 4 + 8 + 8);
    EXPECT_LE(fa->len, fa->capacity);
    Out o;
    ASSERT_TRUE(put_actions(fa, o.w));
    EXPECT_ACTS_EQ(acts.bytes(), o.bytes());
    flow_actions_free(fa);

    auto bad = validate_and_copy_actions(Nl().u32_(OVS_ACTION_ATTR_OUTPUT, 70000).span(), tcp4_key(), false);
    EXPECT_EQ(bad.error().code, err::INVAL);
    EXPECT_STREQ(bad.error().msg, "Output port number out of range");
}

// kFlowActionsUpcall: set for a userspace action at any depth (the receive
// path then takes the packet's hash before the actions, as upstream's lookup,
// for OVS_PACKET_ATTR_HASH), clear otherwise, and not kept from an earlier
// copy into the same buffer.
TEST(ActionsNetlink, UpcallFlag)
{
    FlowKey k = tcp4_key();
    Nl us;
    us.begin(OVS_ACTION_ATTR_USERSPACE).u32_(OVS_USERSPACE_ATTR_PID, 9).end();
    auto flags_of = [&](const Nl& acts) {
        auto r = validate_and_copy_actions(acts.span(), k, false);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().msg);
        if (!r.ok())
            return ~0u;
        u32 f = r.value()->flags;
        flow_actions_free(r.value());
        return f;
    };
    EXPECT_EQ(flags_of(Nl().u32_(OVS_ACTION_ATTR_OUTPUT, 2)), 0u);
    EXPECT_EQ(flags_of(Nl()), 0u);
    EXPECT_EQ(flags_of(Nl().nested(OVS_ACTION_ATTR_CLONE, Nl().u32_(OVS_ACTION_ATTR_OUTPUT, 2))), 0u);
    EXPECT_EQ(flags_of(us), kFlowActionsUpcall);
    EXPECT_EQ(flags_of(Nl().u32_(OVS_ACTION_ATTR_OUTPUT, 2).append(us)), kFlowActionsUpcall);
    EXPECT_EQ(flags_of(nest_clones(16, us)), kFlowActionsUpcall);
    Nl sample;
    sample.begin(OVS_ACTION_ATTR_SAMPLE).u32_(OVS_SAMPLE_ATTR_PROBABILITY, 0x80000000u)
        .nested(OVS_SAMPLE_ATTR_ACTIONS, us).end();
    EXPECT_EQ(flags_of(sample), kFlowActionsUpcall);
    Nl cpl;
    cpl.begin(OVS_ACTION_ATTR_CHECK_PKT_LEN)
        .u16_(OVS_CHECK_PKT_LEN_ATTR_PKT_LEN, 100)
        .nested(OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL, Nl().u32_(OVS_ACTION_ATTR_OUTPUT, 1))
        .nested(OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER, us)
        .end();
    EXPECT_EQ(flags_of(cpl), kFlowActionsUpcall);
    Nl dec;
    dec.begin(OVS_ACTION_ATTR_DEC_TTL).nested(OVS_DEC_TTL_ATTR_ACTION, us).end();
    EXPECT_EQ(flags_of(dec), kFlowActionsUpcall);

    // One buffer, two copies: the second has no userspace action.
    ActionsBuf buf;
    ASSERT_TRUE(copy_actions(us.span(), k, buf, false).ok());
    EXPECT_EQ(buf.flags(), kFlowActionsUpcall);
    ASSERT_TRUE(copy_actions(Nl().u32_(OVS_ACTION_ATTR_OUTPUT, 2).span(), k, buf, false).ok());
    EXPECT_EQ(buf.flags(), 0u);
    // A refused list leaves no flag behind either.
    EXPECT_TRUE(copy_actions(Nl().append(us).u32_(OVS_ACTION_ATTR_OUTPUT, 70000).span(), k, buf, false).is_error());
    EXPECT_EQ(buf.flags(), 0u);
    FlowActions* fa = buf.release();
    if (fa) {
        EXPECT_EQ(fa->flags, 0u);
    }
    flow_actions_free(fa);
}

// EXECUTE's buffer: a list that fits stays in the caller's storage (no
// allocation), a longer one grows to the heap with what was copied; the
// blob is the same either way, every byte of it written (the storage is not
// zeroed first), and it is never handed out as a flow's.
TEST(ActionsNetlink, InlineBufferAllocatesOnlyPastItsStorage)
{
    FlowKey k = tcp4_key();
    Nl small;
    small.nested(OVS_ACTION_ATTR_SET, Nl().u32_(OVS_KEY_ATTR_PRIORITY, 3)).u32_(OVS_ACTION_ATTR_OUTPUT, 2);
    Nl big;
    for (int i = 0; i < 40; i++)
        big.u32_(OVS_ACTION_ATTR_OUTPUT, static_cast<u32>(i));
    static long allocs;
    user::set_alloc_fail_hook([](size_t, unsigned, int) {
        allocs++;
        return false;
    });
    auto copy_into = [&](const Nl& acts, long* n_allocs) {
        struct Poisoned : InlineActionsBuf<64> {
            Poisoned() { std::memset(const_cast<u8*>(data()), 0xa5, 64); }
        } buf;
        allocs = 0;
        EXPECT_TRUE(copy_actions(acts.span(), k, buf, false).ok());
        *n_allocs = allocs;
        if (allocs == 0) {
            EXPECT_EQ(buf.release(), nullptr) << "a buffer still in its storage is not handed out";
        }
        Out o;
        EXPECT_TRUE(actions_to_nlattrs(buf.bytes(), o.w));
        return Buf(buf.data(), buf.data() + buf.size());
    };
    long n = -1;
    Buf blob = copy_into(small, &n);
    EXPECT_EQ(n, 0) << "a short list allocates nothing";
    auto heap = validate_and_copy_actions(small.span(), k, false);
    ASSERT_TRUE(heap.ok());
    EXPECT_EQ(blob, Buf(heap.value()->data, heap.value()->data + heap.value()->len));
    flow_actions_free(heap.value());

    long base = user::live_allocations();
    blob = copy_into(big, &n);
    EXPECT_GE(n, 1) << "a long list grows to the heap";
    EXPECT_EQ(user::live_allocations(), base) << "and frees it with the buffer";
    user::set_alloc_fail_hook(nullptr);
    EXPECT_EQ(blob.size(), 40u * 8);

    // ct resources are given back by an inline buffer too.
    {
        InlineActionsBuf<64> buf;
        ASSERT_TRUE(copy_actions(Nl().nested(OVS_ACTION_ATTR_CT, Nl().u16_(OVS_CT_ATTR_ZONE, 1)).span(), k, buf, false).ok());
        EXPECT_EQ(user::ct_live_actions(), 1);
    }
    EXPECT_EQ(user::ct_live_actions(), 0);
}

// Allocation failures at any point: NOMEM, nothing leaked.
TEST(ActionsNetlink, AllocationFailure)
{
    Nl acts;
    for (int i = 0; i < 40; i++)
        acts.nested(OVS_ACTION_ATTR_SET, Nl().val(OVS_KEY_ATTR_IPV6, ipv6_key(1, 2, 17)));
    acts.append(nest_clones(5, Nl().u32_(OVS_ACTION_ATTR_OUTPUT, 1)));
    FlowKey k = udp6_key();
    long base = user::live_allocations();
    static int budget;
    for (int fail_at = 0; fail_at < 8; fail_at++) {
        budget = fail_at;
        user::set_alloc_fail_hook([](size_t, unsigned, int) { return budget-- <= 0; });
        auto r = validate_and_copy_actions(acts.span(), k, false);
        user::set_alloc_fail_hook(nullptr);
        if (r.ok()) {
            flow_actions_free(r.value());
            EXPECT_GT(fail_at, 0);
        } else {
            EXPECT_EQ(r.error().code, err::NOMEM);
        }
        EXPECT_EQ(user::live_allocations(), base);
    }
}

} // namespace

// ---- ct ---------------------------------------------------------------------------------

namespace {

Nl ct(const Nl& attrs) { return Nl().nested(OVS_ACTION_ATTR_CT, attrs); }

OvsCtLabels ct_labels(u8 value, u8 mask)
{
    OvsCtLabels l;
    std::memset(l.value, value, sizeof(l.value));
    std::memset(l.mask, mask, sizeof(l.mask));
    return l;
}

// Dumped as upstream's ovs_ct_action_to_attr(): commit or force_commit,
// ZONE always, MARK and LABELS with a mask, HELPER, EVENTMASK, TIMEOUT, NAT.
void expect_ct_dump(const Nl& sent, const Nl& dumped, const FlowKey& key)
{
    auto c = copy(sent, key);
    ASSERT_TRUE(c->status.ok()) << c->status.error().msg;
    EXPECT_ACTS_EQ(dumped.bytes(), c->dumped());
    EXPECT_EQ(actions_nlattr_size(c->buf.bytes()), dumped.size());
    EXPECT_EQ(c->buf.flags(), kFlowActionsCt);
}

} // namespace

TEST(ActionsNetlinkCt, DumpedAsUpstreamWritesIt)
{
    FlowKey k = tcp4_key();
    // No attributes: zone 0 is written.
    expect_ct_dump(ct(Nl()), ct(Nl().u16_(OVS_CT_ATTR_ZONE, 0)), k);
    // Attribute order given freely; the dump has upstream's.
    expect_ct_dump(ct(Nl().u32_(OVS_CT_ATTR_EVENTMASK, 0x3f).u16_(OVS_CT_ATTR_ZONE, 9).flag(OVS_CT_ATTR_COMMIT)
                       .val(OVS_CT_ATTR_LABELS, ct_labels(1, 0xff)).val(OVS_CT_ATTR_MARK, OvsCtMark { 5, 0xf })
                       .put(OVS_CT_ATTR_TIMEOUT, Buf { 't', 'p', '1', 0 }).put(OVS_CT_ATTR_HELPER, Buf { 'f', 't', 'p', 0 })),
        ct(Nl().flag(OVS_CT_ATTR_COMMIT).u16_(OVS_CT_ATTR_ZONE, 9).val(OVS_CT_ATTR_MARK, OvsCtMark { 5, 0xf })
               .val(OVS_CT_ATTR_LABELS, ct_labels(1, 0xff)).put(OVS_CT_ATTR_HELPER, Buf { 'f', 't', 'p', 0 })
               .u32_(OVS_CT_ATTR_EVENTMASK, 0x3f).put(OVS_CT_ATTR_TIMEOUT, Buf { 't', 'p', '1', 0 })),
        k);
    // A name with bytes after its NUL is written up to the NUL.
    expect_ct_dump(ct(Nl().put(OVS_CT_ATTR_TIMEOUT, Buf { 'a', 0, 'x' })),
        ct(Nl().u16_(OVS_CT_ATTR_ZONE, 0).put(OVS_CT_ATTR_TIMEOUT, Buf { 'a', 0 })), k);
    // force_commit (commit given too: one flag written).
    expect_ct_dump(ct(Nl().flag(OVS_CT_ATTR_COMMIT).flag(OVS_CT_ATTR_FORCE_COMMIT)),
        ct(Nl().flag(OVS_CT_ATTR_FORCE_COMMIT).u16_(OVS_CT_ATTR_ZONE, 0)), k);
    // The empty nat (un-NAT existing connections), without commit.
    expect_ct_dump(ct(Nl().nested(OVS_CT_ATTR_NAT, Nl())),
        ct(Nl().u16_(OVS_CT_ATTR_ZONE, 0).nested(OVS_CT_ATTR_NAT, Nl())), k);
    // nat(src) without a range: the null binding OVN uses.
    expect_ct_dump(ct(Nl().flag(OVS_CT_ATTR_COMMIT).nested(OVS_CT_ATTR_NAT, Nl().flag(OVS_NAT_ATTR_SRC))),
        ct(Nl().flag(OVS_CT_ATTR_COMMIT).u16_(OVS_CT_ATTR_ZONE, 0).nested(OVS_CT_ATTR_NAT, Nl().flag(OVS_NAT_ATTR_SRC))), k);
    // A range with min == max is written as min only; flags in upstream's order.
    expect_ct_dump(ct(Nl().flag(OVS_CT_ATTR_COMMIT).nested(OVS_CT_ATTR_NAT,
                       Nl().flag(OVS_NAT_ATTR_PROTO_RANDOM).be32_(OVS_NAT_ATTR_IP_MAX, 0x0a000001)
                           .be32_(OVS_NAT_ATTR_IP_MIN, 0x0a000001).u16_(OVS_NAT_ATTR_PROTO_MIN, 1000)
                           .u16_(OVS_NAT_ATTR_PROTO_MAX, 2000).flag(OVS_NAT_ATTR_PERSISTENT).flag(OVS_NAT_ATTR_PROTO_HASH)
                           .flag(OVS_NAT_ATTR_DST))),
        ct(Nl().flag(OVS_CT_ATTR_COMMIT).u16_(OVS_CT_ATTR_ZONE, 0).nested(OVS_CT_ATTR_NAT,
            Nl().flag(OVS_NAT_ATTR_DST).be32_(OVS_NAT_ATTR_IP_MIN, 0x0a000001).u16_(OVS_NAT_ATTR_PROTO_MIN, 1000)
                .u16_(OVS_NAT_ATTR_PROTO_MAX, 2000).flag(OVS_NAT_ATTR_PERSISTENT).flag(OVS_NAT_ATTR_PROTO_HASH)
                .flag(OVS_NAT_ATTR_PROTO_RANDOM))),
        k);
    // IPv6 addresses, a missing IP_MAX is IP_MIN.
    Buf a6(16, 0), b6(16, 0);
    a6[15] = 1;
    b6[15] = 9;
    expect_ct_dump(ct(Nl().flag(OVS_CT_ATTR_COMMIT).nested(OVS_CT_ATTR_NAT,
                       Nl().flag(OVS_NAT_ATTR_SRC).put(OVS_NAT_ATTR_IP_MIN, a6).put(OVS_NAT_ATTR_IP_MAX, b6))),
        ct(Nl().flag(OVS_CT_ATTR_COMMIT).u16_(OVS_CT_ATTR_ZONE, 0).nested(OVS_CT_ATTR_NAT,
            Nl().flag(OVS_NAT_ATTR_SRC).put(OVS_NAT_ATTR_IP_MIN, a6).put(OVS_NAT_ATTR_IP_MAX, b6))),
        udp6_key());
    EXPECT_EQ(user::ct_live_actions(), 0);
}

// Each ct action holds host resources from install to free, wherever it
// sits (upstream leaked nested ones: CVE-2022-49086); a list refused after
// its first ct action gives back what that one took.
TEST(ActionsNetlinkCt, HostResourcesFollowTheActions)
{
    FlowKey k = tcp4_key();
    Nl c = ct(Nl().u16_(OVS_CT_ATTR_ZONE, 1));
    Nl out = Nl().u32_(OVS_ACTION_ATTR_OUTPUT, 1);
    Nl dec_ttl = Nl().begin(OVS_ACTION_ATTR_DEC_TTL).nested(OVS_DEC_TTL_ATTR_ACTION, c).end();
    Nl cpl = Nl().begin(OVS_ACTION_ATTR_CHECK_PKT_LEN).u16_(OVS_CHECK_PKT_LEN_ATTR_PKT_LEN, 100)
                 .nested(OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL, c).nested(OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER,
                     Nl().nested(OVS_ACTION_ATTR_CLONE, c))
                 .end();
    Nl sample = Nl().begin(OVS_ACTION_ATTR_SAMPLE).u32_(OVS_SAMPLE_ATTR_PROBABILITY, 7)
                    .nested(OVS_SAMPLE_ATTR_ACTIONS, Nl(c).append(out)).end();
    Nl all = Nl().append(c).nested(OVS_ACTION_ATTR_CLONE, Nl().append(c).append(out)).append(dec_ttl).append(cpl)
                 .append(sample).append(nest_clones(15, c));
    auto r = validate_and_copy_actions(all.span(), k, false);
    ASSERT_TRUE(r.ok()) << r.error().msg;
    EXPECT_EQ(user::ct_live_actions(), 7);
    EXPECT_EQ(r.value()->flags & kFlowActionsCt, kFlowActionsCt);
    flow_actions_free(r.value());
    EXPECT_EQ(user::ct_live_actions(), 0);

    // Refused after two ct actions were made.
    Nl bad = Nl().append(c).nested(OVS_ACTION_ATTR_CLONE, Nl().append(c).u32_(OVS_ACTION_ATTR_OUTPUT, 70000));
    auto e = validate_and_copy_actions(bad.span(), k, false);
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(user::ct_live_actions(), 0);

    // An ActionsBuf reused: clear() releases, the destructor too.
    {
        ActionsBuf buf;
        ASSERT_TRUE(copy_actions(c.span(), k, buf, false).ok());
        EXPECT_EQ(user::ct_live_actions(), 1);
        ASSERT_TRUE(copy_actions(c.span(), k, buf, false).ok());
        EXPECT_EQ(user::ct_live_actions(), 1);
    }
    EXPECT_EQ(user::ct_live_actions(), 0);
}

// Without conntrack in the host the action is refused as before.
TEST(ActionsNetlinkCt, RefusedWithoutConntrack)
{
    user::set_ct_enabled(false);
    auto c = copy(ct(Nl().flag(OVS_CT_ATTR_COMMIT)), tcp4_key());
    user::set_ct_enabled(true);
    ASSERT_FALSE(c->status.ok());
    EXPECT_EQ(c->status.error().code, err::OPNOTSUPP);
    EXPECT_STREQ(c->status.error().msg, "Conntrack actions are not supported by this datapath");
}
