// SPDX-License-Identifier: GPL-2.0
#include "vport/vport.h"

#include "platform/alloc.h"
#include "platform/netdev.h"

namespace ovsdp {

static void vport_free_cb(ovsdp_rcu_head* head)
{
    Vport* vport = container_of(head, &Vport::rcu);
    if (vport->dev)
        ovsdp_dev_release(vport->dev, vport->type);
    destroy(vport); // its upcall PIDs with it
}

void vport_free_rcu(Vport* vport)
{
    ovsdp_call_rcu(&vport->rcu, vport_free_cb);
}

} // namespace ovsdp
