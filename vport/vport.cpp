// SPDX-License-Identifier: GPL-2.0
#include "vport/vport.h"

#include "platform/alloc.h"
#include "platform/netdev.h"

namespace ovsdp {

static void free_pids_rcu(ovsdp_rcu_head* head)
{
    ovsdp_kfree(container_of(head, &VportUpcallPids::rcu));
}

Status vport_set_upcall_pids(Vport* vport, const NlAttr* ids)
{
    usize len = ids->len();
    if (len == 0 || len % sizeof(u32))
        return make_error(err::INVAL, "Upcall PID attribute must be a non-empty array of u32");
    // At most one PID per possible CPU (ovs-vswitchd gives one per handler
    // thread), as the kernel's module since its fix for replies too small
    // for the array: every reply then has a bounded size.
    if (len / sizeof(u32) > static_cast<usize>(ovsdp_nr_cpu_ids()))
        return make_error(err::INVAL, "More upcall PIDs than possible CPUs");
    auto* pids = static_cast<VportUpcallPids*>(ovsdp_kmalloc(sizeof(VportUpcallPids) + len, OVSDP_GFP_KERNEL));
    if (!pids)
        return make_error(err::NOMEM);
    pids->n_ids = static_cast<u32>(len / sizeof(u32));
    __builtin_memcpy(pids->ids, ids->data(), len);

    VportUpcallPids* old = vport->upcall_pids;
    rcu_assign(vport->upcall_pids, pids);
    if (old)
        ovsdp_call_rcu(&old->rcu, free_pids_rcu);
    return {};
}

u32 vport_find_upcall_pid(const Vport* vport, u32 hash)
{
    const VportUpcallPids* pids = rcu_deref(vport->upcall_pids);
    if (!pids || pids->n_ids == 0)
        return 0;
    if (pids->n_ids == 1)
        return pids->ids[0];
    // Scale the hash into [0, n) without a division.
    u32 idx = static_cast<u32>((static_cast<u64>(hash) * pids->n_ids) >> 32);
    return pids->ids[idx];
}

bool vport_put_upcall_pids(const Vport* vport, bool all, NlWriter& w)
{
    const VportUpcallPids* pids = rcu_deref(vport->upcall_pids);
    if (!pids || pids->n_ids == 0)
        return w.put_u32(uapi::OVS_VPORT_ATTR_UPCALL_PID, 0);
    if (all)
        return w.put(uapi::OVS_VPORT_ATTR_UPCALL_PID, pids->ids, pids->n_ids * sizeof(u32));
    return w.put_u32(uapi::OVS_VPORT_ATTR_UPCALL_PID, pids->ids[0]);
}

static void vport_free_cb(ovsdp_rcu_head* head)
{
    Vport* vport = container_of(head, &Vport::rcu);
    if (vport->dev)
        ovsdp_dev_release(vport->dev, vport->type);
    ovsdp_kfree(vport->upcall_pids);
    destroy(vport);
}

void vport_free_rcu(Vport* vport)
{
    ovsdp_call_rcu(&vport->rcu, vport_free_cb);
}

} // namespace ovsdp
