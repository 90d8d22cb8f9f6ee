// SPDX-License-Identifier: GPL-2.0
// set(tunnel) between the validated action blob and the kernel shim:
// flow_netlink's ActionTunnelInfo (followed by its option bytes) and the C
// struct ovsdp_tunnel of platform/skb_ops.h, both ways. Pure; unit-tested in
// userspace (tests/unit/actions/test_tunnel_shim.cpp).
#pragma once

#include "base/span.h"
#include "flow/flow_key.h"
#include "flow_netlink/flow_actions.h"
#include "flow_netlink/flow_netlink.h"
#include "platform/skb_ops.h"

namespace ovsdp {

// The OVS_KEY_ATTR_TUNNEL_INFO payload of a validated set(tunnel) as the
// shim's struct; *options points into `info`. False when `info` is shorter
// than its header and options (never for a validated blob).
inline bool tunnel_to_shim(ConstBytes info, ovsdp_tunnel* t, const u8** options)
{
    ActionTunnelInfo ti;
    if (info.size() < sizeof(ti))
        return false;
    __builtin_memcpy(&ti, info.data(), sizeof(ti));
    if (info.size() < sizeof(ti) + ti.options_len)
        return false;
    __builtin_memset(t, 0, sizeof(*t));
    t->tun_id = ti.key.tun_id;
    if (ti.mode & kTunnelInfoIpv6) {
        __builtin_memcpy(t->src, ti.key.ipv6.src, 16);
        __builtin_memcpy(t->dst, ti.key.ipv6.dst, 16);
    } else {
        __builtin_memcpy(t->src, &ti.key.ipv4.src, 4);
        __builtin_memcpy(t->dst, &ti.key.ipv4.dst, 4);
    }
    t->tun_flags = ti.key.tun_flags;
    t->tos = ti.key.tos;
    t->ttl = ti.key.ttl;
    t->tp_src = ti.key.tp_src;
    t->tp_dst = ti.key.tp_dst;
    t->mode = ti.mode;
    t->options_len = ti.options_len;
    *options = info.data() + sizeof(ti);
    return true;
}

// The shim's struct as a flow tunnel key (for OVS_PACKET_ATTR_EGRESS_TUN_KEY):
// the address family from the mode, as upstream's ovs_nla_put_tunnel_info.
inline FlowTunnelKey tunnel_from_shim(const ovsdp_tunnel& t)
{
    FlowTunnelKey k;
    __builtin_memset(&k, 0, sizeof(k));
    k.tun_id = t.tun_id;
    if (t.mode & kTunnelInfoIpv6) {
        k.ip_family = kAfInet6;
        __builtin_memcpy(k.ipv6.src, t.src, 16);
        __builtin_memcpy(k.ipv6.dst, t.dst, 16);
    } else {
        k.ip_family = kAfInet;
        __builtin_memcpy(&k.ipv4.src, t.src, 4);
        __builtin_memcpy(&k.ipv4.dst, t.dst, 4);
    }
    k.tun_flags = t.tun_flags;
    k.tos = t.tos;
    k.ttl = t.ttl;
    k.tp_src = t.tp_src;
    k.tp_dst = t.tp_dst;
    return k;
}

} // namespace ovsdp
