// SPDX-License-Identifier: Apache-2.0
// Parsing of flow keys and actions in ovs-dpctl 3.1's syntax.  Fields that
// are not given are wildcarded (mask 0), fields given without "/MASK" are
// exact; numbers take C's prefixes (0x hex, 0 octal) like scanf's %i.
#include <arpa/inet.h>
#include <linux/openvswitch.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cinttypes>
#include <cstdlib>
#include <cstring>
#include <endian.h>

#include "userspace-ctl/odp.h"

namespace ovsdp::ctl {
namespace {

constexpr std::string_view kDelimiters = ", \t\r\n";
constexpr int kMaxDepth = 32;

Error syntax_error(std::string_view at)
{
    Error e = Error::from_errno(EINVAL);
    e.detail = "syntax error at " + std::string(at);
    return e;
}

// A cursor over the text being parsed.
struct Scanner {
    std::string_view s;

    bool eat(std::string_view prefix)
    {
        if (s.starts_with(prefix)) {
            s.remove_prefix(prefix.size());
            return true;
        }
        return false;
    }
    char peek() const { return s.empty() ? '\0' : s[0]; }
};

// scanf("%i")-like: optional sign, 0x/0 prefixes.  Returns characters used
// (0 if none).
size_t scan_int(std::string_view s, long long* out)
{
    std::string tmp(s.substr(0, 64));
    const char* b = tmp.c_str();
    char* end = nullptr;
    errno = 0;
    long long v;
    if (!tmp.empty() && tmp[0] == '-') {
        v = std::strtoll(b, &end, 0);
    } else {
        v = static_cast<long long>(std::strtoull(b, &end, 0));
    }
    if (end == b || (!tmp.empty() && std::isspace(static_cast<unsigned char>(tmp[0])))) {
        return 0;
    }
    *out = v;
    return static_cast<size_t>(end - b);
}

template <typename T>
bool scan_num(Scanner& sc, T* out)
{
    long long v;
    size_t n = scan_int(sc.s, &v);
    if (!n) {
        return false;
    }
    *out = static_cast<T>(v);
    sc.s.remove_prefix(n);
    return true;
}

// VALUE[/MASK] of an integer field: missing mask = all ones.
template <typename T>
bool scan_masked(Scanner& sc, T* key, T* mask)
{
    if (!scan_num(sc, key)) {
        return false;
    }
    if (mask) {
        Scanner save = sc;
        if (!(sc.eat("/") && scan_num(sc, mask))) {
            sc = save;
            *mask = static_cast<T>(~T{0});
        }
    }
    return true;
}

bool scan_eth_addr(Scanner& sc, uint8_t* out)
{
    unsigned b[6];
    int n = 0;
    std::string tmp(sc.s.substr(0, 40));
    if (std::sscanf(tmp.c_str(), "%x:%x:%x:%x:%x:%x%n", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
                    &n) != 6 || n == 0 || std::isspace(static_cast<unsigned char>(tmp[0]))) {
        return false;
    }
    for (int i = 0; i < 6; i++) {
        out[i] = static_cast<uint8_t>(b[i]);
    }
    sc.s.remove_prefix(n);
    return true;
}

bool scan_ipv4_addr(Scanner& sc, uint8_t* out)
{
    unsigned b[4];
    int n = 0;
    std::string tmp(sc.s.substr(0, 40));
    if (std::sscanf(tmp.c_str(), "%u.%u.%u.%u%n", &b[0], &b[1], &b[2], &b[3], &n) != 4 || n == 0 ||
        std::isspace(static_cast<unsigned char>(tmp[0]))) {
        return false;
    }
    for (int i = 0; i < 4; i++) {
        out[i] = static_cast<uint8_t>(b[i]);
    }
    sc.s.remove_prefix(n);
    return true;
}

bool scan_ipv6_addr(Scanner& sc, uint8_t* out)
{
    size_t n = sc.s.find_first_not_of("0123456789abcdefABCDEF:.");
    if (n == std::string_view::npos) {
        n = sc.s.size();
    }
    if (n == 0 || n > 46) {
        return false;
    }
    std::string tmp(sc.s.substr(0, n));
    if (inet_pton(AF_INET6, tmp.c_str(), out) != 1) {
        return false;
    }
    sc.s.remove_prefix(n);
    return true;
}

enum class Kind { eth, ipv4, ipv6, u8, be16, be32, label, frag };

struct Field {
    const char* name;  // with '='
    uint8_t offset;
    Kind kind;
};

// Parses one field value (and mask) at 'k'/'m' (m may be null).
bool scan_field(Scanner& sc, Kind kind, uint8_t* k, uint8_t* m)
{
    switch (kind) {
    case Kind::eth:
    case Kind::ipv4:
    case Kind::ipv6: {
        auto one = [&](uint8_t* out) {
            return kind == Kind::eth ? scan_eth_addr(sc, out)
                   : kind == Kind::ipv4 ? scan_ipv4_addr(sc, out)
                                        : scan_ipv6_addr(sc, out);
        };
        size_t n = kind == Kind::eth ? 6 : kind == Kind::ipv4 ? 4 : 16;
        if (!one(k)) {
            return false;
        }
        if (m) {
            Scanner save = sc;
            if (!(sc.eat("/") && one(m))) {
                sc = save;
                std::memset(m, 0xff, n);
            }
        }
        return true;
    }
    case Kind::u8: {
        uint8_t key, mask;
        if (!scan_masked<uint8_t>(sc, &key, m ? &mask : nullptr)) {
            return false;
        }
        *k = key;
        if (m) {
            *m = mask;
        }
        return true;
    }
    case Kind::be16: {
        uint16_t key, mask;
        if (!scan_masked<uint16_t>(sc, &key, m ? &mask : nullptr)) {
            return false;
        }
        key = htons(key);
        std::memcpy(k, &key, 2);
        if (m) {
            mask = htons(mask);
            std::memcpy(m, &mask, 2);
        }
        return true;
    }
    case Kind::be32: {
        uint32_t key, mask;
        if (!scan_masked<uint32_t>(sc, &key, m ? &mask : nullptr)) {
            return false;
        }
        key = htonl(key);
        std::memcpy(k, &key, 4);
        if (m) {
            mask = htonl(mask);
            std::memcpy(m, &mask, 4);
        }
        return true;
    }
    case Kind::label: {
        // 20 bits; the default mask is the 20 label bits, as OVS has it.
        uint32_t key, mask = 0xfffff;
        if (!scan_num(sc, &key) || (key & ~0xfffffu)) {
            return false;
        }
        Scanner save = sc;
        if (m && !(sc.eat("/") && scan_num(sc, &mask) && !(mask & ~0xfffffu))) {
            sc = save;
            mask = 0xfffff;
        }
        key = htonl(key);
        std::memcpy(k, &key, 4);
        if (m) {
            mask = htonl(mask);
            std::memcpy(m, &mask, 4);
        }
        return true;
    }
    case Kind::frag: {
        size_t n = 0;
        while (n < sc.s.size() && n < 7 && sc.s[n] >= 'a' && sc.s[n] <= 'z') {
            n++;
        }
        std::string_view w = sc.s.substr(0, n);
        uint8_t v;
        if (w == "no") {
            v = OVS_FRAG_TYPE_NONE;
        } else if (w == "first") {
            v = OVS_FRAG_TYPE_FIRST;
        } else if (w == "later") {
            v = OVS_FRAG_TYPE_LATER;
        } else {
            return false;
        }
        *k = v;
        if (m) {
            *m = 0xff;
        }
        sc.s.remove_prefix(n);
        return true;
    }
    }
    return false;
}

constexpr Field kEth[] = {{"src=", 0, Kind::eth}, {"dst=", 6, Kind::eth}};
constexpr Field kIpv4[] = {{"src=", 0, Kind::ipv4}, {"dst=", 4, Kind::ipv4},
                           {"proto=", 8, Kind::u8}, {"tos=", 9, Kind::u8},
                           {"ttl=", 10, Kind::u8}, {"frag=", 11, Kind::frag}};
constexpr Field kIpv6[] = {{"src=", 0, Kind::ipv6}, {"dst=", 16, Kind::ipv6},
                           {"label=", 32, Kind::label}, {"proto=", 36, Kind::u8},
                           {"tclass=", 37, Kind::u8}, {"hlimit=", 38, Kind::u8},
                           {"frag=", 39, Kind::frag}};
constexpr Field kPorts[] = {{"src=", 0, Kind::be16}, {"dst=", 2, Kind::be16}};
constexpr Field kIcmp[] = {{"type=", 0, Kind::u8}, {"code=", 1, Kind::u8}};
constexpr Field kArp[] = {{"sip=", 0, Kind::ipv4}, {"tip=", 4, Kind::ipv4}, {"op=", 8, Kind::be16},
                          {"sha=", 10, Kind::eth}, {"tha=", 16, Kind::eth}};
constexpr Field kNd[] = {{"target=", 0, Kind::ipv6}, {"sll=", 16, Kind::eth},
                         {"tll=", 22, Kind::eth}};

struct StructSyntax {
    const char* name;  // with '('
    uint16_t type;
    size_t size;
    std::span<const Field> fields;
};

const StructSyntax kStructs[] = {
    {"eth(", OVS_KEY_ATTR_ETHERNET, 12, kEth},
    {"ipv4(", OVS_KEY_ATTR_IPV4, 12, kIpv4},
    {"ipv6(", OVS_KEY_ATTR_IPV6, 40, kIpv6},
    {"tcp(", OVS_KEY_ATTR_TCP, 4, kPorts},
    {"udp(", OVS_KEY_ATTR_UDP, 4, kPorts},
    {"sctp(", OVS_KEY_ATTR_SCTP, 4, kPorts},
    {"icmp(", OVS_KEY_ATTR_ICMP, 2, kIcmp},
    {"icmpv6(", OVS_KEY_ATTR_ICMPV6, 2, kIcmp},
    {"arp(", OVS_KEY_ATTR_ARP, 24, kArp},
    {"nd(", OVS_KEY_ATTR_ND, 28, kNd},
};

// OVS's parse_flags() up to the closing ')': "N/M" numbers, "+a-b" masked
// names, or "a|b" (mask all ones, i.e. UINT32_MAX).  Returns false on
// an unknown flag.
bool scan_flags(Scanner& sc, const char* (*name)(uint32_t), uint32_t allowed, uint32_t* flags,
                uint32_t* mask)
{
    {
        Scanner t = sc;
        uint32_t f, m;
        if (scan_num(t, &f) && t.eat("/") && scan_num(t, &m)) {
            if ((f & ~allowed) || (m & ~allowed)) {
                return false;
            }
            *flags = f;
            *mask = m;
            sc = t;
            return true;
        }
    }
    if (sc.peek() == '+' || sc.peek() == '-') {
        uint32_t f = 0, m = 0;
        while (sc.peek() != ')') {
            bool set = sc.peek() == '+';
            if (!set && sc.peek() != '-') {
                return false;
            }
            sc.s.remove_prefix(1);
            uint32_t bit;
            for (bit = 1; bit; bit <<= 1) {
                const char* n = name(bit);
                if (!n) {
                    continue;
                }
                size_t len = std::strlen(n);
                if (!sc.s.starts_with(n) || (sc.s.size() > len && sc.s[len] != '+' &&
                                             sc.s[len] != '-' && sc.s[len] != ')')) {
                    continue;
                }
                if ((m & bit) || !(bit & allowed)) {
                    return false;
                }
                if (set) {
                    f |= bit;
                }
                m |= bit;
                sc.s.remove_prefix(len);
                break;
            }
            if (!bit) {
                return false;
            }
        }
        *flags = f;
        *mask = m;
        return true;
    }
    uint32_t result = 0;
    while (sc.peek() != ')') {
        if (sc.s.empty()) {
            return false;
        }
        long long v;
        if (size_t n = scan_int(sc.s, &v)) {
            if (static_cast<uint64_t>(v) & ~static_cast<uint64_t>(allowed)) {
                return false;
            }
            result |= static_cast<uint32_t>(v);
            sc.s.remove_prefix(n);
            sc.eat("|");
            continue;
        }
        uint32_t bit;
        for (bit = 1; bit; bit <<= 1) {
            const char* n = name(bit);
            if (!n) {
                continue;
            }
            size_t len = std::strlen(n);
            if (sc.s.starts_with(n) && sc.s.size() > len && (sc.s[len] == '|' || sc.s[len] == ')')) {
                if (!(bit & allowed)) {
                    return false;
                }
                result |= bit;
                sc.s.remove_prefix(len);
                sc.eat("|");
                break;
            }
        }
        if (!bit) {
            return false;
        }
    }
    *flags = result;
    *mask = UINT32_MAX;
    return true;
}

struct KeyParser {
    const PortNumbers* ports;
    int depth = 0;

    // Parses one attribute at the start of 'sc' into key and mask (mask may
    // be null, as inside set()).
    Status attr(Scanner& sc, Bytes& key, Bytes* mask);
};

template <typename T>
void put_pair(Bytes& key, Bytes* mask, uint16_t type, const T& k, const T& m)
{
    put_attr(key, type, {reinterpret_cast<const uint8_t*>(&k), sizeof k});
    if (mask) {
        put_attr(*mask, type, {reinterpret_cast<const uint8_t*>(&m), sizeof m});
    }
}

// NAME(VALUE[/MASK]) for a single integer.
template <typename T>
bool single(Scanner& sc, const char* name, uint16_t type, bool be, Bytes& key, Bytes* mask,
            Status* st)
{
    Scanner t = sc;
    if (!t.eat(name)) {
        return false;
    }
    T k{}, m{};
    if (!scan_masked<T>(t, &k, mask ? &m : nullptr) || !t.eat(")")) {
        *st = syntax_error(sc.s);
        return true;
    }
    if (be) {
        if constexpr (sizeof(T) == 2) {
            k = htons(k);
            m = htons(m);
        } else if constexpr (sizeof(T) == 4) {
            k = htonl(k);
            m = htonl(m);
        }
    }
    put_pair(key, mask, type, k, m);
    sc = t;
    *st = Status::success();
    return true;
}

// Tunnel flags "flags(df|csum|key|oam)" -> flag attributes.
const char* tnl_flag_name(uint32_t bit)
{
    switch (bit) {
    case 1: return "oam";
    case 2: return "df";
    case 4: return "csum";
    case 8: return "key";
    default: return nullptr;
    }
}

Status parse_tunnel(Scanner& sc, Bytes& key, Bytes* mask)
{
    std::string_view start = sc.s;
    size_t kn = begin_nest(key, OVS_KEY_ATTR_TUNNEL);
    size_t mn = mask ? begin_nest(*mask, OVS_KEY_ATTR_TUNNEL) : 0;
    struct TField {
        const char* name;
        uint16_t type;
        int kind;  // 0 be64, 1 ipv4, 2 ipv6, 3 u8, 4 be16
    };
    static constexpr TField fields[] = {
        {"tun_id=", OVS_TUNNEL_KEY_ATTR_ID, 0},        {"src=", OVS_TUNNEL_KEY_ATTR_IPV4_SRC, 1},
        {"dst=", OVS_TUNNEL_KEY_ATTR_IPV4_DST, 1},     {"ipv6_src=", OVS_TUNNEL_KEY_ATTR_IPV6_SRC, 2},
        {"ipv6_dst=", OVS_TUNNEL_KEY_ATTR_IPV6_DST, 2}, {"tos=", OVS_TUNNEL_KEY_ATTR_TOS, 3},
        {"ttl=", OVS_TUNNEL_KEY_ATTR_TTL, 3},          {"tp_src=", OVS_TUNNEL_KEY_ATTR_TP_SRC, 4},
        {"tp_dst=", OVS_TUNNEL_KEY_ATTR_TP_DST, 4},
    };
    while (sc.peek() != ')') {
        bool matched = false;
        for (const TField& f : fields) {
            if (!sc.eat(f.name)) {
                continue;
            }
            matched = true;
            uint8_t k[16] = {}, m[16];
            std::memset(m, 0xff, sizeof m);
            size_t n = 0;
            bool ok = false;
            switch (f.kind) {
            case 0: {
                uint64_t kv = 0, mv = 0;
                ok = scan_masked<uint64_t>(sc, &kv, &mv);
                kv = htobe64(kv);
                mv = htobe64(mv);
                std::memcpy(k, &kv, 8);
                std::memcpy(m, &mv, 8);
                n = 8;
                break;
            }
            case 1: ok = scan_field(sc, Kind::ipv4, k, m); n = 4; break;
            case 2: ok = scan_field(sc, Kind::ipv6, k, m); n = 16; break;
            case 3: ok = scan_field(sc, Kind::u8, k, m); n = 1; break;
            case 4: ok = scan_field(sc, Kind::be16, k, m); n = 2; break;
            }
            if (!ok) {
                return syntax_error(start);
            }
            put_attr(key, f.type, {k, n});
            if (mask) {
                put_attr(*mask, f.type, {m, n});
            }
            break;
        }
        if (!matched && sc.eat("flags(")) {
            matched = true;
            uint32_t fl, fm;
            if (!scan_flags(sc, tnl_flag_name, 15, &fl, &fm) || !sc.eat(")")) {
                return syntax_error(start);
            }
            static constexpr std::pair<uint32_t, uint16_t> bits[] = {
                {2, OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT},
                {4, OVS_TUNNEL_KEY_ATTR_CSUM},
                {1, OVS_TUNNEL_KEY_ATTR_OAM},
            };
            for (auto [bit, type] : bits) {
                if (fl & bit) {
                    put_attr(key, type, {});
                }
                if (mask && (fm & bit)) {
                    put_attr(*mask, type, {});
                }
            }
        }
        if (!matched) {
            return syntax_error(start);
        }
        sc.eat(",");
    }
    sc.eat(")");
    end_nest(key, kn);
    if (mask) {
        end_nest(*mask, mn);
    }
    return Status::success();
}

Status KeyParser::attr(Scanner& sc, Bytes& key, Bytes* mask)
{
    if (++depth > kMaxDepth) {
        depth--;
        return syntax_error(sc.s);
    }
    struct DepthGuard {
        int& d;
        ~DepthGuard() { d--; }
    } guard{depth};

    std::string_view start = sc.s;
    Status st;
    if (single<uint32_t>(sc, "skb_priority(", OVS_KEY_ATTR_PRIORITY, false, key, mask, &st) ||
        single<uint32_t>(sc, "skb_mark(", OVS_KEY_ATTR_SKB_MARK, false, key, mask, &st) ||
        single<uint32_t>(sc, "recirc_id(", OVS_KEY_ATTR_RECIRC_ID, false, key, mask, &st) ||
        single<uint32_t>(sc, "dp_hash(", OVS_KEY_ATTR_DP_HASH, false, key, mask, &st) ||
        single<uint16_t>(sc, "ct_zone(", OVS_KEY_ATTR_CT_ZONE, false, key, mask, &st) ||
        single<uint32_t>(sc, "ct_mark(", OVS_KEY_ATTR_CT_MARK, false, key, mask, &st) ||
        single<uint16_t>(sc, "eth_type(", OVS_KEY_ATTR_ETHERTYPE, true, key, mask, &st)) {
        return st;
    }
    if (sc.s.starts_with("in_port(")) {
        if (ports) {
            std::string_view name = sc.s.substr(8);
            name = name.substr(0, name.find(')'));
            if (auto it = ports->find(std::string(name)); it != ports->end()) {
                put_pair<uint32_t>(key, mask, OVS_KEY_ATTR_IN_PORT, it->second, UINT32_MAX);
                sc.s.remove_prefix(8 + name.size() + (sc.s.size() > 8 + name.size() ? 1 : 0));
                return Status::success();
            }
        }
        if (single<uint32_t>(sc, "in_port(", OVS_KEY_ATTR_IN_PORT, false, key, mask, &st)) {
            return st;
        }
    }
    if (sc.eat("ct_label(")) {
        // A 128-bit number in hex, kept in host order like OVS's ovs_u128.
        auto scan128 = [&](uint8_t* out) {
            sc.eat("0x");
            size_t n = 0;
            while (n < sc.s.size() && std::isxdigit(static_cast<unsigned char>(sc.s[n]))) {
                n++;
            }
            if (!n || n > 32) {
                return false;
            }
            std::string hex(32 - n, '0');
            hex += sc.s.substr(0, n);
            for (int i = 0; i < 16; i++) {
                out[15 - i] = static_cast<uint8_t>(std::stoul(hex.substr(i * 2, 2), nullptr, 16));
            }
            sc.s.remove_prefix(n);
            return true;
        };
        std::array<uint8_t, 16> k{}, m;
        m.fill(0xff);
        if (!scan128(k.data()) || (sc.eat("/") && !scan128(m.data())) || !sc.eat(")")) {
            return syntax_error(start);
        }
        put_pair(key, mask, OVS_KEY_ATTR_CT_LABELS, k, m);
        return Status::success();
    }
    if (sc.eat("ct_state(")) {
        uint32_t f, m;
        if (!scan_flags(sc, ct_state_name, 0xff, &f, &m) || !sc.eat(")")) {
            return syntax_error(start);
        }
        put_pair(key, mask, OVS_KEY_ATTR_CT_STATE, f, m);
        return Status::success();
    }
    if (sc.eat("tcp_flags(")) {
        uint32_t f = 0, m = 0;
        if (!scan_flags(sc, tcp_flag_name, 0x0fff, &f, &m) || !sc.eat(")")) {
            return syntax_error(start);
        }
        uint16_t k16 = 0, m16 = 0;
        // OVS stores the result only if flags and mask fit in 16 bits, so a
        // plain "syn|ack" (mask UINT32_MAX) ends up wildcarded.
        if (f <= 0xffff && m <= 0xffff) {
            k16 = htons(static_cast<uint16_t>(f));
            m16 = htons(static_cast<uint16_t>(m));
        }
        put_pair(key, mask, OVS_KEY_ATTR_TCP_FLAGS, k16, m16);
        return Status::success();
    }
    for (const StructSyntax& ss : kStructs) {
        if (!sc.s.starts_with(ss.name)) {
            continue;
        }
        Scanner t = sc;
        t.eat(ss.name);
        uint8_t k[64] = {}, m[64] = {};
        while (t.peek() != ')') {
            const Field* field = nullptr;
            for (const Field& f : ss.fields) {
                if (t.s.starts_with(f.name)) {
                    field = &f;
                    break;
                }
            }
            if (!field) {
                return syntax_error(start);
            }
            t.eat(field->name);
            if (!scan_field(t, field->kind, k + field->offset, m + field->offset)) {
                return syntax_error(start);
            }
            t.eat(",");
        }
        t.eat(")");
        put_attr(key, ss.type, {k, ss.size});
        if (mask) {
            put_attr(*mask, ss.type, {m, ss.size});
        }
        sc = t;
        return Status::success();
    }
    if (sc.eat("vlan(")) {
        uint16_t tci = 0x1000, tmask = 0x1000;
        while (sc.peek() != ')') {
            uint16_t v, vm;
            if (sc.eat("vid=")) {
                if (!scan_masked<uint16_t>(sc, &v, &vm)) {
                    return syntax_error(start);
                }
                tci |= v & 0xfff;
                tmask |= vm & 0xfff;
            } else if (sc.eat("pcp=")) {
                if (!scan_masked<uint16_t>(sc, &v, &vm)) {
                    return syntax_error(start);
                }
                tci |= (v << 13) & 0xe000;
                tmask |= (vm << 13) & 0xe000;
            } else if (sc.eat("cfi=")) {
                if (!scan_masked<uint16_t>(sc, &v, &vm)) {
                    return syntax_error(start);
                }
                tci = v ? (tci | 0x1000) : (tci & ~0x1000);
                tmask = vm ? (tmask | 0x1000) : (tmask & ~0x1000);
            } else {
                return syntax_error(start);
            }
            sc.eat(",");
        }
        sc.eat(")");
        put_pair<uint16_t>(key, mask, OVS_KEY_ATTR_VLAN, htons(tci), htons(tmask));
        return Status::success();
    }
    if (sc.eat("mpls(")) {
        uint32_t k = 0, m = 0;
        while (sc.peek() != ')') {
            uint32_t v, vm;
            int shift;
            uint32_t bits;
            if (sc.eat("label=")) {
                shift = 12;
                bits = 0xfffff;
            } else if (sc.eat("tc=")) {
                shift = 9;
                bits = 7;
            } else if (sc.eat("ttl=")) {
                shift = 0;
                bits = 0xff;
            } else if (sc.eat("bos=")) {
                shift = 8;
                bits = 1;
            } else {
                return syntax_error(start);
            }
            if (!scan_masked<uint32_t>(sc, &v, &vm)) {
                return syntax_error(start);
            }
            k |= (v & bits) << shift;
            m |= (vm & bits) << shift;
            sc.eat(",");
        }
        sc.eat(")");
        put_pair<uint32_t>(key, mask, OVS_KEY_ATTR_MPLS, htonl(k), htonl(m));
        return Status::success();
    }
    if (sc.eat("tunnel(")) {
        Status ts = parse_tunnel(sc, key, mask);
        return ts.ok() ? ts : syntax_error(start);
    }
    if (sc.eat("encap(")) {
        size_t kn = begin_nest(key, OVS_KEY_ATTR_ENCAP);
        size_t mn = mask ? begin_nest(*mask, OVS_KEY_ATTR_ENCAP) : 0;
        for (;;) {
            size_t skip = sc.s.find_first_not_of(kDelimiters);
            sc.s.remove_prefix(skip == std::string_view::npos ? sc.s.size() : skip);
            if (sc.s.empty()) {
                return syntax_error(start);
            }
            if (sc.peek() == ')') {
                break;
            }
            OVSDP_TRY(attr(sc, key, mask));
        }
        sc.eat(")");
        end_nest(key, kn);
        if (mask) {
            end_nest(*mask, mn);
        }
        return Status::success();
    }
    return syntax_error(start);
}

// ---------------------------------------------------------------------------
// Actions
// ---------------------------------------------------------------------------
struct ActionParser {
    int depth = 0;
    Status action(Scanner& sc, Bytes& out);
    Status list_until_paren(Scanner& sc, Bytes& out);
};

Error action_error()
{
    return Error::from_errno(EINVAL);
}

bool is_delim(char c)
{
    return c == '\0' || kDelimiters.find(c) != std::string_view::npos;
}

// Actions up to the matching ')', which is consumed.
Status ActionParser::list_until_paren(Scanner& sc, Bytes& out)
{
    for (;;) {
        size_t skip = sc.s.find_first_not_of(kDelimiters);
        sc.s.remove_prefix(skip == std::string_view::npos ? sc.s.size() : skip);
        if (sc.s.empty()) {
            return action_error();
        }
        if (sc.eat(")")) {
            return Status::success();
        }
        OVSDP_TRY(action(sc, out));
        if (!is_delim(sc.peek()) && sc.peek() != ')') {
            return action_error();
        }
    }
}

Status ActionParser::action(Scanner& sc, Bytes& out)
{
    if (++depth > kMaxDepth) {
        depth--;
        return action_error();
    }
    struct DepthGuard {
        int& d;
        ~DepthGuard() { d--; }
    } guard{depth};

    // A bare port number.
    if (std::isdigit(static_cast<unsigned char>(sc.peek()))) {
        uint32_t port;
        if (!scan_num(sc, &port)) {
            return action_error();
        }
        put_u32_attr(out, OVS_ACTION_ATTR_OUTPUT, port);
        return Status::success();
    }
    // recirc() and meter() take decimal only (OVS scans them with %u).
    auto u32_action = [&](const char* name, uint16_t type, bool decimal) -> std::optional<Status> {
        if (!sc.s.starts_with(name)) {
            return std::nullopt;
        }
        Scanner t = sc;
        t.eat(name);
        uint32_t v;
        if (decimal && t.s.starts_with("0x")) {
            return Status(action_error());
        }
        if (!scan_num(t, &v) || !t.eat(")")) {
            return Status(action_error());
        }
        put_u32_attr(out, type, v);
        sc = t;
        return Status::success();
    };
    if (auto st = u32_action("recirc(", OVS_ACTION_ATTR_RECIRC, true)) return *st;
    if (auto st = u32_action("trunc(", OVS_ACTION_ATTR_TRUNC, false)) return *st;
    if (auto st = u32_action("meter(", OVS_ACTION_ATTR_METER, true)) return *st;
    if (sc.s.starts_with("drop") && (sc.s.size() == 4 || is_delim(sc.s[4]) || sc.s[4] == ')')) {
        // OVS 3.1's DROP action is unknown to Linux 6.1: an empty list is
        // how a kernel flow drops.
        sc.s.remove_prefix(4);
        return Status::success();
    }
    if (sc.eat("ct(")) {
        // Conntrack (stock kernel only): commit, force_commit, zone=N.
        bool commit = false, force = false;
        std::optional<uint16_t> zone;
        while (!sc.eat(")")) {
            if (sc.eat("commit")) {
                commit = true;
            } else if (sc.eat("force_commit")) {
                force = true;
            } else if (sc.eat("zone=")) {
                uint16_t z;
                if (!scan_num(sc, &z)) {
                    return action_error();
                }
                zone = z;
            } else {
                return action_error();
            }
            if (!sc.eat(",") && sc.peek() != ')') {
                return action_error();
            }
        }
        size_t n = begin_nest(out, OVS_ACTION_ATTR_CT);
        if (commit) {
            put_attr(out, OVS_CT_ATTR_COMMIT, {});
        }
        if (force) {
            put_attr(out, OVS_CT_ATTR_FORCE_COMMIT, {});
        }
        if (zone) {
            put_attr(out, OVS_CT_ATTR_ZONE, {reinterpret_cast<const uint8_t*>(&*zone), 2});
        }
        end_nest(out, n);
        return Status::success();
    }
    if (sc.eat("pop_vlan")) {
        put_attr(out, OVS_ACTION_ATTR_POP_VLAN, {});
        return Status::success();
    }
    if (sc.eat("pop_eth")) {
        put_attr(out, OVS_ACTION_ATTR_POP_ETH, {});
        return Status::success();
    }
    if (sc.eat("ct_clear")) {
        put_attr(out, OVS_ACTION_ATTR_CT_CLEAR, {});
        return Status::success();
    }
    if (sc.eat("push_vlan(")) {
        uint32_t tpid = 0x8100, vid = 0, pcp = 0, cfi = 1;
        if (sc.eat("tpid=")) {
            if (!scan_num(sc, &tpid) || !sc.eat(",")) {
                return action_error();
            }
        }
        if (!sc.eat("vid=") || !scan_num(sc, &vid) || !sc.eat(",pcp=") || !scan_num(sc, &pcp)) {
            return action_error();
        }
        if (sc.eat(",cfi=") && !scan_num(sc, &cfi)) {
            return action_error();
        }
        if (!sc.eat(")")) {
            return action_error();
        }
        uint16_t tci = static_cast<uint16_t>((vid & 0xfff) | ((pcp << 13) & 0xe000) | (cfi ? 0x1000 : 0));
        uint16_t v[2] = {htons(static_cast<uint16_t>(tpid)), htons(tci)};
        put_attr(out, OVS_ACTION_ATTR_PUSH_VLAN, {reinterpret_cast<const uint8_t*>(v), 4});
        return Status::success();
    }
    if (sc.eat("pop_mpls(eth_type=")) {
        uint16_t et;
        if (!scan_num(sc, &et) || !sc.eat(")")) {
            return action_error();
        }
        et = htons(et);
        put_attr(out, OVS_ACTION_ATTR_POP_MPLS, {reinterpret_cast<const uint8_t*>(&et), 2});
        return Status::success();
    }
    // Actions ovs-dpctl 3.1 cannot express (ovsdp-ctl extensions), in the
    // form OVS prints them.
    if (sc.eat("push_mpls(") || sc.s.starts_with("add_mpls(")) {
        bool add = sc.eat("add_mpls(");
        uint32_t label, tc, ttl, bos;
        uint16_t et;
        if (!(sc.eat("label=") && scan_num(sc, &label) && sc.eat(",tc=") && scan_num(sc, &tc) &&
              sc.eat(",ttl=") && scan_num(sc, &ttl) && sc.eat(",bos=") && scan_num(sc, &bos) &&
              sc.eat(",eth_type=") && scan_num(sc, &et) && sc.eat(")"))) {
            return action_error();
        }
        uint32_t lse = htonl(((label & 0xfffff) << 12) | ((tc & 7) << 9) | ((bos & 1) << 8) |
                             (ttl & 0xff));
        uint8_t buf[8] = {};
        std::memcpy(buf, &lse, 4);
        et = htons(et);
        std::memcpy(buf + 4, &et, 2);
        // Both structs are 8 bytes: push_mpls's is padded after the ethertype,
        // add_mpls's has tun_flags there (0: the label goes before the
        // Ethernet header, which becomes payload, as upstream does).
        put_attr(out, add ? OVS_ACTION_ATTR_ADD_MPLS : OVS_ACTION_ATTR_PUSH_MPLS, {buf, size_t{8}});
        return Status::success();
    }
    if (sc.eat("push_eth(src=")) {
        uint8_t buf[12];
        if (!(scan_eth_addr(sc, buf) && sc.eat(",dst=") && scan_eth_addr(sc, buf + 6) &&
              sc.eat(")"))) {
            return action_error();
        }
        put_attr(out, OVS_ACTION_ATTR_PUSH_ETH, buf);
        return Status::success();
    }
    if (sc.eat("hash(")) {
        uint32_t v[2];
        if (sc.eat("l4(")) {
            v[0] = OVS_HASH_ALG_L4;
        } else if (sc.eat("sym_l4(")) {
            v[0] = OVS_HASH_ALG_L4 + 1;  // OVS_HASH_ALG_SYM_L4
        } else {
            return action_error();
        }
        if (!scan_num(sc, &v[1]) || !sc.eat("))")) {
            return action_error();
        }
        put_attr(out, OVS_ACTION_ATTR_HASH, {reinterpret_cast<const uint8_t*>(v), 8});
        return Status::success();
    }
    if (sc.eat("dec_ttl(le_1(")) {
        size_t n = begin_nest(out, OVS_ACTION_ATTR_DEC_TTL);
        size_t an = begin_nest(out, OVS_DEC_TTL_ATTR_ACTION);
        OVSDP_TRY(list_until_paren(sc, out));
        end_nest(out, an);
        end_nest(out, n);
        if (!sc.eat(")")) {
            return action_error();
        }
        return Status::success();
    }
    if (sc.eat("userspace(pid=")) {
        uint32_t pid;
        if (!scan_num(sc, &pid)) {
            return action_error();
        }
        size_t n = begin_nest(out, OVS_ACTION_ATTR_USERSPACE);
        put_u32_attr(out, OVS_USERSPACE_ATTR_PID, pid);
        Bytes userdata;
        bool have_userdata = false;
        bool actions = false;
        std::optional<uint32_t> tun_port;
        // A typed cookie: the type, a zeroed header, then the type's fields
        // (see format_cookie()).
        auto cookie = [&](uint16_t type) {
            have_userdata = true;
            userdata.assign(kOvsCookieSize, 0);
            std::memcpy(userdata.data(), &type, 2);
            return userdata.data() + kOvsCookieUnion;
        };
        auto put32 = [](uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); };
        auto put16 = [](uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); };
        while (sc.eat(",")) {
            uint32_t v[7];
            if (sc.eat("sFlow(vid=")) {
                if (!(scan_num(sc, &v[0]) && sc.eat(",pcp=") && scan_num(sc, &v[1]) &&
                      sc.eat(",output=") && scan_num(sc, &v[2]) && sc.eat(")"))) {
                    return action_error();
                }
                uint16_t tci = static_cast<uint16_t>(v[0] | (v[1] << 13));
                if (tci) {
                    tci |= 0x1000;
                }
                uint8_t* u = cookie(kCookieSflow);
                put16(u, htons(tci));
                put32(u + 4, v[2]);
            } else if (sc.eat("slow_path(")) {
                static constexpr const char* reasons[] = {"cfm", "bfd", "lacp", "stp",
                                                          "lldp", "action", "match"};
                uint32_t flags = 0;
                while (!sc.eat(")")) {
                    bool found = false;
                    for (int i = 0; i < 7 && !found; i++) {
                        if (sc.eat(reasons[i])) {
                            flags |= 1u << i;
                            found = true;
                        }
                    }
                    // Reasons are joined with '|' (OVS prints them with ',').
                    if (!found || (!sc.eat("|") && sc.peek() != ')')) {
                        return action_error();
                    }
                }
                put32(cookie(kCookieSlowPath) + 4, flags);
            } else if (sc.eat("flow_sample(probability=")) {
                if (!(scan_num(sc, &v[0]) && sc.eat(",collector_set_id=") && scan_num(sc, &v[1]) &&
                      sc.eat(",obs_domain_id=") && scan_num(sc, &v[2]) &&
                      sc.eat(",obs_point_id=") && scan_num(sc, &v[3]) &&
                      sc.eat(",output_port=") && scan_num(sc, &v[4]))) {
                    return action_error();
                }
                uint32_t dir = sc.eat(",ingress") ? 1 : sc.eat(",egress") ? 2 : 0;
                if (!sc.eat(")")) {
                    return action_error();
                }
                uint8_t* u = cookie(kCookieFlowSample);
                put16(u, static_cast<uint16_t>(v[0]));
                for (int i = 1; i < 5; i++) {
                    put32(u + 4 * i, v[i]);
                }
                put32(u + 20, dir);
            } else if (sc.eat("ipfix(output_port=")) {
                if (!(scan_num(sc, &v[0]) && sc.eat(")"))) {
                    return action_error();
                }
                put32(cookie(kCookieIpfix), v[0]);
            } else if (sc.eat("controller(reason=")) {
                uint64_t rule_cookie;
                if (!(scan_num(sc, &v[0]) && sc.eat(",dont_send=") && scan_num(sc, &v[1]) &&
                      sc.eat(",continuation=") && scan_num(sc, &v[2]) && sc.eat(",recirc_id=") &&
                      scan_num(sc, &v[3]) && sc.eat(",rule_cookie=") &&
                      scan_num(sc, &rule_cookie) && sc.eat(",controller_id=") &&
                      scan_num(sc, &v[4]) && sc.eat(",max_len=") && scan_num(sc, &v[5]) &&
                      sc.eat(")"))) {
                    return action_error();
                }
                uint8_t* u = cookie(kCookieController);
                u[0] = v[1] ? 1 : 0;
                u[1] = v[2] ? 1 : 0;
                put16(u + 2, static_cast<uint16_t>(v[0]));
                put32(u + 4, v[3]);
                uint64_t be = htobe64(rule_cookie);
                std::memcpy(u + 8, &be, 8);
                put16(u + 16, static_cast<uint16_t>(v[4]));
                put16(u + 18, static_cast<uint16_t>(v[5]));
            } else if (sc.eat("userdata(")) {
                have_userdata = true;
                while (sc.peek() != ')') {
                    if (sc.s.size() < 2 || !std::isxdigit(static_cast<unsigned char>(sc.s[0])) ||
                        !std::isxdigit(static_cast<unsigned char>(sc.s[1]))) {
                        return action_error();
                    }
                    userdata.push_back(static_cast<uint8_t>(
                        std::stoul(std::string(sc.s.substr(0, 2)), nullptr, 16)));
                    sc.s.remove_prefix(2);
                }
                sc.eat(")");
            } else if (sc.eat("actions")) {
                actions = true;
            } else if (sc.eat("tunnel_out_port=")) {
                uint32_t p;
                if (!scan_num(sc, &p)) {
                    return action_error();
                }
                tun_port = p;
            } else {
                return action_error();
            }
        }
        if (!sc.eat(")")) {
            return action_error();
        }
        if (!have_userdata) {
            // OVS 3.1 sends its (zeroed, 48-byte) cookie when none is given.
            userdata.assign(kOvsCookieSize, 0);
        } else if (userdata.size() < 8) {
            // Zero-padded to 8 bytes, for kernels before 3.10 (as OVS does).
            userdata.resize(8, 0);
        }
        put_attr(out, OVS_USERSPACE_ATTR_USERDATA, userdata);
        if (tun_port) {
            put_u32_attr(out, OVS_USERSPACE_ATTR_EGRESS_TUN_PORT, *tun_port);
        }
        if (actions) {
            put_attr(out, OVS_USERSPACE_ATTR_ACTIONS, {});
        }
        end_nest(out, n);
        return Status::success();
    }
    if (sc.eat("set(")) {
        Bytes key, mask;
        KeyParser kp{nullptr};
        Status st = kp.attr(sc, key, &mask);
        if (!st.ok() || !sc.eat(")")) {
            return action_error();
        }
        auto k = split_attrs(key);
        auto m = split_attrs(mask);
        if (k.size() != 1 || m.size() != 1) {
            return action_error();
        }
        // Not fully masked: a masked set, value then mask.
        if (k[0].type != OVS_KEY_ATTR_TUNNEL && k[0].data.size() == m[0].data.size() &&
            !std::all_of(m[0].data.begin(), m[0].data.end(), [](uint8_t b) { return b == 0xff; })) {
            size_t n = begin_nest(out, OVS_ACTION_ATTR_SET_MASKED);
            Bytes both(k[0].data.begin(), k[0].data.end());
            both.insert(both.end(), m[0].data.begin(), m[0].data.end());
            put_attr(out, k[0].type, both);
            end_nest(out, n);
        } else {
            size_t n = begin_nest(out, OVS_ACTION_ATTR_SET);
            out.insert(out.end(), key.begin(), key.end());
            end_nest(out, n);
        }
        return Status::success();
    }
    if (sc.eat("sample(sample=")) {
        std::string_view rest = sc.s;
        size_t pct_end = rest.find('%');
        if (pct_end == std::string_view::npos) {
            return action_error();
        }
        char* end = nullptr;
        std::string num(rest.substr(0, pct_end));
        double pct = std::strtod(num.c_str(), &end);
        if (end == num.c_str() || *end || pct < 0 || pct > 100) {
            return action_error();
        }
        sc.s.remove_prefix(pct_end + 1);
        if (!sc.eat(",actions(")) {
            return action_error();
        }
        uint32_t prob = static_cast<uint32_t>(pct / 100.0 * UINT32_MAX + 0.5);
        size_t n = begin_nest(out, OVS_ACTION_ATTR_SAMPLE);
        put_u32_attr(out, OVS_SAMPLE_ATTR_PROBABILITY, prob);
        size_t an = begin_nest(out, OVS_SAMPLE_ATTR_ACTIONS);
        OVSDP_TRY(list_until_paren(sc, out));
        end_nest(out, an);
        end_nest(out, n);
        if (!sc.eat(")")) {
            return action_error();
        }
        return Status::success();
    }
    if (sc.eat("clone(")) {
        size_t n = begin_nest(out, OVS_ACTION_ATTR_CLONE);
        OVSDP_TRY(list_until_paren(sc, out));
        end_nest(out, n);
        return Status::success();
    }
    if (sc.eat("check_pkt_len(size=")) {
        uint16_t size;
        if (!scan_num(sc, &size) || !sc.eat(",gt(")) {
            return action_error();
        }
        size_t n = begin_nest(out, OVS_ACTION_ATTR_CHECK_PKT_LEN);
        put_attr(out, OVS_CHECK_PKT_LEN_ATTR_PKT_LEN, {reinterpret_cast<const uint8_t*>(&size), 2});
        size_t gn = begin_nest(out, OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER);
        OVSDP_TRY(list_until_paren(sc, out));
        end_nest(out, gn);
        if (!sc.eat(",le(")) {
            return action_error();
        }
        size_t ln = begin_nest(out, OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL);
        OVSDP_TRY(list_until_paren(sc, out));
        end_nest(out, ln);
        end_nest(out, n);
        if (!sc.eat(")")) {
            return action_error();
        }
        return Status::success();
    }
    return action_error();
}

}  // namespace

Result<size_t> parse_ufid_prefix(std::string_view s, Bytes* ufid)
{
    if (!s.starts_with("ufid:")) {
        return size_t{0};
    }
    std::string_view rest = s.substr(5);
    std::string hex;
    size_t n = 0;
    while (n < rest.size() && (std::isxdigit(static_cast<unsigned char>(rest[n])) || rest[n] == '-')) {
        if (rest[n] != '-') {
            hex += rest[n];
        }
        n++;
    }
    if (hex.empty() || hex.size() > 32) {
        return Error::from_errno(EINVAL);
    }
    hex.insert(0, 32 - hex.size(), '0');
    // Four host-order 32-bit words, most significant first in the text.
    uint32_t w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = static_cast<uint32_t>(std::stoul(hex.substr(i * 8, 8), nullptr, 16));
    }
    ufid->resize(16);
    std::memcpy(ufid->data(), w, 16);
    n += 5;
    if (n < s.size() && (s[n] == ',' || s[n] == ' ')) {
        n++;
    }
    return n;
}

Result<ParsedKey> parse_flow_key(std::string_view s, const PortNumbers* ports)
{
    ParsedKey pk;
    KeyParser kp{ports};
    Scanner sc{s};
    for (;;) {
        size_t skip = sc.s.find_first_not_of(kDelimiters);
        sc.s.remove_prefix(skip == std::string_view::npos ? sc.s.size() : skip);
        if (sc.s.empty()) {
            return pk;
        }
        Bytes ufid;
        auto n = parse_ufid_prefix(sc.s, &ufid);
        if (!n.ok()) {
            return n.take_error();
        }
        sc.s.remove_prefix(*n);
        if (sc.s.empty()) {
            return pk;
        }
        OVSDP_TRY(kp.attr(sc, pk.key, &pk.mask));
    }
}

Result<Bytes> parse_actions(std::string_view s)
{
    Bytes out;
    std::string lower(s);
    for (char& c : lower) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (lower == "drop") {
        return out;
    }
    ActionParser ap;
    Scanner sc{s};
    for (;;) {
        size_t skip = sc.s.find_first_not_of(kDelimiters);
        sc.s.remove_prefix(skip == std::string_view::npos ? sc.s.size() : skip);
        if (sc.s.empty()) {
            return out;
        }
        OVSDP_TRY(ap.action(sc, out));
        if (!is_delim(sc.peek())) {
            return action_error();
        }
    }
}

}  // namespace ovsdp::ctl
