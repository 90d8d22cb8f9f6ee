// SPDX-License-Identifier: Apache-2.0
#include "userspace-ctl/netlink.h"

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <sys/socket.h>

#include <cstring>

namespace ovsdp::ctl {

NlMessage::NlMessage(const nlmsghdr* hdr)
{
    words_.resize((hdr->nlmsg_len + sizeof(uint32_t) - 1) / sizeof(uint32_t));
    std::memcpy(words_.data(), hdr, hdr->nlmsg_len);
}

const nlmsghdr* NlMessage::hdr() const
{
    return reinterpret_cast<const nlmsghdr*>(words_.data());
}

std::string parse_extack(const nlmsghdr* hdr)
{
    if (hdr->nlmsg_type != NLMSG_ERROR || !(hdr->nlmsg_flags & NLM_F_ACK_TLVS) ||
        hdr->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) {
        return {};
    }
    const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(hdr));
    size_t payload = sizeof(nlmsgerr);
    if (!(hdr->nlmsg_flags & NLM_F_CAPPED) && err->msg.nlmsg_len >= NLMSG_HDRLEN) {
        payload += err->msg.nlmsg_len - NLMSG_HDRLEN;
    }
    size_t off = NLMSG_ALIGN(NLMSG_HDRLEN + payload);
    const auto* base = reinterpret_cast<const uint8_t*>(hdr);
    while (off + NLA_HDRLEN <= hdr->nlmsg_len) {
        nlattr a;
        std::memcpy(&a, base + off, sizeof a);
        if (a.nla_len < NLA_HDRLEN || off + a.nla_len > hdr->nlmsg_len) {
            break;
        }
        if ((a.nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
            const char* s = reinterpret_cast<const char*>(base + off + NLA_HDRLEN);
            size_t n = a.nla_len - NLA_HDRLEN;
            return std::string(s, strnlen(s, n));
        }
        off += NLA_ALIGN(a.nla_len);
    }
    return {};
}

namespace {

// libnl error codes are not errno values; this is used only for failures
// that happen on our side of the socket (send/recv), never for kernel errors.
Error libnl_error(int nlerr, const char* what)
{
    Error e = Error::from_errno(EIO);
    e.detail = std::string(what) + ": " + nl_geterror(nlerr);
    return e;
}

struct Exchange {
    std::vector<NlMessage> replies;
    bool done = false;
    bool failed = false;
    Error error;
};

int on_valid(nl_msg* msg, void* arg)
{
    static_cast<Exchange*>(arg)->replies.emplace_back(nlmsg_hdr(msg));
    return NL_OK;
}

int on_ack(nl_msg*, void* arg)
{
    static_cast<Exchange*>(arg)->done = true;
    return NL_STOP;
}

int on_finish(nl_msg* msg, void* arg)
{
    auto* x = static_cast<Exchange*>(arg);
    const nlmsghdr* hdr = nlmsg_hdr(msg);
    // A dump that fails part-way reports the error in NLMSG_DONE's payload.
    if (hdr->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
        int err;
        std::memcpy(&err, NLMSG_DATA(hdr), sizeof err);
        if (err < 0) {
            x->failed = true;
            x->error = Error::from_errno(-err);
        }
    }
    x->done = true;
    return NL_STOP;
}

int on_error(sockaddr_nl*, nlmsgerr* e, void* arg)
{
    auto* x = static_cast<Exchange*>(arg);
    const auto* hdr = reinterpret_cast<const nlmsghdr*>(
        reinterpret_cast<const uint8_t*>(e) - NLMSG_HDRLEN);
    x->failed = true;
    x->error = Error::from_errno(-e->error);
    x->error.extack = parse_extack(hdr);
    x->done = true;
    return NL_STOP;
}

}  // namespace

Result<NlSocket> NlSocket::open(int protocol)
{
    nl_sock* sk = nl_socket_alloc();
    if (!sk) {
        return Error::from_errno(ENOMEM);
    }
    int err = nl_connect(sk, protocol);
    if (err < 0) {
        nl_socket_free(sk);
        return libnl_error(err, "connecting netlink socket");
    }
    int one = 1;
    // Best effort: kernels before 4.12 lack extended ACKs, which only costs
    // us the kernel's error text.
    setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
    setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
    nl_socket_enable_msg_peek(sk);
    return NlSocket(sk);
}

NlSocket::NlSocket(NlSocket&& other) noexcept
    : sk_(other.sk_), families_(std::move(other.families_))
{
    other.sk_ = nullptr;
}

NlSocket& NlSocket::operator=(NlSocket&& other) noexcept
{
    if (this != &other) {
        if (sk_) {
            nl_socket_free(sk_);
        }
        sk_ = other.sk_;
        families_ = std::move(other.families_);
        other.sk_ = nullptr;
    }
    return *this;
}

NlSocket::~NlSocket()
{
    if (sk_) {
        nl_socket_free(sk_);
    }
}

Result<std::vector<NlMessage>> NlSocket::exchange(nl_msg* msg, bool dump)
{
    if (dump) {
        nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_DUMP;
    }
    int err = nl_send_auto(sk_, msg);
    if (err < 0) {
        return libnl_error(err, "sending netlink request");
    }

    Exchange x;
    nl_cb* cb = nl_cb_alloc(NL_CB_DEFAULT);
    if (!cb) {
        return Error::from_errno(ENOMEM);
    }
    nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &x);
    nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &x);
    nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &x);
    nl_cb_err(cb, NL_CB_CUSTOM, on_error, &x);
    while (!x.done) {
        err = nl_recvmsgs(sk_, cb);
        if (err < 0 && !x.done) {
            nl_cb_put(cb);
            return libnl_error(err, "receiving netlink reply");
        }
    }
    nl_cb_put(cb);
    if (x.failed) {
        return std::move(x.error);
    }
    return std::move(x.replies);
}

Result<std::vector<NlMessage>> NlSocket::transact(nl_msg* msg)
{
    return exchange(msg, false);
}

Result<std::vector<NlMessage>> NlSocket::dump(nl_msg* msg)
{
    return exchange(msg, true);
}

Result<int> NlSocket::genl_family(const std::string& name)
{
    if (auto it = families_.find(name); it != families_.end()) {
        return it->second;
    }
    nl_msg* msg = nlmsg_alloc();
    if (!msg) {
        return Error::from_errno(ENOMEM);
    }
    if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, GENL_ID_CTRL, 0, 0,
                     CTRL_CMD_GETFAMILY, 1) ||
        nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, name.c_str()) < 0) {
        nlmsg_free(msg);
        return Error::from_errno(ENOBUFS);
    }
    auto replies = transact(msg);
    nlmsg_free(msg);
    if (!replies.ok()) {
        Error e = replies.take_error();
        if (e.code == ENOENT) {
            e.detail = "Generic Netlink family '" + name +
                       "' does not exist. The Open vSwitch kernel module is "
                       "probably not loaded.";
        }
        return e;
    }
    for (const NlMessage& m : *replies) {
        nlattr* tb[CTRL_ATTR_MAX + 1];
        if (genlmsg_parse(const_cast<nlmsghdr*>(m.hdr()), 0, tb, CTRL_ATTR_MAX, nullptr) == 0 &&
            tb[CTRL_ATTR_FAMILY_ID] && nla_len(tb[CTRL_ATTR_FAMILY_ID]) >= 2) {
            int id = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
            families_[name] = id;
            return id;
        }
    }
    Error e = Error::from_errno(EPROTO);
    e.detail = "Generic Netlink controller reply for '" + name + "' lacks a family id";
    return e;
}

}  // namespace ovsdp::ctl
