// SPDX-License-Identifier: GPL-2.0
// A userspace stand-in for kmod/: network devices, namespaces and the
// genetlink sockets the datapath core talks to through platform/genl.h and
// platform/netdev.h. It records every message the core sends.
#pragma once

#include "base/netlink.h"
#include "base/ovs_abi.h"
#include "platform/genl.h"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace fake {

struct Net {
    int id;
};

struct Device {
    std::string name;
    int ifindex;
    Net* net;
    bool internal;
    void* vport = nullptr; // attached vport (rx handler data / internal priv)
    bool registered = true;
    bool hooked = false;
    Device* master = nullptr;
    int refs = 0;
};

struct Message {
    int family;
    uint8_t cmd;
    int dp_ifindex;
    bool notify;    // multicast (vs unicast reply)
    bool dump;
    void* net;
    std::vector<uint8_t> attrs;

    const ovsdp::NlAttr* attr(uint16_t type) const;
    uint32_t u32(uint16_t type) const;
    std::string str(uint16_t type) const;
};

struct Kernel {
    std::map<std::pair<Net*, std::string>, std::unique_ptr<Device>> devices;
    std::map<int, Device*> by_ifindex;
    std::vector<Message> sent;
    int next_ifindex = 10;
    size_t dump_capacity = 1 << 16; // bytes one dump skb holds
    size_t dump_used = 0;
    std::vector<uint8_t> dump_skb;   // the dump skb's bytes (grown to dump_capacity)
    struct DumpPending {
        int family;
        uint8_t cmd;
        int dp_ifindex;
        void* net;
    } dump_pending {};
    bool dump_open = false;          // a dump message is begun, not committed
    bool msg_alloc_fails = false;    // reply/notification allocations fail (ENOMEM)
    int notify_errors = 0;           // notifications lost (netlink_set_err)
    bool listeners = true; // the families' multicast groups have listeners
    // Held while a message is recorded: commands run concurrently under RCU
    // (flow GET and dump, EXECUTE's upcalls) or their own ovs_mutex.
    std::mutex sent_mu;

    Device* add_netdev(Net* net, const std::string& name);
    Device* find(Net* net, const std::string& name);
    // The device is unregistered (as the netdevice notifier sees it).
    void unregister(Net* net, const std::string& name);
    void reset()
    {
        std::lock_guard<std::mutex> g(sent_mu);
        sent.clear();
    }
    size_t live_devices() const;
};

extern Kernel* k;

// Build a request from attributes in a flat buffer (the fake of info->attrs).
struct Request {
    std::vector<uint8_t> buf;
    std::vector<const void*> table;
    ovsdp_request req {};

    // `capacity`: bytes of attributes it can hold (they must not move once
    // the table points at them; the default fits two 64 KiB ones).
    Request(Net* net, int maxattr, int dp_ifindex = 0, uint8_t version = 2, size_t capacity = 1 << 17);
    Request& put(uint16_t type, const void* data, size_t len);
    Request& u32(uint16_t type, uint32_t v) { return put(type, &v, 4); }
    Request& str(uint16_t type, const std::string& s) { return put(type, s.c_str(), s.size() + 1); }
    ovsdp_request* finish();
};

} // namespace fake
