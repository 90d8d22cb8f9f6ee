#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""100,000 flows over raw netlink: installed, dumped, deleted one by one; and
a dump that runs while flows are added and deleted completes, returning every
flow that stayed in the table exactly once."""
import os
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ovsnl import DP_ATTR, DP_CMD, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, Cases, Genl, nla, nla_str, nla_u32  # noqa: E402

FLOW_NEW, FLOW_DEL, FLOW_GET = 1, 2, 3
FA_KEY, FA_ACTIONS, FA_MASK = 1, 2, 7
KEY_IN_PORT, KEY_ETHERNET, KEY_ETHERTYPE, KEY_IPV4 = 3, 4, 6, 7
ACT_OUTPUT = 1
N = int(os.environ.get("FLOWS", "100000"))

t = Cases()
nl = Genl()
dp = nl.request("ovs_datapath", DP_CMD["NEW"], nla_str(DP_ATTR["NAME"], "scale0") + nla_u32(DP_ATTR["UPCALL_PID"], 0)
                + nla_u32(DP_ATTR["USER_FEATURES"], 1))[0]
ifx = dp.dp_ifindex
fid, _ = nl.family("ovs_flow")


def flow_key(i):
    src = 0x0A000000 + i
    return (nla_u32(KEY_IN_PORT, 0) + nla(KEY_ETHERNET, bytes(12)) + nla(KEY_ETHERTYPE, struct.pack("!H", 0x0800))
            + nla(KEY_IPV4, struct.pack("!II", src, 0) + bytes([0, 0, 64, 0])))


def flow_new_msg(i, seq):
    key = flow_key(i)
    mask = (nla_u32(KEY_IN_PORT, 0xFFFFFFFF) + nla(KEY_ETHERNET, bytes(12)) + nla(KEY_ETHERTYPE, b"\xff\xff")
            + nla(KEY_IPV4, struct.pack("!II", 0xFFFFFFFF, 0) + bytes([0, 0, 0, 0])))
    payload = struct.pack("=BBHi", FLOW_NEW, 1, 0, ifx) + nla(FA_KEY, key) + nla(FA_MASK, mask) \
        + nla(FA_ACTIONS, nla_u32(ACT_OUTPUT, 0))
    return struct.pack("=IHHII", 16 + len(payload), fid, NLM_F_REQUEST | NLM_F_ACK | 0x400, seq, 0) + payload


def flow_del_msg(i, seq):
    payload = struct.pack("=BBHi", FLOW_DEL, 1, 0, ifx) + nla(FA_KEY, flow_key(i))
    return struct.pack("=IHHII", 16 + len(payload), fid, NLM_F_REQUEST | NLM_F_ACK, seq, 0) + payload


def batch(make, ids, conn=None):
    """Send requests in windows of 64 on `conn` (default: the main socket) and
    count the acks that report errors."""
    conn = conn or nl
    errors = 0
    ids = list(ids)
    for off in range(0, len(ids), 64):
        chunk = ids[off:off + 64]
        for i in chunk:
            conn.seq += 1
            conn.sock.send(make(i, conn.seq))
        pending = len(chunk)
        while pending:
            data = conn.sock.recv(1 << 20)
            o = 0
            while o + 16 <= len(data):
                length, mtype = struct.unpack_from("=IH", data, o)
                if mtype == 2:  # NLMSG_ERROR
                    if struct.unpack_from("=i", data, o + 16)[0] != 0:
                        errors += 1
                    pending -= 1
                o += (length + 3) & ~3
    return errors


def dump_ufids(between=None):
    """Dump all flows; `between` runs after every received chunk."""
    nl.seq += 1
    seq = nl.seq
    payload = struct.pack("=BBHi", FLOW_GET, 1, 0, ifx)
    nl.sock.send(struct.pack("=IHHII", 16 + len(payload), fid, NLM_F_REQUEST | NLM_F_DUMP, seq, 0) + payload)
    seen = []
    done = False
    while not done:
        data = nl.sock.recv(1 << 20)
        o = 0
        while o + 16 <= len(data):
            length, mtype, flags, mseq = struct.unpack_from("=IHHI", data, o)
            if mseq == seq:
                if mtype == 3:
                    done = True
                elif mtype == 2:
                    raise RuntimeError("dump failed: %d" % struct.unpack_from("=i", data, o + 16)[0])
                else:
                    body = data[o + 20:o + length]  # after the genl header: ovs_header, attributes
                    a = 4
                    while a + 4 <= len(body):
                        alen, atype = struct.unpack_from("=HH", body, a)
                        if atype == FA_KEY:  # the flow's identifier: its IPv4 source
                            k = a + 4
                            while k + 4 <= a + alen:
                                klen, ktype = struct.unpack_from("=HH", body, k)
                                if ktype == KEY_IPV4:
                                    seen.append(struct.unpack_from("!I", body, k + 4)[0] - 0x0A000000)
                                k += (klen + 3) & ~3
                            break
                        a += (alen + 3) & ~3
            o += (length + 3) & ~3
        if between and not done:
            between()
    return seen


# One request the slow way first, to report its errno and extack if refused.
try:
    nl.seq += 1
    nl.sock.send(flow_new_msg(N + 10 ** 6, nl.seq))
    nl._recv_all(nl.seq)
    batch(flow_del_msg, [N + 10 ** 6])
    t.ok("a flow is accepted", True)
except Exception as e:  # noqa: BLE001
    t.ok("a flow is accepted", False, repr(e))
start = time.time()
err = batch(flow_new_msg, range(N))
t.ok("%d flows installed" % N, err == 0, "%d errors" % err)
print("# %d flows installed in %.1fs" % (N, time.time() - start), flush=True)
stats = nl.request("ovs_datapath", DP_CMD["GET"], nla_str(DP_ATTR["NAME"], "scale0"))[0]
n_flows = struct.unpack("=QQQQ", stats.attrs[DP_ATTR["STATS"]])[3]
t.ok("datapath counts %d flows" % N, n_flows == N, "n_flows %d" % n_flows)
start = time.time()
seen = dump_ufids()
t.ok("dump returns each of the %d flows once" % N, len(seen) == N and len(set(seen)) == N,
     "%d returned, %d distinct" % (len(seen), len(set(seen))))
print("# dumped in %.1fs" % (time.time() - start), flush=True)

# Concurrent change: the even flows stay; between dump chunks (every 10th),
# 20 odd flows are deleted and 10 new ones (ids >= N) added, over a second
# socket (requests on the dumping socket would consume the dump's replies).
state = {"next_del": 1, "next_add": N, "chunks": 0}
churn_nl = Genl()


def churn():
    # Every 10th chunk: enough interleavings to matter, few enough for TCG.
    state["chunks"] += 1
    if state["chunks"] % 10:
        return
    dels = range(state["next_del"], min(state["next_del"] + 40, N), 2)
    state["errors"] = state.get("errors", 0) + batch(flow_del_msg, dels, churn_nl)
    state["next_del"] += 40
    state["errors"] += batch(flow_new_msg, range(state["next_add"], state["next_add"] + 10), churn_nl)
    state["next_add"] += 10


seen = dump_ufids(between=churn)
t.ok("flows added and deleted during the dump (%d chunks)" % state["chunks"],
     state["chunks"] >= 10 and state.get("errors", 1) == 0, "errors %s" % state.get("errors"))
stable = [i for i in range(0, N, 2)]
seen_set = set(seen)
t.ok("dump under concurrent add/delete completes with every stable flow exactly once",
     all(i in seen_set for i in stable) and len(seen) == len(seen_set),
     "%d returned, %d distinct, %d stable missing" % (len(seen), len(seen_set),
                                                      sum(1 for i in stable if i not in seen_set)))
start = time.time()
remaining = dump_ufids()
err = batch(flow_del_msg, remaining)
t.ok("every flow deleted one by one", err == 0 and dump_ufids() == [], "%d errors" % err)
print("# %d flows deleted in %.1fs" % (len(remaining), time.time() - start), flush=True)
nl.request("ovs_datapath", DP_CMD["DEL"], nla_str(DP_ATTR["NAME"], "scale0"))
nl.close()
sys.exit(t.summary())
