// SPDX-License-Identifier: GPL-2.0
// The userspace dispatcher (dispatch.h).
#include "platform/user/dispatch.h"

#include "datapath/execute.h"
#include "platform/user/user_host.h"
#include "platform/user/user_platform.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace ovsdp::user {

namespace {

std::atomic<UserHost*> g_execute_host { nullptr };

void ctx_enter(int ctx) OVSDP_NO_TSA
{
    if (ctx == OVSDP_CTX_OVS_MUTEX)
        ovsdp_ovs_lock();
}

void ctx_exit(int ctx, int family, u8 cmd) OVSDP_NO_TSA
{
    if (ctx == OVSDP_CTX_OVS_MUTEX)
        ovsdp_ovs_unlock();
    if (ovsdp_lock_held() || rcu_read_held() || bh_held()) {
        std::fprintf(stderr, "ovsdp: command %d/%u returned holding %s\n", family, cmd,
                     ovsdp_lock_held() ? "ovs_mutex" : rcu_read_held() ? "rcu_read_lock" : "BH");
        std::abort();
    }
}

} // namespace

void set_execute_host(UserHost* host) { g_execute_host.store(host); }

int doit(int family, u8 cmd, ovsdp_request* req)
{
    const ovsdp_cmd_desc* c = ovsdp_cmd_find(family, cmd);
    if (!c || !c->doit)
        return -err::OPNOTSUPP;
    req->cmd = cmd;
    if (!(c->flags & OVSDP_CMD_F_EXT)) // as kmod/genl.c: not looked for
        __builtin_memset(req->ext_attrs, 0, sizeof(req->ext_attrs));
    ctx_enter(c->doit_ctx);
    int rc = c->doit(req);
    ctx_exit(c->doit_ctx, family, cmd);
    return rc;
}

int dumpit(int family, u8 cmd, ovsdp_dump* dump)
{
    const ovsdp_cmd_desc* c = ovsdp_cmd_find(family, cmd);
    if (!c || !c->dumpit)
        return -err::OPNOTSUPP;
    if (!(c->flags & OVSDP_CMD_F_EXT))
        __builtin_memset(dump->ext_attrs, 0, sizeof(dump->ext_attrs));
    ctx_enter(c->dump_ctx);
    int rc = c->dumpit(dump);
    ctx_exit(c->dump_ctx, family, cmd);
    return rc;
}

} // namespace ovsdp::user

extern "C" int ovsdp_packet_cmd_execute(ovsdp_request* req)
{
    ovsdp::user::UserHost* host = ovsdp::user::g_execute_host.load();
    if (!host)
        return ovsdp::req_fail(req, ovsdp::make_error(ovsdp::err::NODEV, "No packet host"));
    return ovsdp::packet_cmd_execute(*host, req);
}
