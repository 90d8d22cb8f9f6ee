// SPDX-License-Identifier: GPL-2.0
// The userspace connection tracker behind platform/conntrack.h (see
// conntrack_user.h).
#include "platform/user/conntrack_user.h"

#include "base/ovs_abi.h"
#include "platform/platform.h"
#include "platform/user/user_platform.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <set>
#include <vector>

namespace ovsdp::user {

namespace {

bool g_ct_enabled = true;
std::atomic<long> g_live_actions { 0 };

struct Tuple {
    u8 family; // 2 or 10
    u8 proto;
    be16 sport, dport;
    u8 src[16], dst[16];

    bool operator==(const Tuple& o) const { return std::memcmp(this, &o, sizeof(*this)) == 0; }
    Tuple inverted() const
    {
        Tuple t = *this;
        std::memcpy(t.src, dst, sizeof(src));
        std::memcpy(t.dst, src, sizeof(dst));
        t.sport = dport;
        t.dport = sport;
        return t;
    }
};

struct Conn {
    u16 zone;
    Tuple orig;
    bool confirmed;
    bool seen_reply;
    bool dead;
    u32 mark;
    u8 labels[16];
};

std::mutex g_lock;
std::vector<Conn> g_conns; // index + 1 is what a packet carries
// The live actions' handles. The validated actions keep a handle at 4-byte
// alignment, where LeakSanitizer does not see a pointer: without this set a
// fuzzer's installed ct flow reads as a leak.
std::set<void*> g_action_handles;
// The one namespace's zone limit table (conntrack/ct_limit.h owns it).
void* g_limit_table = nullptr;

// UserPacket::ct(): (index + 1) << 1 | reply direction.
u64 ct_handle(usize index, bool reply) { return (static_cast<u64>(index + 1) << 1) | (reply ? 1 : 0); }

Tuple tuple_of(const FlowKey& key, u8 family)
{
    Tuple t;
    std::memset(&t, 0, sizeof(t));
    t.family = family;
    t.proto = key.ip.proto;
    t.sport = key.tp.src;
    t.dport = key.tp.dst;
    if (family == 2) {
        std::memcpy(t.src, &key.ipv4.src, 4);
        std::memcpy(t.dst, &key.ipv4.dst, 4);
    } else {
        std::memcpy(t.src, key.ipv6.src, 16);
        std::memcpy(t.dst, key.ipv6.dst, 16);
    }
    return t;
}

// The key's ct fields from a connection seen in direction `reply`
// (upstream's ovs_ct_update_key()).
void fill_key(FlowKey& key, const Conn& c, bool reply, u16 zone)
{
    u8 state = static_cast<u8>(uapi::kCtStateTracked);
    if (reply)
        state |= uapi::kCtStateEstablished | uapi::kCtStateReplyDir;
    else if (c.seen_reply)
        state |= uapi::kCtStateEstablished;
    else
        state |= uapi::kCtStateNew;
    FlowKeyCt ct {};
    ct.state = state;
    ct.zone = zone;
    ct.mark = c.mark;
    std::memcpy(ct.labels, c.labels, sizeof(ct.labels));
    bool ip4 = key.eth.type == htons(kEthPIp) && c.orig.family == 2;
    bool ip6 = key.eth.type == htons(kEthPIpv6) && c.orig.family == 10;
    if (ip4 || ip6) {
        ct.orig_proto = c.orig.proto;
        ct.orig_tp_src = c.orig.sport;
        ct.orig_tp_dst = c.orig.dport;
        if (ip4) {
            std::memcpy(&ct.orig.ipv4.src, c.orig.src, 4);
            std::memcpy(&ct.orig.ipv4.dst, c.orig.dst, 4);
        } else {
            std::memcpy(ct.orig.ipv6.src, c.orig.src, 16);
            std::memcpy(ct.orig.ipv6.dst, c.orig.dst, 16);
        }
    }
    key.ct = ct;
}

// ---- Fragments ----------------------------------------------------------------

// One datagram being reassembled (the kernel's inet_frag_queue): what its
// fragments brought so far.
struct FragQueue {
    u16 zone;
    u8 family;
    u8 proto; // IPv4: the header's protocol; IPv6: the fragment header's next header
    u32 id;
    u8 src[16], dst[16];
    std::vector<u8> head; // the first fragment's bytes up to its payload (L2 + unfragmentable L3)
    usize unfrag = 0;     // of head: where L3 starts (the MAC header's length)
    usize prev_nh = 0;    // IPv6: offset in head of the next-header byte that names the fragment header
    bool have_first = false, have_last = false;
    usize total = 0;      // payload length, known from the last fragment
    u16 max_size = 0;     // the largest fragment's IP length (the MRU)
    std::vector<std::pair<usize, std::vector<u8>>> parts; // (offset, payload)
};

constexpr usize kMaxFragQueues = 64;
constexpr usize kMaxDatagram = 65535;
std::vector<FragQueue> g_frags;

u16 get_be16(const u8* p) { return static_cast<u16>(p[0] << 8 | p[1]); }
void put_be16(u8* p, u16 v)
{
    p[0] = static_cast<u8>(v >> 8);
    p[1] = static_cast<u8>(v);
}

// The queue's fragments cover [0, total) without gaps or overlaps: the
// datagram's payload in order, else empty (`bad`: they overlap).
std::vector<u8> frag_payload(const FragQueue& q, bool& bad)
{
    std::vector<std::pair<usize, std::vector<u8>>> parts = q.parts;
    std::sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<u8> out;
    bad = false;
    for (const auto& [off, bytes] : parts) {
        if (off < out.size()) {
            bad = true;
            return {};
        }
        if (off > out.size())
            return {};
        out.insert(out.end(), bytes.begin(), bytes.end());
    }
    if (out.size() != q.total)
        return {};
    return out;
}

} // namespace

void set_ct_enabled(bool on) { g_ct_enabled = on; }

// A fragment into its queue (zone, addresses, protocol, id). 0: pkt is now
// the whole datagram (MRU set). Otherwise pkt is freed: -EINPROGRESS (kept
// until complete), -EINVAL (malformed or overlapping: its queue is dropped),
// -ENOMEM (too many datagrams in progress).
int ct_defrag(UserPacket& pkt, const ovsdp_ct_action& act)
{
    constexpr int kInProgress = -115, kInval = -22, kNoMem = -12;
    std::lock_guard<std::mutex> g(g_lock);
    const u8* d = pkt.data();
    usize len = pkt.len();
    usize nh = static_cast<usize>(pkt.network_offset());
    FragQueue f {};
    f.zone = act.zone;
    f.family = act.family;
    usize off = 0, payload_at = 0, ip_len = 0, prev_nh = 0;
    bool more = false;
    if (nh > len) {
        pkt.free();
        return kInval;
    }
    const u8* ip = d + nh;
    usize l3 = len - nh;
    if (act.family == 2) {
        if (l3 < 20 || (ip[0] >> 4) != 4) {
            pkt.free();
            return kInval;
        }
        usize ihl = (ip[0] & 15u) * 4u;
        ip_len = get_be16(ip + 2);
        if (ihl < 20 || ip_len < ihl || ip_len > l3) {
            pkt.free();
            return kInval;
        }
        u16 fo = get_be16(ip + 6);
        off = static_cast<usize>(fo & 0x1fffu) * 8;
        more = fo & 0x2000u;
        f.proto = ip[9];
        f.id = get_be16(ip + 4);
        std::memcpy(f.src, ip + 12, 4);
        std::memcpy(f.dst, ip + 16, 4);
        payload_at = ihl;
    } else {
        if (l3 < 40 || (ip[0] >> 4) != 6) {
            pkt.free();
            return kInval;
        }
        ip_len = 40 + get_be16(ip + 4);
        if (ip_len > l3) {
            pkt.free();
            return kInval;
        }
        u8 next = ip[6];
        usize at = 40;
        prev_nh = 6;
        while (next == 0 || next == 43 || next == 60) { // hop-by-hop, routing, destination options
            if (at + 8 > ip_len) {
                pkt.free();
                return kInval;
            }
            prev_nh = at;
            next = ip[at];
            at += (static_cast<usize>(ip[at + 1]) + 1) * 8;
        }
        if (next != 44 || at + 8 > ip_len) {
            pkt.free();
            return kInval;
        }
        u16 fo = get_be16(ip + at + 2);
        off = fo & ~7u;
        more = fo & 1u;
        f.proto = ip[at];
        f.id = static_cast<u32>(ip[at + 4]) << 24 | static_cast<u32>(ip[at + 5]) << 16
            | static_cast<u32>(ip[at + 6]) << 8 | ip[at + 7];
        std::memcpy(f.src, ip + 8, 16);
        std::memcpy(f.dst, ip + 24, 16);
        payload_at = at + 8; // the fragment header goes in the datagram
        f.prev_nh = nh + prev_nh;
        f.unfrag = at;       // its unfragmentable part ends at the fragment header
    }
    usize plen = ip_len - payload_at;
    if (off + plen > kMaxDatagram || (more && (plen == 0 || plen % 8))) {
        pkt.free();
        return kInval;
    }
    FragQueue* q = nullptr;
    for (FragQueue& e : g_frags)
        if (e.zone == f.zone && e.family == f.family && e.proto == f.proto && e.id == f.id
            && !std::memcmp(e.src, f.src, 16) && !std::memcmp(e.dst, f.dst, 16))
            q = &e;
    if (!q) {
        if (g_frags.size() >= kMaxFragQueues) {
            pkt.free();
            return kNoMem;
        }
        g_frags.push_back(f);
        q = &g_frags.back();
    }
    if (off == 0) {
        q->have_first = true;
        q->head.assign(d, d + nh + (act.family == 2 ? payload_at : f.unfrag));
        q->prev_nh = f.prev_nh;
        q->unfrag = nh;
    }
    if (!more) {
        if (q->have_last && q->total != off + plen) {
            g_frags.erase(g_frags.begin() + (q - g_frags.data()));
            pkt.free();
            return kInval;
        }
        q->have_last = true;
        q->total = off + plen;
    }
    q->max_size = static_cast<u16>(std::max<usize>(q->max_size, ip_len));
    q->parts.emplace_back(off, std::vector<u8>(ip + payload_at, ip + ip_len));
    bool bad = false;
    std::vector<u8> payload;
    if (q->have_first && q->have_last)
        payload = frag_payload(*q, bad);
    if (bad) {
        g_frags.erase(g_frags.begin() + (q - g_frags.data()));
        pkt.free();
        return kInval;
    }
    if (payload.empty() && !(q->have_first && q->have_last && q->total == 0)) {
        pkt.free();
        return kInProgress;
    }
    // The datagram: the first fragment's headers, then the payload.
    std::vector<u8> out = q->head;
    usize l3_at = q->unfrag;
    if (q->family == 2) {
        usize ihl = out.size() - l3_at;
        u8* h = out.data() + l3_at;
        put_be16(h + 2, static_cast<u16>(ihl + payload.size()));
        put_be16(h + 6, 0);
        put_be16(h + 10, 0);
        u32 sum = 0;
        for (usize i = 0; i < ihl; i += 2)
            sum += get_be16(h + i);
        while (sum >> 16)
            sum = (sum & 0xffff) + (sum >> 16);
        put_be16(h + 10, static_cast<u16>(~sum));
    } else {
        out[q->prev_nh] = q->proto; // the fragment header is gone
        u8* h = out.data() + l3_at;
        put_be16(h + 4, static_cast<u16>(out.size() - l3_at - 40 + payload.size()));
    }
    out.insert(out.end(), payload.begin(), payload.end());
    u16 mru = q->max_size;
    g_frags.erase(g_frags.begin() + (q - g_frags.data()));
    if (out.size() - l3_at > kMaxDatagram || !pkt.replace_bytes(out.data(), out.size())) {
        pkt.free();
        return kNoMem;
    }
    pkt.set_ip_summed(IpSummed::None);
    pkt.clear_hash();
    pkt.set_mru(mru);
    return 0;
}

usize ct_frag_queues()
{
    std::lock_guard<std::mutex> g(g_lock);
    return g_frags.size();
}

int ct_execute(UserPacket& pkt, FlowKey& key, const ovsdp_ct_action& act)
{
    std::lock_guard<std::mutex> g(g_lock);
    Tuple t = tuple_of(key, act.family);
    bool reply = false;
    long idx = -1;

    // The packet's own connection, when it is in this zone (cached).
    if (u64 h = pkt.ct()) {
        usize i = static_cast<usize>((h >> 1) - 1);
        if (i < g_conns.size() && !g_conns[i].dead && g_conns[i].zone == act.zone) {
            idx = static_cast<long>(i);
            reply = h & 1;
        }
    }
    // A packet back from userspace whose key says ct ran in this zone finds
    // its connection again and keeps the key's state (upstream's
    // ovs_ct_find_existing(): no second pass through conntrack).
    bool executed = idx < 0 && (key.ct.state & uapi::kCtStateTracked) && !(key.ct.state & uapi::kCtStateInvalid)
        && key.ct.zone == act.zone;
    if (idx < 0) {
        for (usize i = 0; i < g_conns.size(); i++) {
            const Conn& c = g_conns[i];
            if (c.dead || !c.confirmed || c.zone != act.zone)
                continue;
            if (c.orig == t) {
                idx = static_cast<long>(i);
                reply = false;
                break;
            }
            if (c.orig.inverted() == t) {
                idx = static_cast<long>(i);
                reply = true;
                break;
            }
        }
    }
    if (executed && idx >= 0 && !(act.flags & OVSDP_CT_F_COMMIT)) {
        pkt.set_ct(ct_handle(static_cast<usize>(idx), reply));
        return 0;
    }
    // force_commit: a connection met in the reply direction is replaced by
    // a new one in this packet's direction.
    if (idx >= 0 && reply && (act.flags & OVSDP_CT_F_FORCE)) {
        g_conns[static_cast<usize>(idx)].dead = true;
        idx = -1;
        reply = false;
    }
    if (idx < 0) {
        Conn c {};
        c.zone = act.zone;
        c.orig = t;
        g_conns.push_back(c);
        idx = static_cast<long>(g_conns.size() - 1);
    }
    Conn& c = g_conns[static_cast<usize>(idx)];
    if (reply && c.confirmed)
        c.seen_reply = true;
    if ((act.flags & OVSDP_CT_F_COMMIT) && !c.confirmed) {
        // Upstream's ovs_ct_check_limit(): the zone's limit, counting this one.
        u32 limit = ovsdp_ct_limit_get(__atomic_load_n(&g_limit_table, __ATOMIC_ACQUIRE), act.zone);
        if (limit) {
            usize n = 1;
            for (const Conn& o : g_conns)
                n += !o.dead && o.confirmed && o.zone == act.zone;
            if (n > limit) {
                c.dead = true;
                pkt.set_ct(0);
                return -12; // ENOMEM: the packet is dropped
            }
        }
    }
    if (act.flags & OVSDP_CT_F_COMMIT) {
        c.confirmed = true;
        c.mark = act.mark | (c.mark & ~act.mark_mask);
        for (usize i = 0; i < sizeof(c.labels); i++)
            c.labels[i] = static_cast<u8>(act.labels[i] | (c.labels[i] & ~act.labels_mask[i]));
    }
    pkt.set_ct(ct_handle(static_cast<usize>(idx), reply));
    fill_key(key, c, reply, act.zone);
    return 0;
}

void ct_clear(UserPacket& pkt) { pkt.set_ct(0); }

void ct_fill_key(const UserPacket& pkt, FlowKey& key)
{
    std::lock_guard<std::mutex> g(g_lock);
    u64 h = pkt.ct();
    usize i = h ? static_cast<usize>((h >> 1) - 1) : g_conns.size();
    if (i >= g_conns.size() || g_conns[i].dead) {
        key.ct = FlowKeyCt {};
        return;
    }
    fill_key(key, g_conns[i], h & 1, g_conns[i].zone);
}

void ct_flush()
{
    std::lock_guard<std::mutex> g(g_lock);
    g_conns.clear();
    g_frags.clear();
}

long ct_live_actions() { return g_live_actions.load(); }

void ct_limit_net_exit()
{
    ovsdp_synchronize_rcu();
    ovsdp_ct_limit_table_free(g_limit_table);
    g_limit_table = nullptr;
}

usize ct_connections(u16 zone, bool confirmed_only)
{
    std::lock_guard<std::mutex> g(g_lock);
    usize n = 0;
    for (const Conn& c : g_conns)
        if (!c.dead && c.zone == zone && (c.confirmed || !confirmed_only))
            n++;
    return n;
}

} // namespace ovsdp::user

extern "C" int ovsdp_ct_enabled(void) { return ovsdp::user::g_ct_enabled ? 1 : 0; }

extern "C" void** ovsdp_ct_limit_slot(void*) { return &ovsdp::user::g_limit_table; }

extern "C" uint32_t ovsdp_ct_limit_count(void*, uint16_t zone)
{
    return static_cast<uint32_t>(ovsdp::user::ct_connections(zone));
}

namespace {

// A helper the model knows, and the IP protocol it works on.
struct KnownHelper {
    const char* name;
    ovsdp::u8 proto;
};
constexpr KnownHelper kHelpers[] = { { "ftp", 6 }, { "tftp", 17 } };

} // namespace

// The action's resources: one allocation standing for the zone template
// (and helper and timeout references), so that ASan and the live count see
// a leak or a double release.
extern "C" int ovsdp_ct_action_init(struct ovsdp_ct_action* act, void*, const char** msg)
{
    if (act->helper[0]) {
        bool found = false;
        for (const auto& h : kHelpers)
            found |= std::strcmp(h.name, act->helper) == 0 && h.proto == act->ip_proto;
        if (!found) {
            *msg = "Unknown conntrack helper for this protocol";
            return -22; // EINVAL
        }
    }
    void* tmpl = ovsdp_kmalloc(16, OVSDP_GFP_KERNEL);
    if (!tmpl) {
        *msg = "Cannot allocate the conntrack template";
        return -12; // ENOMEM
    }
    act->handle = tmpl;
    ovsdp::user::g_live_actions++;
    std::lock_guard<std::mutex> g(ovsdp::user::g_lock);
    ovsdp::user::g_action_handles.insert(tmpl);
    return 0;
}

extern "C" void ovsdp_ct_action_release(struct ovsdp_ct_action* act)
{
    if (!act->handle)
        return;
    {
        std::lock_guard<std::mutex> g(ovsdp::user::g_lock);
        ovsdp::user::g_action_handles.erase(act->handle);
    }
    ovsdp_kfree(act->handle);
    ovsdp::user::g_live_actions--;
}
