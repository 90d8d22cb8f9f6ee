// SPDX-License-Identifier: GPL-2.0
// Flow, actions and identifier lifetime; masked key helpers.
#include "flow_table/flow.h"

#include "platform/alloc.h"

namespace ovsdp {

// ---- Actions ------------------------------------------------------------------

Result<FlowActions*> flow_actions_alloc(u32 capacity, unsigned gfp)
{
    if (capacity > kMaxActionsBufsize)
        return make_error(err::TOOBIG, "Flow actions too large");
    auto* acts = static_cast<FlowActions*>(ovsdp_kmalloc(sizeof(FlowActions) + capacity, gfp | OVSDP_GFP_ZERO));
    if (!acts)
        return make_error(err::NOMEM, nullptr);
    acts->len = 0;
    acts->capacity = capacity;
    return acts;
}

void flow_actions_free(FlowActions* acts)
{
    if (acts && acts->release)
        acts->release(acts);
    ovsdp_kfree(acts);
}

namespace flow_detail {

static void actions_free_cb(ovsdp_rcu_head* head)
{
    flow_actions_free(container_of(head, &FlowActions::rcu));
}

static void flow_free_cb(ovsdp_rcu_head* head)
{
    flow_free(container_of(head, &Flow::rcu));
}

// After the grace period: CPUs' combining slots may still name the flow's
// stats; it is freed once they were folded (flow_stats.h, "Lifetime").
static void flow_free_after_gp_cb(ovsdp_rcu_head* head)
{
    head->func = flow_free_cb;
    flow_stats_free_after_flush(head);
}

} // namespace flow_detail

void flow_actions_free_rcu(FlowActions* acts)
{
    if (acts)
        ovsdp_call_rcu(&acts->rcu, flow_detail::actions_free_cb);
}

// ---- Flows --------------------------------------------------------------------

namespace {

ovsdp_cache* g_flow_cache;
usize g_flow_cache_size;

u32 flow_n_nodes()
{
    int n = ovsdp_nr_node_ids();
    return n > 0 ? static_cast<u32>(n) : 1;
}

usize flow_size(u32 n_nodes) { return sizeof(Flow) + FlowStats::extra_size(n_nodes); }

void flow_mem_free(Flow* flow)
{
    if (flow->from_cache)
        ovsdp_cache_free(g_flow_cache, flow);
    else
        ovsdp_kfree(flow);
}

} // namespace

Status flow_cache_init()
{
    usize size = flow_size(flow_n_nodes());
    g_flow_cache = ovsdp_cache_create("ovsdp_flow", size);
    if (!g_flow_cache)
        return make_error(err::NOMEM, nullptr);
    g_flow_cache_size = size;
    return {};
}

void flow_cache_exit()
{
    ovsdp_cache_destroy(g_flow_cache);
    g_flow_cache = nullptr;
    g_flow_cache_size = 0;
}

Result<Flow*> flow_alloc()
{
    u32 n_nodes = flow_n_nodes();
    usize size = flow_size(n_nodes);
    bool cached = g_flow_cache && size <= g_flow_cache_size;
    void* mem = cached ? ovsdp_cache_alloc(g_flow_cache, OVSDP_GFP_KERNEL | OVSDP_GFP_ZERO)
                       : ovsdp_kmalloc(size, OVSDP_GFP_KERNEL | OVSDP_GFP_ZERO);
    if (!mem)
        return make_error(err::NOMEM, nullptr);
    Flow* flow = new (mem) Flow;
    flow->from_cache = cached;
    if (!flow->stats.init(n_nodes)) {
        flow->stats.destroy();
        flow_mem_free(flow);
        return make_error(err::NOMEM, nullptr);
    }
    return flow;
}

void flow_free(Flow* flow)
{
    if (!flow)
        return;
    flow_actions_free(flow->actions);
    ovsdp_kfree(flow->unmasked_key);
    flow->stats.destroy();
    flow_mem_free(flow);
}

void flow_free_rcu(Flow* flow)
{
    if (flow)
        ovsdp_call_rcu(&flow->rcu, flow_stats_cache_enabled() ? flow_detail::flow_free_after_gp_cb
                                                              : flow_detail::flow_free_cb);
}

Status flow_set_ufid(Flow* flow, const u8* ufid, u32 len)
{
    if (len == 0 || len > kMaxUfidLength)
        return make_error(err::INVAL, "UFID length must be 1 to 16 bytes");
    flow->ufid = {};
    flow->ufid.len = len;
    __builtin_memcpy(flow->ufid.data, ufid, len);
    flow->ufid_hash = flow_ufid_hash(flow->ufid);
    return {};
}

Status flow_set_unmasked_key(Flow* flow, const FlowKey& key)
{
    auto* copy = static_cast<FlowKey*>(ovsdp_kmalloc(sizeof(FlowKey), OVSDP_GFP_KERNEL));
    if (!copy)
        return make_error(err::NOMEM, nullptr);
    __builtin_memcpy(copy, &key, sizeof(FlowKey));
    ovsdp_kfree(flow->unmasked_key);
    flow->unmasked_key = copy;
    return {};
}

void flow_replace_actions_locked(Flow* flow, FlowActions* acts)
{
    assert_ovsl();
    FlowActions* old = flow->actions;
    rcu_assign(flow->actions, acts);
    flow_actions_free_rcu(old);
}

// ---- Masked keys ----------------------------------------------------------------

void flow_mask_key(FlowKey* dst, const FlowKey& src, const FlowKey& mask, FlowKeyRange range, bool full)
{
    if (full)
        __builtin_memset(dst, 0, sizeof(*dst));
    auto* d = reinterpret_cast<unsigned long*>(dst->bytes() + range.start);
    const unsigned long* s = flow_key_ops::words(src, range.start);
    const unsigned long* m = flow_key_ops::words(mask, range.start);
    usize n = range.size() / sizeof(long);
    for (usize i = 0; i < n; i++)
        d[i] = s[i] & m[i];
}

} // namespace ovsdp
