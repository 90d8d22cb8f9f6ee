// SPDX-License-Identifier: Apache-2.0
#include "userspace-ctl/monitor.h"

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/openvswitch.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "userspace-ctl/args.h"

namespace ovsdp::ctl {
namespace {

Error malformed(const std::string& what)
{
    Error e = Error::from_errno(EPROTO);
    e.detail = "malformed upcall: " + what;
    return e;
}

template <typename T>
T load(std::span<const uint8_t> d)
{
    T v;
    std::memcpy(&v, d.data(), sizeof v);
    return v;
}

Bytes to_bytes(std::span<const uint8_t> d)
{
    return Bytes(d.begin(), d.end());
}

}  // namespace

Result<Upcall> decode_upcall(const nlmsghdr* hdr, size_t len)
{
    constexpr size_t kHead = NLMSG_HDRLEN + GENL_HDRLEN + NLMSG_ALIGN(sizeof(ovs_header));
    if (len < NLMSG_HDRLEN || hdr->nlmsg_len > len || hdr->nlmsg_len < kHead) {
        return malformed("short message");
    }
    const auto* base = reinterpret_cast<const uint8_t*>(hdr);
    Upcall u;
    u.cmd = reinterpret_cast<const genlmsghdr*>(base + NLMSG_HDRLEN)->cmd;
    u.dp_ifindex = reinterpret_cast<const ovs_header*>(base + NLMSG_HDRLEN + GENL_HDRLEN)->dp_ifindex;
    size_t leftover = 0;
    std::span<const uint8_t> attrs(base + kHead, hdr->nlmsg_len - kHead);
    bool have_packet = false;
    bool have_key = false;
    for (const AttrView& a : split_attrs(attrs, &leftover)) {
        switch (a.type) {
        case OVS_PACKET_ATTR_PACKET:
            u.packet = to_bytes(a.data);
            have_packet = true;
            break;
        case OVS_PACKET_ATTR_KEY:
            u.key = to_bytes(a.data);
            have_key = true;
            break;
        case OVS_PACKET_ATTR_USERDATA:
            u.userdata = to_bytes(a.data);
            break;
        case OVS_PACKET_ATTR_ACTIONS:
            u.actions = to_bytes(a.data);
            break;
        case OVS_PACKET_ATTR_EGRESS_TUN_KEY:
            u.egress_tun_key = to_bytes(a.data);
            break;
        case OVS_PACKET_ATTR_MRU:
            if (a.data.size() != 2) {
                return malformed("OVS_PACKET_ATTR_MRU");
            }
            u.mru = load<uint16_t>(a.data);
            break;
        case OVS_PACKET_ATTR_LEN:
            if (a.data.size() != 4) {
                return malformed("OVS_PACKET_ATTR_LEN");
            }
            u.orig_len = load<uint32_t>(a.data);
            break;
        case OVS_PACKET_ATTR_HASH:
            if (a.data.size() != 8) {
                return malformed("OVS_PACKET_ATTR_HASH");
            }
            u.hash = load<uint64_t>(a.data);
            break;
        default:
            break;  // newer attributes are not ours to judge
        }
    }
    if (leftover) {
        return malformed("truncated attribute");
    }
    if (!have_packet) {
        return malformed("no OVS_PACKET_ATTR_PACKET");
    }
    if (!have_key) {
        return malformed("no OVS_PACKET_ATTR_KEY");
    }
    return u;
}

std::string hex_dump(std::span<const uint8_t> data)
{
    std::string out;
    for (size_t off = 0; off < data.size(); off += 16) {
        char line[96];
        int n = std::snprintf(line, sizeof line, "%08zx  ", off);
        std::string hex(line, n);
        std::string ascii;
        for (size_t i = 0; i < 16; i++) {
            if (off + i < data.size()) {
                uint8_t c = data[off + i];
                std::snprintf(line, sizeof line, "%02x%c", c, i == 7 ? '-' : ' ');
                hex += line;
                ascii += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '.';
            } else {
                hex += "   ";
            }
        }
        out += hex + " |" + ascii + "|\n";
    }
    return out;
}

std::string format_upcall(const Upcall& u, const PortNames* names, bool hex)
{
    std::string s;
    switch (u.cmd) {
    case OVS_PACKET_CMD_MISS:
        s = "miss: ";
        break;
    case OVS_PACKET_CMD_ACTION:
        s = "action: ";
        break;
    default:
        s = "cmd" + std::to_string(u.cmd) + ": ";
        break;
    }
    s += format_flow_key(u.key, {}, names, false);
    s += " len=" + std::to_string(u.packet.size());
    if (u.orig_len) {
        s += " orig_len=" + std::to_string(*u.orig_len);
    }
    if (u.mru) {
        s += " mru=" + std::to_string(*u.mru);
    }
    if (u.hash) {
        char h[32];
        std::snprintf(h, sizeof h, " hash=%#" PRIx64, *u.hash);
        s += h;
    }
    if (u.userdata) {
        s += " " + format_userdata(*u.userdata, names);
    }
    if (u.actions) {
        s += " actions:" + format_actions(*u.actions, names);
    }
    if (u.egress_tun_key) {
        Bytes tun;
        put_attr(tun, OVS_KEY_ATTR_TUNNEL, *u.egress_tun_key);
        s += " egress_tun_key:" + format_flow_key(tun, {}, names, false);
    }
    s += '\n';
    if (hex) {
        s += hex_dump(u.packet);
    }
    return s;
}

Result<MonitorArgs> parse_monitor_args(std::span<const std::string> args)
{
    MonitorArgs m;
    auto usage = [](const std::string& msg) {
        Error e = Error::from_errno(EINVAL);
        e.detail = msg;
        return e;
    };
    for (size_t i = 1; i < args.size(); i++) {
        const std::string& a = args[i];
        if (a.starts_with("count=")) {
            auto n = parse_u32(std::string_view(a).substr(6));
            if (!n || !*n) {
                return usage("monitor: count= takes a positive number, not '" + a.substr(6) + "'");
            }
            m.count = *n;
        } else if (a == "hex") {
            m.hex = true;
        } else if (a.starts_with("execute=")) {
            auto acts = parse_actions(std::string_view(a).substr(8));
            if (!acts.ok()) {
                Error e = acts.take_error();
                e.detail = "monitor: execute=: " + (e.detail.empty() ? "bad actions" : e.detail);
                return e;
            }
            m.execute = std::move(acts).value();
        } else if (i == 1 && a.find('=') == std::string::npos) {
            m.dp = a;
        } else {
            return usage("monitor: unknown argument '" + a + "'");
        }
    }
    return m;
}

namespace {

// DP SET (per-CPU dispatch only) and one VPORT SET per port, with the PIDs
// the two callbacks give.
template <typename DpPids, typename PortPids>
ListenPlan pid_requests(const DpInfo& dp, const std::vector<VportInfo>& ports, DpPids dp_pids,
                        PortPids port_pids)
{
    ListenPlan plan;
    uint32_t features = dp.user_features.value_or(0);
    if (features & OVS_DP_F_DISPATCH_UPCALL_PER_CPU) {
        DpRequest r;
        r.cmd = OVS_DP_CMD_SET;
        r.dp_ifindex = dp.dp_ifindex;
        r.name = dp.name;
        r.user_features = features;
        r.per_cpu_pids = dp_pids();
        plan.dp = r;
    }
    for (const VportInfo& p : ports) {
        VportRequest r;
        r.cmd = OVS_VPORT_CMD_SET;
        r.dp_ifindex = dp.dp_ifindex;
        r.port_no = p.port_no;
        r.upcall_pids = port_pids(p);
        plan.vports.push_back(r);
    }
    return plan;
}

} // namespace

ListenPlan listen_requests(const DpInfo& dp, const std::vector<VportInfo>& ports, uint32_t pid,
                           unsigned n_cpus)
{
    return pid_requests(
        dp, ports, [&] { return std::vector<uint32_t>(n_cpus ? n_cpus : 1, pid); },
        [&](const VportInfo&) { return std::vector<uint32_t>{pid}; });
}

ListenPlan restore_requests(const DpInfo& dp, const std::vector<VportInfo>& ports)
{
    // PIDs that were empty had nobody listening: port id 0.
    return pid_requests(
        dp, ports,
        [&] { return dp.per_cpu_pids.empty() ? std::vector<uint32_t>{0} : dp.per_cpu_pids; },
        [](const VportInfo& p) { return p.upcall_pids.empty() ? std::vector<uint32_t>{0} : p.upcall_pids; });
}

PacketExecRequest execute_request(const Upcall& u, const Bytes& actions)
{
    PacketExecRequest r;
    r.dp_ifindex = u.dp_ifindex;
    r.packet = u.packet;
    r.key = u.key;
    r.actions = actions;
    r.mru = u.mru;
    return r;
}

}  // namespace ovsdp::ctl
