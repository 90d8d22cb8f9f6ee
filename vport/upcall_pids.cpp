// SPDX-License-Identifier: GPL-2.0
#include "vport/upcall_pids.h"

#include "platform/alloc.h"

namespace ovsdp {

UpcallPids::~UpcallPids()
{
    ovsdp_kfree(array_);
}

void UpcallPids::free_rcu(ovsdp_rcu_head* head)
{
    ovsdp_kfree(container_of(head, &Array::rcu));
}

Status UpcallPids::replace(const NlAttr* attr, const char* refusal, bool one_per_cpu_at_most)
{
    assert_ovsl();
    usize len = attr->len();
    if (len == 0 || len % sizeof(u32))
        return make_error(err::INVAL, refusal);
    if (one_per_cpu_at_most && len / sizeof(u32) > static_cast<usize>(ovsdp_nr_cpu_ids()))
        return make_error(err::INVAL, "More upcall PIDs than possible CPUs");
    auto* a = static_cast<Array*>(ovsdp_kmalloc(sizeof(Array) + len, OVSDP_GFP_KERNEL));
    if (!a)
        return make_error(err::NOMEM);
    a->n_ids = static_cast<u32>(len / sizeof(u32));
    __builtin_memcpy(a->ids, attr->data(), len);

    Array* old = array_;
    rcu_assign(array_, a);
    if (old)
        ovsdp_call_rcu(&old->rcu, free_rcu);
    return {};
}

u32 UpcallPids::count() const
{
    const Array* a = rcu_deref(array_);
    return a ? a->n_ids : 0;
}

u32 UpcallPids::by_hash(u32 hash) const
{
    const Array* a = rcu_deref(array_);
    if (!a || a->n_ids == 0)
        return 0;
    if (a->n_ids == 1)
        return a->ids[0];
    // Scale the hash into [0, n) without a division.
    return a->ids[static_cast<u32>((static_cast<u64>(hash) * a->n_ids) >> 32)];
}

u32 UpcallPids::by_cpu(u32 cpu) const
{
    const Array* a = rcu_deref(array_);
    if (!a || a->n_ids == 0)
        return 0;
    return a->ids[cpu < a->n_ids ? cpu : cpu % a->n_ids];
}

bool UpcallPids::put(NlWriter& w, u16 type, u32 max_ids) const
{
    const Array* a = rcu_deref(array_);
    if (!a || a->n_ids == 0)
        return w.put_u32(type, 0);
    return w.put(type, a->ids, min(a->n_ids, max_ids) * sizeof(u32));
}

usize UpcallPids::attr_size() const
{
    u32 n = count();
    return nla_total_size((n ? n : 1) * sizeof(u32));
}

} // namespace ovsdp
