// SPDX-License-Identifier: GPL-2.0
// The ovs_meter genetlink commands (upstream's meter.c): FEATURES, SET, DEL,
// GET, and a dump of GET (an ovsdp extension: upstream's family has none).
// Lock contexts: datapath/commands.cpp. Errors are upstream's, each with an
// extack message; a request is checked in upstream's order (the meter's
// attributes before its datapath).
#include "datapath/datapath.h"
#include "datapath/genl_msg.h"
#include "meter/meter.h"

using namespace ovsdp;

namespace {

constexpr int kFamily = OVSDP_FAMILY_METER;

const NlAttr* id_attr(ovsdp_request* req) { return req_attr(req, uapi::OVS_METER_ATTR_ID); }

int no_id(ovsdp_request* req) { return req_fail(req, make_error(err::INVAL, "Meter ID is required")); }

Datapath* lookup_dp(ovsdp_request* req) { return dp_lookup_by_ifindex(req->net, req->dp_ifindex); }

int no_dp(ovsdp_request* req) { return req_fail(req, make_error(err::NODEV, "No datapath with this ifindex")); }

// GET and DEL: the meter ID attribute and the datapath the request names.
// Nonzero: the request failed (errno and extack set).
int meter_target(ovsdp_request* req, const NlAttr** a_id, Datapath** dp)
{
    *a_id = id_attr(req);
    if (!*a_id)
        return no_id(req);
    *dp = lookup_dp(req);
    if (!*dp)
        return no_dp(req);
    return 0;
}

// The dump's extras: what the meter was set up with.
bool meter_put_config(NlWriter& w, const Meter* m)
{
    if (m->kbps)
        w.put_flag(uapi::OVS_METER_ATTR_KBPS);
    return !w.overflowed();
}

} // namespace

extern "C" int ovsdp_meter_cmd_features(ovsdp_request* req)
{
    assert_ovsl();
    Datapath* dp = lookup_dp(req);
    if (!dp)
        return no_dp(req);
    GenlMsg msg;
    if (int rc = msg.begin(req, kFamily, uapi::OVS_METER_CMD_FEATURES, req->dp_ifindex, meter_msg_size(), false))
        return rc;
    NlWriter& w = msg.writer();
    w.put_u32(uapi::OVS_METER_ATTR_MAX_METERS, dp->meters.max_meters);
    w.put_u32(uapi::OVS_METER_ATTR_MAX_BANDS, kMeterMaxBands);
    usize bands = w.nest_begin(uapi::OVS_METER_ATTR_BANDS);
    usize band = w.nest_begin(uapi::OVS_BAND_ATTR_UNSPEC);
    w.put_u32(uapi::OVS_BAND_ATTR_TYPE, uapi::OVS_METER_BAND_TYPE_DROP);
    w.nest_end(band);
    w.nest_end(bands);
    return msg.send(req, kFamily, false);
}

extern "C" int ovsdp_meter_cmd_set(ovsdp_request* req)
{
    const NlAttr* a_id = id_attr(req);
    if (!a_id)
        return no_id(req);
    const NlAttr* bad = nullptr;
    auto created = meter_create(a_id, req_attr(req, uapi::OVS_METER_ATTR_BANDS), req_attr(req, uapi::OVS_METER_ATTR_KBPS),
                                req_attr(req, uapi::OVS_METER_ATTR_STATS), req_attr(req, uapi::OVS_METER_ATTR_CLEAR), &bad);
    if (created.is_error())
        return req_fail(req, created.error(), bad);
    Meter* m = created.value();
    GenlMsg msg;
    if (int rc = msg.begin(req, kFamily, uapi::OVS_METER_CMD_SET, req->dp_ifindex, meter_msg_size(), false)) {
        meter_free(m);
        return rc;
    }

    Meter* old;
    {
        OvsLock ovsl;
        Datapath* dp = lookup_dp(req);
        if (!dp) {
            meter_free(m);
            return no_dp(req);
        }
        auto ins = dp->meters.insert_locked(m);
        if (ins.is_error()) {
            meter_free(m);
            return req_fail(req, ins.error(), a_id);
        }
        old = ins.value();
    }
    // The reply: the id, and the replaced meter's statistics if it kept them
    // (upstream writes the id a second time with them).
    NlWriter& w = msg.writer();
    w.put_u32(uapi::OVS_METER_ATTR_ID, m->id);
    if (old && old->keep_stats)
        meter_put_stats(w, old);
    // Readers may still use the old meter: its counts above may miss their
    // last packets, as upstream's may.
    meter_free_rcu(old);
    return msg.send(req, kFamily, false);
}

extern "C" int ovsdp_meter_cmd_get(ovsdp_request* req)
{
    assert_ovsl();
    const NlAttr* a_id = nullptr;
    Datapath* dp = nullptr;
    if (int rc = meter_target(req, &a_id, &dp))
        return rc;
    const Meter* m = dp->meters.lookup(a_id->get_u32());
    if (!m)
        return req_fail(req, make_error(err::NOENT, "No meter with this ID"), a_id);
    GenlMsg msg;
    if (int rc = msg.begin(req, kFamily, uapi::OVS_METER_CMD_GET, req->dp_ifindex, meter_msg_size(), false))
        return rc;
    meter_put_stats(msg.writer(), m);
    return msg.send(req, kFamily, false);
}

extern "C" int ovsdp_meter_cmd_del(ovsdp_request* req)
{
    assert_ovsl();
    const NlAttr* a_id = nullptr;
    Datapath* dp = nullptr;
    if (int rc = meter_target(req, &a_id, &dp))
        return rc;
    GenlMsg msg;
    if (int rc = msg.begin(req, kFamily, uapi::OVS_METER_CMD_DEL, req->dp_ifindex, meter_msg_size(), false))
        return rc;
    // A missing meter is no error: the reply is empty.
    if (Meter* m = dp->meters.lookup(a_id->get_u32())) {
        meter_put_stats(msg.writer(), m);
        dp->meters.remove_locked(m);
        meter_free_rcu(m);
    }
    return msg.send(req, kFamily, false);
}

// The meters of the request's datapath, in slot order, each as a GET reply
// plus OVS_METER_ATTR_KBPS and each band's TYPE, RATE and BURST. args[0]: the
// next slot.
extern "C" int ovsdp_meter_cmd_dump(ovsdp_dump* d)
{
    assert_ovsl();
    Datapath* dp = dp_lookup_by_ifindex(d->net, d->dp_ifindex);
    if (!dp)
        return -err::NODEV;
    const MeterSlots* s = dp->meters.ti;
    u32 i = static_cast<u32>(d->args[0]);
    for (; i < s->n_slots; i++) {
        const Meter* m = s->slots[i];
        if (!m)
            continue;
        DumpMsg msg(d);
        if (!msg.begin(kFamily, uapi::OVS_METER_CMD_GET, d->dp_ifindex))
            break;
        NlWriter& w = msg.writer();
        MeterStats st = meter_read_stats(m);
        w.put_u32(uapi::OVS_METER_ATTR_ID, m->id);
        w.put(uapi::OVS_METER_ATTR_STATS, &st.stats, sizeof(st.stats));
        w.put_u64(uapi::OVS_METER_ATTR_USED, st.used_ms);
        meter_put_config(w, m);
        usize bands = w.nest_begin(uapi::OVS_METER_ATTR_BANDS);
        for (u32 b = 0; b < m->n_bands; b++) {
            usize band = w.nest_begin(uapi::OVS_BAND_ATTR_UNSPEC);
            w.put_u32(uapi::OVS_BAND_ATTR_TYPE, m->band.type);
            w.put_u32(uapi::OVS_BAND_ATTR_RATE, m->band.rate);
            w.put_u32(uapi::OVS_BAND_ATTR_BURST, m->band.burst);
            w.put(uapi::OVS_BAND_ATTR_STATS, &st.band, sizeof(st.band));
            w.nest_end(band);
        }
        w.nest_end(bands);
        if (w.overflowed())
            break; // no room left: it starts the next message
        msg.commit();
    }
    d->args[0] = i;
    return 0;
}
