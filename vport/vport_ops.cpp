// SPDX-License-Identifier: GPL-2.0
// The vport types this datapath supports and what each does, in one table
// indexed by type. The devices themselves are kmod/'s (platform/netdev.h):
// kmod/vport_netdev.c and kmod/vport_internal.c. A type with no entry is
// refused with EAFNOSUPPORT, upon which OVS userspace falls back to its own
// devices (for tunnels: its own tunnel netdevs attached as netdev ports).
#include "vport/vport.h"

#include "platform/netdev.h"

namespace ovsdp {

namespace {

// ---- netdev: an existing device of the namespace, its packets diverted ----------

int netdev_vport_attach(Vport* vport, void* net, const VportParms& p, void* master, const char** msg)
{
    return ovsdp_netdev_attach(vport, net, p.name, master, &vport->dev, msg);
}

void netdev_vport_detach(Vport* vport)
{
    ovsdp_netdev_detach(vport->dev);
}

void netdev_vport_release(Vport* vport)
{
    ovsdp_netdev_release(vport->dev);
}

constexpr VportOps kNetdevVportOps = {
    .attach = netdev_vport_attach,
    .detach = netdev_vport_detach,
    .release = netdev_vport_release,
    .set_options = nullptr,
    .put_options = nullptr,
    .options_size = nullptr,
    .takes_ifindex = false,
};

// ---- internal: a device the datapath creates (and the datapath's local port) ----

int internal_vport_attach(Vport* vport, void* net, const VportParms& p, void*, const char** msg)
{
    return ovsdp_internal_dev_create(vport, net, p.name, p.ifindex, &vport->dev, msg);
}

void internal_vport_detach(Vport* vport)
{
    // The device is freed by the kernel once unregistered: nothing to release.
    ovsdp_internal_dev_destroy(vport->dev);
}

constexpr VportOps kInternalVportOps = {
    .attach = internal_vport_attach,
    .detach = internal_vport_detach,
    .release = nullptr,
    .set_options = nullptr,
    .put_options = nullptr,
    .options_size = nullptr,
    .takes_ifindex = true,
};

// Indexed by uapi::OVS_VPORT_TYPE_*.
constexpr const VportOps* kVportOpsByType[] = {
    nullptr,            // OVS_VPORT_TYPE_UNSPEC
    &kNetdevVportOps,   // OVS_VPORT_TYPE_NETDEV
    &kInternalVportOps, // OVS_VPORT_TYPE_INTERNAL
    nullptr,            // OVS_VPORT_TYPE_GRE: not implemented
    nullptr,            // OVS_VPORT_TYPE_VXLAN: not implemented
    nullptr,            // OVS_VPORT_TYPE_GENEVE: not implemented
};
static_assert(array_size(kVportOpsByType) == uapi::kVportTypeMax + 1);
static_assert(kVportOpsByType[uapi::OVS_VPORT_TYPE_NETDEV] == &kNetdevVportOps);
static_assert(kVportOpsByType[uapi::OVS_VPORT_TYPE_INTERNAL] == &kInternalVportOps);

} // namespace

const VportOps* vport_ops(u32 type)
{
    return type < array_size(kVportOpsByType) ? kVportOpsByType[type] : nullptr;
}

} // namespace ovsdp
