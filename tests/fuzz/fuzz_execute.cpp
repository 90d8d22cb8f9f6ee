// SPDX-License-Identifier: GPL-2.0
// libFuzzer target over OVS_PACKET_CMD_EXECUTE (datapath/execute.h) as the
// kernel runs it, over the userspace host: the input is the request's
// attribute stream (after the genl and ovs headers).
//
// The attributes are taken as the kernel's genetlink layer hands them over
// with the packet family's policy (kmod/genl.c; EXECUTE is validated
// liberally): a stream that does not parse, an attribute shorter than its
// policy's minimum (PACKET below ETH_HLEN, MRU below 2 bytes, HASH below 8,
// a nested one of 1 to 3 bytes) or a PROBE flag with a payload refuses the
// request before the core sees it; unknown types are ignored; the last of
// duplicates wins.
//
// The datapath has ports 0 to 3 (port 3 a tunnel port) and a flow for
// recirculation ID 1 of any packet, so that recirc() finds something.
// Besides the sanitizers, each input checks: a refusal carries an extack
// message; every packet handle gave its packet back; every upcall's key
// parses; every allocation is freed once the datapath is destroyed.
#include "platform/user/dispatch.h"
#include "tests/fuzz/fuzz_world.h"
#include "platform/user/fake_kernel.h"
#include "platform/user/user_host.h"
#include "platform/user/user_platform.h"

#include <cstring>
#include <vector>

using namespace ovsdp;
using namespace ovsdp::user;
using namespace ovsdp::fuzz;

namespace {

// Whether genetlink would pass the attribute to the handler.
bool policy_ok(const NlAttr* a)
{
    usize len = a->len();
    switch (a->type()) {
    case uapi::OVS_PACKET_ATTR_PACKET:
        return len >= kEthHlen;
    case uapi::OVS_PACKET_ATTR_KEY:
    case uapi::OVS_PACKET_ATTR_ACTIONS:
        return len == 0 || len >= kNlaHdrLen;
    case uapi::OVS_PACKET_ATTR_PROBE:
        return len == 0;
    case uapi::OVS_PACKET_ATTR_MRU:
        return len >= 2;
    case uapi::OVS_PACKET_ATTR_HASH:
        return len >= 8;
    default:
        return true;
    }
}

UserHost* g_host;

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    set_topology(2, 1);
    set_log_hook([](int, const char*, bool) {});
    g_host = new UserHost; // across inputs: its per-CPU engine state is large to set up
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const u8* data, size_t size)
{
    // The stream as one attribute table (a copy of exactly its size).
    std::vector<u8> stream(data, data + size);
    std::vector<const void*> table(uapi::kPacketAttrMax + 1, nullptr);
    NlAttrIter it(ConstBytes(stream.data(), stream.size()));
    for (; !it.done(); it.next()) {
        const NlAttr* a = it.get();
        if (!policy_ok(a))
            return 0;
        if (a->type() <= uapi::kPacketAttrMax)
            table[a->type()] = a;
    }
    if (!it.valid())
        return 0;

    long baseline = live_allocations();
    reset_packets_leaked();
    {
        fake::Kernel kernel;
        fake::k = &kernel;
        fake::Net net { 0 };
        UserHost& host = *g_host;
        host.reset();
        int ifindex = new_dp0(kernel, net, 99);
        check(new_port(net, ifindex, "p1", 1, 101) == 0);
        check(new_port(net, ifindex, "p2", 2, 102) == 0);
        check(new_port(net, ifindex, "p3", 3, 103) == 0);
        host.set_tunnel_port(3);
        {
            // recirc_id(1), anything else wildcarded: output(2).
            u8 key[8 + 8];
            NlWriter kw(key, sizeof(key));
            kw.put_u32(uapi::OVS_KEY_ATTR_RECIRC_ID, 1);
            u32 all = ~0u;
            u8 mask[8];
            NlWriter mw(mask, sizeof(mask));
            mw.put(uapi::OVS_KEY_ATTR_RECIRC_ID, &all, 4);
            u8 act[8];
            NlWriter aw(act, sizeof(act));
            aw.put_u32(uapi::OVS_ACTION_ATTR_OUTPUT, 2);
            fake::Request r(&net, uapi::kFlowAttrMax, ifindex, 2, 256);
            r.put(uapi::OVS_FLOW_ATTR_KEY, key, kw.size());
            r.put(uapi::OVS_FLOW_ATTR_MASK, mask, mw.size());
            r.put(uapi::OVS_FLOW_ATTR_ACTIONS, act, aw.size());
            cmd::flow_new(r.finish());
        }
        kernel.reset();

        ovsdp_request req {};
        req.net = &net;
        req.attrs = table.data();
        req.maxattr = uapi::kPacketAttrMax;
        req.dp_ifindex = ifindex;
        req.version = 1;
        req.cmd = uapi::OVS_PACKET_CMD_EXECUTE;
        set_execute_host(&host);
        int rc = cmd::packet_execute(&req);
        check(rc <= 0);
        if (rc == -err::INVAL || rc == -err::TOOBIG)
            check(req.extack_msg != nullptr);
        for (const Upcall& u : host.take_upcalls()) {
            FlowKey k;
            check(u.key(&k));
        }
        host.take_sent();
        destroy_datapaths();
        fake::k = nullptr;
    }
    check(packets_leaked() == 0);
    check(live_allocations() == baseline);
    return 0;
}
