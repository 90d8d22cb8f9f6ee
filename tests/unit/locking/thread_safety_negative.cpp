// SPDX-License-Identifier: GPL-2.0
// Must NOT compile under -Werror=thread-safety: a *_locked call without
// ovs_mutex (proves that the analysis is on and the annotations are seen).
#include "flow_table/flow_table.h"

void insert_without_the_lock(ovsdp::FlowTable& t, ovsdp::Flow* f, const ovsdp::FlowKey& mask,
                             ovsdp::FlowKeyRange range)
{
    (void)t.insert_locked(f, mask, range);
}
