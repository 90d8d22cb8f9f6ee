// SPDX-License-Identifier: GPL-2.0
// The ovs_vport genetlink commands (NEW, DEL, GET, SET, dump), and the
// removal of ports whose device went away. kmod/ parses the generic netlink
// header, checks the attribute policy and holds ovs_mutex.
#include "datapath/datapath.h"
#include "datapath/genl_msg.h"
#include "platform/netdev.h"
#include "vport/vport.h"

namespace ovsdp {

namespace {

int vport_reply(ovsdp_request* req, const Vport* vport, u8 cmd, bool notify)
{
    GenlMsg msg;
    if (int rc = msg.begin(req, OVSDP_FAMILY_VPORT, cmd, dp_ifindex(vport->dp), vport_msg_size(vport), notify))
        return rc;
    if (!vport_fill_info(vport, req->net, msg.writer(), true))
        return req_fail(req, make_error(err::MSGSIZE, "Vport reply too large"));
    return msg.send(req, OVSDP_FAMILY_VPORT, notify);
}

// The port a request names: by device name (in the request's datapath, if
// it gives one) or by number in the request's datapath.
Result<Vport*> lookup_vport(ovsdp_request* req)
{
    if (const NlAttr* a = req_attr(req, uapi::OVS_VPORT_ATTR_IFINDEX)) {
        req->extack_attr = a;
        return make_error(err::OPNOTSUPP, "Vport lookup by ifindex is not supported");
    }
    if (const NlAttr* name = req_attr(req, uapi::OVS_VPORT_ATTR_NAME)) {
        auto* vport = static_cast<Vport*>(ovsdp_vport_lookup_by_name(req->net, name->get_string()));
        if (!vport || vport->detached)
            return make_error(err::NODEV, "No vport with this name");
        if (req->dp_ifindex && req->dp_ifindex != dp_ifindex(vport->dp))
            return make_error(err::NODEV, "Vport is not in this datapath");
        return vport;
    }
    if (const NlAttr* a = req_attr(req, uapi::OVS_VPORT_ATTR_PORT_NO)) {
        u32 port_no = a->get_u32();
        if (port_no >= uapi::kDpMaxPorts) {
            req->extack_attr = a;
            return make_error(err::FBIG, "Port number out of range");
        }
        Datapath* dp = dp_lookup_by_ifindex(req->net, req->dp_ifindex);
        if (!dp)
            return make_error(err::NODEV, "No datapath with this ifindex");
        Vport* vport = dp->ports.lookup(port_no);
        if (!vport || vport->detached)
            return make_error(err::NODEV, "No vport with this port number");
        return vport;
    }
    return make_error(err::INVAL, "Vport name or port number required");
}

// Remove `dp`'s ports whose device went away, announcing each removal.
void reap_detached(Datapath* dp) OVSDP_REQUIRES(ovsdp_ovs_mutex)
{
    dp->ports.for_each_safe([dp](Vport* vport) {
        assert_ovsl(); // called here, with it held
        if (!read_once(vport->detached))
            return;
        GenlMsg msg;
        bool have_msg = msg.begin_multicast(OVSDP_FAMILY_VPORT, uapi::OVS_VPORT_CMD_DEL, dp_ifindex(dp),
                                            vport_msg_size(vport)) == 0
            && vport_fill_info(vport, dp->net, msg.writer(), true);
        vport_del(vport);
        if (have_msg)
            msg.multicast(dp->net, OVSDP_FAMILY_VPORT);
    });
}

} // namespace

} // namespace ovsdp

using namespace ovsdp;

extern "C" int ovsdp_vport_cmd_new(ovsdp_request* req)
{
    assert_ovsl();
    const NlAttr* name = req_attr(req, uapi::OVS_VPORT_ATTR_NAME);
    const NlAttr* type = req_attr(req, uapi::OVS_VPORT_ATTR_TYPE);
    const NlAttr* pids = req_attr(req, uapi::OVS_VPORT_ATTR_UPCALL_PID);
    if (!name || !type || !pids)
        return req_fail(req, make_error(err::INVAL, "Vport name, type and upcall PID are required"));
    const VportOps* ops = vport_ops(type->get_u32());
    const NlAttr* ifindex = req_attr(req, uapi::OVS_VPORT_ATTR_IFINDEX);
    if (ifindex && !(ops && ops->takes_ifindex))
        return req_fail(req, make_error(err::OPNOTSUPP, "Only internal vports take an ifindex"), ifindex);
    if (!ops)
        return req_fail(req, make_error(err::AFNOSUPPORT, "Vport type not supported by this datapath"), type);
    const NlAttr* opts = req_attr(req, uapi::OVS_VPORT_ATTR_OPTIONS);
    if (opts && !ops->set_options)
        return req_fail(req, make_error(err::OPNOTSUPP, "This vport type takes no options"), opts);

    u32 port_no = 0;
    const NlAttr* a_port = req_attr(req, uapi::OVS_VPORT_ATTR_PORT_NO);
    if (a_port) {
        port_no = a_port->get_u32();
        if (port_no >= uapi::kDpMaxPorts)
            return req_fail(req, make_error(err::FBIG, "Port number out of range"), a_port);
    }

    Datapath* dp = dp_lookup_by_ifindex(req->net, req->dp_ifindex);
    if (!dp)
        return req_fail(req, make_error(err::NODEV, "No datapath with this ifindex"));
    if (port_no) {
        if (dp->ports.lookup(port_no))
            return req_fail(req, make_error(err::BUSY, "Port number already in use"), a_port);
    } else {
        port_no = dp->ports.first_free();
        if (!port_no)
            return req_fail(req, make_error(err::FBIG, "Datapath has no free port number"));
    }

    VportParms parms = { name->get_string(), type->get_u32(), port_no,
                         ifindex ? static_cast<int>(ifindex->get_u32()) : 0, pids, opts };
    auto vport = vport_add(dp, parms, req);
    if (vport.is_error())
        return req_fail(req, vport.error(), static_cast<const NlAttr*>(req->extack_attr));
    vport_reply(req, vport.value(), uapi::OVS_VPORT_CMD_NEW, true);
    return 0;
}

extern "C" int ovsdp_vport_cmd_del(ovsdp_request* req)
{
    assert_ovsl();
    auto vport = lookup_vport(req);
    if (vport.is_error())
        return req_fail(req, vport.error(), static_cast<const NlAttr*>(req->extack_attr));
    Vport* v = vport.value();
    if (v->port_no == uapi::kLocalPort)
        return req_fail(req, make_error(err::INVAL, "The local port is deleted with its datapath"));
    // (Its allocation failing stops the command: no notification is lost.)
    GenlMsg msg;
    if (int rc = msg.begin(req, OVSDP_FAMILY_VPORT, uapi::OVS_VPORT_CMD_DEL, dp_ifindex(v->dp), vport_msg_size(v),
                           false))
        return rc;
    vport_fill_info(v, req->net, msg.writer(), true);
    vport_del(v);
    msg.send(req, OVSDP_FAMILY_VPORT, true);
    return 0;
}

extern "C" int ovsdp_vport_cmd_get(ovsdp_request* req)
{
    assert_ovsl();
    auto vport = lookup_vport(req);
    if (vport.is_error())
        return req_fail(req, vport.error(), static_cast<const NlAttr*>(req->extack_attr));
    return vport_reply(req, vport.value(), uapi::OVS_VPORT_CMD_GET, false);
}

extern "C" int ovsdp_vport_cmd_set(ovsdp_request* req)
{
    assert_ovsl();
    auto vport = lookup_vport(req);
    if (vport.is_error())
        return req_fail(req, vport.error(), static_cast<const NlAttr*>(req->extack_attr));
    Vport* v = vport.value();
    if (const NlAttr* type = req_attr(req, uapi::OVS_VPORT_ATTR_TYPE); type && type->get_u32() != v->type)
        return req_fail(req, make_error(err::INVAL, "Vport type cannot be changed"), type);
    // Refused before anything changes: a failed SET sends no notification.
    if (const NlAttr* opts = req_attr(req, uapi::OVS_VPORT_ATTR_OPTIONS)) {
        const VportOps* ops = vport_ops(v->type);
        if (!ops->set_options)
            return req_fail(req, make_error(err::OPNOTSUPP, "This vport type takes no options"), opts);
        if (auto st = ops->set_options(v, opts); st.is_error())
            return req_fail(req, st.error(), opts);
    }
    if (const NlAttr* pids = req_attr(req, uapi::OVS_VPORT_ATTR_UPCALL_PID)) {
        if (auto st = vport_set_upcall_pids(v, pids); st.is_error())
            return req_fail(req, st.error(), pids);
    }
    vport_reply(req, v, uapi::OVS_VPORT_CMD_SET, true);
    return 0;
}

extern "C" int ovsdp_vport_cmd_dump(ovsdp_dump* d)
{
    assert_ovsl();
    Datapath* dp = dp_lookup_by_ifindex(d->net, d->dp_ifindex);
    if (!dp)
        return -err::NODEV;
    long bucket = d->args[0];
    long skip = d->args[1];
    for (; bucket < static_cast<long>(kVportHashBuckets); bucket++, skip = 0) {
        long j = 0;
        for (Vport* vport : hlist_range(dp->ports.bucket(static_cast<u32>(bucket)), &Vport::hash_node)) {
            if (j >= skip && !vport->detached) {
                // Written into the dump skb. A port alone in a message and
                // still too large (a PID array longer than the reader's
                // buffer) is listed with its first PID, as without
                // VPORT_PIDS; a GET returns them all. (Upstream's dump ends
                // there and hides the ports after it.)
                bool alone = ovsdp_dump_empty(d);
                DumpMsg msg(d);
                bool full = !msg.begin(OVSDP_FAMILY_VPORT, uapi::OVS_VPORT_CMD_GET, dp_ifindex(dp))
                    || !vport_fill_info(vport, d->net, msg.writer(), true);
                if (full && alone) {
                    msg.writer().rollback(0);
                    full = !vport_fill_info(vport, d->net, msg.writer(), false);
                }
                if (!full)
                    msg.commit();
                if (full) {
                    d->args[0] = bucket;
                    d->args[1] = j;
                    return 0;
                }
            }
            j++;
        }
    }
    d->args[0] = bucket;
    d->args[1] = 0;
    return 0;
}

// ---- Devices going away (platform/netdev.h) -----------------------------------------------

extern "C" void ovsdp_vport_mark_detached(void* vport)
{
    write_once(static_cast<Vport*>(vport)->detached, true);
}

extern "C" void ovsdp_reap_detached_vports(void)
{
    assert_ovsl();
    dp_for_each_locked(reap_detached);
}
