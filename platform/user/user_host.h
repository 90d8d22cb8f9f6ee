// SPDX-License-Identifier: GPL-2.0
// The userspace host of the packet path (datapath/packet_path.h, DpHost), for
// tests and fuzzers: packets are UserPackets, what the kernel would transmit
// is captured per port, upcalls are captured as the messages userspace would
// read. Thread-safe: the captures take a lock; the engine state is per
// simulated CPU (user_platform.h).
#pragma once

#include "datapath/packet_path.h"
#include "platform/user/conntrack_user.h"
#include "platform/user/user_packet.h"

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace ovsdp::user {

// A packet handed to a port's device.
struct SentPacket {
    u32 port;
    u8 mac_proto;
    u16 mru;          // MRU the packet carried (transmit_mru), else 0
    bool via_mru;     // went through the MRU path (fragmenting) of do_output
    be16 eth_type;    // the key's ethertype, for the MRU path
    u32 mark;
    u32 priority;
    bool has_tunnel;
    ovsdp_tunnel tunnel;
    const void* tunnel_block; // the metadata block (UserPacket::tunnel_block())
    std::vector<u8> bytes; // with the VLAN tag, if any, inside
};

// One upcall message as the receiving socket reads it.
struct Upcall {
    u32 portid;
    u8 cmd;
    int dp_ifindex;
    void* net;
    std::vector<u8> attrs; // OVS_PACKET_ATTR_*; OVS_PACKET_ATTR_PACKET last
    // The whole message: netlink header (nlmsg_type kUpcallFamilyId), genl
    // header, ovs_header, then attrs.
    std::vector<u8> wire;

    const NlAttr* attr(u16 type) const;
    // OVS_PACKET_ATTR_KEY parsed as the flow key it describes (false if absent
    // or not parseable).
    bool key(FlowKey* out) const;
    std::vector<u8> packet() const;
};

// The packet family's id in the userspace host's messages (the kernel's is
// assigned at registration).
inline constexpr u16 kUpcallFamilyId = 0x1d;
// Netlink, genl and ovs headers of an upcall message.
inline constexpr usize kUpcallHdrLen = 16 + 4 + 4;

class UserHost {
public:
    using Packet = UserPacket;

    UserHost();
    ~UserHost();
    UserHost(const UserHost&) = delete;
    UserHost& operator=(const UserHost&) = delete;

    // ---- DpHost ----
    ActionState<UserPacket>& action_state()
    {
        return *static_cast<ActionState<UserPacket>*>(ovsdp_this_cpu_ptr(state_));
    }
    bool clone(UserPacket& pkt, void* storage);
    void consume(UserPacket&& pkt);
    void drop(UserPacket&& pkt);
    void transmit(Vport* v, UserPacket&& pkt, u8 mac_proto);
    void transmit_mru(Vport* v, UserPacket&& pkt, u8 mac_proto, be16 eth_type);
    int upcall_begin(const UpcallMessage& m, UserPacket& pkt, ovsdp_upcall_msg* u);
    int upcall_commit(const UpcallMessage& m, ovsdp_upcall_msg* u, u32 attrs_len);
    void upcall_cancel(ovsdp_upcall_msg* u);
    // A GSO packet (gso_mac_seglen) is cut into segments of that many bytes
    // of its wire form (VLAN tag inside), as __skb_gso_segment would.
    template <typename F>
    int for_each_segment(UserPacket& pkt, F&& f)
    {
        std::vector<u8> bytes;
        usize seg = gso_segments(pkt, &bytes);
        if (!seg)
            return f(pkt, true);
        int err = 0;
        for (usize off = 0; off < bytes.size(); off += seg) {
            UserPacket part(bytes.data() + off, bytes.size() - off < seg ? bytes.size() - off : seg);
            if (!err)
                err = f(part, off == 0);
            part.free();
        }
        return err;
    }
    bool packet_from_bytes(ConstBytes b, Vport* in, void* storage, void* msg);
    void set_input_port(UserPacket& pkt, Vport* in);
    void set_tunnel_dst(UserPacket& pkt, void* dst) { pkt.set_tunnel_dst(dst); }
    // The packet's own tunnel metadata (`info` only says there is some, as
    // the kernel entry's skb_tunnel_info()); a port marked foreign
    // (set_foreign_netns_port) scrubs it instead.
    int rx_tunnel(Vport* in, UserPacket& pkt, const void* info, ovsdp_tunnel* t, u8* opts);
    int egress_tunnel(Vport* v, UserPacket& pkt, ovsdp_tunnel* t, u8* opts, u32 cap);
    // The userspace conntrack model (conntrack_user.h).
    int ct(UserPacket& pkt, FlowKey& key, const ovsdp_ct_action& act, void*)
    {
        if (OVSDP_UNLIKELY(key.ip.frag != kFragNone))
            return ct_fragment(pkt, key, act);
        return ct_execute(pkt, key, act);
    }
    // A fragment: reassembled first (ct_defrag), the key then re-extracted.
    int ct_fragment(UserPacket& pkt, FlowKey& key, const ovsdp_ct_action& act);
    void ct_clear(UserPacket& pkt) { user::ct_clear(pkt); }
    void ct_fill_rx(UserPacket& pkt, FlowKey& key) { user::ct_fill_key(pkt, key); }
    u32 random_u32();
    // The userspace platform's ktime (tests freeze it: set_ktime_ns()).
    u64 now_ns() { return ovsdp_ktime_get_ns(); }
    void bh_disable();
    void bh_enable();
    void preempt_disable() { ovsdp_preempt_disable(); }
    void preempt_enable() { ovsdp_preempt_enable(); }

    // ---- Test controls and observations (lock taken inside) ----
    // Back to a fresh host's controls and captures (the engine state stays:
    // it is plain memory between packets).
    void reset();
    // Ports whose device is a tunnel device: they tell an egress tunnel.
    void set_tunnel_port(u32 port_no);
    // Ports whose device sits in another network namespace than the
    // datapath: tunnel metadata received on them is scrubbed.
    void set_foreign_netns_port(u32 port_no);
    // Make every later upcall_begin fail with `err` (negative; 0: succeed).
    void set_upcall_error(int err);
    // Make every later clone / packet_from_bytes fail (memory short).
    void set_alloc_failure(bool fail);
    // Make random_u32 return `v` (e.g. 0 or ~0u for sample()).
    void set_random(u32 v);
    // Sent packets, upcalls (taken: the captures start empty again).
    std::vector<SentPacket> take_sent();
    std::vector<Upcall> take_upcalls();
    std::vector<SentPacket> take_sent(u32 port);
    // The port whose device the last packet_from_bytes packet was made on.
    u32 last_packet_port() const;
    u64 consumed() const;
    u64 dropped() const;
    // local_bh_enable() calls: one at the end of each EXECUTE, one a breath.
    u64 bh_enables() const;

    // Messages reserved by upcall_begin and not yet committed or cancelled.
    long upcalls_open() const;

private:
    // The wire bytes of a GSO packet to segment and the segment size, or 0.
    static usize gso_segments(const UserPacket& pkt, std::vector<u8>* bytes);

    void* state_; // per-CPU ActionState<UserPacket>
    mutable std::mutex mu_;
    std::vector<SentPacket> sent_;
    std::vector<Upcall> upcalls_;
    long upcalls_open_ = 0;
    std::set<u32> tunnel_ports_;
    std::set<u32> foreign_netns_ports_;
    int upcall_error_ = 0;
    bool alloc_failure_ = false;
    bool fixed_random_ = false;
    u32 random_ = 0;
    u32 last_packet_port_ = 0;
    u64 consumed_ = 0;
    u64 dropped_ = 0;
    u64 bh_enables_ = 0;
};

static_assert(DpHost<UserHost>);

} // namespace ovsdp::user
