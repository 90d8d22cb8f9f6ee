// SPDX-License-Identifier: GPL-2.0
// Datapath lifecycle and the ovs_datapath genetlink commands. kmod/ parses
// the generic netlink header, checks the attribute policy and holds
// ovs_mutex; everything that interprets a request is here. A datapath's
// ports, its local port included, are vport/'s.
#include "datapath/datapath.h"
#include "datapath/genl_msg.h"
#include "datapath/ovsdp_ext.h"

#include "platform/alloc.h"
#include "platform/netdev.h"

namespace ovsdp {

namespace {

// Every datapath of every namespace; ovs_mutex.
constinit ListNode g_datapaths;

Vport* dp_local_port(const Datapath* dp) { return dp->ports.lookup(uapi::kLocalPort); }

Datapath* dp_of_local_vport(void* v)
{
    auto* vport = static_cast<Vport*>(v);
    return vport && vport->port_no == uapi::kLocalPort ? vport->dp : nullptr;
}

Result<Datapath*> lookup_datapath(ovsdp_request* req)
{
    Datapath* dp;
    if (const NlAttr* name = req_attr(req, uapi::OVS_DP_ATTR_NAME))
        dp = dp_of_local_vport(ovsdp_vport_lookup_by_name(req->net, name->get_string()));
    else
        dp = dp_lookup_by_ifindex(req->net, req->dp_ifindex);
    if (!dp)
        return make_error(err::NODEV, "No datapath with this name or ifindex");
    return dp;
}

// ---- Datapath messages ----------------------------------------------------------

usize dp_msg_size()
{
    return nla_total_size(uapi::kIfNameSize) + nla_total_size(sizeof(uapi::DpStats)) +
           nla_total_size(sizeof(uapi::DpMegaflowStats)) + 2 * nla_total_size(sizeof(u32)) +
           nla_total_size(sizeof(u32) * static_cast<usize>(ovsdp_nr_cpu_ids())) +
           nla_total_size(nla_total_size(sizeof(u64)));
}

// `ext`: the client asked for OVSDP_DP_ATTR_EXT_STATS.
bool dp_fill_info(const Datapath* dp, NlWriter& w, bool ext = false)
{
    uapi::DpStats stats;
    uapi::DpMegaflowStats mega;
    dp_get_stats(dp, &stats, &mega);
    w.put_string(uapi::OVS_DP_ATTR_NAME, dp_name(dp));
    w.put(uapi::OVS_DP_ATTR_STATS, &stats, sizeof(stats));
    w.put(uapi::OVS_DP_ATTR_MEGAFLOW_STATS, &mega, sizeof(mega));
    w.put_u32(uapi::OVS_DP_ATTR_USER_FEATURES, dp->user_features);
    w.put_u32(uapi::OVS_DP_ATTR_MASKS_CACHE_SIZE, dp->table.masks_cache_size());
    // As upstream: at most one id per possible CPU.
    if ((dp->user_features & uapi::kDpFDispatchUpcallPerCpu) && dp->upcall_pids.count())
        dp->upcall_pids.put(w, uapi::OVS_DP_ATTR_PER_CPU_PIDS, static_cast<u32>(ovsdp_nr_cpu_ids()));
    if (ext) {
        usize nest = w.nest_begin(OVSDP_DP_ATTR_EXT_STATS);
        w.put_u64(OVSDP_DP_EXT_BUDGET_DROPS, dp_budget_drops(dp));
        w.nest_end(nest);
    }
    return !w.overflowed();
}

// Build the reply for `dp` and send it (notify: to the multicast group).
int dp_reply(ovsdp_request* req, const Datapath* dp, u8 cmd, bool notify)
{
    GenlMsg msg;
    if (int rc = msg.begin(req, OVSDP_FAMILY_DATAPATH, cmd, dp_ifindex(dp), dp_msg_size(), notify))
        return rc;
    if (!dp_fill_info(dp, msg.writer(), !notify && req_attr(req, OVSDP_DP_ATTR_EXT_STATS)))
        return req_fail(req, make_error(err::MSGSIZE, "Datapath reply too large"));
    return msg.send(req, OVSDP_FAMILY_DATAPATH, notify);
}

// Apply USER_FEATURES, MASKS_CACHE_SIZE and PER_CPU_PIDS. Validates everything
// before changing anything, so a refused request leaves the datapath as it was.
Status dp_change(ovsdp_request* req, Datapath* dp)
{
    assert_ovsl();
    u32 features = 0;
    const NlAttr* a_features = req_attr(req, uapi::OVS_DP_ATTR_USER_FEATURES);
    if (a_features) {
        features = a_features->get_u32();
        if (features & ~kKnownUserFeatures) {
            req->extack_attr = a_features;
            return make_error(err::OPNOTSUPP, "Unsupported datapath user features");
        }
    }
    const NlAttr* a_cache = req_attr(req, uapi::OVS_DP_ATTR_MASKS_CACHE_SIZE);
    if (a_cache) {
        u32 size = a_cache->get_u32();
        if (size > kMaxMasksCacheSize || (size && !is_power_of_2(size))) {
            req->extack_attr = a_cache;
            return make_error(err::INVAL, "Masks cache size must be 0 or a power of 2 up to 4096");
        }
    }
    const NlAttr* a_pids = req_attr(req, uapi::OVS_DP_ATTR_PER_CPU_PIDS);
    if ((features & uapi::kDpFDispatchUpcallPerCpu) && a_pids)
        TRY(dp->upcall_pids.replace(a_pids, "Per-CPU PIDs must be a non-empty array of u32"));
    if (a_cache)
        TRY(dp->table.set_masks_cache_size_locked(a_cache->get_u32()));
    dp->user_features = features;
    return {};
}

// After a grace period: what is left once the table's own callbacks are queued.
void free_dp_cb(ovsdp_rcu_head* head)
{
    Datapath* dp = container_of(head, &Datapath::rcu);
    ovsdp_free_percpu(dp->stats_percpu);
    dp->meters.destroy();
    destroy(dp); // its port table and upcall PIDs with it
}

Datapath* dp_alloc(void* net)
{
    Datapath* dp = make<Datapath>(Gfp::Kernel);
    if (!dp)
        return nullptr;
    dp->net = net;
    bool ports = dp->ports.init();
    dp->stats_percpu = static_cast<DpPerCpuStats*>(ovsdp_alloc_percpu(sizeof(DpPerCpuStats), alignof(DpPerCpuStats)));
    if (!ports || !dp->stats_percpu || dp->meters.init().is_error()
        || dp->table.init(kDefaultMasksCacheSize).is_error()) {
        ovsdp_free_percpu(dp->stats_percpu);
        dp->meters.destroy();
        destroy(dp);
        return nullptr;
    }
    return dp;
}

void destroy_dp(Datapath* dp)
{
    assert_ovsl();
    dp->list_node.del();
    vport_del_all(dp);
    dp->table.destroy_locked();
    dp->meters.destroy_rcu_locked();
    ovsdp_call_rcu(&dp->rcu, free_dp_cb);
}

} // namespace

// ---- Shared helpers -----------------------------------------------------------------

Datapath* dp_lookup_by_ifindex(void* net, int dp_ifindex)
{
    return dp_of_local_vport(ovsdp_vport_lookup_by_ifindex(net, dp_ifindex));
}

const char* dp_name(const Datapath* dp)
{
    Vport* local = dp_local_port(dp);
    return local ? ovsdp_dev_name(local->dev) : "";
}

int dp_ifindex(const Datapath* dp)
{
    Vport* local = dp_local_port(dp);
    return local ? ovsdp_dev_ifindex(local->dev) : 0;
}

void dp_get_stats(const Datapath* dp, uapi::DpStats* stats, uapi::DpMegaflowStats* mega)
{
    *stats = {};
    *mega = {};
    int n = ovsdp_nr_cpu_ids();
    for (int cpu = 0; cpu < n; cpu++) {
        auto* s = static_cast<const DpPerCpuStats*>(ovsdp_per_cpu_ptr(dp->stats_percpu, cpu));
        stats->n_hit += read_once(s->n_hit);
        stats->n_missed += read_once(s->n_missed);
        stats->n_lost += read_once(s->n_lost);
        mega->n_mask_hit += read_once(s->n_mask_hit);
        mega->n_cache_hit += read_once(s->n_cache_hit);
    }
    stats->n_flows = dp->table.n_flows();
    mega->n_masks = dp->table.n_masks();
}

u64 dp_budget_drops(const Datapath* dp)
{
    u64 n = 0;
    int cpus = ovsdp_nr_cpu_ids();
    for (int cpu = 0; cpu < cpus; cpu++)
        n += read_once(static_cast<const DpPerCpuStats*>(ovsdp_per_cpu_ptr(dp->stats_percpu, cpu))->n_budget_drops);
    return n;
}

void dp_for_each_locked(void (*f)(Datapath* dp))
{
    assert_ovsl();
    for (ListNode* n = g_datapaths.next; n != &g_datapaths; n = n->next)
        f(container_of(n, &Datapath::list_node));
}

} // namespace ovsdp

using namespace ovsdp;

// ---- ovs_datapath commands ---------------------------------------------------------------

extern "C" int ovsdp_dp_cmd_new(ovsdp_request* req)
{
    assert_ovsl();
    const NlAttr* name = req_attr(req, uapi::OVS_DP_ATTR_NAME);
    const NlAttr* pid = req_attr(req, uapi::OVS_DP_ATTR_UPCALL_PID);
    if (!name || !pid)
        return req_fail(req, make_error(err::INVAL, "Datapath name and upcall PID are required"));

    Datapath* dp = dp_alloc(req->net);
    if (!dp)
        return -err::NOMEM;
    if (auto st = dp_change(req, dp); st.is_error()) {
        dp->table.destroy_locked();
        free_dp_cb(&dp->rcu);
        return req_fail(req, st.error(), static_cast<const NlAttr*>(req->extack_attr));
    }

    const NlAttr* ifindex = req_attr(req, uapi::OVS_DP_ATTR_IFINDEX);
    VportParms parms = { name->get_string(), uapi::OVS_VPORT_TYPE_INTERNAL, uapi::kLocalPort,
                         ifindex ? static_cast<int>(ifindex->get_u32()) : 0, pid, nullptr };
    auto vport = vport_add(dp, parms, req);
    if (vport.is_error()) {
        Error e = vport.error();
        if (e.code == err::BUSY)
            e.code = err::EXIST;
        if (e.code == err::EXIST && req->version < uapi::kDpVerFeatures) {
            // An old client that does not know user features is about to reuse
            // the existing datapath: drop the features it cannot handle.
            if (Datapath* old = dp_of_local_vport(ovsdp_vport_lookup_by_name(req->net, name->get_string()))) {
                ovsdp_log(OVSDP_LOG_WARN, "%s: dropping previously announced user features", dp_name(old));
                old->user_features = 0;
            }
        }
        dp->table.destroy_locked();
        free_dp_cb(&dp->rcu);
        return req_fail(req, e.msg ? e : make_error(e.code, "Cannot create the datapath's local port"));
    }

    g_datapaths.add_tail(&dp->list_node);
    int rc = dp_reply(req, dp, uapi::OVS_DP_CMD_NEW, true);
    // The datapath exists whatever happened to the notification.
    return rc == -err::NOMEM || rc == -err::MSGSIZE ? 0 : rc;
}

extern "C" int ovsdp_dp_cmd_del(ovsdp_request* req)
{
    assert_ovsl();
    auto dp = lookup_datapath(req);
    if (dp.is_error())
        return req_fail(req, dp.error());
    // Build the reply while the datapath still has its name and ports.
    // (Its allocation failing stops the command: no notification is lost.)
    GenlMsg msg;
    if (int rc = msg.begin(req, OVSDP_FAMILY_DATAPATH, uapi::OVS_DP_CMD_DEL, dp_ifindex(dp.value()), dp_msg_size(),
                           false))
        return rc;
    dp_fill_info(dp.value(), msg.writer());
    destroy_dp(dp.value());
    msg.send(req, OVSDP_FAMILY_DATAPATH, true);
    return 0;
}

extern "C" int ovsdp_dp_cmd_get(ovsdp_request* req)
{
    assert_ovsl();
    auto dp = lookup_datapath(req);
    if (dp.is_error())
        return req_fail(req, dp.error());
    return dp_reply(req, dp.value(), uapi::OVS_DP_CMD_GET, false);
}

extern "C" int ovsdp_dp_cmd_set(ovsdp_request* req)
{
    assert_ovsl();
    auto dp = lookup_datapath(req);
    if (dp.is_error())
        return req_fail(req, dp.error());
    if (auto st = dp_change(req, dp.value()); st.is_error())
        return req_fail(req, st.error(), static_cast<const NlAttr*>(req->extack_attr));
    dp_reply(req, dp.value(), uapi::OVS_DP_CMD_SET, true);
    return 0;
}

extern "C" int ovsdp_dp_cmd_dump(ovsdp_dump* d)
{
    assert_ovsl();
    long skip = d->args[0];
    long i = 0;
    bool ext = d->ext_attrs[OVSDP_DP_ATTR_EXT_STATS - OVSDP_EXT_ATTR_BASE] != nullptr;
    for (ListNode* n = g_datapaths.next; n != &g_datapaths; n = n->next) {
        Datapath* dp = container_of(n, &Datapath::list_node);
        if (dp->net != d->net)
            continue;
        if (i >= skip) {
            DumpMsg msg(d);
            if (!msg.begin(OVSDP_FAMILY_DATAPATH, uapi::OVS_DP_CMD_GET, dp_ifindex(dp))
                || !dp_fill_info(dp, msg.writer(), ext))
                break; // no room left: it starts the next message
            msg.commit();
        }
        i++;
    }
    d->args[0] = i;
    return 0;
}

// ---- Lifecycle entry points --------------------------------------------------------------

extern "C" void ovsdp_net_exit(void* net)
{
    assert_ovsl();
    ListNode* n = g_datapaths.next;
    while (n != &g_datapaths) {
        ListNode* next = n->next;
        Datapath* dp = container_of(n, &Datapath::list_node);
        if (dp->net == net)
            destroy_dp(dp);
        n = next;
    }
}

extern "C" void ovsdp_masks_rebalance_all(void)
{
    assert_ovsl();
    for (ListNode* n = g_datapaths.next; n != &g_datapaths; n = n->next)
        container_of(n, &Datapath::list_node)->table.masks_rebalance_locked();
}

extern "C" void ovsdp_destroy_all(void)
{
    assert_ovsl();
    while (!g_datapaths.empty())
        destroy_dp(container_of(g_datapaths.next, &Datapath::list_node));
}
