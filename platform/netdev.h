// SPDX-License-Identifier: GPL-2.0
// Network devices behind vports, implemented by kmod/ (C and C++). The core
// holds devices as opaque pointers (struct net_device*) and network
// namespaces likewise (struct net*). Unless noted, called with ovs_mutex held.
#pragma once

#include "platform/platform.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ovsdp_dev_stats {
    uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
    uint64_t rx_errors, tx_errors, rx_dropped, tx_dropped;
};

// netdev vports: take the existing device `name` of `net` and divert its
// received packets to vport `vport` (an ovsdp::Vport*), linking the device to
// `master` (the datapath's local device) as its upper device. Returns 0 and
// the device in *dev (holding a reference), or -errno and a static message
// in *errmsg.
int ovsdp_netdev_attach(void* vport, void* net, const char* name, void* master, void** dev,
                        const char** errmsg);
// Stop the device from delivering packets to its vport and undo attach but
// for the reference, which ovsdp_netdev_release() drops after an RCU grace
// period.
void ovsdp_netdev_detach(void* dev);
void ovsdp_netdev_release(void* dev);

// Internal vports: create and register a device called `name` in `net` (with
// ifindex `ifindex` if non-zero) whose transmitted packets enter the datapath
// on vport `vport`. Returns 0 and the device in *dev, or -errno and a static
// message in *errmsg.
int ovsdp_internal_dev_create(void* vport, void* net, const char* name, int ifindex, void** dev,
                              const char** errmsg);
// Cut the device off its vport and unregister it; the kernel frees it after
// an RCU grace period.
void ovsdp_internal_dev_destroy(void* dev);

// Bracket many ovsdp_netdev_detach() / ovsdp_internal_dev_destroy() calls so
// that the devices are unregistered together (one RTNL section, one grace
// period). Nothing else in between.
void ovsdp_dev_batch_begin(void);
void ovsdp_dev_batch_end(void);

const char* ovsdp_dev_name(void* dev);
int ovsdp_dev_ifindex(void* dev);
void* ovsdp_dev_net(void* dev);
void ovsdp_dev_get_stats(void* dev, struct ovsdp_dev_stats* stats);
// The id of `peer` as seen from `net` (for OVS_VPORT_ATTR_NETNSID), or -1 when
// they are the same namespace.
int ovsdp_net_peer_id(void* net, void* peer);

// The vport attached to the device of that name / ifindex in `net`, or NULL.
void* ovsdp_vport_lookup_by_name(void* net, const char* name);
void* ovsdp_vport_lookup_by_ifindex(void* net, int ifindex);

// Packets.
void ovsdp_skb_free(void* skb);
unsigned int ovsdp_skb_len(void* skb);

// ---- Entry points the core provides to kmod/ ----------------------------------
// A packet arrived on a vport (softirq, or BH disabled; under rcu_read_lock).
// `tun_info`: the tunnel metadata it came with (the device's
// skb_tunnel_info(), a struct ip_tunnel_info, for ovsdp_skb_rx_tunnel), or
// NULL: netdev ports pass the device's, internal ports none (as upstream).
void ovsdp_vport_receive(void* vport, void* skb, const void* tun_info);
// The same for a shared skb without tunnel metadata, without cloning it
// when its flow drops it: 1 dropped without a copy, 2 copied and processed
// (the caller's reference consumed either way), 0 the caller must unshare
// it and call ovsdp_vport_receive() (kmod/receive.cpp).
int ovsdp_vport_receive_shared(void* vport, void* skb);
// Under RTNL from the netdevice notifier: the device behind `vport` is going
// away and kmod/ has already unhooked it; reap it at the next
// ovsdp_reap_detached_vports() (called from a work item with ovs_mutex).
void ovsdp_vport_mark_detached(void* vport);
void ovsdp_reap_detached_vports(void) OVSDP_REQUIRES(ovsdp_ovs_mutex);
// The network namespace `net` is going away: destroy its datapaths.
void ovsdp_net_exit(void* net) OVSDP_REQUIRES(ovsdp_ovs_mutex);

#ifdef __cplusplus
} // extern "C"
#endif
