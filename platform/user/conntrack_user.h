// SPDX-License-Identifier: GPL-2.0
// The userspace connection tracker (the kernel's is nf_conntrack, through
// kmod/conntrack.c): a small deterministic model, enough to run the ct action
// through the real packet path in unit tests and fuzzers. One table for the
// whole process (one "namespace"); connections are keyed by zone and 5-tuple
// (addresses, IP protocol, ports or ICMP type/code as the flow key has them).
//
// What it models of nf_conntrack, as upstream's ovs_ct_execute() sees it:
// - a lookup attaches a connection to the packet (UserPacket::ct()): a
//   confirmed one matching the tuple in either direction, or a new
//   unconfirmed one; the key then reads +trk and +new (original direction,
//   no reply seen yet), +est (a reply was seen) or +est+rpl (reply direction);
// - a second ct in the same zone on the same packet reuses its connection
//   (upstream's skb_nfct_cached());
// - commit confirms the connection and sets mark and labels under their
//   masks; force_commit first forgets a connection met in the reply direction;
// - a packet keeps its connection across recirculation; ct_clear drops it;
//   one back from userspace whose key says ct ran in this zone finds its
//   confirmed connection again and keeps the key's state;
// - commit of a new connection in a zone with a limit (ovs_ct_limit) fails
//   with ENOMEM when the zone's confirmed connections reach it.
// - a fragment (the key says so) is first reassembled in the action's zone
//   (ct_defrag): kept until its datagram is complete, which then goes on in
//   place of the fragment that completed it, with the largest fragment's IP
//   length as its MRU (in order or not; overlaps drop the datagram);
// No NAT, helpers' expectations, timeouts, TCP window tracking, fragment
// timeouts or IPv4 options' copy rules.
// One namespace: one zone limit table, whatever net a command names.
#pragma once

#include "flow/flow_key.h"
#include "platform/conntrack.h"
#include "platform/user/user_packet.h"

namespace ovsdp::user {

// The ct action on pkt (DpHost::ct): 0.
int ct_execute(UserPacket& pkt, FlowKey& key, const ovsdp_ct_action& act);
// Reassembly before the ct action (upstream's handle_fragments()): 0 with
// pkt the whole datagram; otherwise pkt is freed and -EINPROGRESS (kept until
// the datagram is complete) or another -errno.
int ct_defrag(UserPacket& pkt, const ovsdp_ct_action& act);
// ct_clear: the packet is untracked.
void ct_clear(UserPacket& pkt);
// At receive: key.ct from the connection the packet carries (none: zero).
void ct_fill_key(const UserPacket& pkt, FlowKey& key);

// Test controls and views.
void ct_flush(); // forget every connection and fragment
usize ct_frag_queues(); // datagrams being reassembled
long ct_live_actions(); // ct actions whose resources were made and not yet released
// The namespace goes: its zone limit table is freed (after a grace period).
void ct_limit_net_exit();
usize ct_connections(u16 zone, bool confirmed_only = true);

} // namespace ovsdp::user
