// SPDX-License-Identifier: GPL-2.0
#include "platform/user/user_host.h"

#include "flow_netlink/flow_netlink.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <utility>

namespace ovsdp::user {

namespace {
std::atomic<long> g_packets_leaked { 0 };
}

long packets_leaked() { return g_packets_leaked.load(); }
void reset_packets_leaked() { g_packets_leaked = 0; }
void note_packet_leaked() { g_packets_leaked++; }

const NlAttr* Upcall::attr(u16 type) const
{
    for (const NlAttr* a : nla_range(ConstBytes(attrs.data(), attrs.size())))
        if (a->type() == type)
            return a;
    return nullptr;
}

bool Upcall::key(FlowKey* out) const
{
    const NlAttr* a = attr(uapi::OVS_PACKET_ATTR_KEY);
    if (!a)
        return false;
    FlowMatch m;
    m.key = out;
    return flow_key_from_nlattrs(a->payload(), {}, false, m, false).ok();
}

std::vector<u8> Upcall::packet() const
{
    const NlAttr* a = attr(uapi::OVS_PACKET_ATTR_PACKET);
    if (!a)
        return {};
    return { a->data(), a->data() + a->len() };
}

UserHost::UserHost()
{
    state_ = ovsdp_alloc_percpu(sizeof(ActionState<UserPacket>), alignof(ActionState<UserPacket>));
}

UserHost::~UserHost() { ovsdp_free_percpu(state_); }

bool UserHost::clone(UserPacket& pkt, void* storage)
{
    {
        std::lock_guard<std::mutex> g(mu_);
        if (alloc_failure_)
            return false;
    }
    return pkt.clone_into(storage);
}

void UserHost::consume(UserPacket&& pkt)
{
    pkt.free();
    std::lock_guard<std::mutex> g(mu_);
    consumed_++;
}

void UserHost::drop(UserPacket&& pkt)
{
    pkt.free();
    std::lock_guard<std::mutex> g(mu_);
    dropped_++;
}

// The bytes a device or socket sees: an accelerated VLAN tag goes back inside
// (upstream: __vlan_hwaccel_push_inside before copying to userspace).
static std::vector<u8> wire_bytes(const UserPacket& pkt, usize len)
{
    std::vector<u8> v(pkt.data(), pkt.data() + len);
    if (pkt.vlan_tag_present() && len >= 2 * kEthAlen) {
        be16 tpid = pkt.vlan_proto();
        be16 tci = htons(pkt.vlan_tci());
        u8 tag[4];
        __builtin_memcpy(tag, &tpid, 2);
        __builtin_memcpy(tag + 2, &tci, 2);
        v.insert(v.begin() + 2 * kEthAlen, tag, tag + 4);
    }
    return v;
}

static SentPacket sent_packet(u32 port, UserPacket& pkt, u8 mac_proto)
{
    SentPacket s {};
    s.port = port;
    s.mac_proto = mac_proto;
    s.mark = pkt.mark();
    s.priority = pkt.priority();
    s.has_tunnel = pkt.has_tunnel();
    s.tunnel = pkt.tunnel();
    s.bytes = wire_bytes(pkt, pkt.len());
    return s;
}

void UserHost::transmit(Vport* v, UserPacket&& pkt, u8 mac_proto)
{
    SentPacket s = sent_packet(v->port_no, pkt, mac_proto);
    pkt.free();
    std::lock_guard<std::mutex> g(mu_);
    sent_.push_back(std::move(s));
}

void UserHost::transmit_mru(Vport* v, UserPacket&& pkt, u8 mac_proto, be16 eth_type)
{
    SentPacket s = sent_packet(v->port_no, pkt, mac_proto);
    s.mru = pkt.mru();
    s.via_mru = true;
    s.eth_type = eth_type;
    pkt.free();
    std::lock_guard<std::mutex> g(mu_);
    sent_.push_back(std::move(s));
}

// One message: the attributes, then the packet's first bytes.
static Upcall upcall_message(const UpcallMessage& m, ConstBytes attrs, const std::vector<u8>& bytes)
{
    Upcall u { m.portid, m.cmd, m.dp_ifindex, m.net, { attrs.data(), attrs.data() + attrs.size() } };
    usize len = m.cutlen && m.cutlen < bytes.size() ? m.cutlen : bytes.size();
    usize off = u.attrs.size();
    u.attrs.resize(off + nla_total_size(len));
    NlWriter w(u.attrs.data() + off, u.attrs.size() - off);
    w.put(uapi::OVS_PACKET_ATTR_PACKET, bytes.data(), len);
    return u;
}

int UserHost::send_upcall(const UpcallMessage& m, UserPacket& pkt)
{
    {
        std::lock_guard<std::mutex> g(mu_);
        if (upcall_error_)
            return upcall_error_;
    }
    std::vector<u8> bytes = wire_bytes(pkt, pkt.len());
    std::vector<Upcall> msgs;
    // A GSO packet goes up as its segments (upstream: __skb_gso_segment):
    // here the bytes are cut into segments of the packet's size, and for UDP
    // GSO the segments after the first carry the later-fragment attributes.
    usize seg = pkt.gso_mac_seglen();
    if (seg && seg < bytes.size()) {
        for (usize off = 0; off < bytes.size(); off += seg) {
            std::vector<u8> part(bytes.begin() + off, bytes.begin() + std::min(bytes.size(), off + seg));
            bool later = off && pkt.gso_udp() && m.later_attrs.size();
            msgs.push_back(upcall_message(m, later ? m.later_attrs : m.attrs, part));
        }
    } else {
        msgs.push_back(upcall_message(m, m.attrs, bytes));
    }
    std::lock_guard<std::mutex> g(mu_);
    for (Upcall& u : msgs)
        upcalls_.push_back(std::move(u));
    return 0;
}

void UserHost::set_input_port(UserPacket&, Vport* in)
{
    std::lock_guard<std::mutex> g(mu_);
    last_packet_port_ = in->port_no;
}

bool UserHost::packet_from_bytes(ConstBytes b, Vport* in, void* storage)
{
    {
        std::lock_guard<std::mutex> g(mu_);
        if (alloc_failure_)
            return false;
        if (in)
            last_packet_port_ = in->port_no;
    }
    auto* p = new (storage) UserPacket(b.data(), b.size());
    if (!p->valid()) {
        p->~UserPacket();
        return false;
    }
    return true;
}

int UserHost::set_tunnel(UserPacket& pkt, const ovsdp_tunnel& t, const u8* opts)
{
    pkt.set_tunnel(t, opts);
    return 0;
}

int UserHost::egress_tunnel(Vport* v, UserPacket& pkt, ovsdp_tunnel* t, u8* opts, u32 cap)
{
    {
        std::lock_guard<std::mutex> g(mu_);
        if (!tunnel_ports_.count(v->port_no))
            return -err::INVAL;
    }
    if (!pkt.has_tunnel() || pkt.tunnel().options_len > cap)
        return -err::INVAL;
    *t = pkt.tunnel();
    if (t->options_len)
        std::memcpy(opts, pkt.tunnel_options(), t->options_len);
    return 0;
}

u32 UserHost::random_u32()
{
    {
        std::lock_guard<std::mutex> g(mu_);
        if (fixed_random_)
            return random_;
    }
    return ovsdp_get_random_u32();
}

void UserHost::bh_disable() { ovsdp_local_bh_disable(); }

void UserHost::bh_enable()
{
    ovsdp_local_bh_enable();
    std::lock_guard<std::mutex> g(mu_);
    bh_enables_++;
}

void UserHost::reset()
{
    std::lock_guard<std::mutex> g(mu_);
    sent_.clear();
    upcalls_.clear();
    tunnel_ports_.clear();
    upcall_error_ = 0;
    alloc_failure_ = false;
    fixed_random_ = false;
    last_packet_port_ = 0;
    consumed_ = dropped_ = bh_enables_ = 0;
}

void UserHost::set_tunnel_port(u32 port_no)
{
    std::lock_guard<std::mutex> g(mu_);
    tunnel_ports_.insert(port_no);
}

void UserHost::set_upcall_error(int err)
{
    std::lock_guard<std::mutex> g(mu_);
    upcall_error_ = err;
}

void UserHost::set_alloc_failure(bool fail)
{
    std::lock_guard<std::mutex> g(mu_);
    alloc_failure_ = fail;
}

void UserHost::set_random(u32 v)
{
    std::lock_guard<std::mutex> g(mu_);
    fixed_random_ = true;
    random_ = v;
}

std::vector<SentPacket> UserHost::take_sent()
{
    std::lock_guard<std::mutex> g(mu_);
    return std::exchange(sent_, {});
}

std::vector<SentPacket> UserHost::take_sent(u32 port)
{
    std::lock_guard<std::mutex> g(mu_);
    std::vector<SentPacket> mine, rest;
    for (SentPacket& s : sent_)
        (s.port == port ? mine : rest).push_back(std::move(s));
    sent_ = std::move(rest);
    return mine;
}

std::vector<Upcall> UserHost::take_upcalls()
{
    std::lock_guard<std::mutex> g(mu_);
    return std::exchange(upcalls_, {});
}

u32 UserHost::last_packet_port() const
{
    std::lock_guard<std::mutex> g(mu_);
    return last_packet_port_;
}

u64 UserHost::consumed() const
{
    std::lock_guard<std::mutex> g(mu_);
    return consumed_;
}

u64 UserHost::dropped() const
{
    std::lock_guard<std::mutex> g(mu_);
    return dropped_;
}

u64 UserHost::bh_enables() const
{
    std::lock_guard<std::mutex> g(mu_);
    return bh_enables_;
}

} // namespace ovsdp::user
