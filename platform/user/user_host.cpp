// SPDX-License-Identifier: GPL-2.0
#include "platform/user/user_host.h"

#include "flow/flow_extract.h"
#include "flow_netlink/flow_netlink.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <utility>

namespace ovsdp::user {

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
    s.tunnel_block = pkt.tunnel_block();
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

namespace {
// An upcall message being written (ovsdp_upcall_msg::msg).
struct UpcallBuf {
    std::vector<u8> bytes;  // headers, then room for the attributes
    std::vector<u8> packet; // the bytes that go in
    u8 cmd;
    int dp_ifindex;
};

template <typename T>
void put_le(std::vector<u8>& v, usize off, T x)
{
    std::memcpy(v.data() + off, &x, sizeof(x));
}
} // namespace

usize UserHost::gso_segments(const UserPacket& pkt, std::vector<u8>* bytes)
{
    usize seg = pkt.gso_mac_seglen();
    if (!seg)
        return 0;
    *bytes = wire_bytes(pkt, pkt.len());
    return seg < bytes->size() ? seg : 0;
}

int UserHost::upcall_begin(const UpcallMessage& m, UserPacket& pkt, ovsdp_upcall_msg* u)
{
    {
        std::lock_guard<std::mutex> g(mu_);
        if (upcall_error_)
            return upcall_error_;
        upcalls_open_++;
    }
    std::vector<u8> bytes = wire_bytes(pkt, pkt.len());
    usize len = m.cutlen && m.cutlen < bytes.size() ? m.cutlen : bytes.size();
    auto* b = new UpcallBuf { std::vector<u8>(kUpcallHdrLen + m.attrs_len, 0xa5), { bytes.begin(), bytes.begin() + len },
                              m.cmd, m.dp_ifindex };
    // struct nlmsghdr (length set at commit), genlmsghdr, ovs_header.
    put_le<u16>(b->bytes, 4, kUpcallFamilyId);
    put_le<u16>(b->bytes, 6, 0);
    put_le<u32>(b->bytes, 8, 0);
    put_le<u32>(b->bytes, 12, 0);
    b->bytes[16] = m.cmd;
    b->bytes[17] = 1; // OVS_PACKET_VERSION
    put_le<u16>(b->bytes, 18, 0);
    put_le<s32>(b->bytes, 20, m.dp_ifindex);
    *u = {};
    u->msg = b;
    u->attrs = b->bytes.data() + kUpcallHdrLen;
    u->attrs_room = m.attrs_len;
    u->len = static_cast<u32>(len);
    u->hlen = m.unaligned ? 0 : u->len;
    u->unaligned = m.unaligned;
    return 0;
}

void UserHost::upcall_cancel(ovsdp_upcall_msg* u)
{
    delete static_cast<UpcallBuf*>(u->msg);
    u->msg = nullptr;
    std::lock_guard<std::mutex> g(mu_);
    upcalls_open_--;
}

// The packet attribute after the attributes: unpadded when the datapath has
// OVS_DP_F_UNALIGNED (the kernel then references the packet's pages), else
// padded to the netlink alignment.
int UserHost::upcall_commit(const UpcallMessage& m, ovsdp_upcall_msg* u, u32 attrs_len)
{
    auto* b = static_cast<UpcallBuf*>(u->msg);
    if (attrs_len > u->attrs_room || attrs_len % 4) {
        upcall_cancel(u);
        return -err::MSGSIZE;
    }
    std::vector<u8>& v = b->bytes;
    v.resize(kUpcallHdrLen + attrs_len);
    usize off = v.size();
    v.resize(off + kNlaHdrLen);
    put_le<u16>(v, off, static_cast<u16>(kNlaHdrLen + b->packet.size()));
    put_le<u16>(v, off + 2, uapi::OVS_PACKET_ATTR_PACKET);
    v.insert(v.end(), b->packet.begin(), b->packet.end());
    if (!u->unaligned)
        v.resize(nla_align(v.size()), 0);
    put_le<u32>(v, 0, static_cast<u32>(v.size()));
    Upcall up { m.portid, b->cmd, b->dp_ifindex, m.net, { v.begin() + kUpcallHdrLen, v.end() }, std::move(v) };
    delete b;
    u->msg = nullptr;
    std::lock_guard<std::mutex> g(mu_);
    upcalls_open_--;
    upcalls_.push_back(std::move(up));
    return 0;
}

long UserHost::upcalls_open() const
{
    std::lock_guard<std::mutex> g(mu_);
    return upcalls_open_;
}

int UserHost::ct_fragment(UserPacket& pkt, FlowKey& key, const ovsdp_ct_action& act)
{
    if (int rc = user::ct_defrag(pkt, act))
        return rc; // pkt freed: kept for reassembly or dropped
    // As the kernel's: the whole datagram keyed again, not a fragment.
    if (key_extract(pkt, key).is_error())
        return -22;
    key.ip.frag = kFragNone;
    return ct_execute(pkt, key, act);
}

void UserHost::set_input_port(UserPacket&, Vport* in)
{
    std::lock_guard<std::mutex> g(mu_);
    last_packet_port_ = in->port_no;
}

// Always a copy: a userspace request has no buffer to share.
bool UserHost::packet_from_bytes(ConstBytes b, Vport* in, void* storage, void*)
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

int UserHost::rx_tunnel(Vport* in, UserPacket& pkt, const void*, ovsdp_tunnel* t, u8* opts)
{
    bool foreign;
    {
        std::lock_guard<std::mutex> g(mu_);
        foreign = foreign_netns_ports_.count(in->port_no) != 0;
    }
    if (!pkt.has_tunnel())
        return 0;
    if (foreign) {
        // skb_scrub_packet(xnet) with the mark put back: no dst, no connection.
        pkt.clear_tunnel();
        pkt.set_ct(0);
        return 0;
    }
    *t = pkt.tunnel();
    if (t->options_len)
        std::memcpy(opts, pkt.tunnel_options(), t->options_len);
    return 1;
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
    foreign_netns_ports_.clear();
    upcall_error_ = 0;
    alloc_failure_ = false;
    fixed_random_ = false;
    last_packet_port_ = 0;
    consumed_ = dropped_ = bh_enables_ = 0;
}

void UserHost::set_foreign_netns_port(u32 port_no)
{
    std::lock_guard<std::mutex> g(mu_);
    foreign_netns_ports_.insert(port_no);
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
