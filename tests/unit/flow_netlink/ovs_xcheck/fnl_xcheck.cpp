// SPDX-License-Identifier: GPL-2.0
// The flow_netlink side of the ovs-dpctl cross-check: takes a flow as
// ovs-dpctl sent it (OVS_FLOW_CMD_NEW's attributes) and answers as upstream's
// ovs_flow_cmd_new and a later flow dump would: an errno, or the attributes
// of the dumped flow (identifier, masked key for UFID flows, mask, actions).
//
// Input (stdin): lines "KEY <hex>", "MASK <hex>", "ACTIONS <hex>", "UFID <hex>"
// (absent lines: absent attributes). Output: "ERR <errno> <message>" or
// "FLOW <hex>".
#include "flow_netlink/flow_actions.h"
#include "flow_netlink/flow_netlink.h"

#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

using namespace ovsdp;
using namespace ovsdp::uapi;

namespace {

std::vector<u8> unhex(const std::string& s)
{
    std::vector<u8> v;
    for (size_t i = 0; i + 1 < s.size(); i += 2)
        v.push_back(static_cast<u8>(std::stoi(s.substr(i, 2), nullptr, 16)));
    return v;
}

std::string hex(const u8* p, size_t n)
{
    std::string s;
    char b[3];
    for (size_t i = 0; i < n; i++) {
        std::snprintf(b, sizeof(b), "%02x", p[i]);
        s += b;
    }
    return s;
}

int fail(Error e)
{
    std::printf("ERR %d %s\n", e.code, e.msg ? e.msg : "");
    return 0;
}

} // namespace

int main()
{
    std::vector<u8> key, mask, actions, ufid;
    bool have_key = false, have_mask = false, have_actions = false, have_ufid = false;
    std::string line;
    while (std::getline(std::cin, line)) {
        std::istringstream in(line);
        std::string tag, h;
        in >> tag >> h;
        if (tag == "KEY")
            key = unhex(h), have_key = true;
        else if (tag == "MASK")
            mask = unhex(h), have_mask = true;
        else if (tag == "ACTIONS")
            actions = unhex(h), have_actions = true;
        else if (tag == "UFID")
            ufid = unhex(h), have_ufid = true;
    }
    if (!have_key)
        return fail(make_error(err::INVAL, "Flow key attribute not present in new flow"));
    if (!have_actions)
        return fail(make_error(err::INVAL, "Flow actions attribute not present in new flow"));

    static FlowKey k, m, masked;
    FlowMatch match { &k, &m, {}, {} };
    Status s = flow_key_from_nlattrs({ key.data(), key.size() }, { mask.data(), mask.size() }, have_mask, match, true);
    if (!s.ok())
        return fail(s.error());
    flow_mask_key(&masked, k, m, match.mask_range, true);
    // A UFID of a bad length is ignored, as upstream's ovs_nla_get_ufid().
    u8 ufid_bytes[16];
    u32 ufid_len = 0;
    if (have_ufid && !ufid.empty() && ufid.size() <= sizeof(ufid_bytes)) {
        std::copy(ufid.begin(), ufid.end(), ufid_bytes);
        ufid_len = static_cast<u32>(ufid.size());
    }

    ActionsBuf acts;
    s = copy_actions({ actions.data(), actions.size() }, masked, acts, true);
    if (!s.ok())
        return fail(s.error());

    // Upstream ovs_flow_cmd_fill_info for a fresh flow (no stats yet).
    static u8 mem[1 << 17];
    NlWriter w(mem, sizeof(mem));
    if (ufid_len) {
        w.put(OVS_FLOW_ATTR_UFID, ufid_bytes, ufid_len);
        put_flow_key(w, OVS_FLOW_ATTR_KEY, masked, masked, false);
    } else {
        put_flow_key(w, OVS_FLOW_ATTR_KEY, k, k, false);
    }
    put_flow_key(w, OVS_FLOW_ATTR_MASK, masked, m, true);
    usize nest = w.nest_begin(OVS_FLOW_ATTR_ACTIONS);
    actions_to_nlattrs(acts.bytes(), w);
    w.nest_end(nest);
    if (w.overflowed())
        return fail(make_error(err::MSGSIZE, "reply too large"));
    std::printf("FLOW %s\n", hex(mem, w.size()).c_str());
    return 0;
}
