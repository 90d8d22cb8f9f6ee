// SPDX-License-Identifier: GPL-2.0
// Vport lifecycle: the port table, adding a port (upcall PIDs, then the
// device through its type's operations), removing it, and the attributes
// of its messages.
#include "vport/vport.h"

#include "datapath/datapath.h"
#include "platform/alloc.h"
#include "platform/netdev.h"

namespace ovsdp {

// ---- VportTable ---------------------------------------------------------------------

VportTable::~VportTable()
{
    ovsdp_kvfree(buckets_);
}

bool VportTable::init()
{
    usize size = kVportHashBuckets * sizeof(HListHead) + sizeof(Bitmap);
    buckets_ = static_cast<HListHead*>(ovsdp_kvmalloc(size, OVSDP_GFP_KERNEL | OVSDP_GFP_ZERO));
    return buckets_ != nullptr;
}

VportTable::Bitmap* VportTable::bitmap() const
{
    return reinterpret_cast<Bitmap*>(buckets_ + kVportHashBuckets);
}

Vport* VportTable::lookup(u32 port_no) const
{
    for (Vport* vport : hlist_range(&buckets_[port_no % kVportHashBuckets], &Vport::hash_node))
        if (vport->port_no == port_no)
            return vport;
    return nullptr;
}

void VportTable::insert(Vport* vport)
{
    assert_ovsl();
    buckets_[vport->port_no % kVportHashBuckets].add_head_rcu(&vport->hash_node);
    bitmap()->words[vport->port_no / 64] |= u64(1) << (vport->port_no % 64);
    n_ports_++;
}

void VportTable::remove(Vport* vport)
{
    assert_ovsl();
    hlist_del_rcu(&vport->hash_node);
    bitmap()->words[vport->port_no / 64] &= ~(u64(1) << (vport->port_no % 64));
    n_ports_--;
}

u32 VportTable::first_free() const
{
    const Bitmap* b = bitmap();
    for (u32 w = 0; w < array_size(b->words); w++) {
        u64 used = b->words[w];
        if (w == 0)
            used |= 1; // port 0 is the local port
        if (~used) {
            u32 port = w * 64 + static_cast<u32>(__builtin_ctzll(~used));
            return port < uapi::kDpMaxPorts ? port : 0;
        }
    }
    return 0;
}

// ---- Adding and removing ports ------------------------------------------------------

namespace {

void* local_dev(const Datapath* dp)
{
    Vport* local = dp->ports.lookup(uapi::kLocalPort);
    return local ? local->dev : nullptr;
}

void vport_free_cb(ovsdp_rcu_head* head)
{
    Vport* vport = container_of(head, &Vport::rcu);
    const VportOps* ops = vport_ops(vport->type);
    if (vport->dev && ops->release)
        ops->release(vport);
    destroy(vport);
}

} // namespace

Result<Vport*> vport_add(Datapath* dp, const VportParms& p, ovsdp_request* req)
{
    assert_ovsl();
    const VportOps* ops = vport_ops(p.type);
    if (!ops)
        return make_error(err::AFNOSUPPORT, "Vport type not supported by this datapath");
    Vport* vport = make<Vport>(Gfp::Kernel);
    if (!vport)
        return make_error(err::NOMEM);
    vport->dp = dp;
    vport->port_no = p.port_no;
    vport->type = p.type;
    if (auto st = vport_set_upcall_pids(vport, p.upcall_pids); st.is_error()) {
        req->extack_attr = p.upcall_pids;
        destroy(vport);
        return st.error();
    }
    const char* msg = nullptr;
    void* master = p.port_no == uapi::kLocalPort ? nullptr : local_dev(dp);
    if (int rc = ops->attach(vport, dp->net, p, master, &msg)) {
        destroy(vport);
        return make_error(-rc, msg);
    }
    dp->ports.insert(vport);
    return vport;
}

void vport_del(Vport* vport)
{
    assert_ovsl();
    vport->dp->ports.remove(vport);
    vport_ops(vport->type)->detach(vport);
    ovsdp_call_rcu(&vport->rcu, vport_free_cb);
}

void vport_del_all(Datapath* dp)
{
    assert_ovsl();
    ovsdp_dev_batch_begin();
    dp->ports.for_each_safe([](Vport* vport) {
        assert_ovsl(); // called here, with it held
        if (vport->port_no != uapi::kLocalPort)
            vport_del(vport);
    });
    if (Vport* local = dp->ports.lookup(uapi::kLocalPort))
        vport_del(local);
    ovsdp_dev_batch_end();
}

// ---- Messages -----------------------------------------------------------------------

usize vport_msg_size(const Vport* vport)
{
    const VportOps* ops = vport_ops(vport->type);
    usize n = 4 * nla_total_size(sizeof(u32)) + nla_total_size(uapi::kIfNameSize) + nla_total_size(sizeof(s32)) +
              nla_total_size(sizeof(uapi::VportStats)) + vport->upcall_pids.attr_size();
    if (ops->options_size)
        n += ops->options_size(vport);
    return n;
}

bool vport_fill_info(const Vport* vport, void* net, NlWriter& w, bool all_pids)
{
    const VportOps* ops = vport_ops(vport->type);
    w.put_u32(uapi::OVS_VPORT_ATTR_PORT_NO, vport->port_no);
    w.put_u32(uapi::OVS_VPORT_ATTR_TYPE, vport->type);
    w.put_string(uapi::OVS_VPORT_ATTR_NAME, ovsdp_dev_name(vport->dev));
    w.put_u32(uapi::OVS_VPORT_ATTR_IFINDEX, static_cast<u32>(ovsdp_dev_ifindex(vport->dev)));
    int nsid = ovsdp_net_peer_id(net, ovsdp_dev_net(vport->dev));
    if (nsid != -1)
        w.put_s32(uapi::OVS_VPORT_ATTR_NETNSID, nsid);
    ovsdp_dev_stats ds;
    ovsdp_dev_get_stats(vport->dev, &ds);
    uapi::VportStats stats = { ds.rx_packets, ds.tx_packets, ds.rx_bytes, ds.tx_bytes,
                              ds.rx_errors, ds.tx_errors, ds.rx_dropped, ds.tx_dropped };
    w.put(uapi::OVS_VPORT_ATTR_STATS, &stats, sizeof(stats));
    bool all = all_pids && (vport->dp->user_features & uapi::kDpFVportPids);
    vport->upcall_pids.put(w, uapi::OVS_VPORT_ATTR_UPCALL_PID, all ? ~0u : 1);
    if (ops->put_options)
        ops->put_options(vport, w);
    return !w.overflowed();
}

} // namespace ovsdp
