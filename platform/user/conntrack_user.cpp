// SPDX-License-Identifier: GPL-2.0
// The userspace connection tracker behind platform/conntrack.h (see
// conntrack_user.h).
#include "platform/user/conntrack_user.h"

#include "base/ovs_abi.h"
#include "platform/platform.h"
#include "platform/user/user_platform.h"

#include <atomic>
#include <cstring>
#include <mutex>
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

} // namespace

void set_ct_enabled(bool on) { g_ct_enabled = on; }

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
    return 0;
}

extern "C" void ovsdp_ct_action_release(struct ovsdp_ct_action* act)
{
    if (!act->handle)
        return;
    ovsdp_kfree(act->handle);
    ovsdp::user::g_live_actions--;
}
