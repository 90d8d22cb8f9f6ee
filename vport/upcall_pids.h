// SPDX-License-Identifier: GPL-2.0
// The Netlink port ids that upcalls go to: a vport's (OVS_VPORT_ATTR_UPCALL_PID,
// one chosen per packet by its flow hash) and a datapath's per-CPU dispatch
// targets (OVS_DP_ATTR_PER_CPU_PIDS, one chosen by the CPU the packet is on).
// One type for both: the array is replaced as a whole (writers hold ovs_mutex,
// readers are under RCU, the old array is freed after a grace period) and is
// freed with its owner, which must itself be past a grace period by then.
#pragma once

#include "base/atomic.h"
#include "base/netlink.h"
#include "base/result.h"
#include "platform/platform.h"

namespace ovsdp {

class UpcallPids {
public:
    UpcallPids() = default;
    ~UpcallPids();
    UpcallPids(const UpcallPids&) = delete;
    UpcallPids& operator=(const UpcallPids&) = delete;

    // Replace the ids with the u32s of `attr`. An attribute that is not a
    // non-empty array of u32 is refused (EINVAL, `refusal` as the message),
    // and so with `one_per_cpu_at_most` is one with more ids than possible
    // CPUs; the ids then stay as they were. ovs_mutex.
    Status replace(const NlAttr* attr, const char* refusal, bool one_per_cpu_at_most = false) OVSDP_REQUIRES(ovsdp_ovs_mutex);

    // How many ids there are (0: none set). RCU or ovs_mutex.
    u32 count() const;
    // The id for a packet with flow hash `hash`, spread evenly over the
    // array; 0 (upcalls disabled) when there is none. RCU.
    u32 by_hash(u32 hash) const;
    // The id for CPU `cpu`; with fewer ids than CPUs the CPUs share them
    // rather than lose their upcalls. 0 when there is none. RCU.
    u32 by_cpu(u32 cpu) const;

    // Write attribute `type` holding the first min(count(), max_ids) ids, or
    // the single id 0 when there is none. False when `w` overflowed.
    bool put(NlWriter& w, u16 type, u32 max_ids) const;
    // Room put() needs at most (all ids, or the single 0).
    usize attr_size() const;

private:
    struct Array {
        ovsdp_rcu_head rcu;
        u32 n_ids;
        u32 ids[];
    };
    static void free_rcu(ovsdp_rcu_head* head);

    Array* array_ = nullptr; // RCU
};

} // namespace ovsdp
