// SPDX-License-Identifier: GPL-2.0
// The meter table and meters (meter/meter.h).
#include "meter/meter.h"

#include "platform/alloc.h"

namespace ovsdp {

namespace {

MeterSlots* slots_alloc(u32 n)
{
    usize size = sizeof(MeterSlots) + static_cast<usize>(n) * sizeof(Meter*);
    auto* s = static_cast<MeterSlots*>(ovsdp_kvmalloc(size, OVSDP_GFP_KERNEL | OVSDP_GFP_ZERO));
    if (s)
        s->n_slots = n;
    return s;
}

void slots_free_cb(ovsdp_rcu_head* head) { ovsdp_kvfree(container_of(head, &MeterSlots::rcu)); }

// Replace the array with one of `n` slots, each meter at id % n: doubling
// never makes two meters share a slot (ids apart mod n are apart mod 2n); the
// caller halves only when the upper half is empty (a meter below n / 2 keeps
// its slot). Upstream copies slot i to slot i, which loses a meter whose id
// lies above the old size (id 1024 in slot 0 of 1,024 is looked up in slot
// 1,024 of 2,048). ENOMEM leaves the table as it was.
Status resize_locked(MeterTable& t, u32 n) OVSDP_REQUIRES(ovsdp_ovs_mutex)
{
    MeterSlots* old = t.ti;
    MeterSlots* s = slots_alloc(n);
    if (!s)
        return make_error(err::NOMEM, "Cannot resize the meter table");
    for (u32 i = 0; i < old->n_slots; i++)
        if (Meter* m = old->slots[i])
            s->slots[m->id % n] = m;
    rcu_assign(t.ti, s);
    ovsdp_call_rcu(&old->rcu, slots_free_cb);
    return {};
}

// What one meter costs: upstream counts sizeof(struct dp_meter); ours has a
// per-CPU part too.
usize meter_footprint() { return sizeof(Meter) + sizeof(MeterPerCpu) * static_cast<usize>(ovsdp_nr_cpu_ids()); }

void meter_free_cb(ovsdp_rcu_head* head) { meter_free(container_of(head, &Meter::rcu)); }

// A band nest's attributes as upstream's nla_parse_deprecated() with its
// band policy takes them: u32s need 4 bytes, STATS 16 (ERANGE otherwise);
// types above the maximum are ignored, the last of duplicates wins.
Status parse_band(const NlAttr* nest, const NlAttr* (&a)[uapi::kBandAttrMax + 1], const NlAttr** bad)
{
    for (NlAttrIter it(nest->payload()); !it.done(); it.next()) {
        const NlAttr* x = it.get();
        u16 type = x->type();
        if (type > uapi::kBandAttrMax)
            continue;
        usize min = type == uapi::OVS_BAND_ATTR_STATS ? sizeof(uapi::FlowStats) : type ? sizeof(u32) : 0;
        if (x->len() < min) {
            *bad = x;
            return make_error(err::RANGE, type == uapi::OVS_BAND_ATTR_STATS
                                              ? "Meter band statistics are shorter than struct ovs_flow_stats"
                                              : "Meter band type, rate and burst are u32");
        }
        a[type] = x;
    }
    return {};
}

} // namespace

Status MeterTable::init()
{
    u64 per_meter = meter_footprint();
    u64 allowed = ovsdp_free_buffer_bytes() / 32 / per_meter;
    max_meters = allowed < kMeterMaxMeters ? static_cast<u32>(allowed) : kMeterMaxMeters;
    if (!max_meters)
        return make_error(err::NOMEM, "No memory for meters");
    ti = slots_alloc(kMeterTableMinSlots);
    if (!ti)
        return make_error(err::NOMEM, "Cannot allocate the meter table");
    count = 0;
    return {};
}

void MeterTable::destroy()
{
    if (!ti || retired)
        return;
    for (u32 i = 0; i < ti->n_slots; i++)
        meter_free(ti->slots[i]);
    ovsdp_kvfree(ti);
    ti = nullptr;
    count = 0;
}

void MeterTable::destroy_rcu_locked()
{
    assert_ovsl();
    if (!ti)
        return;
    for (u32 i = 0; i < ti->n_slots; i++)
        meter_free_rcu(ti->slots[i]);
    // Readers that found the datapath before its ports went still see the
    // array and its meters until the grace period ends.
    ovsdp_call_rcu(&ti->rcu, slots_free_cb);
    retired = true;
}

Result<Meter*> MeterTable::insert_locked(Meter* m)
{
    assert_ovsl();
    if (Meter* old = lookup(m->id)) {
        rcu_assign(ti->slots[m->id % ti->n_slots], m);
        return old;
    }
    // As upstream's attach_meter(): counting the new meter, the table must
    // stay below the limit (so it holds at most max_meters - 1).
    if (count + 1 >= max_meters)
        return make_error(err::FBIG, "Meter table is full");
    if (count + 1 >= ti->n_slots)
        TRY(resize_locked(*this, ti->n_slots * 2));
    Meter*& slot = ti->slots[m->id % ti->n_slots];
    if (slot)
        return make_error(err::BUSY, "Another meter id uses this meter's slot");
    rcu_assign(slot, m);
    count++;
    return static_cast<Meter*>(nullptr);
}

void MeterTable::remove_locked(Meter* m)
{
    assert_ovsl();
    u32 n = ti->n_slots;
    write_once(ti->slots[m->id % n], static_cast<Meter*>(nullptr));
    count--;
    if (n <= kMeterTableMinSlots || count > n / 4)
        return;
    // Meters keep their slots: shrink only when the upper half is empty.
    for (u32 i = n / 2; i < n; i++)
        if (ti->slots[i])
            return;
    // Out of memory: the table just stays larger.
    (void)resize_locked(*this, n / 2);
}

Result<Meter*> meter_create(const NlAttr* a_id, const NlAttr* a_bands, const NlAttr* a_kbps,
                            const NlAttr* a_stats, const NlAttr* a_clear, const NlAttr** bad)
{
    if (!a_bands)
        return make_error(err::INVAL, "Meter bands are required");
    u32 n_bands = 0;
    for (NlAttrIter it(a_bands->payload()); !it.done(); it.next()) {
        if (++n_bands > kMeterMaxBands) {
            *bad = a_bands;
            return make_error(err::INVAL, "A meter takes at most one band");
        }
    }
    // Parse the band before allocating.
    MeterBand band {};
    for (NlAttrIter it(a_bands->payload()); !it.done(); it.next()) {
        const NlAttr* a[uapi::kBandAttrMax + 1] = {};
        TRY(parse_band(it.get(), a, bad));
        if (!a[uapi::OVS_BAND_ATTR_TYPE] || !a[uapi::OVS_BAND_ATTR_RATE] || !a[uapi::OVS_BAND_ATTR_BURST]) {
            *bad = it.get();
            return make_error(err::INVAL, "A meter band needs a type, a rate and a burst size");
        }
        band.type = a[uapi::OVS_BAND_ATTR_TYPE]->get_u32();
        band.rate = a[uapi::OVS_BAND_ATTR_RATE]->get_u32();
        band.burst = a[uapi::OVS_BAND_ATTR_BURST]->get_u32();
        if (!band.rate) {
            *bad = a[uapi::OVS_BAND_ATTR_RATE];
            return make_error(err::INVAL, "Meter band rate must not be 0");
        }
    }

    Meter* m = make_zeroed<Meter>(Gfp::Kernel);
    if (!m)
        return make_error(err::NOMEM);
    m->percpu = static_cast<MeterPerCpu*>(ovsdp_alloc_percpu(sizeof(MeterPerCpu), alignof(MeterPerCpu)));
    if (!m->percpu) {
        destroy(m);
        return make_error(err::NOMEM);
    }
    m->id = a_id->get_u32();
    m->kbps = a_kbps != nullptr;
    m->keep_stats = a_clear == nullptr;
    if (m->keep_stats && a_stats)
        m->base_stats = a_stats->get<uapi::FlowStats>();
    m->n_bands = n_bands;
    m->band = band;
    m->created_ns = ovsdp_ktime_get_ns();
    if (n_bands) {
        m->rate = band.rate;
        m->burst_tokens = static_cast<u64>(band.burst) * kMeterTokensPerUnit;
        m->max_delta_ns = (m->burst_tokens + m->rate - 1) / m->rate;
        u64 share = m->burst_tokens / (4 * static_cast<u64>(ovsdp_nr_cpu_ids()));
        u64 ms = m->rate * 1000000;
        m->credit_chunk = share < ms ? share : ms;
        // The bucket starts full.
        m->tokens.store(m->burst_tokens, __ATOMIC_RELAXED);
        m->filled_ns.store(m->created_ns, __ATOMIC_RELAXED);
    }
    return m;
}

void meter_free(Meter* m)
{
    if (!m)
        return;
    ovsdp_free_percpu(m->percpu);
    destroy(m);
}

void meter_free_rcu(Meter* m)
{
    if (m)
        ovsdp_call_rcu(&m->rcu, meter_free_cb);
}

MeterStats meter_read_stats(const Meter* m)
{
    MeterStats s {};
    s.stats = m->base_stats;
    u64 used = m->created_ns;
    int n = ovsdp_nr_cpu_ids();
    for (int cpu = 0; cpu < n; cpu++) {
        auto* pc = static_cast<const MeterPerCpu*>(ovsdp_per_cpu_ptr(m->percpu, cpu));
        s.stats.n_packets += read_once(pc->n_packets);
        s.stats.n_bytes += read_once(pc->n_bytes);
        s.band.n_packets += read_once(pc->band_packets);
        s.band.n_bytes += read_once(pc->band_bytes);
        u64 u = read_once(pc->used_ns);
        if (u > used)
            used = u;
    }
    s.used_ms = used / 1000000;
    return s;
}

bool meter_put_stats(NlWriter& w, const Meter* m)
{
    MeterStats s = meter_read_stats(m);
    w.put_u32(uapi::OVS_METER_ATTR_ID, m->id);
    w.put(uapi::OVS_METER_ATTR_STATS, &s.stats, sizeof(s.stats));
    w.put_u64(uapi::OVS_METER_ATTR_USED, s.used_ms);
    usize bands = w.nest_begin(uapi::OVS_METER_ATTR_BANDS);
    for (u32 i = 0; i < m->n_bands; i++) {
        usize b = w.nest_begin(uapi::OVS_BAND_ATTR_UNSPEC);
        w.put(uapi::OVS_BAND_ATTR_STATS, &s.band, sizeof(s.band));
        w.nest_end(b);
    }
    w.nest_end(bands);
    return !w.overflowed();
}

usize meter_msg_size()
{
    // ID twice (a replacing SET), STATS, USED, KBPS, the band nest with its
    // STATS, TYPE, RATE and BURST.
    return 2 * nla_total_size(sizeof(u32)) + nla_total_size(sizeof(uapi::FlowStats)) +
           nla_total_size(sizeof(u64)) + nla_total_size(0) +
           nla_total_size(nla_total_size(nla_total_size(sizeof(uapi::FlowStats)) + 3 * nla_total_size(sizeof(u32))));
}

} // namespace ovsdp
