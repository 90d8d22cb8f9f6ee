// SPDX-License-Identifier: GPL-2.0
// The zone limit table's reads (conntrack/ct_limit.h): what the host's
// commit path asks, and the table's free when its namespace goes. The
// commands that change it are in ct_limit_cmds.cpp.
#include "conntrack/ct_limit.h"

using namespace ovsdp;

namespace ovsdp {

u32 ct_limit_lookup(const CtLimitTable* t, u16 zone)
{
    if (!t)
        return 0;
    bool found;
    u32 i = ct_limit_find(t, zone, &found);
    return found ? t->entries()[i].limit : t->default_limit;
}

} // namespace ovsdp

extern "C" uint32_t ovsdp_ct_limit_get(const void* table, uint16_t zone)
{
    return ct_limit_lookup(static_cast<const CtLimitTable*>(table), zone);
}

extern "C" void ovsdp_ct_limit_table_free(void* table)
{
    if (table)
        ovsdp_kvfree(table);
}

