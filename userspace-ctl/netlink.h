// SPDX-License-Identifier: Apache-2.0
// A small netlink client over libnl-3: request/response, dump iteration,
// Generic Netlink family resolution, and errors with extended ACK messages.
//
// Replies are copied out of libnl's buffers into NlMessage values, so callers
// parse them after the exchange with plain functions (see dp_netlink.h).
// Kernel errors come back as Error{errno, extack}; the errno is the kernel's
// own value, not libnl's lossy translation of it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "userspace-ctl/result.h"

struct nl_msg;
struct nl_sock;
struct nlmsghdr;

namespace ovsdp::ctl {

// One complete netlink message (header included), as received.
class NlMessage {
public:
    NlMessage() = default;
    explicit NlMessage(const nlmsghdr* hdr);
    const nlmsghdr* hdr() const;
    size_t size() const { return words_.size() * sizeof(uint32_t); }

private:
    std::vector<uint32_t> words_;  // 4-byte aligned storage for the message
};

// Returns the NLMSGERR_ATTR_MSG string of an NLMSG_ERROR message, or "" if
// the message carries no extended ACK.  'hdr' must span hdr->nlmsg_len bytes.
std::string parse_extack(const nlmsghdr* hdr);

class NlSocket {
public:
    // Opens and connects a socket of 'protocol' (NETLINK_GENERIC,
    // NETLINK_ROUTE), with NETLINK_EXT_ACK and NETLINK_CAP_ACK enabled.
    static Result<NlSocket> open(int protocol);

    NlSocket(NlSocket&& other) noexcept;
    NlSocket& operator=(NlSocket&& other) noexcept;
    NlSocket(const NlSocket&) = delete;
    NlSocket& operator=(const NlSocket&) = delete;
    ~NlSocket();

    // Sends 'msg' (not consumed) as a request that the kernel acknowledges
    // and returns the replies it sent before the ACK (none, or one with
    // NLM_F_ECHO).
    Result<std::vector<NlMessage>> transact(nl_msg* msg);

    // Sends 'msg' with NLM_F_DUMP and returns every reply up to NLMSG_DONE.
    Result<std::vector<NlMessage>> dump(nl_msg* msg);

    // Resolves a Generic Netlink family name to its id (cached per socket).
    // A missing family is ENOENT, with Error::detail explaining it.
    Result<int> genl_family(const std::string& name);

private:
    explicit NlSocket(nl_sock* sk) : sk_(sk) {}
    Result<std::vector<NlMessage>> exchange(nl_msg* msg, bool dump);

    nl_sock* sk_ = nullptr;
    std::map<std::string, int> families_;
};

}  // namespace ovsdp::ctl
