// SPDX-License-Identifier: GPL-2.0
// libFuzzer target over the packet path (datapath/packet_path.h) as the
// kernel runs it, over the userspace host: flows installed with the real
// flow commands, then packets received on ports.
//
// Input: [features] then records, each [type] [len lo] [len hi] payload:
//   type % 3 == 0: a flow from raw attributes: payload is
//                  [key_len le16] key [mask_len le16] mask actions
//                  (OVS_FLOW_CMD_NEW; most are refused, as they should be)
//   type % 3 == 1: a flow matching a frame exactly: payload is
//                  [frame_len le16] frame actions; the key is the frame's as
//                  received on port (type / 3) % 4, with recirc_id
//                  (type / 12) % 4
//   type % 3 == 2: a packet received on port (type / 3) % 4: payload is
//                  [flags] [hash le32] frame; flags bit 0: UDP GSO, bit 1:
//                  GSO in segments of 64 + hash % 512 bytes, bit 2: an
//                  accelerated VLAN tag, bit 3: an MRU of 64 + hash % 1500,
//                  bits 4-5: mark and priority from the hash; bit 6:
//                  received with tunnel metadata: then [opts kind] and a
//                  struct ovsdp_tunnel come before the frame, followed by
//                  its options (see rx_tunnel())
// features bit 0: per-CPU upcall dispatch; bit 1: port 3 is a tunnel port;
//          bit 2: upcalls fail (a full socket); bits 4-5: the receiving CPU.
//
// Besides the sanitizers, each input checks: every packet handle gave its
// packet back (none destroyed owning one), every upcall's key parses as a
// flow key, the datapath looked up every keyable packet; and every
// allocation is freed once the datapath is destroyed (every 128 inputs).
#include "datapath/packet_path.h"
#include "platform/user/dispatch.h"
#include "tests/fuzz/fuzz_world.h"
#include "platform/user/fake_kernel.h"
#include "platform/user/user_host.h"
#include "platform/user/user_platform.h"

#include <cstdlib>
#include <cstring>
#include <vector>

using namespace ovsdp;
using namespace ovsdp::user;
using namespace ovsdp::fuzz;

namespace {


// ENCAP { ETHERTYPE 0, VLAN 0, ... } inside the outer ENCAP.
bool upcall_key_has_empty_inner_tag(const Upcall& u)
{
    const NlAttr* key = u.attr(uapi::OVS_PACKET_ATTR_KEY);
    FlowMatch m;
    FlowKey k;
    m.key = &k;
    if (!key)
        return false;
    auto st = flow_key_from_nlattrs(key->payload(), {}, false, m, false);
    return st.is_error() && st.error().msg
        && __builtin_strcmp(st.error().msg, "VLAN attribute without a VLAN ethertype") == 0;
}

// Tunnel metadata as a collect-metadata device attaches it on receive, made
// from fuzz bytes at q (n of them): a kind byte (options: 0 none, 1 Geneve
// TLVs, 2 VXLAN GBP, 3 ERSPAN) and a struct ovsdp_tunnel, then its options.
// Shaped the way the kernel's devices shape it (a destination address;
// Geneve options whole words, VXLAN's 4 bytes, ERSPAN's 8; the option flag
// of the kind), so that the upcall's key parses back. The bytes used, or 0
// when there are too few.
usize rx_tunnel(const u8* q, usize n, ovsdp_tunnel* t, const u8** opts)
{
    if (n < 1 + sizeof(*t))
        return 0;
    u8 kind = q[0] % 4;
    std::memcpy(t, q + 1, sizeof(*t));
    usize used = 1 + sizeof(*t);
    t->mode &= kTunnelInfoIpv6;
    t->dst[0] |= 1;
    t->tun_flags &= htons(static_cast<u16>(~(kTunnelGeneveOpt | kTunnelVxlanOpt | kTunnelErspanOpt | kTunnelGtpOpt)));
    usize len = t->options_len;
    if (len > n - used)
        len = n - used;
    switch (kind) {
    case 0:
        len = 0;
        break;
    case 1:
        len &= ~usize(3);
        t->tun_flags |= htons(kTunnelGeneveOpt);
        break;
    case 2:
        len = len < 4 ? 0 : 4;
        t->tun_flags |= htons(kTunnelVxlanOpt);
        break;
    default:
        len = len < 8 ? 0 : 8;
        t->tun_flags |= htons(kTunnelErspanOpt);
        break;
    }
    if (!len)
        t->tun_flags &= htons(static_cast<u16>(~(kTunnelGeneveOpt | kTunnelVxlanOpt | kTunnelErspanOpt)));
    t->options_len = static_cast<u8>(len);
    *opts = q + used;
    return used + len;
}

// A little-endian u16 length and that many bytes (fewer at the end).
std::vector<u8> take(const u8*& p, usize& n)
{
    if (n < 2) {
        n = 0;
        return {};
    }
    usize len = p[0] | (usize(p[1]) << 8);
    p += 2;
    n -= 2;
    if (len > n)
        len = n;
    std::vector<u8> out(p, p + len);
    p += len;
    n -= len;
    return out;
}

// The host lives across inputs (its per-CPU engine state is large to set
// up), and so does the datapath for a while: destroying one waits for an RCU
// grace period, so it is recreated (and the allocations checked) every
// kWorldInputs inputs; in between, each input starts by flushing the flows.
constexpr int kWorldInputs = 128;
UserHost* g_host;

struct World {
    fake::Kernel kernel;
    fake::Net net { 0 };
    UserHost& host = *g_host;
    int ifindex = 0;
    Datapath* dp = nullptr;
    int inputs = 0;
};
World* g_world;
long g_baseline;

void flow_new(World& w, const std::vector<u8>& key, const std::vector<u8>* mask, const std::vector<u8>& actions)
{
    fake::Request r(&w.net, uapi::kFlowAttrMax, w.ifindex, 2, key.size() + (mask ? mask->size() : 0) + actions.size() + 64);
    r.put(uapi::OVS_FLOW_ATTR_KEY, key.data(), key.size());
    if (mask)
        r.put(uapi::OVS_FLOW_ATTR_MASK, mask->data(), mask->size());
    r.put(uapi::OVS_FLOW_ATTR_ACTIONS, actions.data(), actions.size());
    r.put(uapi::OVS_FLOW_ATTR_PROBE, nullptr, 0); // no log lines
    cmd::flow_new(r.finish());
    w.kernel.reset();
}

void world_create()
{
    g_baseline = live_allocations();
    g_world = new World;
    World& w = *g_world;
    fake::k = &w.kernel;
    w.ifindex = new_dp0(w.kernel, w.net, 500);
    w.dp = dp_lookup_by_ifindex(&w.net, w.ifindex);
    check(new_port(w.net, w.ifindex, "p1", 1, 501) == 0);
    check(new_port(w.net, w.ifindex, "p2", 2, 0) == 0);
    check(new_port(w.net, w.ifindex, "p3", 3, 503) == 0);
    w.kernel.reset();
}

void world_destroy()
{
    destroy_datapaths();
    fake::k = nullptr;
    delete g_world;
    g_world = nullptr;
    check(live_allocations() == g_baseline);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    set_topology(4, 2);
    set_log_hook([](int, const char*, bool) {});
    g_host = new UserHost;
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const u8* data, size_t size)
{
    if (size < 1)
        return 0;
    if (!g_world)
        world_create();
    reset_packets_leaked();
    {
        World& w = *g_world;
        w.host.reset();
        u8 features = data[0];
        const u8* p = data + 1;
        usize n = size - 1;
        {
            // This input's features; no flows.
            fake::Request r(&w.net, uapi::kDpAttrMax, w.ifindex, 2, 256);
            u32 f = uapi::kDpFUnaligned | uapi::kDpFVportPids;
            u32 cpu_pids[4] = { 600, 601, 602, 603 };
            if (features & 1) {
                f |= uapi::kDpFDispatchUpcallPerCpu;
                r.put(uapi::OVS_DP_ATTR_PER_CPU_PIDS, cpu_pids, sizeof(cpu_pids));
            }
            r.u32(uapi::OVS_DP_ATTR_USER_FEATURES, f);
            check(cmd::dp_set(r.finish()) == 0);
            fake::Request flush(&w.net, uapi::kFlowAttrMax, w.ifindex, 2, 64);
            check(cmd::flow_del(flush.finish()) == 0);
            w.kernel.reset();
        }
        uapi::DpStats before;
        uapi::DpMegaflowStats mega;
        dp_get_stats(w.dp, &before, &mega);
        if (features & 2)
            w.host.set_tunnel_port(3);
        if (features & 4)
            w.host.set_upcall_error(-err::NOBUFS);
        int cpu = (features >> 4) & 3;
        u64 received = 0;

        while (n >= 3) {
            u8 type = p[0];
            p++;
            n--;
            std::vector<u8> rec = take(p, n);
            const u8* q = rec.data();
            usize m = rec.size();
            u32 port = (type / 3) % 4;
            switch (type % 3) {
            case 0: {
                std::vector<u8> key = take(q, m);
                std::vector<u8> mask = take(q, m);
                std::vector<u8> acts(q, q + m);
                flow_new(w, key, mask.empty() ? nullptr : &mask, acts);
                break;
            }
            case 1: {
                std::vector<u8> frame = take(q, m);
                std::vector<u8> acts(q, q + m);
                FlowKeyMetadata md;
                md.in_port = static_cast<u16>(port);
                md.recirc_id = (type / 12) % 4;
                FlowKey key;
                UserPacket pkt(frame.data(), frame.size());
                bool keyed = key_extract_with_metadata(pkt, md, key).ok();
                pkt.free();
                if (!keyed)
                    break;
                u8 buf[2048];
                NlWriter kw(buf, sizeof(buf));
                check(put_flow_key(kw, uapi::OVS_FLOW_ATTR_KEY, key, key, false));
                flow_new(w, std::vector<u8>(buf + 4, buf + kw.size()), nullptr, acts);
                break;
            }
            case 2: {
                if (m < 5)
                    break;
                u8 flags = q[0];
                u32 hash;
                std::memcpy(&hash, q + 1, 4);
                ovsdp_tunnel tun;
                const u8* tun_opts = nullptr;
                usize tun_used = 0;
                if (flags & 64) {
                    tun_used = rx_tunnel(q + 5, m - 5, &tun, &tun_opts);
                    if (!tun_used)
                        break;
                }
                UserPacket pkt(q + 5 + tun_used, m - 5 - tun_used, hash);
                if (tun_used)
                    check(pkt.set_tunnel(tun, tun_opts));
                if (flags & 1)
                    pkt.set_gso_udp(true);
                if (flags & 2)
                    pkt.set_gso_mac_seglen(64 + hash % 512);
                if (flags & 4)
                    pkt.vlan_set_tag(htons(kEthP8021Q), static_cast<u16>(hash & 0xefff));
                if (flags & 8)
                    pkt.set_mru(static_cast<u16>(64 + hash % 1500));
                if (flags & 16)
                    pkt.set_mark(hash);
                if (flags & 32)
                    pkt.set_priority(hash >> 3);
                set_cpu(cpu);
                ovsdp_local_bh_disable();
                {
                    RcuReadGuard rcu;
                    const void* info = pkt.has_tunnel() ? &pkt.tunnel() : nullptr;
                    dp_vport_receive(w.host, dp_lookup_vport(w.dp, port), move(pkt), info);
                }
                ovsdp_local_bh_enable();
                set_cpu(-1);
                received++;
                break;
            }
            }
        }
        for (const Upcall& u : w.host.take_upcalls()) {
            // The key must parse back, but for one shape: an accelerated
            // tag over a frame whose inline 802.1Q header is cut before its
            // TCI. Extraction leaves the inner tag empty and the ethertype
            // 0x8100, and the key says so as upstream's __ovs_nla_put_key
            // does (ETHERTYPE = the empty tag's TPID 0, VLAN 0), which
            // neither parser reads back.
            FlowKey k;
            check(u.key(&k) || upcall_key_has_empty_inner_tag(u));
            check(u.attr(uapi::OVS_PACKET_ATTR_PACKET) != nullptr);
        }
        w.host.take_sent();
        // Each packet went one of three ways: dropped unkeyed, or looked up
        // (hit or miss) at least once.
        uapi::DpStats s;
        dp_get_stats(w.dp, &s, &mega);
        check(s.n_hit + s.n_missed - before.n_hit - before.n_missed + w.host.dropped() + w.host.consumed() >= received);
    }
    check(packets_leaked() == 0);
    if (++g_world->inputs == kWorldInputs)
        world_destroy();
    return 0;
}
