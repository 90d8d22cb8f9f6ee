// SPDX-License-Identifier: GPL-2.0
// Flow actions: validation and copy, and serialisation back (flow_actions.h).
#include "flow_netlink/flow_actions.h"

#include "flow_netlink/flow_netlink.h"
#include "flow_netlink/nl_walk.h"
#include "platform/conntrack.h"
#include "platform/platform.h"
#include "platform/skb_ops.h"

namespace ovsdp {

// ---- ActionsBuf -------------------------------------------------------------------------

ActionsBuf::~ActionsBuf()
{
    release_held();
    if (!in_storage())
        flow_actions_free(acts_);
}

Status ActionsBuf::reserve(usize n)
{
    if (n > kMaxActionsBufsize)
        n = kMaxActionsBufsize;
    if (acts_ && n <= acts_->capacity)
        return {};
    FlowActions* grown = TRY(flow_actions_alloc(static_cast<u32>(n)));
    if (acts_) {
        __builtin_memcpy(grown->data, acts_->data, acts_->len);
        grown->len = acts_->len;
        if (!in_storage())
            flow_actions_free(acts_);
    }
    acts_ = grown;
    return {};
}

// The only place the blob grows. Invariant: len <= capacity <=
// kMaxActionsBufsize, so `kMaxActionsBufsize - len` cannot wrap and neither
// can len + n after the check (the CVE-2022-2639 class).
Result<u8*> ActionsBuf::append(usize n)
{
    u32 len = size();
    if (n > kMaxActionsBufsize - len)
        return make_error(err::MSGSIZE, "Flow actions exceed 448 KiB once validated");
    usize need = len + n;
    if (!acts_ || need > acts_->capacity) {
        usize doubled = acts_ ? 2 * static_cast<usize>(acts_->capacity) : 0; // <= 768 KiB
        TRY(reserve(need > doubled ? need : doubled));
    }
    u8* p = acts_->data + len;
    acts_->len = static_cast<u32>(need);
    return p;
}

Result<u8*> ActionsBuf::add(u16 type, const void* data, usize len)
{
    if (len > 0xffff - kNlaHdrLen)
        return make_error(err::MSGSIZE, "Flow action attribute too long");
    u8* p = TRY(append(nla_total_size(len)));
    auto* a = reinterpret_cast<NlAttr*>(p);
    a->nla_len = static_cast<u16>(kNlaHdrLen + len);
    a->nla_type = type;
    // Every byte appended is written: a blob in InlineActionsBuf's storage
    // is not zeroed beforehand, and blobs reach userspace (userspace
    // action's OVS_USERSPACE_ATTR_ACTIONS, flow dumps).
    if (data && len)
        __builtin_memcpy(p + kNlaHdrLen, data, len);
    else
        __builtin_memset(p + kNlaHdrLen, 0, len);
    __builtin_memset(p + kNlaHdrLen + len, 0, nla_total_size(len) - kNlaHdrLen - len);
    return p + kNlaHdrLen;
}

Result<u32> ActionsBuf::nest_begin(u16 type)
{
    u32 at = size();
    TRY(add(type, nullptr, 0));
    return at;
}

Status ActionsBuf::nest_end(u32 offset)
{
    u32 len = size() - offset;
    if (len > 0xffff)
        return make_error(err::MSGSIZE, "Nested flow actions exceed 64 KiB once validated");
    reinterpret_cast<NlAttr*>(acts_->data + offset)->nla_len = static_cast<u16>(len);
    return {};
}

Status ActionsBuf::copy(const NlAttr* a)
{
    u8* p = TRY(append(nla_align(a->nla_len)));
    __builtin_memcpy(p, a, a->nla_len);
    __builtin_memset(p + a->nla_len, 0, nla_align(a->nla_len) - a->nla_len);
    return {};
}

namespace {

void release_one_ct(const NlAttr* a)
{
    ovsdp_ct_action ct;
    if (ct_action_from_blob(a, &ct))
        ovsdp_ct_action_release(&ct);
}

void release_one(const NlAttr* a)
{
    if (a->type() == uapi::OVS_ACTION_ATTR_CT) {
        release_one_ct(a);
        return;
    }
    // set(tunnel): the metadata made at validation (null if that failed).
    auto* key = reinterpret_cast<const NlAttr*>(a->data());
    if (a->len() < kNlaHdrLen + sizeof(ActionTunnelInfo) || key->len() < sizeof(ActionTunnelInfo))
        return;
    void* dst;
    __builtin_memcpy(&dst, key->data() + OVSDP_OFFSETOF(ActionTunnelInfo, dst), sizeof(dst));
    if (dst)
        ovsdp_tunnel_dst_release(dst);
}

void release_held_actions(FlowActions* acts) { for_each_holding_action({ acts->data, acts->len }, release_one); }

} // namespace

void ActionsBuf::release_held()
{
    if (acts_ && (flags_ & (kFlowActionsCt | kFlowActionsTunnel)))
        release_held_actions(acts_);
    flags_ &= ~(kFlowActionsCt | kFlowActionsTunnel);
}

FlowActions* ActionsBuf::release()
{
    if (in_storage())
        return nullptr;
    if (acts_) {
        acts_->flags = flags_;
        acts_->release = (flags_ & (kFlowActionsCt | kFlowActionsTunnel)) ? release_held_actions : nullptr;
    }
    flags_ = 0;
    return exchange(acts_, nullptr);
}

static_assert(kMaxActionsBufsize <= 0xffffffffu / 4, "blob sizes and their doubling fit a u32");

// No namespace-scope using-directives outside our own namespaces: the kernel
// build compiles the whole core as one translation unit.
namespace flow_actions_detail {

using namespace uapi;
using namespace flow_netlink_detail;

namespace {

constexpr u32 kVariable = 0xffffffff;

struct ActionLens {
    u32 len[kActionAttrMax + 1];
};

// Upstream's action_lens: the payload length of each action, kVariable for
// nested or variable ones. UNSPEC is 0 (and refused).
constexpr ActionLens make_action_lens()
{
    ActionLens t {};
    t.len[OVS_ACTION_ATTR_OUTPUT] = sizeof(u32);
    t.len[OVS_ACTION_ATTR_RECIRC] = sizeof(u32);
    t.len[OVS_ACTION_ATTR_USERSPACE] = kVariable;
    t.len[OVS_ACTION_ATTR_PUSH_MPLS] = sizeof(OvsActionPushMpls);
    t.len[OVS_ACTION_ATTR_POP_MPLS] = sizeof(be16);
    t.len[OVS_ACTION_ATTR_PUSH_VLAN] = sizeof(OvsActionPushVlan);
    t.len[OVS_ACTION_ATTR_POP_VLAN] = 0;
    t.len[OVS_ACTION_ATTR_SET] = kVariable;
    t.len[OVS_ACTION_ATTR_SET_MASKED] = kVariable;
    t.len[OVS_ACTION_ATTR_SAMPLE] = kVariable;
    t.len[OVS_ACTION_ATTR_HASH] = sizeof(OvsActionHash);
    t.len[OVS_ACTION_ATTR_CT] = kVariable;
    t.len[OVS_ACTION_ATTR_CT_CLEAR] = 0;
    t.len[OVS_ACTION_ATTR_TRUNC] = sizeof(OvsActionTrunc);
    t.len[OVS_ACTION_ATTR_PUSH_ETH] = sizeof(OvsActionPushEth);
    t.len[OVS_ACTION_ATTR_POP_ETH] = 0;
    t.len[OVS_ACTION_ATTR_PUSH_NSH] = kVariable;
    t.len[OVS_ACTION_ATTR_POP_NSH] = 0;
    t.len[OVS_ACTION_ATTR_METER] = sizeof(u32);
    t.len[OVS_ACTION_ATTR_CLONE] = kVariable;
    t.len[OVS_ACTION_ATTR_CHECK_PKT_LEN] = kVariable;
    t.len[OVS_ACTION_ATTR_ADD_MPLS] = sizeof(OvsActionAddMpls);
    t.len[OVS_ACTION_ATTR_DEC_TTL] = kVariable;
    return t;
}
constexpr ActionLens kActionLens = make_action_lens();

constexpr usize kEthHlen = 14;

constexpr bool eth_type_vlan(be16 type) { return type == htons(kEthP8021Q) || type == htons(kEthP8021AD); }
constexpr bool eth_p_mpls(be16 type) { return type == htons(kEthPMplsUc) || type == htons(kEthPMplsMc); }

// What a list of actions knows of the packet at each point (upstream passes
// these down by value).
struct ActState {
    be16 eth_type;
    be16 vlan_tci;
    u32 mpls_label_count;
    u8 mac_proto;
};

// Upstream actions_may_change_flow: false when the actions only output,
// recirculate, truncate or go to userspace, so they may run on the packet in
// place.
bool actions_may_change_flow(ConstBytes list)
{
    NlWalk walk(list);
    while (const NlAttr* a = walk.next()) {
        switch (a->type()) {
        case OVS_ACTION_ATTR_OUTPUT:
        case OVS_ACTION_ATTR_RECIRC:
        case OVS_ACTION_ATTR_TRUNC:
        case OVS_ACTION_ATTR_USERSPACE:
            break;
        default:
            return true;
        }
    }
    return false;
}

// An empty payload, or one with room for at least an attribute header
// (nested lists: upstream's NLA_NESTED policy and its own checks).
bool nested_len_ok(usize len) { return len == 0 || len >= kNlaHdrLen; }

// Upstream validate_userspace: nla_parse_nested_deprecated() with its
// policy, i.e. liberal (unknown types, duplicates and a trailing tail are
// accepted), u32 attributes at least 4 bytes (ERANGE), then a nonzero PID.
Status validate_userspace(const NlAttr* attr)
{
    const NlAttr* pid = nullptr;
    NlWalk walk(attr->payload());
    while (const NlAttr* a = walk.next()) {
        u16 type = a->type();
        if (type == OVS_USERSPACE_ATTR_PID || type == OVS_USERSPACE_ATTR_EGRESS_TUN_PORT) {
            if (a->len() < sizeof(u32))
                return make_error(err::RANGE, "Userspace action attribute shorter than a u32");
            if (type == OVS_USERSPACE_ATTR_PID)
                pid = a;
        }
    }
    if (!pid || !pid->get_u32())
        return make_error(err::INVAL, "Userspace action needs a nonzero netlink PID");
    return {};
}

// Upstream validate_geneve_opts: the options must be a sequence of whole
// TLVs; a critical one sets kTunnelCritOpt.
Status validate_geneve_opts(FlowKey& key)
{
    const u8* p = key.tun_opts_data();
    usize left = key.tun_opts_len;
    bool crit = false;
    while (left > 0) {
        if (left < 4)
            return make_error(err::INVAL, "Geneve option header truncated");
        usize len = 4 + static_cast<usize>(p[3] & 0x1f) * 4;
        if (len > left)
            return make_error(err::INVAL, "Geneve option longer than the options");
        crit |= (p[2] & 0x80) != 0;
        p += len;
        left -= len;
    }
    if (crit)
        key.tun_key.tun_flags |= htons(kTunnelCritOpt);
    return {};
}

// Upstream validate_and_copy_set_tun. Its own frame (a FlowKey).
OVSDP_NOINLINE Status copy_set_tunnel(const NlAttr* tunnel, ActionsBuf& out, bool log)
{
    FlowKey key;
    __builtin_memset(&key, 0, sizeof(key));
    FlowKeyRange range;
    u16 opts_type = TRY(tunnel_key_from_nlattr(tunnel, key, range, log));
    u16 opt_flag = 0;
    if (key.tun_opts_len) {
        switch (opts_type) {
        case OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS:
            TRY(validate_geneve_opts(key));
            opt_flag = kTunnelGeneveOpt;
            break;
        case OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS:
            opt_flag = kTunnelVxlanOpt;
            break;
        case OVS_TUNNEL_KEY_ATTR_ERSPAN_OPTS:
            opt_flag = kTunnelErspanOpt;
            break;
        }
        key.tun_key.tun_flags |= htons(opt_flag);
    }

    ActionTunnelInfo info;
    __builtin_memset(&info, 0, sizeof(info));
    info.key = key.tun_key;
    info.mode = kTunnelInfoTx;
    if (key.tun_key.ip_family == kAfInet6)
        info.mode |= kTunnelInfoIpv6;
    else if (key.tun_key.ip_family == kAfInet && key.tun_key.ipv4.dst == 0)
        info.mode |= kTunnelInfoBridge;
    info.options_len = key.tun_opts_len;

    // The metadata every packet will carry, made once (upstream's
    // metadata_dst_alloc() in validate_and_copy_set_tun()).
    ovsdp_tunnel t;
    __builtin_memset(&t, 0, sizeof(t));
    t.tun_id = info.key.tun_id;
    if (info.mode & kTunnelInfoIpv6) {
        __builtin_memcpy(t.src, info.key.ipv6.src, 16);
        __builtin_memcpy(t.dst, info.key.ipv6.dst, 16);
    } else {
        __builtin_memcpy(t.src, &info.key.ipv4.src, 4);
        __builtin_memcpy(t.dst, &info.key.ipv4.dst, 4);
    }
    t.tun_flags = info.key.tun_flags;
    t.tos = info.key.tos;
    t.ttl = info.key.ttl;
    t.tp_src = info.key.tp_src;
    t.tp_dst = info.key.tp_dst;
    t.mode = info.mode;
    t.options_len = info.options_len;
    info.dst = ovsdp_tunnel_dst_create(&t, key.tun_opts_data());
    if (!info.dst)
        return make_error(err::NOMEM, "No memory for the tunnel metadata of set(tunnel)");

    // Until the blob holds it, it is released here; from then on with the
    // blob (kFlowActionsTunnel), whatever happens to the rest.
    Result<u32> set = out.nest_begin(OVS_ACTION_ATTR_SET);
    Result<u8*> p = set.is_error() ? Result<u8*>(set.error())
                                   : out.add(kKeyAttrTunnelInfo, nullptr, sizeof(info) + info.options_len);
    if (p.is_error()) {
        ovsdp_tunnel_dst_release(info.dst);
        return p.error();
    }
    __builtin_memcpy(p.value(), &info, sizeof(info));
    if (info.options_len)
        __builtin_memcpy(p.value() + sizeof(info), key.tun_opts_data(), info.options_len);
    out.add_flags(kFlowActionsTunnel);
    return out.nest_end(set.value());
}

// Upstream validate_masked: no value bit outside the mask (the mask follows
// the value directly).
bool validate_masked(const u8* data, usize len)
{
    const u8* mask = data + len;
    for (usize i = 0; i < len; i++)
        if (data[i] & ~mask[i])
            return false;
    return true;
}

// Upstream validate_set. Sets `copied` when it wrote the action itself
// (set(tunnel), set converted to masked); otherwise the caller copies it.
Status validate_set(const NlAttr* a, const FlowKey& flow_key, const ActState& st, bool masked, ActionsBuf& out,
    bool& copied, bool log)
{
    // Exactly one key attribute, padded, filling the action.
    if (a->len() < kNlaHdrLen)
        return make_error(err::INVAL, "Set action must hold exactly one key attribute");
    auto* ovs_key = reinterpret_cast<const NlAttr*>(a->data());
    if (ovs_key->nla_len < kNlaHdrLen || nla_align(ovs_key->nla_len) != a->len())
        return make_error(err::INVAL, "Set action must hold exactly one key attribute");

    u16 key_type = ovs_key->type();
    usize key_len = ovs_key->len();
    if (masked)
        key_len /= 2;
    if (key_type > kKeyAttrMax)
        return make_error(err::INVAL, "Set action key type above OVS_KEY_ATTR_MAX");
    if (!attr_len_ok(key_len, key_attr_len(key_type)))
        return make_error(err::INVAL, "Set action key attribute has wrong length");
    const u8* data = ovs_key->data();
    if (masked && !validate_masked(data, key_len))
        return make_error(err::INVAL, "Masked set action has value bits outside its mask");

    switch (key_type) {
    case OVS_KEY_ATTR_PRIORITY:
    case OVS_KEY_ATTR_SKB_MARK:
        break;

    case OVS_KEY_ATTR_CT_MARK:
    case OVS_KEY_ATTR_CT_LABELS:
    case OVS_KEY_ATTR_NSH:
        return make_error(err::OPNOTSUPP, "Set action field not supported by this datapath");

    case OVS_KEY_ATTR_ETHERNET:
        if (st.mac_proto != kMacProtoEthernet)
            return make_error(err::INVAL, "Set Ethernet action on a packet without Ethernet header");
        break;

    case OVS_KEY_ATTR_TUNNEL:
        if (masked)
            return make_error(err::INVAL, "Masked set of the tunnel is not supported");
        TRY(copy_set_tunnel(ovs_key, out, log));
        copied = true;
        return {};

    case OVS_KEY_ATTR_IPV4: {
        if (st.eth_type != htons(kEthPIp))
            return make_error(err::INVAL, "Set IPv4 action on a flow that is not IPv4");
        OvsKeyIpv4 v;
        __builtin_memcpy(&v, data, sizeof(v));
        if (masked) {
            OvsKeyIpv4 m;
            __builtin_memcpy(&m, data + key_len, sizeof(m));
            if (m.ipv4_proto || m.ipv4_frag)
                return make_error(err::INVAL, "Set IPv4 action may not change the protocol or fragment type");
        } else if (v.ipv4_proto != flow_key.ip.proto || v.ipv4_frag != flow_key.ip.frag) {
            return make_error(err::INVAL, "Set IPv4 action may not change the protocol or fragment type");
        }
        break;
    }

    case OVS_KEY_ATTR_IPV6: {
        if (st.eth_type != htons(kEthPIpv6))
            return make_error(err::INVAL, "Set IPv6 action on a flow that is not IPv6");
        OvsKeyIpv6 v;
        __builtin_memcpy(&v, data, sizeof(v));
        if (masked) {
            OvsKeyIpv6 m;
            __builtin_memcpy(&m, data + key_len, sizeof(m));
            if (m.ipv6_proto || m.ipv6_frag)
                return make_error(err::INVAL, "Set IPv6 action may not change the protocol or fragment type");
            if (ntohl(m.ipv6_label) & 0xfff00000)
                return make_error(err::INVAL, "Set IPv6 action flow label mask above 20 bits");
        } else if (v.ipv6_proto != flow_key.ip.proto || v.ipv6_frag != flow_key.ip.frag) {
            return make_error(err::INVAL, "Set IPv6 action may not change the protocol or fragment type");
        }
        if (ntohl(v.ipv6_label) & 0xfff00000)
            return make_error(err::INVAL, "Set IPv6 action flow label above 20 bits");
        break;
    }

    case OVS_KEY_ATTR_TCP:
    case OVS_KEY_ATTR_UDP:
    case OVS_KEY_ATTR_SCTP: {
        u8 proto = key_type == OVS_KEY_ATTR_TCP ? kIpProtoTcp : key_type == OVS_KEY_ATTR_UDP ? kIpProtoUdp : kIpProtoSctp;
        if ((st.eth_type != htons(kEthPIp) && st.eth_type != htons(kEthPIpv6)) || flow_key.ip.proto != proto)
            return make_error(err::INVAL, "Set transport ports action on a flow of another protocol");
        break;
    }

    case OVS_KEY_ATTR_MPLS:
        if (!eth_p_mpls(st.eth_type))
            return make_error(err::INVAL, "Set MPLS action on a packet that is not MPLS");
        // Upstream takes any length here and its executor then reads one
        // label stack entry (and its mask): require exactly that.
        if (key_len != sizeof(OvsKeyMpls))
            return make_error(err::INVAL, "Set MPLS action must hold one label stack entry");
        break;

    default:
        return make_error(err::INVAL, "Set action for a field that cannot be set");
    }

    if (masked)
        return {};

    // Convert a set to a masked set with an all-ones mask.
    u32 start = TRY(out.nest_begin(kActionAttrSetToMasked));
    u8* p = TRY(out.add(key_type, nullptr, key_len * 2));
    __builtin_memcpy(p, data, key_len);
    __builtin_memset(p + key_len, 0xff, key_len);
    if (key_type == OVS_KEY_ATTR_IPV6) {
        // The label's upper 12 bits are not writable.
        be32 label_mask = htonl(0x000fffff);
        __builtin_memcpy(p + key_len + OVSDP_OFFSETOF(OvsKeyIpv6, ipv6_label), &label_mask, sizeof(label_mask));
    }
    TRY(out.nest_end(start));
    copied = true;
    return {};
}

// A nested action list to validate next: its actions, the blob nests to close
// once it is done, and for check_pkt_len the second list that follows it.
struct NestedList {
    ConstBytes actions;
    u32 close[2];
    u8 n_close;
    u32 then_close; // ...and the CHECK_PKT_LEN nest closed after it
    const NlAttr* then_list; // check_pkt_len: IF_GREATER, validated after this list
};

// What a frame keeps of how its list was entered.
struct ListExit {
    u32 close[2];
    u8 n_close;
    u32 then_close;
    const NlAttr* then_list;
};

// Upstream validate_and_copy_sample, up to its nested list.
Result<NestedList> begin_sample(const NlAttr* attr, bool last, ActionsBuf& out)
{
    const NlAttr* attrs[kSampleAttrMax + 1] = {};
    NlWalk walk(attr->payload());
    while (const NlAttr* a = walk.next()) {
        u16 type = a->type();
        if (!type || type > kSampleAttrMax || attrs[type])
            return make_error(err::INVAL, "Sample action has an unknown or duplicate attribute");
        attrs[type] = a;
    }
    if (walk.rem() != 0)
        return make_error(err::INVAL, "Sample action attributes have trailing bytes");
    const NlAttr* probability = attrs[OVS_SAMPLE_ATTR_PROBABILITY];
    if (!probability || probability->len() != sizeof(u32))
        return make_error(err::INVAL, "Sample action needs a u32 probability");
    const NlAttr* actions = attrs[OVS_SAMPLE_ATTR_ACTIONS];
    if (!actions || !nested_len_ok(actions->len()))
        return make_error(err::INVAL, "Sample action needs a nested action list");

    u32 start = TRY(out.nest_begin(OVS_ACTION_ATTR_SAMPLE));
    SampleArg arg;
    __builtin_memset(&arg, 0, sizeof(arg)); // no uninitialised padding in the blob
    // Actions that cannot change the flow key run in place; others are
    // deferred. A last action can always run in place.
    arg.exec = last || !actions_may_change_flow(actions->payload());
    arg.probability = probability->get_u32();
    TRY(out.add(kSampleAttrArg, &arg, sizeof(arg)));
    return NestedList { actions->payload(), { start, 0 }, 1, 0, nullptr };
}

// Upstream validate_and_copy_clone, up to its nested list.
Result<NestedList> begin_clone(const NlAttr* attr, bool last, ActionsBuf& out)
{
    if (!nested_len_ok(attr->len()))
        return make_error(err::INVAL, "Clone action payload is not an action list");
    u32 start = TRY(out.nest_begin(OVS_ACTION_ATTR_CLONE));
    u32 exec = last || !actions_may_change_flow(attr->payload());
    TRY(out.add(kCloneAttrExec, &exec, sizeof(exec)));
    return NestedList { attr->payload(), { start, 0 }, 1, 0, nullptr };
}

// Upstream validate_and_copy_check_pkt_len, up to its first nested list.
// Its attributes go through nla_parse_deprecated_strict(): type 0, a type
// above the maximum or a trailing tail is EINVAL; PKT_LEN shorter than a u16
// or a list of 1-3 bytes is ERANGE; a later duplicate replaces an earlier one.
Result<NestedList> begin_check_pkt_len(const NlAttr* attr, bool last, ActionsBuf& out)
{
    const NlAttr* attrs[kCheckPktLenAttrMax + 1] = {};
    NlWalk walk(attr->payload());
    while (const NlAttr* a = walk.next()) {
        u16 type = a->type();
        if (type == 0 || type > kCheckPktLenAttrMax)
            return make_error(err::INVAL, "Check packet length action has an unknown attribute");
        if (type == OVS_CHECK_PKT_LEN_ATTR_PKT_LEN) {
            if (a->len() < sizeof(u16))
                return make_error(err::RANGE, "Check packet length action length shorter than a u16");
        } else if (!nested_len_ok(a->len())) {
            return make_error(err::RANGE, "Check packet length action list is malformed");
        }
        attrs[type] = a;
    }
    if (walk.rem() > 0)
        return make_error(err::INVAL, "Check packet length action attributes have trailing bytes");
    const NlAttr* pkt_len = attrs[OVS_CHECK_PKT_LEN_ATTR_PKT_LEN];
    if (!pkt_len || !pkt_len->get_u16())
        return make_error(err::INVAL, "Check packet length action needs a nonzero length");
    const NlAttr* le = attrs[OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL];
    const NlAttr* gt = attrs[OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER];
    if (!le || !gt)
        return make_error(err::INVAL, "Check packet length action needs both action lists");

    u32 start = TRY(out.nest_begin(OVS_ACTION_ATTR_CHECK_PKT_LEN));
    CheckPktLenArg arg;
    __builtin_memset(&arg, 0, sizeof(arg));
    arg.pkt_len = pkt_len->get_u16();
    arg.exec_for_lesser_equal = last || !actions_may_change_flow(le->payload());
    arg.exec_for_greater = last || !actions_may_change_flow(gt->payload());
    TRY(out.add(kCheckPktLenAttrArg, &arg, sizeof(arg)));
    u32 le_start = TRY(out.nest_begin(OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL));
    return NestedList { le->payload(), { le_start, 0 }, 1, start, gt };
}

// Upstream validate_and_copy_dec_ttl, up to its nested list. Unknown
// attribute types above the maximum are ignored (future proofing, as
// upstream).
Result<NestedList> begin_dec_ttl(const NlAttr* attr, ActionsBuf& out)
{
    const NlAttr* attrs[kDecTtlAttrMax + 1] = {};
    NlWalk walk(attr->payload());
    while (const NlAttr* a = walk.next()) {
        u16 type = a->type();
        if (type > kDecTtlAttrMax)
            continue;
        if (!type || attrs[type])
            return make_error(err::INVAL, "Decrement TTL action has a duplicate or invalid attribute");
        attrs[type] = a;
    }
    if (walk.rem() != 0)
        return make_error(err::INVAL, "Decrement TTL action attributes have trailing bytes");
    const NlAttr* actions = attrs[OVS_DEC_TTL_ATTR_ACTION];
    if (!actions || !nested_len_ok(actions->len()))
        return make_error(err::INVAL, "Decrement TTL action needs a nested action list");
    u32 start = TRY(out.nest_begin(OVS_ACTION_ATTR_DEC_TTL));
    u32 action_start = TRY(out.nest_begin(OVS_DEC_TTL_ATTR_ACTION));
    return NestedList { actions->payload(), { action_start, start }, 2, 0, nullptr };
}

// One action list being validated.
struct CopyFrame {
    NlWalk walk;
    ActState st;
    ActState entry; // the state the list started with
    ListExit exit; // nests to close when the list ends, what follows it
};
static_assert(sizeof(CopyFrame) <= 64, "copy_lists() keeps kActionsMaxDepth + 1 frames on the stack");

// ---- ct -------------------------------------------------------------------------------

constexpr u8 kNfprotoIpv4 = 2;
constexpr u8 kNfprotoIpv6 = 10;

bool nonzero(const u8* p, usize n)
{
    for (usize i = 0; i < n; i++)
        if (p[i])
            return true;
    return false;
}

bool nul_terminated(const u8* p, usize n)
{
    for (usize i = 0; i < n; i++)
        if (!p[i])
            return true;
    return false;
}

// Upstream parse_nat(): OVS_CT_ATTR_NAT into ct (whose flags say whether a
// commit came before it, as upstream checks in attribute order).
Status parse_nat(const NlAttr* attr, ovsdp_ct_action& ct)
{
    bool ip6 = ct.family == kNfprotoIpv6;
    bool have_ip_max = false, have_proto_max = false;
    NlWalk walk(attr->payload());
    while (const NlAttr* a = walk.next()) {
        u16 type = a->type();
        if (type > kNatAttrMax)
            return make_error(err::INVAL, "NAT attribute type above OVS_NAT_ATTR_MAX");
        usize want = 0;
        if (type == OVS_NAT_ATTR_IP_MIN || type == OVS_NAT_ATTR_IP_MAX)
            want = ip6 ? 16 : 4;
        else if (type == OVS_NAT_ATTR_PROTO_MIN || type == OVS_NAT_ATTR_PROTO_MAX)
            want = sizeof(u16);
        if (a->len() != want)
            return make_error(err::INVAL, "NAT attribute has wrong length");
        switch (type) {
        case OVS_NAT_ATTR_SRC:
        case OVS_NAT_ATTR_DST:
            if (ct.flags & (OVSDP_CT_F_NAT | OVSDP_CT_F_SRC_NAT | OVSDP_CT_F_DST_NAT))
                return make_error(err::RANGE, "Only one NAT type (source or destination) may be given");
            ct.flags |= OVSDP_CT_F_NAT | (type == OVS_NAT_ATTR_SRC ? OVSDP_CT_F_SRC_NAT : OVSDP_CT_F_DST_NAT);
            break;
        case OVS_NAT_ATTR_IP_MIN:
            __builtin_memcpy(ct.nat_addr_min, a->data(), a->len());
            ct.nat_range_flags |= OVSDP_NAT_RANGE_MAP_IPS;
            break;
        case OVS_NAT_ATTR_IP_MAX:
            __builtin_memcpy(ct.nat_addr_max, a->data(), a->len());
            ct.nat_range_flags |= OVSDP_NAT_RANGE_MAP_IPS;
            have_ip_max = true;
            break;
        case OVS_NAT_ATTR_PROTO_MIN:
            ct.nat_proto_min = a->get_u16();
            ct.nat_range_flags |= OVSDP_NAT_RANGE_PROTO_SPECIFIED;
            break;
        case OVS_NAT_ATTR_PROTO_MAX:
            ct.nat_proto_max = a->get_u16();
            ct.nat_range_flags |= OVSDP_NAT_RANGE_PROTO_SPECIFIED;
            have_proto_max = true;
            break;
        case OVS_NAT_ATTR_PERSISTENT:
            ct.nat_range_flags |= OVSDP_NAT_RANGE_PERSISTENT;
            break;
        case OVS_NAT_ATTR_PROTO_HASH:
            ct.nat_range_flags |= OVSDP_NAT_RANGE_PROTO_RANDOM;
            break;
        case OVS_NAT_ATTR_PROTO_RANDOM:
            ct.nat_range_flags |= OVSDP_NAT_RANGE_PROTO_RANDOM_FULLY;
            break;
        default:
            return make_error(err::INVAL, "Unknown NAT attribute");
        }
    }
    if (walk.rem() > 0)
        return make_error(err::INVAL, "NAT attributes have trailing bytes");
    if (!(ct.flags & (OVSDP_CT_F_SRC_NAT | OVSDP_CT_F_DST_NAT))) {
        if (ct.nat_range_flags)
            return make_error(err::INVAL, "NAT ranges or flags given without source or destination NAT");
        ct.flags |= OVSDP_CT_F_NAT; // NAT existing connections
    } else if (!(ct.flags & OVSDP_CT_F_COMMIT)) {
        return make_error(err::INVAL, "Source or destination NAT requires commit before it");
    }
    if ((ct.nat_range_flags & OVSDP_NAT_RANGE_MAP_IPS) && !have_ip_max)
        __builtin_memcpy(ct.nat_addr_max, ct.nat_addr_min, sizeof(ct.nat_addr_max));
    if ((ct.nat_range_flags & OVSDP_NAT_RANGE_PROTO_SPECIFIED) && !have_proto_max)
        ct.nat_proto_max = ct.nat_proto_min;
    return {};
}

// Upstream parse_ct(): lengths of OVS_CT_ATTR_* as [min, max].
struct CtLen {
    u16 min, max;
};
constexpr CtLen kCtLens[kCtAttrMax + 1] = {
    { 0, 0 }, // UNSPEC
    { 0, 0 }, // COMMIT
    { sizeof(u16), sizeof(u16) }, // ZONE
    { sizeof(OvsCtMark), sizeof(OvsCtMark) }, // MARK
    { sizeof(OvsCtLabels), sizeof(OvsCtLabels) }, // LABELS
    { 1, kCtHelperNameLen }, // HELPER
    { 0, 0xffff }, // NAT: checked nest by nest
    { 0, 0 }, // FORCE_COMMIT
    { sizeof(u32), sizeof(u32) }, // EVENTMASK
    { 1, kCtTimeoutNameMax }, // TIMEOUT
};

Status parse_ct(const NlAttr* attr, ovsdp_ct_action& ct)
{
    NlWalk walk(attr->payload());
    while (const NlAttr* a = walk.next()) {
        u16 type = a->type();
        if (type > kCtAttrMax)
            return make_error(err::INVAL, "Conntrack action attribute type above OVS_CT_ATTR_MAX");
        if (a->len() < kCtLens[type].min || a->len() > kCtLens[type].max)
            return make_error(err::INVAL, "Conntrack action attribute has wrong length");
        switch (type) {
        case OVS_CT_ATTR_FORCE_COMMIT:
            ct.flags |= OVSDP_CT_F_FORCE | OVSDP_CT_F_COMMIT;
            break;
        case OVS_CT_ATTR_COMMIT:
            ct.flags |= OVSDP_CT_F_COMMIT;
            break;
        case OVS_CT_ATTR_ZONE:
            ct.zone = a->get_u16();
            break;
        case OVS_CT_ATTR_MARK: {
            auto mark = a->get<OvsCtMark>();
            if (!mark.mask)
                return make_error(err::INVAL, "Conntrack mark mask is zero");
            ct.mark = mark.value;
            ct.mark_mask = mark.mask;
            break;
        }
        case OVS_CT_ATTR_LABELS: {
            auto labels = a->get<OvsCtLabels>();
            if (!nonzero(labels.mask, sizeof(labels.mask)))
                return make_error(err::INVAL, "Conntrack labels mask is zero");
            __builtin_memcpy(ct.labels, labels.value, sizeof(ct.labels));
            __builtin_memcpy(ct.labels_mask, labels.mask, sizeof(ct.labels_mask));
            break;
        }
        case OVS_CT_ATTR_HELPER:
            if (!nul_terminated(a->data(), a->len()))
                return make_error(err::INVAL, "Conntrack helper name is not NUL-terminated");
            __builtin_memset(ct.helper, 0, sizeof(ct.helper));
            __builtin_memcpy(ct.helper, a->data(), a->len());
            break;
        case OVS_CT_ATTR_NAT:
            TRY(parse_nat(a, ct));
            break;
        case OVS_CT_ATTR_EVENTMASK:
            ct.flags |= OVSDP_CT_F_EVENTMASK;
            ct.eventmask = a->get_u32();
            break;
        case OVS_CT_ATTR_TIMEOUT:
            if (!nul_terminated(a->data(), a->len()))
                return make_error(err::INVAL, "Conntrack timeout policy name is not NUL-terminated");
            __builtin_memset(ct.timeout, 0, sizeof(ct.timeout));
            __builtin_memcpy(ct.timeout, a->data(), a->len());
            break;
        default:
            return make_error(err::INVAL, "Unknown conntrack action attribute");
        }
    }
    if (!(ct.flags & OVSDP_CT_F_COMMIT) && ct.mark_mask)
        return make_error(err::INVAL, "Setting the conntrack mark requires commit");
    if (!(ct.flags & OVSDP_CT_F_COMMIT) && nonzero(ct.labels_mask, sizeof(ct.labels_mask)))
        return make_error(err::INVAL, "Setting the conntrack labels requires commit");
    if (walk.rem() > 0)
        return make_error(err::INVAL, "Conntrack action attributes have trailing bytes");
    return {};
}

// Upstream ovs_ct_copy_action(): validated, the host's resources made, the
// action added to the blob (or the resources released again).
Status copy_ct(const NlAttr* a, const FlowKey& key, ActionsBuf& out, void* net)
{
    if (!ovsdp_ct_enabled())
        return make_error(err::OPNOTSUPP, "Conntrack actions are not supported by this datapath");
    ovsdp_ct_action ct;
    __builtin_memset(&ct, 0, sizeof(ct));
    if (key.eth.type == htons(kEthPIp))
        ct.family = kNfprotoIpv4;
    else if (key.eth.type == htons(kEthPIpv6))
        ct.family = kNfprotoIpv6;
    else
        return make_error(err::INVAL, "Conntrack action on a flow that is neither IPv4 nor IPv6");
    ct.ip_proto = key.ip.proto;
    TRY(parse_ct(a, ct));
    const char* msg = nullptr;
    int rc = ovsdp_ct_action_init(&ct, net, &msg);
    if (rc)
        return make_error(rc < 0 ? -rc : err::INVAL, msg ? msg : "Conntrack action refused by the host");
    auto added = out.add(OVS_ACTION_ATTR_CT, &ct, sizeof(ct));
    if (added.is_error()) {
        ovsdp_ct_action_release(&ct);
        return added.error();
    }
    out.add_flags(kFlowActionsCt);
    return {};
}

// Upstream __ovs_nla_copy_actions, one action. For the actions holding a
// list (sample, clone, check_pkt_len, dec_ttl) it writes their head, sets
// `descend` and returns the list in `nested` for the caller to walk.
Status copy_one(const NlAttr* a, bool last, const FlowKey& key, ActState& st, ActionsBuf& out, bool& descend,
    NestedList& nested, bool log, void* net)
{
    u16 type = a->type();
    if (type > kActionAttrMax)
        return make_error(err::INVAL, "Action type above OVS_ACTION_ATTR_MAX");
    if (kActionLens.len[type] != kVariable && kActionLens.len[type] != a->len())
        return make_error(err::INVAL, "Action has wrong length");

    bool copied = false;
    switch (type) {
    case OVS_ACTION_ATTR_UNSPEC:
        return make_error(err::INVAL, "Action type 0 (unspecified)");

    case OVS_ACTION_ATTR_USERSPACE:
        TRY(validate_userspace(a));
        out.add_flags(kFlowActionsUpcall);
        break;

    case OVS_ACTION_ATTR_OUTPUT:
        if (a->get_u32() >= kDpMaxPorts)
            return make_error(err::INVAL, "Output port number out of range");
        break;

    case OVS_ACTION_ATTR_TRUNC: {
        auto trunc = a->get<OvsActionTrunc>();
        if (trunc.max_len < kEthHlen)
            return make_error(err::INVAL, "Truncate action length below an Ethernet header");
        break;
    }

    case OVS_ACTION_ATTR_HASH: {
        auto hash = a->get<OvsActionHash>();
        if (hash.hash_alg != OVS_HASH_ALG_L4)
            return make_error(err::INVAL, "Hash action algorithm not supported");
        break;
    }

    case OVS_ACTION_ATTR_POP_VLAN:
        if (st.mac_proto != kMacProtoEthernet)
            return make_error(err::INVAL, "Pop VLAN action on a packet without Ethernet header");
        st.vlan_tci = 0;
        break;

    case OVS_ACTION_ATTR_PUSH_VLAN: {
        if (st.mac_proto != kMacProtoEthernet)
            return make_error(err::INVAL, "Push VLAN action on a packet without Ethernet header");
        auto vlan = a->get<OvsActionPushVlan>();
        if (!eth_type_vlan(vlan.vlan_tpid))
            return make_error(err::INVAL, "Push VLAN action TPID is not 802.1Q or 802.1ad");
        if (!(vlan.vlan_tci & htons(kVlanCfiMask)))
            return make_error(err::INVAL, "Push VLAN action TCI lacks the CFI (tag present) bit");
        st.vlan_tci = vlan.vlan_tci;
        break;
    }

    case OVS_ACTION_ATTR_RECIRC:
        break;

    case OVS_ACTION_ATTR_ADD_MPLS: {
        auto mpls = a->get<OvsActionAddMpls>();
        if (!eth_p_mpls(mpls.mpls_ethertype))
            return make_error(err::INVAL, "Add MPLS action ethertype is not MPLS");
        if (mpls.tun_flags & kMplsL3TunnelFlagMask) {
            if ((st.vlan_tci & htons(kVlanCfiMask))
                || (st.eth_type != htons(kEthPIp) && st.eth_type != htons(kEthPIpv6) && st.eth_type != htons(kEthPArp)
                    && st.eth_type != htons(kEthPRarp) && !eth_p_mpls(st.eth_type)))
                return make_error(err::INVAL, "Add MPLS action at L3 on a packet with a VLAN tag or an unknown ethertype");
            st.mpls_label_count++;
        } else {
            if (st.mac_proto == kMacProtoEthernet) {
                st.mpls_label_count = 1;
                st.mac_proto = kMacProtoNone;
            } else {
                st.mpls_label_count++;
            }
        }
        st.eth_type = mpls.mpls_ethertype;
        break;
    }

    case OVS_ACTION_ATTR_PUSH_MPLS: {
        auto mpls = a->get<OvsActionPushMpls>();
        if (!eth_p_mpls(mpls.mpls_ethertype))
            return make_error(err::INVAL, "Push MPLS action ethertype is not MPLS");
        // Only onto packets whose tag order is known.
        if ((st.vlan_tci & htons(kVlanCfiMask))
            || (st.eth_type != htons(kEthPIp) && st.eth_type != htons(kEthPIpv6) && st.eth_type != htons(kEthPArp)
                && st.eth_type != htons(kEthPRarp) && !eth_p_mpls(st.eth_type)))
            return make_error(err::INVAL, "Push MPLS action on a packet with a VLAN tag or an unknown ethertype");
        st.eth_type = mpls.mpls_ethertype;
        st.mpls_label_count++;
        break;
    }

    case OVS_ACTION_ATTR_POP_MPLS: {
        if ((st.vlan_tci & htons(kVlanCfiMask)) || !eth_p_mpls(st.eth_type))
            return make_error(err::INVAL, "Pop MPLS action on a packet that is not MPLS or has a VLAN tag");
        be16 proto = a->get_be16();
        if (proto == htons(kEthPTeb) && st.mac_proto != kMacProtoNone)
            return make_error(err::INVAL, "Pop MPLS action to Ethernet on a packet that has an Ethernet header");
        st.mpls_label_count--; // unsigned, as upstream's u32
        // Once the last label is popped nothing is known of the packet: no
        // further L2.5+ set or pop_mpls.
        if (!eth_p_mpls(proto) || !st.mpls_label_count)
            st.eth_type = 0;
        else
            st.eth_type = proto;
        break;
    }

    case OVS_ACTION_ATTR_SET:
        TRY(validate_set(a, key, st, false, out, copied, log));
        break;

    case OVS_ACTION_ATTR_SET_MASKED:
        TRY(validate_set(a, key, st, true, out, copied, log));
        break;

    case OVS_ACTION_ATTR_SAMPLE:
        nested = TRY(begin_sample(a, last, out));
        descend = true;
        return {};

    case OVS_ACTION_ATTR_CT:
        TRY(copy_ct(a, key, out, net));
        copied = true;
        break;

    case OVS_ACTION_ATTR_CT_CLEAR:
        break;

    case OVS_ACTION_ATTR_PUSH_ETH:
        if (st.mac_proto != kMacProtoNone)
            return make_error(err::INVAL, "Push Ethernet action on a packet that has an Ethernet header");
        st.mac_proto = kMacProtoEthernet;
        break;

    case OVS_ACTION_ATTR_POP_ETH:
        if (st.mac_proto != kMacProtoEthernet)
            return make_error(err::INVAL, "Pop Ethernet action on a packet without Ethernet header");
        if (st.vlan_tci & htons(kVlanCfiMask))
            return make_error(err::INVAL, "Pop Ethernet action on a packet with a VLAN tag");
        st.mac_proto = kMacProtoNone;
        break;

    case OVS_ACTION_ATTR_PUSH_NSH:
    case OVS_ACTION_ATTR_POP_NSH:
        return make_error(err::OPNOTSUPP, "NSH actions are not supported by this datapath");

    case OVS_ACTION_ATTR_METER:
        // A meter that does not exist is ignored at execution
        // (meter/meter.h, meter_execute).
        break;

    case OVS_ACTION_ATTR_CLONE:
        nested = TRY(begin_clone(a, last, out));
        descend = true;
        return {};

    case OVS_ACTION_ATTR_CHECK_PKT_LEN:
        nested = TRY(begin_check_pkt_len(a, last, out));
        descend = true;
        return {};

    case OVS_ACTION_ATTR_DEC_TTL:
        nested = TRY(begin_dec_ttl(a, out));
        descend = true;
        return {};

    default:
        return make_error(err::INVAL, "Unknown action type");
    }
    if (!copied)
        TRY(out.copy(a));
    return {};
}

Status copy_lists(ConstBytes actions, const FlowKey& key, ActionsBuf& out, bool log, void* net)
{
    OVSDP_UNINITIALIZED CopyFrame frames[kActionsMaxDepth + 1]; // each set before use
    u32 top = 0;
    u8 key_mac_proto = key.mac_proto & ~kMacProtoKeyInvalid;
    ActState init { key.eth.type, key.eth.vlan.tci,
        eth_p_mpls(key.eth.type) ? static_cast<u32>(__builtin_popcount(key.mpls.num_labels_mask)) : 0u,
        key_mac_proto };
    frames[0].walk = NlWalk(actions);
    frames[0].st = init;
    frames[0].entry = init;
    frames[0].exit = ListExit { { 0, 0 }, 0, 0, nullptr };

    for (;;) {
        CopyFrame& f = frames[top];
        long rem_before = f.walk.rem();
        const NlAttr* a = f.walk.next();
        if (!a) {
            // As upstream: an unpadded last action is tolerated, other
            // leftovers are not.
            if (f.walk.rem() > 0)
                return make_error(err::INVAL, "Actions have trailing bytes");
            for (u8 i = 0; i < f.exit.n_close; i++)
                TRY(out.nest_end(f.exit.close[i]));
            if (f.exit.then_list) {
                // check_pkt_len: the IF_GREATER list, from the same state.
                u32 gt = TRY(out.nest_begin(OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER));
                f.walk = NlWalk(f.exit.then_list->payload());
                f.st = f.entry;
                f.exit = ListExit { { gt, f.exit.then_close }, 2, 0, nullptr };
                continue;
            }
            if (top == 0)
                return {};
            top--;
            continue;
        }

        bool last = a->nla_len == rem_before; // upstream nla_is_last()
        bool descend = false;
        NestedList nested;
        TRY(copy_one(a, last, key, f.st, out, descend, nested, log, net));
        if (!descend)
            continue;
        if (top + 1 > kActionsMaxDepth)
            return make_error(err::OVERFLOW, "Actions nested more than 16 levels deep");
        // A nested list starts from the current ethertype, VLAN and MPLS
        // state but, as upstream, from the key's MAC protocol.
        ActState child { f.st.eth_type, f.st.vlan_tci, f.st.mpls_label_count, key_mac_proto };
        CopyFrame& c = frames[++top];
        c.walk = NlWalk(nested.actions);
        c.st = child;
        c.entry = child;
        c.exit = ListExit { { nested.close[0], nested.close[1] }, nested.n_close, nested.then_close, nested.then_list };
    }
}

// ---- Serialisation -----------------------------------------------------------------------

// Counts what an NlWriter would write (for actions_nlattr_size()).
class NlSizeCounter {
public:
    bool put(u16, const void*, usize len)
    {
        size_ += nla_total_size(len);
        return true;
    }
    bool put_u16(u16 type, u16) { return put(type, nullptr, sizeof(u16)); }
    bool put_u32(u16 type, u32) { return put(type, nullptr, sizeof(u32)); }
    usize nest_begin(u16)
    {
        size_ += kNlaHdrLen;
        return 0;
    }
    void nest_end(usize) {}
    bool overflowed() const { return false; }
    usize size() const { return size_; }

private:
    usize size_ = 0;
};

bool put_set_tunnel(NlWriter& w, const ActionTunnelInfo& info, const u8* opts)
{
    u8 af = (info.mode & kTunnelInfoIpv6) ? kAfInet6 : kAfInet;
    usize tun = w.nest_begin(OVS_KEY_ATTR_TUNNEL);
    put_tunnel_attrs(w, info.key, opts, info.options_len, af, info.mode);
    w.nest_end(tun);
    return !w.overflowed();
}

bool put_set_tunnel(NlSizeCounter& w, const ActionTunnelInfo&, const u8*)
{
    w.nest_begin(OVS_KEY_ATTR_TUNNEL);
    w.put(0, nullptr, tunnel_key_attr_size() - kNlaHdrLen);
    return true;
}

enum class DumpKind : u8 { List, CheckPktLenBody, DecTtlBody };

struct DumpFrame {
    NlWalk walk;
    u32 close[2]; // NlWriter nest tokens (message offsets)
    u8 n_close;
    DumpKind kind;
};
static_assert(sizeof(DumpFrame) <= 32, "put_actions() keeps kDumpFrames frames on the stack");

// A list frame can open a body frame and that one a list frame.
constexpr u32 kDumpFrames = 2 * (kActionsMaxDepth + 1);

// The payload after a leading argument attribute (sample, clone, cpl).
ConstBytes after_first(const NlAttr* a, const NlAttr** first)
{
    ConstBytes p = a->payload();
    *first = nullptr;
    if (p.size() < kNlaHdrLen)
        return {};
    auto* f = reinterpret_cast<const NlAttr*>(p.data());
    if (f->nla_len < kNlaHdrLen || f->nla_len > p.size())
        return {};
    *first = f;
    return p.slice(nla_align(f->nla_len) < p.size() ? nla_align(f->nla_len) : p.size());
}

usize cstr_len(const char* s, usize max)
{
    usize n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

// Upstream ovs_ct_action_to_attr() and ovs_ct_nat_to_attr().
template <typename W>
void put_ct(W& w, const ovsdp_ct_action& ct)
{
    usize nest = w.nest_begin(OVS_ACTION_ATTR_CT);
    if (ct.flags & OVSDP_CT_F_COMMIT)
        w.put((ct.flags & OVSDP_CT_F_FORCE) ? OVS_CT_ATTR_FORCE_COMMIT : OVS_CT_ATTR_COMMIT, nullptr, 0);
    w.put_u16(OVS_CT_ATTR_ZONE, ct.zone);
    if (ct.mark_mask) {
        OvsCtMark mark { ct.mark, ct.mark_mask };
        w.put(OVS_CT_ATTR_MARK, &mark, sizeof(mark));
    }
    if (nonzero(ct.labels_mask, sizeof(ct.labels_mask))) {
        OvsCtLabels labels;
        __builtin_memcpy(labels.value, ct.labels, sizeof(labels.value));
        __builtin_memcpy(labels.mask, ct.labels_mask, sizeof(labels.mask));
        w.put(OVS_CT_ATTR_LABELS, &labels, sizeof(labels));
    }
    if (ct.helper[0])
        w.put(OVS_CT_ATTR_HELPER, ct.helper, cstr_len(ct.helper, sizeof(ct.helper)) + 1);
    if (ct.flags & OVSDP_CT_F_EVENTMASK)
        w.put_u32(OVS_CT_ATTR_EVENTMASK, ct.eventmask);
    if (ct.timeout[0])
        w.put(OVS_CT_ATTR_TIMEOUT, ct.timeout, cstr_len(ct.timeout, sizeof(ct.timeout)) + 1);
    if (ct.flags & OVSDP_CT_F_NAT) {
        usize nat = w.nest_begin(OVS_CT_ATTR_NAT);
        if (ct.flags & (OVSDP_CT_F_SRC_NAT | OVSDP_CT_F_DST_NAT)) {
            w.put((ct.flags & OVSDP_CT_F_SRC_NAT) ? OVS_NAT_ATTR_SRC : OVS_NAT_ATTR_DST, nullptr, 0);
            if (ct.nat_range_flags & OVSDP_NAT_RANGE_MAP_IPS) {
                usize alen = ct.family == kNfprotoIpv6 ? 16 : 4;
                w.put(OVS_NAT_ATTR_IP_MIN, ct.nat_addr_min, alen);
                if (__builtin_memcmp(ct.nat_addr_min, ct.nat_addr_max, alen))
                    w.put(OVS_NAT_ATTR_IP_MAX, ct.nat_addr_max, alen);
            }
            if (ct.nat_range_flags & OVSDP_NAT_RANGE_PROTO_SPECIFIED) {
                w.put_u16(OVS_NAT_ATTR_PROTO_MIN, ct.nat_proto_min);
                if (ct.nat_proto_max != ct.nat_proto_min)
                    w.put_u16(OVS_NAT_ATTR_PROTO_MAX, ct.nat_proto_max);
            }
            if (ct.nat_range_flags & OVSDP_NAT_RANGE_PERSISTENT)
                w.put(OVS_NAT_ATTR_PERSISTENT, nullptr, 0);
            if (ct.nat_range_flags & OVSDP_NAT_RANGE_PROTO_RANDOM)
                w.put(OVS_NAT_ATTR_PROTO_HASH, nullptr, 0);
            if (ct.nat_range_flags & OVSDP_NAT_RANGE_PROTO_RANDOM_FULLY)
                w.put(OVS_NAT_ATTR_PROTO_RANDOM, nullptr, 0);
        }
        w.nest_end(nat);
    }
    w.nest_end(nest);
}

// Upstream ovs_nla_put_actions and its *_action_to_attr helpers.
template <typename W>
bool put_actions(ConstBytes blob, W& w)
{
    DumpFrame frames[kDumpFrames];
    u32 top = 0;
    frames[0] = DumpFrame { NlWalk(blob), { 0, 0 }, 0, DumpKind::List };

    auto push = [&](ConstBytes list, usize c0, usize c1, u8 n, DumpKind kind) {
        if (top + 1 >= kDumpFrames)
            return false;
        frames[++top] = DumpFrame { NlWalk(list), { static_cast<u32>(c0), static_cast<u32>(c1) }, n, kind };
        return true;
    };

    for (;;) {
        DumpFrame& f = frames[top];
        const NlAttr* a = f.walk.next();
        if (!a) {
            for (u8 i = 0; i < f.n_close; i++)
                w.nest_end(f.close[i]);
            if (top == 0)
                return !w.overflowed();
            top--;
            continue;
        }
        if (w.overflowed())
            return false;

        if (f.kind == DumpKind::CheckPktLenBody) {
            // IF_LESS_EQUAL then IF_GREATER, each a list.
            usize nest = w.nest_begin(a->type());
            if (!push(a->payload(), nest, 0, 1, DumpKind::List))
                return false;
            continue;
        }
        if (f.kind == DumpKind::DecTtlBody) {
            if (a->type() == OVS_DEC_TTL_ATTR_ACTION) {
                usize nest = w.nest_begin(OVS_DEC_TTL_ATTR_ACTION);
                if (!push(a->payload(), nest, 0, 1, DumpKind::List))
                    return false;
            }
            continue;
        }

        u16 type = a->type();
        switch (type) {
        case OVS_ACTION_ATTR_SET: {
            auto* key = reinterpret_cast<const NlAttr*>(a->data());
            if (a->len() >= kNlaHdrLen && key->type() == kKeyAttrTunnelInfo) {
                if (key->len() < sizeof(ActionTunnelInfo))
                    return false;
                ActionTunnelInfo info;
                __builtin_memcpy(&info, key->data(), sizeof(info));
                if (key->len() < sizeof(info) + info.options_len)
                    return false;
                usize set = w.nest_begin(OVS_ACTION_ATTR_SET);
                put_set_tunnel(w, info, key->data() + sizeof(info));
                w.nest_end(set);
            } else {
                w.put(OVS_ACTION_ATTR_SET, a->data(), a->len());
            }
            break;
        }
        case kActionAttrSetToMasked: {
            // Back to the set userspace sent: the value without the mask.
            if (a->len() < kNlaHdrLen)
                return false;
            auto* key = reinterpret_cast<const NlAttr*>(a->data());
            usize set = w.nest_begin(OVS_ACTION_ATTR_SET);
            w.put(key->type(), key->data(), key->len() / 2);
            w.nest_end(set);
            break;
        }
        case OVS_ACTION_ATTR_SAMPLE: {
            const NlAttr* arg_attr;
            ConstBytes list = after_first(a, &arg_attr);
            if (!arg_attr || arg_attr->type() != kSampleAttrArg)
                return false;
            SampleArg arg = arg_attr->get<SampleArg>();
            usize sample = w.nest_begin(OVS_ACTION_ATTR_SAMPLE);
            w.put_u32(OVS_SAMPLE_ATTR_PROBABILITY, arg.probability);
            usize acts = w.nest_begin(OVS_SAMPLE_ATTR_ACTIONS);
            if (!push(list, acts, sample, 2, DumpKind::List))
                return false;
            break;
        }
        case OVS_ACTION_ATTR_CLONE: {
            const NlAttr* exec;
            ConstBytes list = after_first(a, &exec);
            if (!exec || exec->type() != kCloneAttrExec)
                return false;
            usize clone = w.nest_begin(OVS_ACTION_ATTR_CLONE);
            if (!push(list, clone, 0, 1, DumpKind::List))
                return false;
            break;
        }
        case OVS_ACTION_ATTR_CHECK_PKT_LEN: {
            const NlAttr* arg_attr;
            ConstBytes body = after_first(a, &arg_attr);
            if (!arg_attr || arg_attr->type() != kCheckPktLenAttrArg)
                return false;
            CheckPktLenArg arg = arg_attr->get<CheckPktLenArg>();
            usize cpl = w.nest_begin(OVS_ACTION_ATTR_CHECK_PKT_LEN);
            w.put_u16(OVS_CHECK_PKT_LEN_ATTR_PKT_LEN, arg.pkt_len);
            if (!push(body, cpl, 0, 1, DumpKind::CheckPktLenBody))
                return false;
            break;
        }
        case OVS_ACTION_ATTR_DEC_TTL: {
            usize dec = w.nest_begin(OVS_ACTION_ATTR_DEC_TTL);
            if (!push(a->payload(), dec, 0, 1, DumpKind::DecTtlBody))
                return false;
            break;
        }
        case OVS_ACTION_ATTR_CT: {
            ovsdp_ct_action ct;
            if (!ct_action_from_blob(a, &ct))
                return false;
            put_ct(w, ct);
            break;
        }
        default:
            w.put(type, a->data(), a->len());
            break;
        }
    }
}

} // namespace

} // namespace flow_actions_detail

Status copy_actions(ConstBytes actions, const FlowKey& key, ActionsBuf& out, bool log, void* net)
{
    using namespace flow_actions_detail;
    out.clear();
    // Usually the copy is about the size of what userspace sent.
    Status s = out.reserve(actions.size());
    if (s.ok())
        s = copy_lists(actions, key, out, log, net);
    if (s.is_error()) {
        out.clear();
        if (log && s.error().msg)
            ovsdp_log_ratelimited(OVSDP_LOG_INFO, "netlink: %s", s.error().msg);
    }
    return s;
}

Result<FlowActions*> validate_and_copy_actions(ConstBytes actions, const FlowKey& key, bool log, void* net)
{
    using namespace flow_actions_detail;
    ActionsBuf buf;
    TRY(copy_actions(actions, key, buf, log, net));
    return buf.release();
}

bool actions_to_nlattrs(ConstBytes blob, NlWriter& w) { return flow_actions_detail::put_actions(blob, w); }

bool ct_action_from_blob(const NlAttr* a, ovsdp_ct_action* out)
{
    if (a->len() < sizeof(*out))
        return false;
    __builtin_memcpy(out, a->data(), sizeof(*out));
    return true;
}

namespace flow_actions_detail {
namespace {

// The walk of for_each_holding_action.
void walk_held(ConstBytes blob, void (*f)(const NlAttr*))
{
    struct Frame {
        NlWalk walk;
        DumpKind kind;
    };
    Frame frames[kDumpFrames];
    u32 top = 0;
    frames[0] = Frame { NlWalk(blob), DumpKind::List };
    auto push = [&](ConstBytes list, DumpKind kind) {
        if (top + 1 < kDumpFrames)
            frames[++top] = Frame { NlWalk(list), kind };
    };
    for (;;) {
        Frame& fr = frames[top];
        const NlAttr* a = fr.walk.next();
        if (!a) {
            if (top == 0)
                return;
            top--;
            continue;
        }
        if (fr.kind == DumpKind::CheckPktLenBody) {
            push(a->payload(), DumpKind::List);
            continue;
        }
        if (fr.kind == DumpKind::DecTtlBody) {
            if (a->type() == OVS_DEC_TTL_ATTR_ACTION)
                push(a->payload(), DumpKind::List);
            continue;
        }
        const NlAttr* first;
        switch (a->type()) {
        case OVS_ACTION_ATTR_CT:
            f(a);
            break;
        case OVS_ACTION_ATTR_SET:
            if (a->len() >= kNlaHdrLen
                && reinterpret_cast<const NlAttr*>(a->data())->type() == kKeyAttrTunnelInfo)
                f(a);
            break;
        case OVS_ACTION_ATTR_SAMPLE:
        case OVS_ACTION_ATTR_CLONE: {
            ConstBytes list = after_first(a, &first);
            push(list, DumpKind::List);
            break;
        }
        case OVS_ACTION_ATTR_CHECK_PKT_LEN: {
            ConstBytes body = after_first(a, &first);
            push(body, DumpKind::CheckPktLenBody);
            break;
        }
        case OVS_ACTION_ATTR_DEC_TTL:
            push(a->payload(), DumpKind::DecTtlBody);
            break;
        default:
            break;
        }
    }
}

} // namespace
} // namespace flow_actions_detail

void for_each_holding_action(ConstBytes blob, void (*f)(const NlAttr* a))
{
    flow_actions_detail::walk_held(blob, f);
}

usize actions_nlattr_size(ConstBytes blob)
{
    using namespace flow_actions_detail;
    NlSizeCounter c;
    put_actions(blob, c);
    return c.size();
}

} // namespace ovsdp
