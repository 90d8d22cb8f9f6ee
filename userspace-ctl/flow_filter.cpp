// SPDX-License-Identifier: Apache-2.0
#include "userspace-ctl/flow_filter.h"

#include <arpa/inet.h>
#include <linux/openvswitch.h>

#include <cstdlib>
#include <cstring>
#include <map>

namespace ovsdp::ctl {
namespace {

enum class Val { u8, be16, be32, ipv4, ipv6, eth, port };

// A filter field and where the kernel key keeps it: the first of 'attrs'
// present in the (flattened) flow, at 'offset', 'size' bytes.
struct FieldDef {
    const char* names[3];
    Val val;
    uint16_t attrs[3];
    uint8_t offset[3];
    uint8_t size;
};

constexpr FieldDef kFields[] = {
    {{"in_port"}, Val::port, {OVS_KEY_ATTR_IN_PORT}, {0}, 4},
    {{"dl_src", "eth_src"}, Val::eth, {OVS_KEY_ATTR_ETHERNET}, {0}, 6},
    {{"dl_dst", "eth_dst"}, Val::eth, {OVS_KEY_ATTR_ETHERNET}, {6}, 6},
    {{"dl_type", "eth_type"}, Val::be16, {OVS_KEY_ATTR_ETHERTYPE}, {0}, 2},
    {{"nw_src", "ip_src"}, Val::ipv4, {OVS_KEY_ATTR_IPV4, OVS_KEY_ATTR_ARP}, {0, 0}, 4},
    {{"nw_dst", "ip_dst"}, Val::ipv4, {OVS_KEY_ATTR_IPV4, OVS_KEY_ATTR_ARP}, {4, 4}, 4},
    {{"nw_proto", "ip_proto"}, Val::u8, {OVS_KEY_ATTR_IPV4, OVS_KEY_ATTR_IPV6}, {8, 36}, 1},
    {{"nw_ttl"}, Val::u8, {OVS_KEY_ATTR_IPV4, OVS_KEY_ATTR_IPV6}, {10, 38}, 1},
    {{"nw_tos"}, Val::u8, {OVS_KEY_ATTR_IPV4, OVS_KEY_ATTR_IPV6}, {9, 37}, 1},
    {{"ipv6_src"}, Val::ipv6, {OVS_KEY_ATTR_IPV6}, {0}, 16},
    {{"ipv6_dst"}, Val::ipv6, {OVS_KEY_ATTR_IPV6}, {16}, 16},
    {{"tp_src", "tcp_src", "udp_src"}, Val::be16,
     {OVS_KEY_ATTR_TCP, OVS_KEY_ATTR_UDP, OVS_KEY_ATTR_SCTP}, {0, 0, 0}, 2},
    {{"tp_dst", "tcp_dst", "udp_dst"}, Val::be16,
     {OVS_KEY_ATTR_TCP, OVS_KEY_ATTR_UDP, OVS_KEY_ATTR_SCTP}, {2, 2, 2}, 2},
    {{"icmp_type", "icmpv6_type"}, Val::u8, {OVS_KEY_ATTR_ICMP, OVS_KEY_ATTR_ICMPV6}, {0, 0}, 1},
    {{"icmp_code", "icmpv6_code"}, Val::u8, {OVS_KEY_ATTR_ICMP, OVS_KEY_ATTR_ICMPV6}, {1, 1}, 1},
    {{"arp_op"}, Val::be16, {OVS_KEY_ATTR_ARP}, {8}, 2},
    {{"arp_sha"}, Val::eth, {OVS_KEY_ATTR_ARP}, {10}, 6},
    {{"arp_tha"}, Val::eth, {OVS_KEY_ATTR_ARP}, {16}, 6},
    {{"pkt_mark"}, Val::be32, {OVS_KEY_ATTR_SKB_MARK}, {0}, 4},
    {{"skb_priority"}, Val::be32, {OVS_KEY_ATTR_PRIORITY}, {0}, 4},
    {{"recirc_id"}, Val::be32, {OVS_KEY_ATTR_RECIRC_ID}, {0}, 4},
    {{"dp_hash"}, Val::be32, {OVS_KEY_ATTR_DP_HASH}, {0}, 4},
};

int field_index(std::string_view name)
{
    for (size_t i = 0; i < std::size(kFields); i++) {
        for (const char* n : kFields[i].names) {
            if (n && name == n) {
                return static_cast<int>(i);
            }
        }
    }
    return -1;
}

// Protocol shorthands: eth_type and, for some, nw_proto.
struct Shorthand {
    const char* name;
    uint16_t eth_type;
    int proto;  // -1: none
};
constexpr Shorthand kShorthands[] = {
    {"ip", 0x0800, -1},    {"ipv6", 0x86dd, -1},  {"icmp", 0x0800, 1},   {"icmp6", 0x86dd, 58},
    {"tcp", 0x0800, 6},    {"tcp6", 0x86dd, 6},   {"udp", 0x0800, 17},   {"udp6", 0x86dd, 17},
    {"sctp", 0x0800, 132}, {"sctp6", 0x86dd, 132}, {"arp", 0x0806, -1},  {"rarp", 0x8035, -1},
    {"mpls", 0x8847, -1},  {"mplsm", 0x8848, -1},
};

bool parse_number(std::string_view s, uint64_t* out)
{
    std::string t(s);
    char* end = nullptr;
    errno = 0;
    *out = std::strtoull(t.c_str(), &end, 0);
    return !t.empty() && !*end && !errno;
}

Error filter_error(std::string msg)
{
    Error e = Error::from_errno(EINVAL);
    e.detail = std::move(msg);
    return e;
}

// Value and mask bytes (network order) of "VALUE[/MASK]".
bool parse_value(const FieldDef& f, std::string_view text, const PortNumbers& ports,
                 std::vector<uint8_t>* v, std::vector<uint8_t>* m)
{
    v->assign(f.size, 0);
    m->assign(f.size, 0xff);
    size_t slash = text.find('/');
    std::string_view val = text.substr(0, slash);
    std::optional<std::string_view> mask;
    if (slash != std::string_view::npos) {
        mask = text.substr(slash + 1);
    }
    auto one = [&](std::string_view t, uint8_t* out) -> bool {
        uint64_t n;
        switch (f.val) {
        case Val::port:
            if (auto it = ports.find(std::string(t)); it != ports.end()) {
                n = it->second;
            } else if (!parse_number(t, &n)) {
                return false;
            }
            {
                uint32_t p = static_cast<uint32_t>(n);
                std::memcpy(out, &p, 4);
            }
            return true;
        case Val::u8:
            if (!parse_number(t, &n) || n > 0xff) return false;
            out[0] = static_cast<uint8_t>(n);
            return true;
        case Val::be16: {
            if (!parse_number(t, &n) || n > 0xffff) return false;
            uint16_t x = htons(static_cast<uint16_t>(n));
            std::memcpy(out, &x, 2);
            return true;
        }
        case Val::be32: {
            if (!parse_number(t, &n) || n > 0xffffffff) return false;
            uint32_t x = static_cast<uint32_t>(n);  // host order, like the kernel's u32 keys
            std::memcpy(out, &x, 4);
            return true;
        }
        case Val::ipv4:
            return inet_pton(AF_INET, std::string(t).c_str(), out) == 1;
        case Val::ipv6:
            return inet_pton(AF_INET6, std::string(t).c_str(), out) == 1;
        case Val::eth: {
            unsigned b[6];
            int used = 0;
            std::string s(t);
            if (std::sscanf(s.c_str(), "%x:%x:%x:%x:%x:%x%n", &b[0], &b[1], &b[2], &b[3], &b[4],
                            &b[5], &used) != 6 || static_cast<size_t>(used) != s.size()) {
                return false;
            }
            for (int i = 0; i < 6; i++) out[i] = static_cast<uint8_t>(b[i]);
            return true;
        }
        }
        return false;
    };
    if (!one(val, v->data())) {
        return false;
    }
    if (mask) {
        // A prefix length for addresses.
        uint64_t plen;
        if ((f.val == Val::ipv4 || f.val == Val::ipv6) && parse_number(*mask, &plen) &&
            plen <= f.size * 8u) {
            for (size_t i = 0; i < f.size; i++) {
                int bits = static_cast<int>(plen) - static_cast<int>(i * 8);
                (*m)[i] = bits >= 8 ? 0xff : bits <= 0 ? 0 : static_cast<uint8_t>(0xff << (8 - bits));
            }
        } else if (!one(*mask, m->data())) {
            return false;
        }
    }
    return true;
}

// The flow's attributes with the innermost encapsulation's winning, as
// OVS's struct flow sees them (dl_type is the inner Ethertype).
struct Flat {
    std::map<uint16_t, std::span<const uint8_t>> key, mask;
};

void flatten(std::span<const uint8_t> key, std::span<const uint8_t> mask, bool have_mask, Flat& out)
{
    for (const AttrView& a : split_attrs(key)) {
        if (a.type == OVS_KEY_ATTR_ENCAP) {
            // Without a mask for the encapsulation, all of it is wildcarded.
            auto m = have_mask ? find_attr(mask, OVS_KEY_ATTR_ENCAP) : std::nullopt;
            flatten(a.data, m ? m->data : std::span<const uint8_t>{}, have_mask, out);
            continue;
        }
        out.key[a.type] = a.data;
        if (have_mask) {
            auto m = find_attr(mask, a.type);
            out.mask[a.type] = m ? m->data : std::span<const uint8_t>{};
        } else {
            out.mask.erase(a.type);
        }
    }
}

}  // namespace

Result<FlowFilter> parse_flow_filter(const std::string& s, const PortNumbers& ports)
{
    FlowFilter ff;
    size_t pos = 0;
    auto add = [&](int field, std::vector<uint8_t> v, std::vector<uint8_t> m) {
        ff.terms.push_back(FilterTerm{field, std::move(v), std::move(m)});
    };
    while (pos <= s.size()) {
        size_t end = s.find_first_of(", \t", pos);
        std::string item = s.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        pos = end == std::string::npos ? s.size() + 1 : end + 1;
        if (item.empty()) {
            continue;
        }
        size_t eq = item.find_first_of("=:");
        std::string name = item.substr(0, eq);
        std::string value = eq == std::string::npos ? "" : item.substr(eq + 1);
        bool shorthand = false;
        for (const Shorthand& sh : kShorthands) {
            if (name == sh.name && eq == std::string::npos) {
                uint16_t et = htons(sh.eth_type);
                add(field_index("dl_type"), {reinterpret_cast<uint8_t*>(&et),
                                             reinterpret_cast<uint8_t*>(&et) + 2},
                    {0xff, 0xff});
                if (sh.proto >= 0) {
                    add(field_index("nw_proto"), {static_cast<uint8_t>(sh.proto)}, {0xff});
                }
                shorthand = true;
            }
        }
        if (shorthand) {
            continue;
        }
        int idx = field_index(name);
        if (idx < 0) {
            return filter_error(s + ": unknown field " + name);
        }
        if (eq == std::string::npos) {
            return filter_error("field " + name + " missing value");
        }
        std::vector<uint8_t> v, m;
        if (!parse_value(kFields[idx], value, ports, &v, &m)) {
            return filter_error(value + ": invalid value for " + name);
        }
        add(idx, std::move(v), std::move(m));
    }
    return ff;
}

bool flow_filter_matches(const FlowFilter& filter, const FlowInfo& flow)
{
    Flat flat;
    std::span<const uint8_t> mask;
    if (flow.mask) {
        mask = *flow.mask;
    }
    flatten(flow.key, mask, flow.mask.has_value(), flat);
    for (const FilterTerm& t : filter.terms) {
        const FieldDef& f = kFields[t.field];
        std::span<const uint8_t> kv, mv;
        bool found = false, exact = false;
        for (int i = 0; i < 3 && f.attrs[i]; i++) {
            auto k = flat.key.find(f.attrs[i]);
            if (k == flat.key.end() || k->second.size() < f.offset[i] + f.size) {
                continue;
            }
            kv = k->second.subspan(f.offset[i], f.size);
            auto m = flat.mask.find(f.attrs[i]);
            if (m == flat.mask.end()) {
                exact = !flow.mask.has_value();
            } else if (m->second.size() >= f.offset[i] + f.size) {
                mv = m->second.subspan(f.offset[i], f.size);
            }
            found = true;
            break;
        }
        if (!found) {
            continue;  // the flow does not match on it: wildcarded
        }
        for (size_t i = 0; i < f.size; i++) {
            uint8_t fm = exact ? 0xff : (mv.empty() ? 0 : mv[i]);
            if ((kv[i] ^ t.value[i]) & fm & t.mask[i]) {
                return false;
            }
        }
    }
    return true;
}

}  // namespace ovsdp::ctl
