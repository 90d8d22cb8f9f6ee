// SPDX-License-Identifier: GPL-2.0
// Flow actions <-> OVS_ACTION_ATTR_* attributes: the actions half of
// upstream's flow_netlink.c (6.1 with the 2024 recursion limit).
//
// copy_actions() validates userspace's actions against the flow's masked key
// and copies them, in one pass, into a validated blob that actions/ executes;
// actions_to_nlattrs() writes a blob back exactly as userspace sent it
// (upstream converts its internal forms back, and so do we).
//
// Limits, so that neither CVE-2022-2639 (reserve_sfa_size size overflow) nor
// CVE-2024-1151 (unbounded clone/sample recursion) can happen here:
//  - the blob never exceeds kMaxActionsBufsize bytes: every append checks
//    `n > kMaxActionsBufsize - used` before growing, with used <= the limit
//    an invariant, so no sum can wrap; a nested list (sample, clone,
//    check_pkt_len, dec_ttl) whose validated form outgrows a netlink
//    attribute (64 KiB) is refused with EMSGSIZE, where upstream would wrap
//    its 16-bit length;
//  - nested action lists (sample, clone, check_pkt_len, dec_ttl) are at most
//    kActionsMaxDepth deep below the top list (EOVERFLOW beyond, as upstream);
//  - there is no recursion: validation and serialisation walk nested lists
//    with an explicit stack of kActionsMaxDepth + 1 frames (about 1.3 KiB for
//    validation, set(tunnel) parsing in a separate frame of ~0.5 KiB).
//
// ---- The blob (what actions/ executes) -------------------------------------------
// A flat stream of netlink attributes, each an action, every attribute
// 4-byte aligned (payload fields wider than 4 bytes must be read with
// load_unaligned()/memcpy). Types and payloads:
//  - OUTPUT, USERSPACE, PUSH_VLAN, POP_VLAN, RECIRC, HASH, PUSH_MPLS,
//    POP_MPLS, ADD_MPLS, TRUNC, PUSH_ETH, POP_ETH, CT_CLEAR, SET_MASKED: as
//    userspace sent them, validated (SET_MASKED: one nested OVS_KEY_ATTR_*
//    whose payload is the value then the mask, of equal lengths, value bits
//    only under the mask). CT_CLEAR is accepted as upstream does.
//  - kActionAttrSetToMasked: a SET of any field but the tunnel, converted as
//    upstream does: one nested OVS_KEY_ATTR_* with the value then a mask of
//    all 1-bits (the IPv6 flow label's mask is 0x000fffff).
//  - OVS_ACTION_ATTR_SET holding one kKeyAttrTunnelInfo attribute: a
//    set(tunnel), payload ActionTunnelInfo followed by options_len option
//    bytes (tunnel key flags include the option type and, for Geneve with a
//    critical option, kTunnelCritOpt).
//  - SAMPLE: a kSampleAttrArg attribute (SampleArg), then the sampled actions
//    directly (not nested).
//  - CLONE: a kCloneAttrExec attribute (u32: 1 when the actions cannot change
//    the flow key or the clone is last, so they may run in place), then the
//    actions directly.
//  - CHECK_PKT_LEN: kCheckPktLenAttrArg (CheckPktLenArg), then
//    OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL{actions}, then
//    OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER{actions}, always in that order.
//  - DEC_TTL: OVS_DEC_TTL_ATTR_ACTION{actions} (the actions for packets whose
//    TTL expires).
//  - CT: an ovsdp_ct_action (platform/conntrack.h), validated as upstream's
//    parse_ct()/parse_nat(), with the host's resources made at install
//    (ovsdp_ct_action_init()) and released when the blob is freed or
//    dropped, nested ct actions included (kFlowActionsCt; upstream's leak of
//    nested ones was CVE-2022-49086). Written back as upstream's
//    ovs_ct_action_to_attr(). Refused with EOPNOTSUPP when the host does not
//    track connections (ovsdp_ct_enabled()).
// METER is accepted as upstream does: a meter that does not exist (meter/) is
// ignored at execution. Refused with EOPNOTSUPP (no NSH here): PUSH_NSH,
// POP_NSH, and set/set_masked of CT_MARK, CT_LABELS and NSH.
#pragma once

#include "base/netlink.h"
#include "base/ovs_abi.h"
#include "base/result.h"
#include "flow/flow_key.h"
#include "flow_table/flow.h"
#include "platform/conntrack.h"

namespace ovsdp {

// The blob's size limit is flow_table's kMaxActionsBufsize (enough for any
// action list an attribute can carry; upstream has no fixed limit).
inline constexpr u32 kActionsMaxDepth = 16; // OVS_COPY_ACTIONS_MAX_DEPTH

// Private attribute types of the blob. Above the uapi maxima of their
// namespaces, so userspace can never send them.
inline constexpr u16 kActionAttrSetToMasked = uapi::kActionAttrMax + 2; // upstream OVS_ACTION_ATTR_SET_TO_MASKED
inline constexpr u16 kKeyAttrTunnelInfo = uapi::OVS_KEY_ATTR_TUNNEL_INFO; // in OVS_ACTION_ATTR_SET
inline constexpr u16 kSampleAttrArg = uapi::kSampleAttrMax + 2; // upstream OVS_SAMPLE_ATTR_ARG
inline constexpr u16 kCloneAttrExec = 1; // upstream OVS_CLONE_ATTR_EXEC
inline constexpr u16 kCheckPktLenAttrArg = uapi::kCheckPktLenAttrMax + 2; // upstream OVS_CHECK_PKT_LEN_ATTR_ARG
static_assert(kActionAttrSetToMasked == 25 && kSampleAttrArg == 4 && kCheckPktLenAttrArg == 5);

// Upstream's struct sample_arg.
struct SampleArg {
    bool exec; // the actions cannot change the flow key (or the sample is last)
    u32 probability; // as OVS_SAMPLE_ATTR_PROBABILITY: UINT32_MAX samples every packet
};
static_assert(sizeof(SampleArg) == 8 && OVSDP_OFFSETOF(SampleArg, probability) == 4);

// Upstream's struct check_pkt_len_arg.
struct CheckPktLenArg {
    u16 pkt_len;
    bool exec_for_greater; // the IF_GREATER actions cannot change the flow key
    bool exec_for_lesser_equal; // the IF_LESS_EQUAL actions cannot change the flow key
};
static_assert(sizeof(CheckPktLenArg) == 4);

// A set(tunnel), as upstream's ovs_tunnel_info: the tunnel, and the host's
// metadata (a struct metadata_dst with a route cache in the kernel) made
// from it once at validation, which every packet the action runs on takes a
// reference to.
struct ActionTunnelInfo {
    FlowTunnelKey key; // ip_family kAfInet or kAfInet6
    u8 mode; // kTunnelInfoTx, | kTunnelInfoIpv6, | kTunnelInfoBridge (flow_netlink.h)
    u8 options_len; // option bytes following this struct
    u8 pad[6];
    void* dst; // ovsdp_tunnel_dst_create() of the above; released with the actions
};
static_assert(sizeof(ActionTunnelInfo) == 72);

// A blob being built: a FlowActions growing up to kMaxActionsBufsize bytes
// (upstream's sw_flow_actions and reserve_sfa_size). Process context
// allocations.
class ActionsBuf {
public:
    ActionsBuf() = default;
    ~ActionsBuf(); // out of line: callers have several exits
    ActionsBuf(const ActionsBuf&) = delete;
    ActionsBuf& operator=(const ActionsBuf&) = delete;

    const u8* data() const { return acts_ ? acts_->data : nullptr; }
    u32 size() const { return acts_ ? acts_->len : 0; }
    ConstBytes bytes() const { return { data(), size() }; }
    // Drops the contents (keeps the memory), releasing what they hold.
    void clear()
    {
        release_held();
        if (acts_)
            acts_->len = 0;
        flags_ = 0;
    }
    // The blob, for a flow, with its flags and, with ct actions, the release
    // hook that frees their resources; the buffer is empty afterwards.
    // Not for a buffer still in its caller's storage (InlineActionsBuf):
    // null then, and the caller uses bytes() before the buffer goes.
    FlowActions* release();
    // FlowActions::flags of the blob (kFlowActionsUpcall, kFlowActionsCt).
    void add_flags(u32 f) { flags_ |= f; }
    u32 flags() const { return flags_; }

    // Room for at least `n` bytes in all without growing (a hint, capped at
    // the limit). NOMEM.
    Status reserve(usize n);
    // An attribute with `len` bytes of payload, zero padding included; its
    // payload (data copied when not null). EMSGSIZE beyond kMaxActionsBufsize.
    Result<u8*> add(u16 type, const void* data, usize len);
    // A nest: returns its offset for nest_end(). EMSGSIZE when what the nest
    // holds does not fit an attribute's 16-bit length.
    Result<u32> nest_begin(u16 type);
    Status nest_end(u32 offset);
    // Copies a whole attribute (its nla_len bytes, padding zeroed).
    Status copy(const NlAttr* a);

protected:
    // Starts in the caller's `storage` (capacity bytes of data after the
    // header); grows to the heap past it. InlineActionsBuf.
    ActionsBuf(FlowActions* storage, u32 capacity) : acts_(storage), storage_(storage)
    {
        storage->len = 0;
        storage->capacity = capacity;
        storage->flags = 0;
        storage->release = nullptr;
    }

private:
    Result<u8*> append(usize n);
    // The host resources of ct and set(tunnel) actions (kFlowActionsCt,
    // kFlowActionsTunnel), once.
    void release_held();
    bool in_storage() const { return storage_ && acts_ == storage_; }

    FlowActions* acts_ = nullptr;
    FlowActions* storage_ = nullptr;
    u32 flags_ = 0;
};

// An ActionsBuf whose first N bytes live inside it (on the stack for
// EXECUTE: the actions of one packet need no allocation unless longer).
template <u32 N>
class InlineActionsBuf : public ActionsBuf {
public:
    InlineActionsBuf() : ActionsBuf(reinterpret_cast<FlowActions*>(inline_), N) {}

private:
    // Written before it is read: ActionsBuf writes every byte it appends.
    alignas(FlowActions) u8 inline_[sizeof(FlowActions) + N];
};

// Validates `actions` (the payload of OVS_FLOW_ATTR_ACTIONS or
// OVS_PACKET_ATTR_ACTIONS) for a flow whose masked key is `key` (for
// OVS_PACKET_CMD_EXECUTE: the key extracted from the packet) and copies them
// into `out` (cleared first). Process context. Errors: EINVAL for malformed or
// inconsistent actions (with a message per rule), ERANGE for userspace/
// check_pkt_len attributes too short for their policy (as upstream's policy
// checks), EOVERFLOW for nesting deeper than kActionsMaxDepth, EMSGSIZE when
// the blob would exceed kMaxActionsBufsize or a nested list's validated form
// an attribute, EOPNOTSUPP for unsupported features, NOMEM.
// `net`: the requesting socket's namespace (ovsdp_genl_request::net), where
// ct actions make their host resources (ovsdp_ct_action_init()); null in
// tests.
Status copy_actions(ConstBytes actions, const FlowKey& key, ActionsBuf& out, bool log, void* net = nullptr);

// The same, returning the flow's actions (upstream's ovs_nla_copy_actions).
// Free with flow_actions_free() unless published.
Result<FlowActions*> validate_and_copy_actions(ConstBytes actions, const FlowKey& key, bool log, void* net = nullptr);

// Calls f(const NlAttr* a) for every action of a blob made by copy_actions()
// that holds host resources, nested lists included (no recursion): ct, and
// set(tunnel) (an OVS_ACTION_ATTR_SET whose key is kKeyAttrTunnelInfo).
void for_each_holding_action(ConstBytes blob, void (*f)(const NlAttr* a));

// The ovsdp_ct_action a blob's OVS_ACTION_ATTR_CT holds, copied out (the
// blob keeps it at 4-byte alignment). False when the attribute is too short.
bool ct_action_from_blob(const NlAttr* a, ovsdp_ct_action* out);

// Writes a blob made by copy_actions() as the OVS_ACTION_ATTR_* attributes
// userspace sent (no enclosing nest; upstream's ovs_nla_put_actions). False
// when w ran out of room (or the blob is not one copy_actions() made).
bool actions_to_nlattrs(ConstBytes blob, NlWriter& w);

// A flow's actions, the same way (for OVS_FLOW_ATTR_ACTIONS replies, nested by
// the caller).
inline bool put_actions(const FlowActions* acts, NlWriter& w)
{
    return actions_to_nlattrs({ acts->data, acts->len }, w);
}

// An upper bound of what actions_to_nlattrs() writes for `blob` (exact but for
// set(tunnel) actions, counted at their largest), for sizing replies.
usize actions_nlattr_size(ConstBytes blob);

} // namespace ovsdp
