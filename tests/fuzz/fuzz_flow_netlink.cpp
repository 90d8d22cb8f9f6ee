// SPDX-License-Identifier: GPL-2.0
// libFuzzer target over flow_netlink: key, mask and action parsing, and
// serialisation back.
//
// Input: [flags] [key_len lo] [key_len hi] key... [mask_len lo] [mask_len hi]
//        mask... actions...
//   flags bit 0: the request has a mask (else: exact match)
//         bit 1: validate the actions against the parsed flow's masked key
//                (when it parsed), else against a canned key (bits 2-4)
// Each section is copied to a buffer of exactly its size, so that any read
// past a section is an ASan report.
//
// Besides the sanitizers, each input checks:
//  - a parsed match: ranges long-aligned and inside the key; every key byte
//    outside the key range and every mask byte outside the mask range zero
//    (the table compares over the range only); the masked key and mask dump
//    into at most flow_key_attr_size() bytes each; a dump that parses again
//    dumps the same masked key;
//  - validated actions: at most 32 KiB; the blob dumps into at most
//    actions_nlattr_size() bytes; the dump validates again (same key) and its
//    own dump is identical (what ovs-dpctl prints is stable); no ct action's
//    host resources outlive the blobs.
#include "flow_netlink/flow_actions.h"
#include "flow_netlink/flow_netlink.h"
#include "platform/user/conntrack_user.h"

#include <cstdlib>
#include <cstring>
#include <vector>

using namespace ovsdp;
using namespace ovsdp::uapi;

namespace {

void check(bool cond)
{
    if (!cond)
        __builtin_trap();
}

struct Section {
    std::vector<u8> bytes;
    ConstBytes span() const { return { bytes.data(), bytes.size() }; }
};

// Takes a little-endian u16 length and that many bytes (fewer at the end).
bool take(const u8*& p, usize& n, Section& out)
{
    if (n < 2)
        return false;
    usize len = p[0] | (usize(p[1]) << 8);
    p += 2;
    n -= 2;
    if (len > n)
        len = n;
    out.bytes.assign(p, p + len);
    p += len;
    n -= len;
    return true;
}

void canned_key(u8 which, FlowKey& k)
{
    std::memset(&k, 0, sizeof(k));
    k.mac_proto = kMacProtoEthernet;
    k.in_port = 1;
    switch (which & 7) {
    case 0:
        k.eth.type = htons(kEthPIp);
        k.ip.proto = kIpProtoTcp;
        break;
    case 1:
        k.eth.type = htons(kEthPIpv6);
        k.ip.proto = kIpProtoUdp;
        break;
    case 2:
        k.eth.type = htons(kEthPMplsUc);
        k.mpls.num_labels_mask = 3;
        break;
    case 3:
        k.mac_proto = kMacProtoNone;
        k.eth.type = htons(kEthPIp);
        k.ip.proto = kIpProtoSctp;
        break;
    case 4:
        k.eth.type = htons(kEthPIp);
        k.eth.vlan.tpid = htons(kEthP8021Q);
        k.eth.vlan.tci = htons(kVlanCfiMask | 5);
        k.ip.proto = kIpProtoUdp;
        break;
    case 5:
        k.eth.type = htons(kEthPArp);
        break;
    case 6:
        k.eth.type = htons(kEthPIpv6);
        k.ip.proto = kIpProtoIcmpv6;
        break;
    default:
        k.eth.type = htons(kEthP8022);
        break;
    }
}

std::vector<u8>& scratch(int i)
{
    static std::vector<u8> bufs[4];
    if (bufs[i].empty())
        bufs[i].resize(1 << 17);
    return bufs[i];
}

Section dump_key(const FlowKey& key, const FlowKey& out, bool is_mask)
{
    auto& mem = scratch(0);
    NlWriter w(mem.data(), mem.size());
    check(flow_key_to_nlattrs(key, out, is_mask, w));
    check(w.size() <= flow_key_attr_size());
    Section s;
    s.bytes.assign(mem.begin(), mem.begin() + static_cast<long>(w.size()));
    return s;
}

void check_match(const FlowMatch& m, const FlowKey& key, const FlowKey& mask)
{
    auto aligned = [](FlowKeyRange r) {
        return r.start <= r.end && r.end <= kFlowKeySize && r.start % sizeof(long) == 0 && r.end % sizeof(long) == 0;
    };
    check(aligned(m.range) && aligned(m.mask_range));
    for (usize i = 0; i < kFlowKeySize; i++) {
        if (i < m.range.start || i >= m.range.end)
            check(key.bytes()[i] == 0);
        if (i < m.mask_range.start || i >= m.mask_range.end)
            check(mask.bytes()[i] == 0);
    }
}

struct FuzzFlow {
    FlowKey key, mask, masked;
    FlowMatch m;
};

void fuzz_match(const Section& key_attrs, const Section& mask_attrs, bool has_mask, FuzzFlow& f, bool& ok)
{
    f.m = FlowMatch { &f.key, &f.mask, {}, {} };
    Status s = flow_key_from_nlattrs(key_attrs.span(), mask_attrs.span(), has_mask, f.m, false);
    ok = s.ok();
    if (!ok) {
        check(s.error().code == err::INVAL && s.error().msg != nullptr);
        return;
    }
    check_match(f.m, f.key, f.mask);
    flow_mask_key(&f.masked, f.key, f.mask, f.m.mask_range, true);

    Section k = dump_key(f.masked, f.masked, false);
    Section mk = dump_key(f.masked, f.mask, true);
    dump_key(f.key, f.key, false); // the identifier of a key-identified flow

    // The dump parses again (or not: some upstream forms do not survive a
    // round trip, e.g. a wildcarded tunnel destination); when it does, it
    // dumps the same way.
    static FuzzFlow g;
    g.m = FlowMatch { &g.key, &g.mask, {}, {} };
    if (flow_key_from_nlattrs(k.span(), mk.span(), true, g.m, false).ok()) {
        check_match(g.m, g.key, g.mask);
        flow_mask_key(&g.masked, g.key, g.mask, g.m.mask_range, true);
        Section k2 = dump_key(g.masked, g.masked, false);
        dump_key(g.masked, g.mask, true);
        // Masks may differ (fields the parser always matches exactly, such
        // as the input port); the masked keys may not.
        check(k2.bytes == k.bytes);
    }

    // Metadata parsing of the same attributes never crashes either.
    static FlowKey md;
    (void)flow_metadata_from_nlattrs(key_attrs.span(), &md, false);
}

void fuzz_actions(const Section& acts, const FlowKey& key)
{
    ActionsBuf buf;
    Status s = copy_actions(acts.span(), key, buf, false);
    if (!s.ok()) {
        int e = s.error().code;
        check(e == err::INVAL || e == err::RANGE || e == err::OVERFLOW || e == err::MSGSIZE || e == err::OPNOTSUPP);
        check(s.error().msg != nullptr);
        check(buf.size() == 0);
        return;
    }
    check(buf.size() <= kMaxActionsBufsize);

    auto& mem = scratch(1);
    NlWriter w(mem.data(), mem.size());
    check(actions_to_nlattrs(buf.bytes(), w));
    check(w.size() <= actions_nlattr_size(buf.bytes()));
    Section dumped;
    dumped.bytes.assign(mem.begin(), mem.begin() + static_cast<long>(w.size()));

    // What ovs-dpctl prints of the flow's actions is stable: the dump
    // validates against the same key and dumps identically.
    ActionsBuf again;
    Status s2 = copy_actions(dumped.span(), key, again, false);
    check(s2.ok());
    auto& mem2 = scratch(2);
    NlWriter w2(mem2.data(), mem2.size());
    check(actions_to_nlattrs(again.bytes(), w2));
    check(w2.size() == w.size() && std::memcmp(mem.data(), mem2.data(), w.size()) == 0);

    // Too small a writer fails cleanly.
    if (w.size()) {
        NlWriter small(mem2.data(), w.size() - 1);
        check(!actions_to_nlattrs(buf.bytes(), small));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const u8* data, size_t size)
{
    if (size < 1)
        return 0;
    u8 flags = data[0];
    const u8* p = data + 1;
    usize n = size - 1;
    Section key_attrs, mask_attrs, acts;
    if (!take(p, n, key_attrs))
        return 0;
    take(p, n, mask_attrs);
    acts.bytes.assign(p, p + n);

    static FuzzFlow f;
    bool ok = false;
    fuzz_match(key_attrs, mask_attrs, flags & 1, f, ok);

    static FlowKey k;
    if ((flags & 2) && ok)
        k = f.masked;
    else
        canned_key(flags >> 2, k);
    fuzz_actions(acts, k);
    // Every ct action's host resources went with its blob.
    check(user::ct_live_actions() == 0);
    return 0;
}
