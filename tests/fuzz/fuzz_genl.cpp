// SPDX-License-Identifier: GPL-2.0
// libFuzzer target over every genetlink command of the five families,
// through the command table (datapath/commands.h) and the userspace
// dispatcher with kmod's locking, over the userspace host.
//
// An input is up to 8 requests run in order against one fresh datapath
// (dp0, ports 1 and 2, one flow), so that a request can act on what an
// earlier one made. Each request is
//   u8 family (mod 5), u8 cmd (as is: unknown commands too), u8 flags,
//   u16 length (little endian), then that many bytes of attributes
// flags: bit 0 dump; bit 1 NLM_F_CREATE; bit 2 NLM_F_EXCL; bit 3 NLM_F_ECHO;
// bit 4 dp_ifindex 0 instead of dp0's; bit 5 genl version 1.
// The attributes are taken as genetlink hands them over with the family's
// policy (kmod/genl.c, liberal parsing): a stream that does not parse or an
// attribute its policy refuses refuses the request before the core sees it;
// types above the family's maximum are ignored (ovsdp's extension flags are
// found apart, as find_ext_attrs does); the last of duplicates wins.
//
// Besides the sanitizers and the dispatcher's own checks (no lock, RCU
// section or BH left held), each input checks that every result is 0 or
// -errno, that an EINVAL comes with an extack message, that every packet
// handle gave its packet back and that every allocation is freed once the
// datapaths are destroyed.
#include "datapath/datapath.h"
#include "platform/netdev.h"
#include "platform/user/dispatch.h"
#include "tests/fuzz/fuzz_world.h"
#include "platform/user/fake_kernel.h"
#include "platform/user/user_host.h"
#include "platform/user/user_packet.h"
#include "platform/user/user_platform.h"

#include <cstring>
#include <vector>

using namespace ovsdp;
using namespace ovsdp::user;
using namespace ovsdp::fuzz;

namespace {

enum Pt { U, U16, U32, U64, S32MIN0, FLAG, NESTED, NUL15, MIN };
struct Policy {
    Pt type;
    u16 min; // MIN: least payload length
};

// kmod/genl.c's policies (kernel liberal validation: fixed-size types need
// at least their size; a NUL_STRING of .len 15 needs a NUL in its first
// min(len, 16) bytes; a nested one is empty or holds a header).
Policy policy(int fam, u16 type)
{
    switch (fam) {
    case OVSDP_FAMILY_DATAPATH:
        switch (type) {
        case uapi::OVS_DP_ATTR_NAME: return { NUL15, 0 };
        case uapi::OVS_DP_ATTR_UPCALL_PID:
        case uapi::OVS_DP_ATTR_USER_FEATURES:
        case uapi::OVS_DP_ATTR_MASKS_CACHE_SIZE:
        case uapi::OVS_DP_ATTR_IFINDEX: return { U32, 0 };
        default: return { U, 0 };
        }
    case OVSDP_FAMILY_VPORT:
        switch (type) {
        case uapi::OVS_VPORT_ATTR_NAME: return { NUL15, 0 };
        case uapi::OVS_VPORT_ATTR_STATS: return { MIN, 64 };
        case uapi::OVS_VPORT_ATTR_PORT_NO:
        case uapi::OVS_VPORT_ATTR_TYPE:
        case uapi::OVS_VPORT_ATTR_NETNSID: return { U32, 0 };
        case uapi::OVS_VPORT_ATTR_OPTIONS: return { NESTED, 0 };
        case uapi::OVS_VPORT_ATTR_IFINDEX: return { S32MIN0, 0 };
        default: return { U, 0 };
        }
    case OVSDP_FAMILY_FLOW:
        switch (type) {
        case uapi::OVS_FLOW_ATTR_KEY:
        case uapi::OVS_FLOW_ATTR_MASK:
        case uapi::OVS_FLOW_ATTR_ACTIONS: return { NESTED, 0 };
        case uapi::OVS_FLOW_ATTR_CLEAR:
        case uapi::OVS_FLOW_ATTR_PROBE: return { FLAG, 0 };
        case uapi::OVS_FLOW_ATTR_UFID: return { MIN, 1 };
        case uapi::OVS_FLOW_ATTR_UFID_FLAGS: return { U32, 0 };
        default: return { U, 0 };
        }
    case OVSDP_FAMILY_METER:
        switch (type) {
        case uapi::OVS_METER_ATTR_ID:
        case uapi::OVS_METER_ATTR_MAX_METERS:
        case uapi::OVS_METER_ATTR_MAX_BANDS: return { U32, 0 };
        case uapi::OVS_METER_ATTR_KBPS:
        case uapi::OVS_METER_ATTR_CLEAR: return { FLAG, 0 };
        case uapi::OVS_METER_ATTR_STATS: return { MIN, 16 };
        case uapi::OVS_METER_ATTR_BANDS: return { NESTED, 0 };
        case uapi::OVS_METER_ATTR_USED: return { U64, 0 };
        default: return { U, 0 };
        }
    case OVSDP_FAMILY_CT_LIMIT:
        return type == uapi::OVS_CT_LIMIT_ATTR_ZONE_LIMIT ? Policy { NESTED, 0 } : Policy { U, 0 };
    default:
        switch (type) {
        case uapi::OVS_PACKET_ATTR_PACKET: return { MIN, 14 };
        case uapi::OVS_PACKET_ATTR_KEY:
        case uapi::OVS_PACKET_ATTR_ACTIONS: return { NESTED, 0 };
        case uapi::OVS_PACKET_ATTR_PROBE: return { FLAG, 0 };
        case uapi::OVS_PACKET_ATTR_MRU: return { U16, 0 };
        case uapi::OVS_PACKET_ATTR_HASH: return { U64, 0 };
        default: return { U, 0 };
        }
    }
}

bool policy_ok(int fam, const NlAttr* a)
{
    Policy p = policy(fam, a->type());
    usize len = a->len();
    const u8* d = static_cast<const u8*>(a->payload().data());
    switch (p.type) {
    case U: return true;
    case U16: return len >= 2;
    case U32: return len >= 4;
    case U64: return len >= 8;
    case S32MIN0: {
        if (len < 4)
            return false;
        s32 v;
        std::memcpy(&v, d, 4);
        return v >= 0;
    }
    case FLAG: return len == 0;
    case NESTED: return len == 0 || len >= kNlaHdrLen;
    case NUL15: {
        usize n = len < 16 ? len : 16;
        return n && std::memchr(d, 0, n);
    }
    case MIN: return len >= p.min;
    }
    return false;
}

constexpr int kMaxAttr[OVSDP_FAMILY_COUNT] = { uapi::kDpAttrMax, uapi::kVportAttrMax, uapi::kFlowAttrMax,
                                               uapi::kPacketAttrMax, uapi::kMeterAttrMax, uapi::kCtLimitAttrMax };
static_assert(OVSDP_FAMILY_COUNT == 6, "a family's maximum attribute is missing");

UserHost* g_host;

// One request of the input: parsed like genetlink, then dispatched.
void run_request(fake::Kernel& kernel, fake::Net& net, int dp0, int fam, u8 cmd_no, u8 flags, ConstBytes attrs)
{
    std::vector<u8> stream(attrs.data(), attrs.data() + attrs.size());
    std::vector<const void*> table(static_cast<usize>(kMaxAttr[fam]) + 1, nullptr);
    const void* ext[OVSDP_EXT_ATTR_COUNT] = {};
    NlAttrIter it(ConstBytes(stream.data(), stream.size()));
    for (; !it.done(); it.next()) {
        const NlAttr* a = it.get();
        u16 type = a->type();
        if (type > kMaxAttr[fam]) {
            // find_ext_attrs(): the extension flags of the flow and datapath
            // families, looked for by the commands that read them.
            const ovsdp_cmd_desc* c = ovsdp_cmd_find(fam, cmd_no);
            bool is_ext = c && (c->flags & OVSDP_CMD_F_EXT)
                && ((fam == OVSDP_FAMILY_FLOW && type == OVSDP_FLOW_ATTR_NUMA_STATS)
                    || (fam == OVSDP_FAMILY_DATAPATH && type == OVSDP_DP_ATTR_EXT_STATS));
            if (is_ext) {
                if (a->len() != 0)
                    return;
                ext[type - OVSDP_EXT_ATTR_BASE] = a;
            }
            continue;
        }
        if (!policy_ok(fam, a))
            return;
        table[type] = a;
    }
    if (!it.valid())
        return;

    int ifindex = (flags & 0x10) ? 0 : dp0;
    u8 version = (flags & 0x20) ? 1 : (fam == OVSDP_FAMILY_DATAPATH ? 2 : 1);
    int rc;
    if (flags & 1) {
        long args[6] = {};
        ovsdp_dump d {};
        d.net = &net;
        d.args = args;
        d.attrs = table.data();
        d.maxattr = kMaxAttr[fam];
        d.dp_ifindex = ifindex;
        std::memcpy(d.ext_attrs, ext, sizeof(ext));
        for (int call = 0; call < 64; call++) {
            {
                std::lock_guard<std::mutex> g(kernel.sent_mu);
                kernel.dump_capacity = 4096;
                kernel.dump_used = 0;
            }
            rc = dumpit(fam, cmd_no, &d);
            check(rc <= 0);
            if (rc < 0 || kernel.dump_used == 0)
                break;
        }
    } else {
        ovsdp_request req {};
        req.net = &net;
        req.attrs = table.data();
        req.maxattr = kMaxAttr[fam];
        req.dp_ifindex = ifindex;
        req.version = version;
        req.cmd = cmd_no;
        req.nlmsg_flags = static_cast<u16>(((flags & 2) ? 0x400 : 0) | ((flags & 4) ? 0x200 : 0) | ((flags & 8) ? 0x8 : 0));
        std::memcpy(req.ext_attrs, ext, sizeof(ext));
        rc = doit(fam, cmd_no, &req);
        check(rc <= 0);
        if (rc == -err::INVAL)
            check(req.extack_msg != nullptr);
    }
    kernel.reset();
    g_host->take_sent();
    g_host->take_upcalls();
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    set_topology(2, 1);
    set_log_hook([](int, const char*, bool) {});
    g_host = new UserHost;
    set_execute_host(g_host);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const u8* data, size_t size)
{
    long baseline = live_allocations();
    reset_packets_leaked();
    {
        fake::Kernel kernel;
        fake::k = &kernel;
        fake::Net net { 0 };
        g_host->reset();
        int dp0 = new_dp0(kernel, net, 99);
        check(new_port(net, dp0, "p1", 1, 101) == 0);
        check(new_port(net, dp0, "p2", 2, 102) == 0);
        {
            // in_port(1), Ethernet, anything else wildcarded: output(2).
            u8 key[64], mask[64], act[8];
            NlWriter kw(key, sizeof(key)), mw(mask, sizeof(mask)), aw(act, sizeof(act));
            u8 eth[12] = {}, eth_mask[12] = {};
            kw.put_u32(uapi::OVS_KEY_ATTR_IN_PORT, 1);
            kw.put(uapi::OVS_KEY_ATTR_ETHERNET, eth, sizeof(eth));
            mw.put_u32(uapi::OVS_KEY_ATTR_IN_PORT, ~0u);
            mw.put(uapi::OVS_KEY_ATTR_ETHERNET, eth_mask, sizeof(eth_mask));
            aw.put_u32(uapi::OVS_ACTION_ATTR_OUTPUT, 2);
            fake::Request r(&net, uapi::kFlowAttrMax, dp0, 1, 256);
            r.put(uapi::OVS_FLOW_ATTR_KEY, key, kw.size());
            r.put(uapi::OVS_FLOW_ATTR_MASK, mask, mw.size());
            r.put(uapi::OVS_FLOW_ATTR_ACTIONS, act, aw.size());
            check(cmd::flow_new(r.finish()) == 0);
        }
        kernel.reset();

        usize off = 0;
        for (int n = 0; n < 8 && off + 5 <= size; n++) {
            int fam = data[off] % OVSDP_FAMILY_COUNT;
            u8 cmd_no = data[off + 1];
            u8 flags = data[off + 2];
            usize len = data[off + 3] | (usize(data[off + 4]) << 8);
            off += 5;
            if (len > size - off)
                len = size - off;
            run_request(kernel, net, dp0, fam, cmd_no, flags, ConstBytes(data + off, len));
            off += len;
        }
        destroy_datapaths();
        ct_limit_net_exit(); // the namespace goes: its zone limits with it
        ct_flush();
        fake::k = nullptr;
    }
    check(packets_leaked() == 0);
    check(live_allocations() == baseline);
    return 0;
}
