// SPDX-License-Identifier: GPL-2.0
#include "platform/user/fake_kernel.h"

#include "platform/netdev.h"

#include <cstring>
#include <stdexcept>

namespace fake {

Kernel* k = nullptr;

const ovsdp::NlAttr* Message::attr(uint16_t type) const
{
    for (const ovsdp::NlAttr* a : ovsdp::nla_range(ovsdp::ConstBytes(attrs.data(), attrs.size())))
        if (a->type() == type)
            return a;
    return nullptr;
}

uint32_t Message::u32(uint16_t type) const
{
    const ovsdp::NlAttr* a = attr(type);
    return a ? a->get_u32() : 0xdeadbeef;
}

std::string Message::str(uint16_t type) const
{
    const ovsdp::NlAttr* a = attr(type);
    return a ? std::string(a->get_string()) : "<none>";
}

Device* Kernel::add_netdev(Net* net, const std::string& name)
{
    auto d = std::make_unique<Device>();
    d->name = name;
    d->ifindex = next_ifindex++;
    d->net = net;
    d->internal = false;
    Device* p = d.get();
    devices[{ net, name }] = std::move(d);
    by_ifindex[p->ifindex] = p;
    return p;
}

Device* Kernel::find(Net* net, const std::string& name)
{
    auto it = devices.find({ net, name });
    return it == devices.end() || !it->second->registered ? nullptr : it->second.get();
}

void Kernel::unregister(Net* net, const std::string& name)
{
    Device* d = find(net, name);
    if (!d)
        return;
    if (d->hooked) {
        d->hooked = false;
        ovsdp_vport_mark_detached(d->vport);
    }
    d->registered = false;
}

size_t Kernel::live_devices() const
{
    size_t n = 0;
    for (auto& [key, d] : devices)
        n += d->registered || d->refs > 0;
    return n;
}

Request::Request(Net* net, int maxattr, int dp_ifindex, uint8_t version, size_t capacity)
    : buf(), table(maxattr + 1, nullptr)
{
    buf.reserve(capacity);
    req.net = net;
    req.maxattr = maxattr;
    req.dp_ifindex = dp_ifindex;
    req.version = version;
}

Request& Request::put(uint16_t type, const void* data, size_t len)
{
    size_t off = buf.size();
    if (off + ovsdp::nla_total_size(len) > buf.capacity())
        throw std::length_error("fake::Request: attributes exceed the reserved buffer");
    buf.resize(off + ovsdp::nla_total_size(len));
    ovsdp::NlWriter w(buf.data() + off, buf.size() - off);
    w.put(type, data, len);
    if (type < table.size())
        table[type] = buf.data() + off;
    if (type >= OVSDP_EXT_ATTR_BASE && type < OVSDP_EXT_ATTR_BASE + OVSDP_EXT_ATTR_COUNT)
        req.ext_attrs[type - OVSDP_EXT_ATTR_BASE] = buf.data() + off;
    return *this;
}

ovsdp_request* Request::finish()
{
    req.attrs = table.data();
    req.extack_msg = nullptr;
    req.extack_attr = nullptr;
    return &req;
}

} // namespace fake

using namespace fake;

extern "C" {

// A reply or multicast message being written: its attribute bytes, in a
// buffer of exactly the size the core asked for (ASan catches a write past it).
struct PendingMsg {
    int family;
    uint8_t cmd;
    int dp_ifindex;
    std::vector<uint8_t> attrs;
};

static int msg_begin(int family, uint8_t cmd, int dp_ifindex, size_t len, ovsdp_genl_msg* m)
{
    if (k->msg_alloc_fails)
        return -12; // ENOMEM
    auto* p = new PendingMsg { family, cmd, dp_ifindex, std::vector<uint8_t>(len) };
    m->skb = p;
    m->hdr = nullptr;
    m->data = p->attrs.data();
    m->room = len;
    return 0;
}

static void msg_send(ovsdp_genl_msg* m, size_t len, bool notify, void* net)
{
    auto* p = static_cast<PendingMsg*>(m->skb);
    m->skb = nullptr;
    if (len > p->attrs.size())
        throw std::length_error("fake: message committed longer than its room");
    p->attrs.resize(len);
    std::lock_guard<std::mutex> g(k->sent_mu);
    k->sent.push_back({ p->family, p->cmd, p->dp_ifindex, notify, false, net, std::move(p->attrs) });
    delete p;
}

int ovsdp_genl_msg_begin(ovsdp_request* req, int family, uint8_t cmd, int dp_ifindex, size_t len, int notify,
                         ovsdp_genl_msg* m)
{
    (void)req;
    int rc = msg_begin(family, cmd, dp_ifindex, len, m);
    if (rc && notify)
        k->notify_errors++;
    return rc;
}

int ovsdp_genl_msg_send(ovsdp_request* req, int, ovsdp_genl_msg* m, size_t len, int notify)
{
    msg_send(m, len, notify != 0, req->net);
    return 0;
}

int ovsdp_genl_mcast_begin(int family, uint8_t cmd, int dp_ifindex, size_t len, ovsdp_genl_msg* m)
{
    return msg_begin(family, cmd, dp_ifindex, len, m);
}

int ovsdp_genl_msg_multicast(void* net, int, ovsdp_genl_msg* m, size_t len)
{
    msg_send(m, len, true, net);
    return 0;
}

void ovsdp_genl_msg_cancel(ovsdp_genl_msg* m)
{
    delete static_cast<PendingMsg*>(m->skb);
    m->skb = nullptr;
}

int ovsdp_genl_must_notify(ovsdp_request* req, int)
{
    return k->listeners || (req->nlmsg_flags & 0x8); // NLM_F_ECHO
}

// The dump skb: dump_capacity bytes, each message a 20-byte header (netlink
// and genl) and its attributes. The core writes into the skb's free room.
int ovsdp_dump_begin(ovsdp_dump* d, int family, uint8_t cmd, int dp_ifindex, ovsdp_genl_msg* m)
{
    constexpr size_t kHdr = 20;
    if (k->dump_used + kHdr > k->dump_capacity)
        return -90; // EMSGSIZE
    if (k->dump_skb.size() < k->dump_capacity)
        k->dump_skb.resize(k->dump_capacity);
    k->dump_pending = { family, cmd, dp_ifindex, d->net };
    m->skb = k->dump_skb.data();
    m->hdr = &k->dump_pending;
    m->data = k->dump_skb.data() + k->dump_used + kHdr;
    m->room = k->dump_capacity - k->dump_used - kHdr;
    k->dump_open = true;
    return 0;
}

void ovsdp_dump_commit(ovsdp_dump*, ovsdp_genl_msg* m, size_t len)
{
    if (!k->dump_open || len > m->room)
        throw std::logic_error("fake: dump message committed while not begun, or longer than its room");
    k->dump_open = false;
    k->dump_used += 20 + len;
    const Kernel::DumpPending& p = k->dump_pending;
    std::lock_guard<std::mutex> g(k->sent_mu);
    k->sent.push_back({ p.family, p.cmd, p.dp_ifindex, false, true, p.net, { m->data, m->data + len } });
}

void ovsdp_dump_cancel(ovsdp_dump*, ovsdp_genl_msg*)
{
    if (!k->dump_open)
        throw std::logic_error("fake: dump message cancelled while not begun");
    k->dump_open = false;
}

int ovsdp_dump_empty(const ovsdp_dump*) { return k->dump_used == 0; }

int ovsdp_internal_dev_create(void* vport, void* net, const char* name, int ifindex, void** dev,
                              const char** errmsg)
{
    auto* n = static_cast<Net*>(net);
    *dev = nullptr;
    if (k->find(n, name)) {
        *errmsg = "exists";
        return -17;
    }
    if (!*name || std::strlen(name) >= 16) {
        *errmsg = "bad name";
        return -22;
    }
    Device* d = k->add_netdev(n, name);
    d->internal = true;
    if (ifindex) {
        k->by_ifindex.erase(d->ifindex);
        d->ifindex = ifindex;
        k->by_ifindex[ifindex] = d;
    }
    d->vport = vport;
    *dev = d;
    return 0;
}

int ovsdp_netdev_attach(void* vport, void* net, const char* name, void* master, void** dev, const char** errmsg)
{
    *dev = nullptr;
    Device* d = k->find(static_cast<Net*>(net), name);
    if (!d) {
        *errmsg = "No network device with this name";
        return -19;
    }
    if (d->internal) {
        *errmsg = "internal";
        return -22;
    }
    if (d->hooked) {
        *errmsg = "busy";
        return -16;
    }
    d->hooked = true;
    d->vport = vport;
    d->master = static_cast<Device*>(master);
    d->refs++;
    *dev = d;
    return 0;
}

static bool g_batching = false;

void ovsdp_dev_batch_begin(void) { g_batching = true; }
void ovsdp_dev_batch_end(void) { g_batching = false; }

void ovsdp_internal_dev_destroy(void* dev)
{
    auto* d = static_cast<Device*>(dev);
    d->registered = false;
    d->vport = nullptr;
}

void ovsdp_netdev_detach(void* dev)
{
    auto* d = static_cast<Device*>(dev);
    d->hooked = false;
    d->master = nullptr;
}

void ovsdp_netdev_release(void* dev) { static_cast<Device*>(dev)->refs--; }

const char* ovsdp_dev_name(void* dev) { return static_cast<Device*>(dev)->name.c_str(); }
int ovsdp_dev_ifindex(void* dev) { return static_cast<Device*>(dev)->ifindex; }
void* ovsdp_dev_net(void* dev) { return static_cast<Device*>(dev)->net; }
void ovsdp_dev_get_stats(void*, ovsdp_dev_stats* s) { *s = { 1, 2, 3, 4, 5, 6, 7, 8 }; }
int ovsdp_net_peer_id(void* net, void* peer) { return net == peer ? -1 : static_cast<Net*>(peer)->id; }

void* ovsdp_vport_lookup_by_name(void* net, const char* name)
{
    Device* d = k->find(static_cast<Net*>(net), name);
    return d && (d->internal || d->hooked) ? d->vport : nullptr;
}

void* ovsdp_vport_lookup_by_ifindex(void* net, int ifindex)
{
    auto it = k->by_ifindex.find(ifindex);
    if (it == k->by_ifindex.end())
        return nullptr;
    Device* d = it->second;
    return d->net == net && d->registered && (d->internal || d->hooked) ? d->vport : nullptr;
}

void ovsdp_skb_free(void*) {}
unsigned int ovsdp_skb_len(void*) { return 0; }

} // extern "C"
