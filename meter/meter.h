// SPDX-License-Identifier: GPL-2.0
// Meters (upstream's net/openvswitch/meter.c): a datapath's table of meters,
// indexed by meter id, and the OVS_ACTION_ATTR_METER token bucket.
//
// The table is upstream's: an RCU-published array of meter pointers, slot
// id % n_slots, 1,024 slots at first, doubled when the meters fill it and
// halved when a quarter or less is used and the upper half is empty (unlike
// upstream's, doubling moves each meter to its new slot: see resize_locked). A meter
// whose slot is taken by another id is refused (EBUSY: OVS allocates small
// ids from a pool), a full table too (EFBIG). Writers hold ovs_mutex; the
// packet path reads under RCU; meters and arrays are freed after a grace
// period.
//
// The bucket does not take a lock per packet (upstream takes the meter's
// spinlock): a meter that many CPUs share would make every flow using it
// bounce one cache line between them. Instead:
//   - statistics and the last-use time are per CPU (summed by readers), so a
//     packet's bookkeeping writes only this CPU's memory;
//   - the bucket is one shared 64-bit token count, filled lazily by whoever
//     first sees time advance (a compare-and-swap moves the fill time forward,
//     so time never runs backwards and each interval is credited once), and
//     taken from with compare-and-swap;
//   - each CPU keeps a small credit of tokens it took in advance (at most 1 ms
//     of the rate and a quarter of the burst shared among the CPUs), so a
//     meter that does not drop touches the shared line about once per
//     millisecond of traffic per CPU, not once per packet.
// The rate is exact over time (tokens are only moved, never made); a burst
// may exceed the band's by the credits held on other CPUs (at most a quarter
// of it). Tokens are nano-units: rate x nanoseconds, so that one packet costs
// 10^9 (packets per second) and one bit 10^6 (kilobits per second), and a
// burst of B is B x 10^9 in both.
#pragma once

#include "base/atomic.h"
#include "base/netlink.h"
#include "base/ovs_abi.h"
#include "base/result.h"
#include "platform/genl.h"
#include "platform/platform.h"

namespace ovsdp {

inline constexpr u32 kMeterMaxBands = 1;            // DP_MAX_BANDS
inline constexpr u32 kMeterTableMinSlots = 1024;    // DP_METER_ARRAY_SIZE_MIN
inline constexpr u32 kMeterMaxMeters = 200000;      // DP_METER_NUM_MAX
inline constexpr u64 kMeterTokensPerUnit = 1000000000ULL; // a packet, or a kilobit
inline constexpr u64 kMeterTokensPerBit = 1000000ULL;

// One CPU's share of a meter. Written only by that CPU's packet path (BH
// disabled); read by GET/DEL/dump with relaxed loads.
struct MeterPerCpu {
    u64 n_packets;       // packets that went through the meter
    u64 n_bytes;
    u64 band_packets;    // of them, packets that exceeded the band
    u64 band_bytes;
    u64 used_ns;         // the last packet's time on this CPU (0: none)
    u64 credit;          // tokens taken from the shared bucket, not spent yet
    u64 pad[2];
};

struct MeterBand {
    u32 type;            // OVS_METER_BAND_TYPE_*
    u32 rate;            // packets per second or kilobits per second
    u32 burst;           // packets or kilobits
};

struct Meter {
    // Read on every packet, written only at creation.
    u32 id;
    bool kbps;
    bool keep_stats;     // !OVS_METER_ATTR_CLEAR: a replacing SET answers with our stats
    u32 n_bands;         // 0 or 1
    MeterBand band;
    u64 rate;            // tokens per nanosecond (= band.rate)
    u64 burst_tokens;    // band.burst x 10^9
    u64 max_delta_ns;    // a longer pause than this fills the bucket anyway
    u64 credit_chunk;    // tokens a CPU may take beyond its packet's cost
    MeterPerCpu* percpu;
    u64 created_ns;
    uapi::FlowStats base_stats; // from SET's OVS_METER_ATTR_STATS
    ovsdp_rcu_head rcu;
    u64 pad0[3];
    // Written by the CPUs that run short of credit: at byte 128, a cache
    // line of its own (the packet path's fast case reads only bytes 0-63).
    Atomic<u64> tokens;
    Atomic<u64> filled_ns; // the bucket holds what accrued up to this time
    u64 pad1[6];
};
static_assert(sizeof(Meter) == 192, "Meter's layout: read-mostly line, rarely used line, shared bucket line");

// What a meter has counted, summed over CPUs.
struct MeterStats {
    uapi::FlowStats stats;
    uapi::FlowStats band;
    u64 used_ms;
};

// The RCU-published array of a table.
struct MeterSlots {
    ovsdp_rcu_head rcu;
    u32 n_slots;
    Meter* slots[]; // slots[id % n_slots]
};

struct MeterTable {
    MeterSlots* ti = nullptr;     // RCU
    u32 count = 0;                // meters in the table; ovs_mutex
    u32 max_meters = 0;           // upstream's max_meters_allowed
    bool retired = false;         // destroy_rcu_locked() ran

    // Datapath creation (process context): the first array and the limit,
    // from free memory as upstream (1/32 of it, at most 200,000 meters).
    Status init();
    // Free everything now: a datapath that was never published (nothing if
    // destroy_rcu_locked() ran).
    void destroy();
    // The datapath is going away and no new reader can reach it (its ports
    // are gone): every meter and the array are freed after a grace period,
    // in process context here as upstream's kfree_rcu() per meter (not
    // 200,000 frees in one RCU callback).
    void destroy_rcu_locked() OVSDP_REQUIRES(ovsdp_ovs_mutex);

    // Under RCU or ovs_mutex.
    Meter* lookup(u32 id) const
    {
        const MeterSlots* s = rcu_deref(ti);
        Meter* m = rcu_deref(s->slots[id % s->n_slots]);
        return m && m->id == id ? m : nullptr;
    }

    // ovs_mutex. Put `m` in: a meter of the same id is replaced (returned,
    // to be freed by the caller after it read its stats: meter_free_rcu());
    // otherwise EFBIG when the table is full, ENOMEM when it cannot grow,
    // EBUSY when m's slot holds another id.
    Result<Meter*> insert_locked(Meter* m) OVSDP_REQUIRES(ovsdp_ovs_mutex);
    // ovs_mutex. Take `m` (in the table) out; the table may shrink. The
    // caller frees m (meter_free_rcu()).
    void remove_locked(Meter* m) OVSDP_REQUIRES(ovsdp_ovs_mutex);

    u32 n_slots() const { return rcu_deref(ti)->n_slots; }
};

// A meter built from an OVS_METER_CMD_SET request's attributes (process
// context, before any lock). `bad` gets the offending attribute on error.
Result<Meter*> meter_create(const NlAttr* a_id, const NlAttr* a_bands, const NlAttr* a_kbps,
                            const NlAttr* a_stats, const NlAttr* a_clear, const NlAttr** bad);
// Free a meter no reader can reach any more (never published, or after a
// grace period).
void meter_free(Meter* m);
// Free a meter after a grace period.
void meter_free_rcu(Meter* m);
MeterStats meter_read_stats(const Meter* m);

// The token bucket: charge `cost` tokens to `m` at time `now_ns` on this CPU.
// True when the bucket (this CPU's credit and the shared tokens) holds less
// than the cost: nothing is taken then. BH disabled.
inline bool meter_bucket_short(Meter* m, MeterPerCpu* pc, u64 cost, u64 now_ns)
{
    if (OVSDP_LIKELY(pc->credit >= cost)) {
        pc->credit -= cost;
        return false;
    }
    // Credit the time since the last fill, once: whoever moves filled_ns
    // forward adds what accrued; time that runs backwards adds nothing.
    u64 last = m->filled_ns.load(__ATOMIC_RELAXED);
    while (now_ns > last) {
        if (m->filled_ns.compare_exchange(last, now_ns, __ATOMIC_RELAXED)) {
            u64 delta = now_ns - last;
            if (delta > m->max_delta_ns)
                delta = m->max_delta_ns;
            u64 add = delta * m->rate; // <= burst_tokens + rate: no overflow
            u64 t = m->tokens.load(__ATOMIC_RELAXED);
            u64 n;
            do {
                n = t + add < m->burst_tokens ? t + add : m->burst_tokens;
            } while (n > t && !m->tokens.compare_exchange(t, n, __ATOMIC_RELAXED));
            break;
        }
    }
    u64 need = cost - pc->credit;
    u64 t = m->tokens.load(__ATOMIC_RELAXED);
    for (;;) {
        if (t < need)
            return true;
        u64 grab = t - need > m->credit_chunk ? need + m->credit_chunk : t;
        if (m->tokens.compare_exchange(t, t - grab, __ATOMIC_RELAXED)) {
            pc->credit = pc->credit + grab - cost;
            return false;
        }
    }
}

// OVS_ACTION_ATTR_METER (upstream's ovs_meter_execute): true when the packet
// (`len` bytes) exceeds a DROP band and must be dropped. A missing meter
// lets it pass. Packet path: RCU, BH disabled.
inline bool meter_execute(const MeterTable& tbl, u32 id, u32 len, u64 now_ns)
{
    Meter* m = tbl.lookup(id);
    if (!m)
        return false;
    auto* pc = static_cast<MeterPerCpu*>(ovsdp_this_cpu_ptr(m->percpu));
    pc->n_packets++;
    pc->n_bytes += len;
    if (now_ns > pc->used_ns)
        pc->used_ns = now_ns;
    if (!m->n_bands)
        return false;
    u64 cost = m->kbps ? static_cast<u64>(len) * 8 * kMeterTokensPerBit : kMeterTokensPerUnit;
    if (OVSDP_LIKELY(!meter_bucket_short(m, pc, cost, now_ns)))
        return false;
    pc->band_packets++;
    pc->band_bytes += len;
    return m->band.type == uapi::OVS_METER_BAND_TYPE_DROP;
}

// Write OVS_METER_ATTR_ID, STATS, USED and BANDS (one nest with STATS per
// band), as upstream's replies.
bool meter_put_stats(NlWriter& w, const Meter* m);
// Upper bound of meter_put_stats() and the extension attributes of a dump.
usize meter_msg_size();

} // namespace ovsdp

// The ovs_meter commands (meter/meter_cmds.cpp), run through the command table
// (datapath/commands.h): SET parses and allocates, then takes ovs_mutex
// itself; the others run with ovs_mutex held by the dispatcher.
extern "C" {
int ovsdp_meter_cmd_features(struct ovsdp_request* req) OVSDP_REQUIRES(ovsdp_ovs_mutex);
int ovsdp_meter_cmd_set(struct ovsdp_request* req) OVSDP_EXCLUDES(ovsdp_ovs_mutex);
int ovsdp_meter_cmd_get(struct ovsdp_request* req) OVSDP_REQUIRES(ovsdp_ovs_mutex);
int ovsdp_meter_cmd_del(struct ovsdp_request* req) OVSDP_REQUIRES(ovsdp_ovs_mutex);
int ovsdp_meter_cmd_dump(struct ovsdp_dump* dump) OVSDP_REQUIRES(ovsdp_ovs_mutex);
}
