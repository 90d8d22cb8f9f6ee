// SPDX-License-Identifier: Apache-2.0
// Flow keys and actions as text, in ovs-dpctl 3.1's syntax.  Written from
// the behaviour of Debian's ovs-dpctl (checked in the VM), not from its code.
#include "userspace-ctl/odp.h"

#include <arpa/inet.h>
#include <linux/openvswitch.h>

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <endian.h>

namespace ovsdp::ctl {

// ---------------------------------------------------------------------------
// Attribute streams
// ---------------------------------------------------------------------------
namespace {
constexpr size_t kHdr = 4;
size_t align4(size_t n) { return (n + 3) & ~size_t{3}; }
}  // namespace

std::vector<AttrView> split_attrs(std::span<const uint8_t> s, size_t* leftover)
{
    std::vector<AttrView> out;
    size_t off = 0;
    while (s.size() - off >= kHdr) {
        uint16_t len, type;
        std::memcpy(&len, s.data() + off, 2);
        std::memcpy(&type, s.data() + off + 2, 2);
        if (len < kHdr || len > s.size() - off) {
            break;
        }
        out.push_back(AttrView{static_cast<uint16_t>(type & 0x3fff), s.subspan(off + kHdr, len - kHdr)});
        off += std::min(align4(len), s.size() - off);
    }
    if (leftover) {
        *leftover = s.size() - off;
    }
    return out;
}

std::optional<AttrView> find_attr(std::span<const uint8_t> s, uint16_t type)
{
    for (const AttrView& a : split_attrs(s)) {
        if (a.type == type) {
            return a;
        }
    }
    return std::nullopt;
}

void put_attr(Bytes& out, uint16_t type, std::span<const uint8_t> payload)
{
    uint16_t len = static_cast<uint16_t>(kHdr + payload.size());
    size_t off = out.size();
    out.resize(off + align4(len), 0);
    std::memcpy(out.data() + off, &len, 2);
    std::memcpy(out.data() + off + 2, &type, 2);
    if (!payload.empty()) {
        std::memcpy(out.data() + off + kHdr, payload.data(), payload.size());
    }
}

void put_u32_attr(Bytes& out, uint16_t type, uint32_t v)
{
    put_attr(out, type, {reinterpret_cast<const uint8_t*>(&v), 4});
}

size_t begin_nest(Bytes& out, uint16_t type)
{
    size_t off = out.size();
    put_attr(out, type, {});
    return off;
}

void end_nest(Bytes& out, size_t off)
{
    uint16_t len = static_cast<uint16_t>(out.size() - off);
    std::memcpy(out.data() + off, &len, 2);
}

const char* tcp_flag_name(uint32_t bit)
{
    switch (bit) {
    case 0x001: return "fin";
    case 0x002: return "syn";
    case 0x004: return "rst";
    case 0x008: return "psh";
    case 0x010: return "ack";
    case 0x020: return "urg";
    case 0x040: return "ece";
    case 0x080: return "cwr";
    case 0x100: return "ns";
    case 0x200: return "[200]";
    case 0x400: return "[400]";
    case 0x800: return "[800]";
    default: return nullptr;
    }
}

const char* ct_state_name(uint32_t bit)
{
    switch (bit) {
    case OVS_CS_F_NEW: return "new";
    case OVS_CS_F_ESTABLISHED: return "est";
    case OVS_CS_F_RELATED: return "rel";
    case OVS_CS_F_REPLY_DIR: return "rpl";
    case OVS_CS_F_INVALID: return "inv";
    case OVS_CS_F_TRACKED: return "trk";
    case OVS_CS_F_SRC_NAT: return "snat";
    case OVS_CS_F_DST_NAT: return "dnat";
    default: return nullptr;
    }
}

namespace {

template <typename T>
T load(const uint8_t* p)
{
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, f);
    vsnprintf(buf, sizeof buf, f, ap);
    va_end(ap);
    return buf;
}

bool all_bytes(std::span<const uint8_t> s, uint8_t v)
{
    return std::all_of(s.begin(), s.end(), [v](uint8_t b) { return b == v; });
}

void chomp(std::string& s, char c)
{
    if (!s.empty() && s.back() == c) {
        s.pop_back();
    }
}

std::string hex_bytes(std::span<const uint8_t> s, const char* sep)
{
    std::string out;
    for (size_t i = 0; i < s.size(); i++) {
        if (i) {
            out += sep;
        }
        out += fmt("%02x", s[i]);
    }
    return out;
}

std::string eth_str(const uint8_t* e)
{
    return fmt("%02x:%02x:%02x:%02x:%02x:%02x", e[0], e[1], e[2], e[3], e[4], e[5]);
}

std::string ip_str(const uint8_t* p)
{
    return fmt("%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
}

std::string ip6_str(const uint8_t* p)
{
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, p, buf, sizeof buf);
    return buf;
}

// ---------------------------------------------------------------------------
// Field tables: the struct-valued key attributes, shared by the printer and
// the parser.
// ---------------------------------------------------------------------------
enum class Kind { eth, ipv4, ipv6, u8dec, u8hex, be16, label, frag };

struct Field {
    const char* name;
    uint8_t offset;
    Kind kind;
};

size_t kind_size(Kind k)
{
    switch (k) {
    case Kind::eth: return 6;
    case Kind::ipv4: return 4;
    case Kind::ipv6: return 16;
    case Kind::u8dec:
    case Kind::u8hex:
    case Kind::frag: return 1;
    case Kind::be16: return 2;
    case Kind::label: return 4;
    }
    return 0;
}

constexpr Field kEthFields[] = {{"src", 0, Kind::eth}, {"dst", 6, Kind::eth}};
constexpr Field kIpv4Fields[] = {{"src", 0, Kind::ipv4}, {"dst", 4, Kind::ipv4},
                                 {"proto", 8, Kind::u8dec}, {"tos", 9, Kind::u8hex},
                                 {"ttl", 10, Kind::u8dec}, {"frag", 11, Kind::frag}};
constexpr Field kIpv6Fields[] = {{"src", 0, Kind::ipv6}, {"dst", 16, Kind::ipv6},
                                 {"label", 32, Kind::label}, {"proto", 36, Kind::u8dec},
                                 {"tclass", 37, Kind::u8hex}, {"hlimit", 38, Kind::u8dec},
                                 {"frag", 39, Kind::frag}};
constexpr Field kPortFields[] = {{"src", 0, Kind::be16}, {"dst", 2, Kind::be16}};
constexpr Field kIcmpFields[] = {{"type", 0, Kind::u8dec}, {"code", 1, Kind::u8dec}};
constexpr Field kArpFields[] = {{"sip", 0, Kind::ipv4}, {"tip", 4, Kind::ipv4},
                                {"op", 8, Kind::be16}, {"sha", 10, Kind::eth},
                                {"tha", 16, Kind::eth}};
constexpr Field kNdFields[] = {{"target", 0, Kind::ipv6}, {"sll", 16, Kind::eth},
                               {"tll", 22, Kind::eth}};

struct StructAttr {
    uint16_t type;
    size_t size;
    std::span<const Field> fields;
};

const StructAttr kStructAttrs[] = {
    {OVS_KEY_ATTR_ETHERNET, 12, kEthFields},
    {OVS_KEY_ATTR_IPV4, 12, kIpv4Fields},
    {OVS_KEY_ATTR_IPV6, 40, kIpv6Fields},
    {OVS_KEY_ATTR_TCP, 4, kPortFields},
    {OVS_KEY_ATTR_UDP, 4, kPortFields},
    {OVS_KEY_ATTR_SCTP, 4, kPortFields},
    {OVS_KEY_ATTR_ICMP, 2, kIcmpFields},
    {OVS_KEY_ATTR_ICMPV6, 2, kIcmpFields},
    {OVS_KEY_ATTR_ARP, 24, kArpFields},
    {OVS_KEY_ATTR_ND, 28, kNdFields},
};

const StructAttr* struct_attr(uint16_t type)
{
    for (const StructAttr& s : kStructAttrs) {
        if (s.type == type) {
            return &s;
        }
    }
    return nullptr;
}

// Key attribute names as OVS 3.1 prints them; "" for types it does not know.
const char* key_attr_name(uint16_t type)
{
    switch (type) {
    case OVS_KEY_ATTR_ENCAP: return "encap";
    case OVS_KEY_ATTR_PRIORITY: return "skb_priority";
    case OVS_KEY_ATTR_SKB_MARK: return "skb_mark";
    case OVS_KEY_ATTR_CT_STATE: return "ct_state";
    case OVS_KEY_ATTR_CT_ZONE: return "ct_zone";
    case OVS_KEY_ATTR_CT_MARK: return "ct_mark";
    case OVS_KEY_ATTR_CT_LABELS: return "ct_label";
    case OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4: return "ct_tuple4";
    case OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6: return "ct_tuple6";
    case OVS_KEY_ATTR_TUNNEL: return "tunnel";
    case OVS_KEY_ATTR_IN_PORT: return "in_port";
    case OVS_KEY_ATTR_ETHERNET: return "eth";
    case OVS_KEY_ATTR_VLAN: return "vlan";
    case OVS_KEY_ATTR_ETHERTYPE: return "eth_type";
    case OVS_KEY_ATTR_IPV4: return "ipv4";
    case OVS_KEY_ATTR_IPV6: return "ipv6";
    case OVS_KEY_ATTR_TCP: return "tcp";
    case OVS_KEY_ATTR_TCP_FLAGS: return "tcp_flags";
    case OVS_KEY_ATTR_UDP: return "udp";
    case OVS_KEY_ATTR_SCTP: return "sctp";
    case OVS_KEY_ATTR_ICMP: return "icmp";
    case OVS_KEY_ATTR_ICMPV6: return "icmpv6";
    case OVS_KEY_ATTR_ARP: return "arp";
    case OVS_KEY_ATTR_ND: return "nd";
    case OVS_KEY_ATTR_MPLS: return "mpls";
    case OVS_KEY_ATTR_DP_HASH: return "dp_hash";
    case OVS_KEY_ATTR_RECIRC_ID: return "recirc_id";
    case OVS_KEY_ATTR_PACKET_TYPE: return "packet_type";
    case OVS_KEY_ATTR_NSH: return "nsh";
    case OVS_KEY_ATTR_ND_EXTENSIONS: return "nd_ext";
    default: return "";
    }
}

// Expected payload length of a key attribute: >= 0 fixed, -1 variable,
// -2 nested, -3 unknown to OVS 3.1 (printed generically, never wildcard).
int key_attr_len(uint16_t type)
{
    if (const StructAttr* s = struct_attr(type)) {
        return static_cast<int>(s->size);
    }
    switch (type) {
    case OVS_KEY_ATTR_ENCAP:
    case OVS_KEY_ATTR_TUNNEL:
    case OVS_KEY_ATTR_NSH: return -2;
    case OVS_KEY_ATTR_PRIORITY:
    case OVS_KEY_ATTR_SKB_MARK:
    case OVS_KEY_ATTR_DP_HASH:
    case OVS_KEY_ATTR_RECIRC_ID:
    case OVS_KEY_ATTR_IN_PORT:
    case OVS_KEY_ATTR_CT_STATE:
    case OVS_KEY_ATTR_CT_MARK:
    case OVS_KEY_ATTR_PACKET_TYPE: return 4;
    case OVS_KEY_ATTR_VLAN:
    case OVS_KEY_ATTR_ETHERTYPE:
    case OVS_KEY_ATTR_TCP_FLAGS:
    case OVS_KEY_ATTR_CT_ZONE: return 2;
    case OVS_KEY_ATTR_CT_LABELS: return 16;
    case OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4: return 16;
    case OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6: return 40;
    case OVS_KEY_ATTR_MPLS: return -1;
    case OVS_KEY_ATTR_ND_EXTENSIONS: return 8;
    default: return -3;
    }
}

// ---------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------

// Tunnel flags of OVS's struct flow_tnl.
constexpr uint32_t kTnlOam = 1, kTnlDf = 2, kTnlCsum = 4, kTnlKey = 8, kTnlMask = 15;
const char* tnl_flag_name(uint32_t bit)
{
    switch (bit) {
    case kTnlOam: return "oam";
    case kTnlDf: return "df";
    case kTnlCsum: return "csum";
    case kTnlKey: return "key";
    default: return nullptr;
    }
}

using FlagName = const char* (*)(uint32_t);

std::string flags_str(FlagName name, uint32_t bits, char del)
{
    if (!bits) {
        return "0";
    }
    std::string out;
    uint32_t bad = 0;
    while (bits) {
        uint32_t bit = bits & -bits;
        if (const char* s = name(bit)) {
            out += s;
            out += del;
        } else {
            bad |= bit;
        }
        bits &= ~bit;
    }
    if (bad) {
        out += fmt("0x%" PRIx32 "%c", bad, del);
    }
    chomp(out, del);
    return out;
}

std::string flags_masked_str(FlagName name, uint32_t flags, uint32_t mask, uint32_t max)
{
    if (mask == max) {
        return flags_str(name, flags, '|');
    }
    if (!mask) {
        return "0/0";
    }
    std::string out;
    while (mask) {
        uint32_t bit = mask & -mask;
        const char* s = name(bit);
        out += (flags & bit) ? "+" : "-";
        out += s ? std::string(s) : fmt("[%" PRIx32 "]", bit);
        mask &= ~bit;
    }
    return out;
}

const char* frag_name(uint8_t f)
{
    switch (f) {
    case OVS_FRAG_TYPE_NONE: return "no";
    case OVS_FRAG_TYPE_FIRST: return "first";
    case OVS_FRAG_TYPE_LATER: return "later";
    default: return "<error>";
    }
}

// One "name=value[/mask]," of a struct attribute; 'm' null = exact.
void format_field(std::string& ds, const Field& f, const uint8_t* k, const uint8_t* m, bool verbose)
{
    size_t n = kind_size(f.kind);
    const uint8_t* kp = k + f.offset;
    const uint8_t* mp = m ? m + f.offset : nullptr;
    bool empty = mp && all_bytes({mp, n}, 0);
    bool full = !mp || all_bytes({mp, n}, 0xff);
    if (f.kind == Kind::label) {
        // Only the 20 label bits count for an exact match.
        full = !mp || (ntohl(load<uint32_t>(mp)) & 0xfffff) == 0xfffff;
    }
    switch (f.kind) {
    case Kind::frag:
        // An enumeration: partial masks are an error, and it is omitted when
        // wildcarded even in verbose mode.
        full = !mp || (*mp & 3) == 3;
        if (!empty && !full) {
            ds += fmt("error: partial mask not supported for frag (%#" PRIx8 "),", *mp);
        } else if (!empty && *kp > OVS_FRAG_TYPE_LATER) {
            // Not a fragment type: a mask printed on its own (the JSON
            // "mask" object) or a bad key; the number says which.
            ds += fmt("%s=%#" PRIx8 ",", f.name, *kp);
        } else if (!empty) {
            ds += fmt("%s=%s,", f.name, frag_name(*kp));
        }
        return;
    default:
        break;
    }
    if (!verbose && empty) {
        return;
    }
    ds += f.name;
    ds += '=';
    switch (f.kind) {
    case Kind::eth:
        ds += eth_str(kp);
        if (!full) {
            ds += "/" + eth_str(mp);
        }
        break;
    case Kind::ipv4:
        ds += ip_str(kp);
        if (!full) {
            ds += "/" + ip_str(mp);
        }
        break;
    case Kind::ipv6:
        ds += ip6_str(kp);
        if (!full) {
            ds += "/" + ip6_str(mp);
        }
        break;
    case Kind::u8dec:
        ds += fmt("%" PRIu8, *kp);
        if (!full) {
            ds += fmt("/%#" PRIx8, *mp);
        }
        break;
    case Kind::u8hex:
        ds += fmt("%#" PRIx8, *kp);
        if (!full) {
            ds += fmt("/%#" PRIx8, *mp);
        }
        break;
    case Kind::be16:
        ds += fmt("%" PRIu16, ntohs(load<uint16_t>(kp)));
        if (!full) {
            ds += fmt("/%#" PRIx16, ntohs(load<uint16_t>(mp)));
        }
        break;
    case Kind::label:
        ds += fmt("%#" PRIx32, ntohl(load<uint32_t>(kp)));
        if (!full) {
            ds += fmt("/%#" PRIx32, ntohl(load<uint32_t>(mp)));
        }
        break;
    case Kind::frag:
        break;
    }
    ds += ',';
}

std::string vlan_tci_str(uint16_t tci, uint16_t mask, bool verbose)
{
    std::string ds;
    unsigned vid = tci & 0xfff, vmask = mask & 0xfff;
    unsigned pcp = tci >> 13, pmask = mask >> 13;
    if (verbose || vid || vmask) {
        ds += fmt("vid=%u", vid);
        if (vmask != 0xfff) {
            ds += fmt("/0x%x", vmask);
        }
        ds += ',';
    }
    if (verbose || pcp || pmask) {
        ds += fmt("pcp=%u", pcp);
        if (pmask != 7) {
            ds += fmt("/0x%x", pmask);
        }
        ds += ',';
    }
    if (!(tci & 0x1000)) {
        ds += "cfi=0,";
    }
    chomp(ds, ',');
    return ds;
}

std::string mpls_lse_str(uint32_t lse)
{
    return fmt("label=%u,tc=%u,ttl=%u,bos=%u", lse >> 12, (lse >> 9) & 7, lse & 0xff,
               (lse >> 8) & 1);
}

std::string port_str(uint32_t port, const PortNames* names)
{
    if (names) {
        if (auto it = names->find(port); it != names->end()) {
            return it->second;
        }
    }
    return fmt("%" PRIu32, port);
}

// "0x..." without leading zero bytes, as OVS's ds_put_hex.
std::string put_hex(std::span<const uint8_t> s)
{
    size_t i = 0;
    while (i < s.size() && !s[i]) {
        i++;
    }
    if (i == s.size()) {
        return "0";
    }
    std::string out = fmt("0x%x", s[i++]);
    for (; i < s.size(); i++) {
        out += fmt("%02x", s[i]);
    }
    return out;
}

void format_key_stream(std::string& ds, std::span<const uint8_t> key, std::span<const uint8_t> mask,
                       const PortNames* names, bool verbose);

void format_tunnel(std::string& ds, std::span<const uint8_t> key, const AttrView* mask_attr,
                   bool verbose)
{
    uint32_t flags = 0, mask_flags = 0;
    for (const AttrView& a : split_attrs(key)) {
        std::optional<AttrView> ma;
        Bytes zeros;
        if (mask_attr) {
            ma = find_attr(mask_attr->data, a.type);
            if (!ma) {
                zeros.assign(a.data.size(), 0);
                ma = AttrView{a.type, zeros};
            }
        }
        const uint8_t* m = ma ? ma->data.data() : nullptr;
        auto simple = [&](const char* name, Kind kind) {
            if (a.data.size() != kind_size(kind) || (ma && ma->data.size() != a.data.size())) {
                return;
            }
            Field f{name, 0, kind};
            format_field(ds, f, a.data.data(), m, verbose);
        };
        switch (a.type) {
        case OVS_TUNNEL_KEY_ATTR_ID: {
            if (a.data.size() != 8) {
                break;
            }
            uint64_t k = be64toh(load<uint64_t>(a.data.data()));
            bool empty = m && !load<uint64_t>(m);
            bool full = !m || load<uint64_t>(m) == ~uint64_t{0};
            if (verbose || !empty) {
                ds += fmt("tun_id=0x%" PRIx64, k);
                if (!full) {
                    ds += fmt("/%#" PRIx64, be64toh(load<uint64_t>(m)));
                }
                ds += ',';
            }
            flags |= kTnlKey;
            if (ma) {
                mask_flags |= kTnlKey;
            }
            break;
        }
        case OVS_TUNNEL_KEY_ATTR_IPV4_SRC: simple("src", Kind::ipv4); break;
        case OVS_TUNNEL_KEY_ATTR_IPV4_DST: simple("dst", Kind::ipv4); break;
        case OVS_TUNNEL_KEY_ATTR_IPV6_SRC: simple("ipv6_src", Kind::ipv6); break;
        case OVS_TUNNEL_KEY_ATTR_IPV6_DST: simple("ipv6_dst", Kind::ipv6); break;
        case OVS_TUNNEL_KEY_ATTR_TOS: simple("tos", Kind::u8hex); break;
        case OVS_TUNNEL_KEY_ATTR_TTL: simple("ttl", Kind::u8dec); break;
        case OVS_TUNNEL_KEY_ATTR_TP_SRC: simple("tp_src", Kind::be16); break;
        case OVS_TUNNEL_KEY_ATTR_TP_DST: simple("tp_dst", Kind::be16); break;
        case OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT: flags |= kTnlDf; break;
        case OVS_TUNNEL_KEY_ATTR_CSUM: flags |= kTnlCsum; break;
        case OVS_TUNNEL_KEY_ATTR_OAM: flags |= kTnlOam; break;
        case OVS_TUNNEL_KEY_ATTR_PAD: break;
        default:
            ds += fmt("key%u(", a.type) + hex_bytes(a.data, " ");
            if (ma && !all_bytes(ma->data, 0xff)) {
                ds += "/" + hex_bytes(ma->data, " ");
            }
            ds += "),";
            break;
        }
    }
    if (mask_attr) {
        for (const AttrView& a : split_attrs(mask_attr->data)) {
            switch (a.type) {
            case OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT: mask_flags |= kTnlDf; break;
            case OVS_TUNNEL_KEY_ATTR_CSUM: mask_flags |= kTnlCsum; break;
            case OVS_TUNNEL_KEY_ATTR_OAM: mask_flags |= kTnlOam; break;
            }
        }
    }
    if (verbose || !mask_attr || mask_flags) {
        ds += "flags(";
        ds += mask_attr ? flags_masked_str(tnl_flag_name, flags, mask_flags & kTnlMask, kTnlMask)
                        : flags_str(tnl_flag_name, flags, '|');
        ds += "),";
    }
    chomp(ds, ',');
}

// One key attribute "name(...)"; 'ma' null means exact.
void format_key_attr(std::string& ds, const AttrView& a, const AttrView* ma, const PortNames* names,
                     bool verbose)
{
    const char* name = key_attr_name(a.type);
    ds += *name ? std::string(name) : fmt("key%u", a.type);
    ds += '(';
    int len = key_attr_len(a.type);
    // OVS 3.1 never reads a mask of a type it does not know as exact
    // (odp_mask_is_constant__), so an all-ones one is printed too.
    bool exact = !ma || (a.type != OVS_KEY_ATTR_TUNNEL && len != -3 && all_bytes(ma->data, 0xff));
    const uint8_t* k = a.data.data();
    const uint8_t* m = ma ? ma->data.data() : nullptr;
    bool bad_len = (len >= 0 && (a.data.size() != static_cast<size_t>(len) ||
                                 (ma && ma->data.size() != static_cast<size_t>(len))));
    if (bad_len) {
        len = -3;  // print generically
    }
    auto generic = [&]() {
        ds += hex_bytes(a.data, " ");
        if (!exact) {
            ds += "/" + hex_bytes(ma->data, " ");
        }
    };
    if (len == -3) {
        generic();
        ds += ')';
        return;
    }
    if (const StructAttr* s = struct_attr(a.type)) {
        for (const Field& f : s->fields) {
            format_field(ds, f, k, exact ? nullptr : m, verbose);
        }
        chomp(ds, ',');
        ds += ')';
        return;
    }
    switch (a.type) {
    case OVS_KEY_ATTR_ENCAP:
        if (ma && !ma->data.empty() && !a.data.empty()) {
            format_key_stream(ds, a.data, ma->data, nullptr, verbose);
        } else if (!a.data.empty()) {
            format_key_stream(ds, a.data, {}, nullptr, verbose);
        }
        break;
    case OVS_KEY_ATTR_PRIORITY:
    case OVS_KEY_ATTR_SKB_MARK:
    case OVS_KEY_ATTR_DP_HASH:
    case OVS_KEY_ATTR_RECIRC_ID:
        ds += fmt("%#" PRIx32, load<uint32_t>(k));
        if (!exact) {
            ds += fmt("/%#" PRIx32, load<uint32_t>(m));
        }
        break;
    case OVS_KEY_ATTR_CT_STATE:
        if (verbose) {
            ds += fmt("%#" PRIx32, load<uint32_t>(k));
            if (!exact) {
                ds += fmt("/%#" PRIx32, load<uint32_t>(m));
            }
        } else if (!exact) {
            ds += flags_masked_str(ct_state_name, load<uint32_t>(k), load<uint32_t>(m), UINT32_MAX);
        } else {
            ds += flags_str(ct_state_name, load<uint32_t>(k), '|');
        }
        break;
    case OVS_KEY_ATTR_CT_ZONE:
        if (verbose || !m || load<uint16_t>(m)) {
            ds += fmt("%#" PRIx16, load<uint16_t>(k));
            if (!exact) {
                ds += fmt("/%#" PRIx16, load<uint16_t>(m));
            }
        }
        break;
    case OVS_KEY_ATTR_CT_MARK:
        if (verbose || !m || load<uint32_t>(m)) {
            ds += fmt("%#" PRIx32, load<uint32_t>(k));
            if (!exact) {
                ds += fmt("/%#" PRIx32, load<uint32_t>(m));
            }
        }
        break;
    case OVS_KEY_ATTR_CT_LABELS: {
        // A host-order 128-bit value printed most significant byte first.
        auto be = [](const uint8_t* p) {
            std::array<uint8_t, 16> out;
            for (int i = 0; i < 16; i++) {
                out[i] = p[15 - i];
            }
            return out;
        };
        if (verbose || (m && !all_bytes({m, 16}, 0))) {
            ds += put_hex(be(k));
            if (m && !all_bytes({m, 16}, 0xff)) {
                ds += "/" + put_hex(be(m));
            }
        }
        break;
    }
    case OVS_KEY_ATTR_TUNNEL:
        format_tunnel(ds, a.data, ma, verbose);
        break;
    case OVS_KEY_ATTR_IN_PORT:
        if (exact) {
            ds += port_str(load<uint32_t>(k), names);
        } else {
            ds += fmt("%" PRIu32 "/%#" PRIx32, load<uint32_t>(k), load<uint32_t>(m));
        }
        break;
    case OVS_KEY_ATTR_VLAN:
        ds += vlan_tci_str(ntohs(load<uint16_t>(k)), m ? ntohs(load<uint16_t>(m)) : 0xffff, verbose);
        break;
    case OVS_KEY_ATTR_MPLS: {
        size_t n = a.data.size();
        if (!n || n % 4) {
            ds += fmt("(bad key length %zu)", n);
            return;
        }
        if (!exact && ma->data.size() != n) {
            ds += fmt("(key length %zu != mask length %zu)", n, ma->data.size());
            return;
        }
        for (size_t i = 0; i < n; i += 4) {
            uint32_t lse = ntohl(load<uint32_t>(k + i));
            if (exact) {
                ds += mpls_lse_str(lse);
            } else {
                uint32_t ml = ntohl(load<uint32_t>(m + i));
                ds += fmt("label=%u/0x%x,tc=%u/%x,ttl=%u/0x%x,bos=%u/%x", lse >> 12, ml >> 12,
                          (lse >> 9) & 7, (ml >> 9) & 7, lse & 0xff, ml & 0xff, (lse >> 8) & 1,
                          (ml >> 8) & 1);
            }
            ds += ',';
        }
        chomp(ds, ',');
        break;
    }
    case OVS_KEY_ATTR_ETHERTYPE:
        ds += fmt("0x%04" PRIx16, ntohs(load<uint16_t>(k)));
        if (!exact) {
            ds += fmt("/0x%04" PRIx16, ntohs(load<uint16_t>(m)));
        }
        break;
    case OVS_KEY_ATTR_TCP_FLAGS:
        if (!exact) {
            ds += flags_masked_str(tcp_flag_name, ntohs(load<uint16_t>(k)),
                                   ntohs(load<uint16_t>(m)) & 0x0fff, 0x0fff);
        } else {
            ds += flags_str(tcp_flag_name, ntohs(load<uint16_t>(k)), '|');
        }
        break;
    default:
        generic();
        break;
    }
    ds += ')';
}

bool mask_is_wildcard(const AttrView& ma)
{
    if (key_attr_len(ma.type) == -3) {
        return false;
    }
    return all_bytes(ma.data, 0);
}

void format_key_stream(std::string& ds, std::span<const uint8_t> key, std::span<const uint8_t> mask,
                       const PortNames* names, bool verbose)
{
    if (key.empty()) {
        ds += "<empty>";
        return;
    }
    size_t left = 0;
    bool has_ethtype = false, has_packet_type = false, first = true;
    std::vector<AttrView> mask_attrs = split_attrs(mask);
    auto find_mask = [&](uint16_t type) -> const AttrView* {
        for (const AttrView& m : mask_attrs) {
            if (m.type == type) {
                return &m;
            }
        }
        return nullptr;
    };
    std::vector<AttrView> attrs = split_attrs(key, &left);
    for (const AttrView& a : attrs) {
        const AttrView* ma = mask.empty() ? nullptr : find_mask(a.type);
        if (a.type == OVS_KEY_ATTR_ETHERTYPE) {
            has_ethtype = true;
        } else if (a.type == OVS_KEY_ATTR_PACKET_TYPE) {
            has_packet_type = true;
        }
        bool nested = key_attr_len(a.type) == -2;
        bool wildcard = false;
        if (!mask.empty()) {
            wildcard = ma ? mask_is_wildcard(*ma) : true;
        }
        if (verbose || !wildcard || nested) {
            Bytes zeros;
            AttrView generated;
            if (wildcard && !ma) {
                zeros.assign(a.data.size(), 0);
                generated = AttrView{a.type, zeros};
                ma = &generated;
            }
            if (!first) {
                ds += ',';
            }
            format_key_attr(ds, a, ma, names, verbose);
            first = false;
        } else if (a.type == OVS_KEY_ATTR_ETHERNET && !has_packet_type) {
            // An all-wildcarded eth() still tells the kernel the packet is
            // Ethernet.  Like OVS 3.1, the next field gets no comma.
            if (!first) {
                ds += ',';
            }
            ds += "eth()";
        }
    }
    if (left) {
        if (attrs.empty()) {
            ds += "<empty>";
        }
        ds += fmt(",***%zu leftover bytes*** (", left);
        ds += hex_bytes(key.subspan(key.size() - left), "");
        ds += ')';
    }
    if (!has_ethtype) {
        if (const AttrView* ma = find_mask(OVS_KEY_ATTR_ETHERTYPE); ma && ma->data.size() == 2) {
            ds += fmt(",eth_type(0/0x%04" PRIx16 ")", ntohs(load<uint16_t>(ma->data.data())));
        }
    }
}

void format_action_stream(std::string& ds, std::span<const uint8_t> acts, const PortNames* names);

int action_len(uint16_t type)
{
    switch (type) {
    case OVS_ACTION_ATTR_OUTPUT:
    case OVS_ACTION_ATTR_RECIRC:
    case OVS_ACTION_ATTR_TRUNC:
    case OVS_ACTION_ATTR_METER: return 4;
    case OVS_ACTION_ATTR_PUSH_VLAN: return 4;
    case OVS_ACTION_ATTR_POP_VLAN:
    case OVS_ACTION_ATTR_POP_ETH:
    case OVS_ACTION_ATTR_CT_CLEAR:
    case OVS_ACTION_ATTR_POP_NSH: return 0;
    case OVS_ACTION_ATTR_HASH: return 8;
    case OVS_ACTION_ATTR_PUSH_MPLS: return 8;  // sizeof(struct ovs_action_push_mpls): padded
    case OVS_ACTION_ATTR_POP_MPLS: return 2;
    case OVS_ACTION_ATTR_PUSH_ETH: return 12;
    case OVS_ACTION_ATTR_ADD_MPLS: return 8;
    default: return -1;
    }
}

const char* slow_path_reason_name(uint32_t bit)
{
    switch (bit) {
    case 1: return "cfm";
    case 2: return "bfd";
    case 4: return "lacp";
    case 8: return "stp";
    case 16: return "lldp";
    case 32: return "action";
    case 64: return "match";
    default: return nullptr;
    }
}

// OVS 3.1's struct user_action_cookie (48 bytes, host order): u16 type at
// offset 0, a header ovs-dpctl does not print, then the per-type fields at
// offset 24 (the layout Debian's ovs-dpctl 3.1 writes and reads, checked in
// the VM).  Returns ",sFlow(...)" etc., or "" when OVS would print the
// bytes as userdata(hex).
std::string format_cookie(std::span<const uint8_t> c, const PortNames* names)
{
    if (c.size() != kOvsCookieSize) {
        return {};
    }
    const uint8_t* u = c.data() + kOvsCookieUnion;
    switch (load<uint16_t>(c.data())) {
    case kCookieSflow: {
        uint16_t tci = ntohs(load<uint16_t>(u));
        return fmt(",sFlow(vid=%u,pcp=%u,output=%" PRIu32 ")", tci & 0xfff, tci >> 13,
                   load<uint32_t>(u + 4));
    }
    case kCookieSlowPath:
        return ",slow_path(" + flags_str(slow_path_reason_name, load<uint32_t>(u + 4), ',') + ")";
    case kCookieFlowSample: {
        std::string s = fmt(",flow_sample(probability=%u,collector_set_id=%" PRIu32
                            ",obs_domain_id=%" PRIu32 ",obs_point_id=%" PRIu32 ",output_port=",
                            load<uint16_t>(u), load<uint32_t>(u + 4), load<uint32_t>(u + 8),
                            load<uint32_t>(u + 12));
        s += port_str(load<uint32_t>(u + 16), names);
        uint32_t dir = load<uint32_t>(u + 20);
        s += dir == 1 ? ",ingress" : dir == 2 ? ",egress" : "";
        return s + ")";
    }
    case kCookieIpfix:
        return ",ipfix(output_port=" + port_str(load<uint32_t>(u), names) + ")";
    case kCookieController: {
        uint64_t cookie = be64toh(load<uint64_t>(u + 8));
        return fmt(",controller(reason=%u,dont_send=%d,continuation=%d,recirc_id=%" PRIu32
                   ",rule_cookie=%#" PRIx64 ",controller_id=%u,max_len=%u)",
                   load<uint16_t>(u + 2), u[0] ? 1 : 0, u[1] ? 1 : 0, load<uint32_t>(u + 4), cookie,
                   load<uint16_t>(u + 16), load<uint16_t>(u + 18));
    }
    default:
        return {};
    }
}

void format_generic_action(std::string& ds, const AttrView& a)
{
    ds += fmt("action%d", a.type);
    if (!a.data.empty()) {
        for (size_t i = 0; i < a.data.size(); i++) {
            ds += i ? ' ' : '(';
            ds += fmt("%02x", a.data[i]);
        }
        ds += ')';
    }
}

void format_action(std::string& ds, const AttrView& a, const PortNames* names)
{
    int expected = action_len(a.type);
    if (expected >= 0 && a.data.size() != static_cast<size_t>(expected)) {
        ds += fmt("bad length %zu, expected %d for: ", a.data.size(), expected);
        format_generic_action(ds, a);
        return;
    }
    const uint8_t* p = a.data.data();
    switch (a.type) {
    case OVS_ACTION_ATTR_OUTPUT:
        ds += port_str(load<uint32_t>(p), names);
        return;
    case OVS_ACTION_ATTR_METER:
        ds += fmt("meter(%" PRIu32 ")", load<uint32_t>(p));
        return;
    case OVS_ACTION_ATTR_TRUNC:
        ds += fmt("trunc(%" PRIu32 ")", load<uint32_t>(p));
        return;
    case OVS_ACTION_ATTR_RECIRC:
        ds += fmt("recirc(%#" PRIx32 ")", load<uint32_t>(p));
        return;
    case OVS_ACTION_ATTR_POP_VLAN: ds += "pop_vlan"; return;
    case OVS_ACTION_ATTR_POP_ETH: ds += "pop_eth"; return;
    case OVS_ACTION_ATTR_CT_CLEAR: ds += "ct_clear"; return;
    case OVS_ACTION_ATTR_POP_NSH: ds += "pop_nsh"; return;
    case OVS_ACTION_ATTR_PUSH_VLAN: {
        uint16_t tpid = ntohs(load<uint16_t>(p)), tci = ntohs(load<uint16_t>(p + 2));
        ds += "push_vlan(";
        if (tpid != 0x8100) {
            ds += fmt("tpid=0x%04" PRIx16 ",", tpid);
        }
        ds += vlan_tci_str(tci, 0xffff, false);
        ds += ')';
        return;
    }
    case OVS_ACTION_ATTR_PUSH_MPLS:
        ds += "push_mpls(" + mpls_lse_str(ntohl(load<uint32_t>(p))) +
              fmt(",eth_type=0x%" PRIx16 ")", ntohs(load<uint16_t>(p + 4)));
        return;
    case OVS_ACTION_ATTR_POP_MPLS:
        ds += fmt("pop_mpls(eth_type=0x%" PRIx16 ")", ntohs(load<uint16_t>(p)));
        return;
    case OVS_ACTION_ATTR_PUSH_ETH:
        ds += "push_eth(src=" + eth_str(p) + ",dst=" + eth_str(p + 6) + ")";
        return;
    case OVS_ACTION_ATTR_HASH: {
        uint32_t alg = load<uint32_t>(p), basis = load<uint32_t>(p + 4);
        ds += "hash(";
        if (alg == OVS_HASH_ALG_L4) {
            ds += fmt("l4(%" PRIu32 ")", basis);
        } else if (alg == 1) {
            ds += fmt("sym_l4(%" PRIu32 ")", basis);
        } else {
            ds += fmt("Unknown hash algorithm(%" PRIu32 ")", alg);
        }
        ds += ')';
        return;
    }
    case OVS_ACTION_ATTR_SET: {
        ds += "set(";
        auto inner = split_attrs(a.data);
        if (!inner.empty()) {
            format_key_attr(ds, inner[0], nullptr, nullptr, true);
        }
        ds += ')';
        return;
    }
    case OVS_ACTION_ATTR_SET_MASKED: {
        auto inner = split_attrs(a.data);
        ds += "set(";
        if (!inner.empty()) {
            const AttrView& in = inner[0];
            size_t half = in.data.size() / 2;
            if (half <= 40) {
                AttrView key{in.type, in.data.subspan(0, half)};
                AttrView mask{in.type, in.data.subspan(half, half)};
                format_key_attr(ds, key, &mask, nullptr, false);
            } else {
                format_key_attr(ds, in, nullptr, nullptr, false);
            }
        }
        ds += ')';
        return;
    }
    case OVS_ACTION_ATTR_USERSPACE: {
        std::optional<AttrView> pid = find_attr(a.data, OVS_USERSPACE_ATTR_PID);
        if (!pid || pid->data.size() != 4) {
            ds += "userspace(error)";
            return;
        }
        ds += fmt("userspace(pid=%" PRIu32, load<uint32_t>(pid->data.data()));
        if (auto ud = find_attr(a.data, OVS_USERSPACE_ATTR_USERDATA)) {
            std::string cookie = format_cookie(ud->data, names);
            ds += cookie.empty() ? ",userdata(" + hex_bytes(ud->data, "") + ")" : cookie;
        }
        if (find_attr(a.data, OVS_USERSPACE_ATTR_ACTIONS)) {
            ds += ",actions";
        }
        if (auto tp = find_attr(a.data, OVS_USERSPACE_ATTR_EGRESS_TUN_PORT);
            tp && tp->data.size() == 4) {
            ds += ",tunnel_out_port=" + port_str(load<uint32_t>(tp->data.data()), names);
        }
        ds += ')';
        return;
    }
    case OVS_ACTION_ATTR_SAMPLE: {
        auto prob = find_attr(a.data, OVS_SAMPLE_ATTR_PROBABILITY);
        auto acts = find_attr(a.data, OVS_SAMPLE_ATTR_ACTIONS);
        if (!prob || prob->data.size() != 4 || !acts) {
            ds += "sample(error)";
            return;
        }
        double pct = 100.0 * load<uint32_t>(prob->data.data()) / UINT32_MAX;
        ds += fmt("sample(sample=%.1f%%,actions(", pct);
        format_action_stream(ds, acts->data, names);
        ds += "))";
        return;
    }
    case OVS_ACTION_ATTR_ADD_MPLS:
        ds += "add_mpls(" + mpls_lse_str(ntohl(load<uint32_t>(p))) +
              fmt(",eth_type=0x%" PRIx16 ")", ntohs(load<uint16_t>(p + 4)));
        return;
    case OVS_ACTION_ATTR_DEC_TTL:
        ds += "dec_ttl(le_1(";
        if (auto inner = find_attr(a.data, OVS_DEC_TTL_ATTR_ACTION)) {
            format_action_stream(ds, inner->data, names);
        }
        ds += "))";
        return;
    case OVS_ACTION_ATTR_CLONE:
        ds += "clone(";
        format_action_stream(ds, a.data, names);
        ds += ')';
        return;
    case OVS_ACTION_ATTR_CHECK_PKT_LEN: {
        auto len = find_attr(a.data, OVS_CHECK_PKT_LEN_ATTR_PKT_LEN);
        auto gt = find_attr(a.data, OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER);
        auto le = find_attr(a.data, OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL);
        if (!len || len->data.size() != 2 || !gt || !le) {
            format_generic_action(ds, a);
            return;
        }
        ds += fmt("check_pkt_len(size=%" PRIu16 ",gt(", load<uint16_t>(len->data.data()));
        format_action_stream(ds, gt->data, names);
        ds += "),le(";
        format_action_stream(ds, le->data, names);
        ds += "))";
        return;
    }
    case OVS_ACTION_ATTR_CT: {
        // Our datapath has no conntrack; show what the stock kernel gives
        // back for the common forms.
        ds += "ct(";
        std::string inner;
        for (const AttrView& c : split_attrs(a.data)) {
            switch (c.type) {
            case OVS_CT_ATTR_COMMIT: inner += "commit,"; break;
            case OVS_CT_ATTR_FORCE_COMMIT: inner += "force_commit,"; break;
            case OVS_CT_ATTR_ZONE:
                // The kernel always reports the zone; OVS omits zone 0.
                if (c.data.size() == 2 && load<uint16_t>(c.data.data())) {
                    inner += fmt("zone=%" PRIu16 ",", load<uint16_t>(c.data.data()));
                }
                break;
            case OVS_CT_ATTR_HELPER:
                inner += "helper=" + std::string(reinterpret_cast<const char*>(c.data.data()),
                                                 strnlen(reinterpret_cast<const char*>(c.data.data()),
                                                         c.data.size())) + ",";
                break;
            default:
                inner += fmt("attr%u,", c.type);
                break;
            }
        }
        chomp(inner, ',');
        ds += inner + ")";
        return;
    }
    default:
        format_generic_action(ds, a);
        return;
    }
}

void format_action_stream(std::string& ds, std::span<const uint8_t> acts, const PortNames* names)
{
    if (acts.empty()) {
        ds += "drop";
        return;
    }
    size_t left = 0;
    auto attrs = split_attrs(acts, &left);
    for (size_t i = 0; i < attrs.size(); i++) {
        if (i) {
            ds += ',';
        }
        format_action(ds, attrs[i], names);
    }
    if (left) {
        if (attrs.empty()) {
            ds += "<empty>";
        }
        ds += fmt(",***%zu leftover bytes*** (", left);
        ds += hex_bytes(acts.subspan(acts.size() - left), "");
        ds += ')';
    }
}

}  // namespace

std::string format_flow_key(std::span<const uint8_t> key, std::span<const uint8_t> mask,
                            const PortNames* names, bool verbose)
{
    std::string ds;
    format_key_stream(ds, key, mask, names, verbose);
    return ds;
}

std::string format_actions(std::span<const uint8_t> actions, const PortNames* names)
{
    std::string ds;
    format_action_stream(ds, actions, names);
    return ds;
}

std::string format_tcp_flags(uint16_t flags)
{
    return flags_str(tcp_flag_name, flags, '|');
}

std::string format_ufid(std::span<const uint8_t> u)
{
    if (u.size() != 16) {
        return "ufid:" + hex_bytes(u, "");
    }
    uint32_t w[4];
    std::memcpy(w, u.data(), 16);
    // OVS keeps a UFID as a host-order u128 and prints its 32-bit words.
    return fmt("ufid:%08x-%04x-%04x-%04x-%04x%08x", w[0], w[1] >> 16, w[1] & 0xffff, w[2] >> 16,
               w[2] & 0xffff, w[3]);
}

std::string format_userdata(std::span<const uint8_t> userdata, const PortNames* names)
{
    std::string cookie = format_cookie(userdata, names);
    return cookie.empty() ? "userdata(" + hex_bytes(userdata, "") + ")" : cookie.substr(1);
}

}  // namespace ovsdp::ctl
