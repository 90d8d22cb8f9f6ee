// SPDX-License-Identifier: GPL-2.0
// Packet crafting with correct checksums, checksum verification by full
// recomputation, an action list builder, and a recording environment for
// the action engine's tests.
#pragma once

#include "actions/actions.h"
#include "platform/user/user_packet.h"
#include "flow/flow_extract.h"
#include "platform/user/user_platform.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

namespace ovsdp::test {

using Buf = std::vector<u8>;
using Pkt = user::UserPacket;

inline Buf operator+(Buf a, const Buf& b)
{
    a.insert(a.end(), b.begin(), b.end());
    return a;
}
inline Buf bytes(std::initializer_list<int> v)
{
    Buf b;
    for (int x : v)
        b.push_back(static_cast<u8>(x));
    return b;
}
inline Buf be16b(u16 v) { return bytes({ v >> 8, v & 0xff }); }
inline Buf be32b(u32 v) { return be16b(static_cast<u16>(v >> 16)) + be16b(static_cast<u16>(v & 0xffff)); }
inline Buf filler(usize n, u8 seed = 0x40)
{
    Buf b(n);
    for (usize i = 0; i < n; i++)
        b[i] = static_cast<u8>(seed + i * 7);
    return b;
}
inline Buf bytes_of(const Pkt& p) { return Buf(p.data(), p.data() + p.len()); }
inline std::string hex(const Buf& b)
{
    std::string s;
    char tmp[4];
    for (usize i = 0; i < b.size(); i++) {
        std::snprintf(tmp, sizeof(tmp), "%02x", b[i]);
        s += tmp;
        if (i % 16 == 15)
            s += '\n';
        else if (i % 2 == 1)
            s += ' ';
    }
    return s;
}

inline const Buf kMacA = bytes({ 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 });
inline const Buf kMacB = bytes({ 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb });

inline Buf eth(u16 type, const Buf& dst = kMacA, const Buf& src = kMacB) { return dst + src + be16b(type); }
inline Buf vlan_tag(u16 tpid, u16 tci) { return be16b(tpid) + be16b(tci); }
inline Buf mpls_lse(u32 label, bool bos, u8 ttl = 64, u8 tc = 0)
{
    return be32b((label << 12) | (u32(tc) << 9) | (bos ? 0x100u : 0) | ttl);
}

// ---- L3/L4 with checksums ------------------------------------------------------

struct L4 {
    u8 proto = kIpProtoUdp;
    Buf bytes; // header and payload, checksum field as given
    bool fill_csum = true; // compute the checksum (UDP: leave 0 when false)
};

inline L4 tcp(u16 sport, u16 dport, usize payload = 6, u8 flags = 0x18)
{
    Buf h = be16b(sport) + be16b(dport) + be32b(1000) + be32b(2000) + bytes({ 0x50, flags }) + be16b(8192)
        + be16b(0) + be16b(0);
    return { kIpProtoTcp, h + filler(payload), true };
}
inline L4 udp(u16 sport, u16 dport, usize payload = 6, bool csum = true)
{
    Buf h = be16b(sport) + be16b(dport) + be16b(static_cast<u16>(8 + payload)) + be16b(0);
    return { kIpProtoUdp, h + filler(payload, 0x90), csum };
}
inline L4 sctp(u16 sport, u16 dport, usize payload = 16)
{
    Buf h = be16b(sport) + be16b(dport) + be32b(0x11223344) + be32b(0);
    return { kIpProtoSctp, h + filler(payload, 0x21), true };
}
inline L4 icmp(u8 type, u8 code, usize payload = 8)
{
    return { kIpProtoIcmp, bytes({ type, code }) + be16b(0) + be32b(0x00010002) + filler(payload), true };
}
inline L4 icmpv6(u8 type, u8 code, usize payload = 8)
{
    return { kIpProtoIcmpv6, bytes({ type, code }) + be16b(0) + be32b(0x00010002) + filler(payload), true };
}

inline usize l4_csum_off(u8 proto)
{
    switch (proto) {
    case kIpProtoTcp:
        return 16;
    case kIpProtoUdp:
        return 6;
    case kIpProtoSctp:
        return 8;
    default:
        return 2; // ICMP, ICMPv6
    }
}

// Fill the L4 checksum of `l4` given the pseudo-header sum (ignored for
// ICMPv4 and SCTP).
inline void fill_l4(Buf& l4, u8 proto, wsum pseudo)
{
    usize off = l4_csum_off(proto);
    if (proto == kIpProtoSctp) {
        store_unaligned<u32>(&l4[off], sctp_compute_cksum(l4.data(), l4.size()));
        return;
    }
    l4[off] = l4[off + 1] = 0;
    wsum s = proto == kIpProtoIcmp ? 0 : pseudo;
    u16 c = csum_fold(csum_partial(l4.data(), l4.size(), s));
    if (proto == kIpProtoUdp && c == 0)
        c = 0xffff;
    store_unaligned<u16>(&l4[off], c);
}

struct Ip4 {
    u32 src = 0x0a000001;
    u32 dst = 0x0a000002;
    u8 tos = 0;
    u8 ttl = 64;
    u16 frag_off = 0x4000; // DF
    u16 id = 0x1234;
};

inline Buf ipv4_hdr(const Ip4& ip, u8 proto, usize payload_len)
{
    Buf h = bytes({ 0x45, ip.tos }) + be16b(static_cast<u16>(20 + payload_len)) + be16b(ip.id) + be16b(ip.frag_off)
        + bytes({ ip.ttl, proto }) + be16b(0) + be32b(ip.src) + be32b(ip.dst);
    store_unaligned<u16>(&h[10], ip_compute_csum(h.data(), h.size()));
    return h;
}

inline Buf ipv4_packet(const Buf& l2, const Ip4& ip, L4 l4)
{
    if (l4.fill_csum)
        fill_l4(l4.bytes, l4.proto, csum_pseudo_ipv4(htonl(ip.src), htonl(ip.dst), static_cast<u32>(l4.bytes.size()), l4.proto, 0));
    return l2 + ipv4_hdr(ip, l4.proto, l4.bytes.size()) + l4.bytes;
}

inline Buf ip6(u8 last, u8 first = 0x20)
{
    Buf a(16, 0);
    a[0] = first;
    a[1] = 0x01;
    a[15] = last;
    return a;
}

struct Ip6 {
    Buf src = ip6(1);
    Buf dst = ip6(2);
    u8 tclass = 0;
    u32 label = 0x12345;
    u8 hlim = 64;
};

// The IPv6 header, extension headers `ext` (their first next-header byte
// chaining is the caller's), and l4. `first_next` is the header's next header.
inline Buf ipv6_packet(const Buf& l2, const Ip6& ip, L4 l4, const Buf& ext = {}, int first_next = -1)
{
    if (l4.fill_csum)
        fill_l4(l4.bytes, l4.proto,
                csum_pseudo_ipv6(ip.src.data(), ip.dst.data(), static_cast<u32>(l4.bytes.size()), l4.proto, 0));
    u32 w0 = (6u << 28) | (u32(ip.tclass) << 20) | (ip.label & 0xfffff);
    u8 next = first_next >= 0 ? static_cast<u8>(first_next) : l4.proto;
    return l2 + be32b(w0) + be16b(static_cast<u16>(ext.size() + l4.bytes.size())) + bytes({ next, ip.hlim }) + ip.src
        + ip.dst + ext + l4.bytes;
}

// A routing header (type 0 layout, no addresses needed by the walk).
inline Buf routing_hdr(u8 next, u8 segments_left) { return bytes({ next, 0, 4, segments_left, 0, 0, 0, 0 }); }

// ---- Verification --------------------------------------------------------------

// The IPv4 header at nh has a valid checksum.
inline bool ipv4_csum_ok(const Buf& b, usize nh) { return ip_compute_csum(&b[nh], 20) == 0; }

// The L4 checksum at th verifies (UDP with 0: no checksum, true).
inline bool l4_csum_ok(const Buf& b, usize nh, usize th, u8 proto, bool v6)
{
    usize len = b.size() - th;
    if (proto == kIpProtoSctp)
        return load_unaligned<u32>(&b[th + 8]) == sctp_compute_cksum(&b[th], len);
    if (proto == kIpProtoUdp && load_unaligned<u16>(&b[th + 6]) == 0)
        return true;
    wsum s = 0;
    if (proto != kIpProtoIcmp)
        s = v6 ? csum_pseudo_ipv6(&b[nh + 8], &b[nh + 24], static_cast<u32>(len), proto, 0)
               : csum_pseudo_ipv4(load_unaligned<be32>(&b[nh + 12]), load_unaligned<be32>(&b[nh + 16]),
                                  static_cast<u32>(len), proto, 0);
    return csum_fold(csum_partial(&b[th], len, s)) == 0;
}

// COMPLETE: the packet's csum is the sum of its bytes.
inline bool complete_csum_ok(const Pkt& p)
{
    return csum_fold(p.csum()) == csum_fold(csum_partial(p.data(), p.len(), 0));
}

// PARTIAL: finish the checksum as a device would (sum from csum_start to
// the end, the field holding the pseudo-header sum) and return the bytes.
inline Buf finish_partial(const Pkt& p)
{
    Buf b = bytes_of(p);
    usize start = static_cast<usize>(p.csum_start_offset());
    usize field = start + p.csum_offset();
    u16 c = csum_fold(csum_partial(&b[start], b.size() - start, 0));
    store_unaligned<u16>(&b[field], c);
    return b;
}

// PARTIAL set-up: the L4 field holds the folded pseudo-header sum.
inline void make_partial(Pkt& p, usize th, u8 proto, wsum pseudo)
{
    u8* d = p.make_writable(p.len());
    store_unaligned<u16>(d + th + l4_csum_off(proto), static_cast<u16>(~csum_fold(pseudo)));
    p.set_csum_partial(th, static_cast<u16>(l4_csum_off(proto)));
}

// ---- Action lists --------------------------------------------------------------

class Actions {
public:
    Actions() : buf_(1 << 17), w_(buf_.data(), buf_.size()) {}
    Actions(const Actions&) = delete;
    Actions& operator=(const Actions&) = delete;

    Actions& output(u32 port) { return u32a(uapi::OVS_ACTION_ATTR_OUTPUT, port); }
    Actions& trunc(u32 max_len) { return u32a(uapi::OVS_ACTION_ATTR_TRUNC, max_len); }
    Actions& recirc(u32 id) { return u32a(uapi::OVS_ACTION_ATTR_RECIRC, id); }
    Actions& meter(u32 id) { return u32a(uapi::OVS_ACTION_ATTR_METER, id); }
    Actions& hash(u32 basis, u32 alg = uapi::OVS_HASH_ALG_L4)
    {
        uapi::OvsActionHash h { alg, basis };
        w_.put_value(uapi::OVS_ACTION_ATTR_HASH, h);
        return *this;
    }
    Actions& push_vlan(u16 tpid, u16 tci_with_cfi)
    {
        uapi::OvsActionPushVlan v { htons(tpid), htons(tci_with_cfi) };
        w_.put_value(uapi::OVS_ACTION_ATTR_PUSH_VLAN, v);
        return *this;
    }
    Actions& pop_vlan() { return flag(uapi::OVS_ACTION_ATTR_POP_VLAN); }
    Actions& push_mpls(u32 lse, u16 type)
    {
        uapi::OvsActionPushMpls m {};
        m.mpls_lse = htonl(lse);
        m.mpls_ethertype = htons(type);
        w_.put(uapi::OVS_ACTION_ATTR_PUSH_MPLS, &m, 6);
        return *this;
    }
    Actions& add_mpls(u32 lse, u16 type, bool l3_tunnel)
    {
        uapi::OvsActionAddMpls m { htonl(lse), htons(type), static_cast<u16>(l3_tunnel ? uapi::kMplsL3TunnelFlagMask : 0) };
        w_.put_value(uapi::OVS_ACTION_ATTR_ADD_MPLS, m);
        return *this;
    }
    Actions& pop_mpls(u16 type)
    {
        w_.put_u16(uapi::OVS_ACTION_ATTR_POP_MPLS, htons(type));
        return *this;
    }
    Actions& push_eth(const Buf& src, const Buf& dst)
    {
        uapi::OvsActionPushEth e {};
        std::memcpy(e.addresses.eth_src, src.data(), 6);
        std::memcpy(e.addresses.eth_dst, dst.data(), 6);
        w_.put_value(uapi::OVS_ACTION_ATTR_PUSH_ETH, e);
        return *this;
    }
    Actions& pop_eth() { return flag(uapi::OVS_ACTION_ATTR_POP_ETH); }
    Actions& ct_clear() { return flag(uapi::OVS_ACTION_ATTR_CT_CLEAR); }

    // SET_MASKED / SET_TO_MASKED with a key attribute of type `key_type`.
    template <typename T>
    Actions& set_masked(u16 key_type, const T& value, const T& mask, u16 action = uapi::OVS_ACTION_ATTR_SET_MASKED)
    {
        usize tok = w_.nest_begin(action);
        u8* p = w_.reserve(key_type, 2 * sizeof(T));
        if (!p)
            return *this; // the writer remembers the overflow
        std::memcpy(p, &value, sizeof(T));
        std::memcpy(p + sizeof(T), &mask, sizeof(T));
        w_.nest_end(tok);
        return *this;
    }
    // What validation makes of a SET: SET_TO_MASKED with an all-ones mask.
    template <typename T>
    Actions& set_full(u16 key_type, const T& value)
    {
        T mask;
        std::memset(&mask, 0xff, sizeof(T));
        return set_masked(key_type, value, mask, kActionAttrSetToMasked);
    }
    // A plain SET (only set(tunnel) survives validation in this form).
    Actions& set_raw(u16 key_type, const Buf& payload)
    {
        usize tok = w_.nest_begin(uapi::OVS_ACTION_ATTR_SET);
        w_.put(key_type, payload.data(), payload.size());
        w_.nest_end(tok);
        return *this;
    }

    struct Userspace {
        u32 pid = 77;
        Buf userdata;
        bool has_userdata = false;
        int egress_tun_port = -1;
        bool actions = false;
    };
    Actions& userspace(const Userspace& u)
    {
        usize tok = w_.nest_begin(uapi::OVS_ACTION_ATTR_USERSPACE);
        w_.put_u32(uapi::OVS_USERSPACE_ATTR_PID, u.pid);
        if (u.has_userdata)
            w_.put(uapi::OVS_USERSPACE_ATTR_USERDATA, u.userdata.data(), u.userdata.size());
        if (u.egress_tun_port >= 0)
            w_.put_u32(uapi::OVS_USERSPACE_ATTR_EGRESS_TUN_PORT, static_cast<u32>(u.egress_tun_port));
        if (u.actions)
            w_.put_flag(uapi::OVS_USERSPACE_ATTR_ACTIONS);
        w_.nest_end(tok);
        return *this;
    }

    Actions& sample(u32 probability, bool exec, const Actions& nested)
    {
        usize tok = w_.nest_begin(uapi::OVS_ACTION_ATTR_SAMPLE);
        SampleArg arg {};
        arg.exec = exec;
        arg.probability = probability;
        w_.put_value(kSampleAttrArg, arg);
        append(nested);
        w_.nest_end(tok);
        return *this;
    }
    Actions& clone(bool exec, const Actions& nested)
    {
        usize tok = w_.nest_begin(uapi::OVS_ACTION_ATTR_CLONE);
        w_.put_u32(kCloneAttrExec, exec ? 1 : 0);
        append(nested);
        w_.nest_end(tok);
        return *this;
    }
    Actions& check_pkt_len(u16 len, const Actions& le, bool exec_le, const Actions& gt, bool exec_gt)
    {
        usize tok = w_.nest_begin(uapi::OVS_ACTION_ATTR_CHECK_PKT_LEN);
        CheckPktLenArg arg { len, exec_gt, exec_le };
        w_.put_value(kCheckPktLenAttrArg, arg);
        usize t1 = w_.nest_begin(uapi::OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL);
        append(le);
        w_.nest_end(t1);
        usize t2 = w_.nest_begin(uapi::OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER);
        append(gt);
        w_.nest_end(t2);
        w_.nest_end(tok);
        return *this;
    }
    Actions& dec_ttl(const Actions& on_expiry)
    {
        usize tok = w_.nest_begin(uapi::OVS_ACTION_ATTR_DEC_TTL);
        usize t1 = w_.nest_begin(uapi::OVS_DEC_TTL_ATTR_ACTION);
        append(on_expiry);
        w_.nest_end(t1);
        w_.nest_end(tok);
        return *this;
    }
    Actions& raw(u16 type, const Buf& payload)
    {
        w_.put(type, payload.data(), payload.size());
        return *this;
    }

    const u8* data() const { return buf_.data(); }
    usize size() const { return w_.size(); }

private:
    Actions& u32a(u16 type, u32 v)
    {
        w_.put_u32(type, v);
        return *this;
    }
    Actions& flag(u16 type)
    {
        w_.put_flag(type);
        return *this;
    }
    void append(const Actions& o)
    {
        for (usize i = 0; i < o.size();) {
            auto* a = reinterpret_cast<const NlAttr*>(o.data() + i);
            w_.put(a->nla_type, a->data(), a->len());
            i += nla_align(a->nla_len);
        }
    }

    std::vector<u8> buf_;
    NlWriter w_;
};

// ---- The recording environment ----------------------------------------------------

struct Event {
    std::string what; // "output", "upcall", "recirc", "drop", "consume", "meter", "tunnel"
    u32 arg = 0; // port, recirc id, error...
    Buf bytes;
    FlowKey key {};
    UpcallRequest req {};
    Buf userdata;
    Buf actions;
    Pkt pkt; // the packet itself when the env took it (output, recirc, consume, drop)
};

class TestEnv {
public:
    using State = ActionState<Pkt>;

    TestEnv()
    {
        state_ = static_cast<State*>(std::calloc(1, sizeof(State)));
    }
    ~TestEnv() { std::free(state_); }
    TestEnv(const TestEnv&) = delete;
    TestEnv& operator=(const TestEnv&) = delete;

    // ---- ActionEnv ----
    State& action_state() { return *state_; }
    bool clone(Pkt& p, void* storage)
    {
        if (clone_fail)
            return false;
        clones++;
        return p.clone_into(storage);
    }
    void consume(Pkt&& p) { log("consume", 0, p).pkt = move(p); }
    void drop(Pkt&& p, int err) { log("drop", static_cast<u32>(-err), p).pkt = move(p); }
    void output(Pkt&& p, u32 port, const FlowKey& key)
    {
        Event& e = log("output", port, p);
        e.key = key;
        if (on_output) {
            on_output(move(p), port, key);
            return;
        }
        e.pkt = move(p);
    }
    int upcall(Pkt& p, const FlowKey& key, const UpcallRequest& req)
    {
        Event& e = log("upcall", req.portid, p);
        e.key = key;
        e.req = req;
        if (req.userdata)
            e.userdata = Buf(req.userdata->data(), req.userdata->data() + req.userdata->len());
        if (req.actions)
            e.actions = Buf(req.actions, req.actions + req.actions_len);
        return 0;
    }
    void recirc(Pkt&& p, FlowKey& key)
    {
        Event& e = log("recirc", key.recirc_id, p);
        e.key = key;
        if (on_recirc) {
            on_recirc(move(p), key);
            return;
        }
        e.pkt = move(p);
    }
    bool meter(Pkt& p, const FlowKey&, u32 id)
    {
        log("meter", id, p);
        return id == meter_drop_id;
    }
    int set_tunnel_info(Pkt& p, ConstBytes info)
    {
        Event& e = log("tunnel", static_cast<u32>(info.size()), p);
        e.userdata = Buf(info.data(), info.data() + info.size());
        return tunnel_err;
    }
    // ct: logged with the zone; the key gets ct_state_after (tracked) unless
    // ct_err is set; ct_clear zeroes the key's ct fields.
    int ct(Pkt& p, FlowKey& key, const ovsdp_ct_action& act)
    {
        log("ct", act.zone, p);
        if (ct_err)
            return ct_err;
        key.ct.state = ct_state_after;
        key.ct.zone = act.zone;
        return 0;
    }
    void ct_clear(Pkt& p, FlowKey& key)
    {
        log("ct_clear", 0, p);
        key.ct = FlowKeyCt {};
    }
    u32 random_u32() { return random_values.empty() ? 0 : random_values[random_next++ % random_values.size()]; }
    void budget_exceeded(const FlowKey& key) { budget_reports.push_back(key.in_port); }
    bool may_breathe() const { return breathing; }
    void breathe()
    {
        breaths++;
        if (on_breathe)
            on_breathe();
    }

    // ---- Test controls ----
    std::vector<Event> events;
    bool clone_fail = false;
    int clones = 0;
    u32 meter_drop_id = ~0u;
    int tunnel_err = 0;
    int ct_err = 0;
    u8 ct_state_after = 0x22; // +trk+est
    std::vector<u32> random_values;
    usize random_next = 0;
    std::function<void(Pkt&&, FlowKey&)> on_recirc; // instead of keeping the packet
    std::function<void(Pkt&&, u32, const FlowKey&)> on_output; // likewise
    std::vector<u32> budget_reports; // in_port of each budget_exceeded()
    bool breathing = false; // may_breathe()
    int breaths = 0;
    std::function<void()> on_breathe; // a softirq that runs while breathing

    std::vector<const Event*> of(const std::string& what) const
    {
        std::vector<const Event*> r;
        for (auto& e : events)
            if (e.what == what)
                r.push_back(&e);
        return r;
    }
    std::string trace() const
    {
        std::string s;
        for (auto& e : events)
            s += e.what + ":" + std::to_string(e.arg) + " ";
        return s;
    }

private:
    Event& log(const char* what, u32 arg, const Pkt& p)
    {
        events.push_back({});
        Event& e = events.back();
        e.what = what;
        e.arg = arg;
        if (p.valid())
            e.bytes = bytes_of(p);
        return e;
    }

    State* state_;
};

static_assert(ActionEnv<TestEnv, Pkt>);

// ---- Fixture ------------------------------------------------------------------------

// A packet received on port in_port: keyed as the receive path keys it.
struct Received {
    Pkt pkt;
    FlowKey key {};
};

inline Received receive(const Buf& b, u16 in_port = 1, usize headroom = Pkt::kDefaultHeadroom,
                        u8 mac_proto = kMacProtoEthernet, u16 l3_protocol = 0)
{
    Received r { Pkt(b.data(), b.size(), 0, headroom), {} };
    FlowKeyMetadata md;
    md.in_port = in_port;
    md.mac_proto = mac_proto;
    if (mac_proto == kMacProtoNone)
        r.pkt.set_protocol(htons(l3_protocol));
    Status s = key_extract_with_metadata(r.pkt, md, r.key);
    EXPECT_TRUE(s.ok());
    return r;
}

class ActionsTest : public ::testing::Test {
protected:
    void SetUp() override { baseline_ = user::live_allocations(); }
    void TearDown() override
    {
        env.events.clear();
        EXPECT_EQ(env.action_state().level, 0);
        EXPECT_EQ(env.action_state().frame_top, 0u);
        EXPECT_EQ(env.action_state().fifo_head, 0u);
        EXPECT_EQ(user::live_allocations(), baseline_) << "leaked packet buffers";
    }

    int run(Received& r, const Actions& a) { return execute_actions(env, move(r.pkt), r.key, a.data(), a.size()); }
    int run(Pkt&& p, FlowKey& key, const Actions& a) { return execute_actions(env, move(p), key, a.data(), a.size()); }

    // The bytes of the only output, checked.
    Buf only_output(u32 port)
    {
        auto outs = env.of("output");
        EXPECT_EQ(outs.size(), 1u) << env.trace();
        if (outs.size() != 1)
            return {};
        EXPECT_EQ(outs[0]->arg, port);
        return outs[0]->bytes;
    }

    TestEnv env;
    long baseline_ = 0;
};

} // namespace ovsdp::test
