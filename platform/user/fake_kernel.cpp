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

int ovsdp_genl_reply(ovsdp_request* req, int family, uint8_t cmd, int dp_ifindex, const void* attrs, size_t len,
                     int notify)
{
    auto* p = static_cast<const uint8_t*>(attrs);
    std::lock_guard<std::mutex> g(k->sent_mu);
    k->sent.push_back({ family, cmd, dp_ifindex, notify != 0, false, req->net, { p, p + len } });
    return 0;
}

int ovsdp_genl_must_notify(ovsdp_request* req, int)
{
    return k->listeners || (req->nlmsg_flags & 0x8); // NLM_F_ECHO
}

int ovsdp_genl_multicast(void* net, int family, uint8_t cmd, int dp_ifindex, const void* attrs, size_t len)
{
    auto* p = static_cast<const uint8_t*>(attrs);
    std::lock_guard<std::mutex> g(k->sent_mu);
    k->sent.push_back({ family, cmd, dp_ifindex, true, false, net, { p, p + len } });
    return 0;
}

int ovsdp_dump_append(ovsdp_dump* d, int family, uint8_t cmd, int dp_ifindex, const void* attrs, size_t len)
{
    size_t need = 20 + len;
    std::lock_guard<std::mutex> g(k->sent_mu);
    if (k->dump_used + need > k->dump_capacity)
        return -90; // EMSGSIZE
    k->dump_used += need;
    auto* p = static_cast<const uint8_t*>(attrs);
    k->sent.push_back({ family, cmd, dp_ifindex, false, true, d->net, { p, p + len } });
    return 0;
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
