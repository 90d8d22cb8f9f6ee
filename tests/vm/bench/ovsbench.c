// SPDX-License-Identifier: GPL-2.0
/*
 * ovsbench: the in-VM client of the datapath benchmarks (tests/vm/bench/README.md).
 * Raw generic netlink (no libnl), pktgen through /proc/net/pktgen, AF_PACKET
 * sockets for the upcall round trips.  The same binary drives the kernel's own
 * openvswitch.ko and ours, so a ratio between the two is about the module.
 *
 *   ovsbench flows M                      print W(M) in ovs-dpctl syntax
 *   ovsbench fwd LABEL IN OUT COUNT M[,M...] ACTION[,ACTION...] [TRAFFIC]
 *                                         pktgen into IN (port 1), W(M) flows
 *                                         (ACTION: drop, output, or meter:
 *                                         meter(1),output(2), never dropping;
 *                                         TRAFFIC: random (default), repeat
 *                                         (64 repeating 5-tuples), or tse:
 *                                         T(M) flows, M up to 16384)
 *   ovsbench base LABEL IN COUNT [TRAFFIC]  pktgen into IN with no datapath
 *   ovsbench mem LABEL IN OUT NFLOWS      kernel memory per installed flow
 *   ovsbench install IN OUT M             leave W(M) (drop) installed in datapath ovsbench
 *   ovsbench setup LABEL IN OUT NFLOWS REPEAT  flow install/delete rate
 *   ovsbench upcall LABEL IN OUT INPEER OUTPEER N BATCH   miss-upcall round trips
 *   ovsbench dump LABEL IN OUT NFLOWS NEXEC CHURN   dump time of NFLOWS flows; then
 *                                         EXECUTE throughput while dumps and
 *                                         flow installs/deletes run beside it
 *
 * Every result is one line "result KEY=VALUE ..." on stdout; errors go to
 * stderr and make the exit status non-zero.  Guest times come from
 * CLOCK_MONOTONIC (and pktgen's own ktime): under `vm-run --icount` they
 * count guest instructions (4 ns each at shift 2).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/genetlink.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/openvswitch.h>
#include <net/if.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wset.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

static const char *dp_name = "ovsbench";

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("ovsbench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------------ */
/* Message buffer                                                           */
/* ------------------------------------------------------------------------ */
struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void buf_reserve(struct buf *b, size_t n)
{
	if (b->len + n <= b->cap)
		return;
	while (b->len + n > b->cap)
		b->cap = b->cap ? b->cap * 2 : 4096;
	b->p = realloc(b->p, b->cap);
	if (!b->p)
		die("out of memory");
}

static void *buf_put(struct buf *b, const void *data, size_t n)
{
	size_t pad = NLA_ALIGN(n) - n;
	void *at;

	buf_reserve(b, n + pad);
	at = b->p + b->len;
	if (data)
		memcpy(at, data, n);
	else
		memset(at, 0, n);
	memset(b->p + b->len + n, 0, pad);
	b->len += n + pad;
	return at;
}

static void attr_put(struct buf *b, uint16_t type, const void *data, size_t n)
{
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + n), .nla_type = type };

	buf_put(b, &a, sizeof(a));
	if (n)
		buf_put(b, data, n);
}

static void attr_u32(struct buf *b, uint16_t type, uint32_t v) { attr_put(b, type, &v, 4); }
static void attr_be16(struct buf *b, uint16_t type, uint16_t v_host)
{
	uint16_t v = htons(v_host);

	attr_put(b, type, &v, 2);
}

static size_t nest_begin(struct buf *b, uint16_t type)
{
	size_t at = b->len;

	attr_put(b, type, NULL, 0);
	return at;
}

static void nest_end(struct buf *b, size_t at)
{
	((struct nlattr *)(b->p + at))->nla_len = (uint16_t)(b->len - at);
}

/* Starts one genl message in b; returns its offset (for msg_end). */
static size_t msg_begin(struct buf *b, uint16_t family, uint16_t flags, uint32_t seq, uint8_t cmd,
			uint8_t version, int dp_ifindex)
{
	size_t at = b->len;
	struct nlmsghdr *h = buf_put(b, NULL, NLMSG_HDRLEN);
	struct genlmsghdr g = { .cmd = cmd, .version = version };
	struct ovs_header o = { .dp_ifindex = dp_ifindex };

	h->nlmsg_type = family;
	h->nlmsg_flags = flags;
	h->nlmsg_seq = seq;
	buf_put(b, &g, sizeof(g));
	if (family != GENL_ID_CTRL)
		buf_put(b, &o, sizeof(o));
	return at;
}

static void msg_end(struct buf *b, size_t at)
{
	((struct nlmsghdr *)(b->p + at))->nlmsg_len = (uint32_t)(b->len - at);
}

/* Attributes of a flat stream, indexed by type (last one wins). */
#define MAX_ATTR 64
static void parse_attrs(const uint8_t *p, size_t len, const struct nlattr **tb)
{
	memset(tb, 0, sizeof(*tb) * MAX_ATTR);
	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const void *)p;
		size_t al = a->nla_len, step;
		unsigned t = a->nla_type & NLA_TYPE_MASK;

		if (al < NLA_HDRLEN || al > len)
			break;
		if (t < MAX_ATTR)
			tb[t] = a;
		step = NLA_ALIGN(al);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
}

static const void *attr_data(const struct nlattr *a) { return (const uint8_t *)a + NLA_HDRLEN; }
static size_t attr_len(const struct nlattr *a) { return a->nla_len - NLA_HDRLEN; }

/* ------------------------------------------------------------------------ */
/* Netlink socket                                                           */
/* ------------------------------------------------------------------------ */
struct nl {
	int fd;
	uint32_t pid;
	uint32_t seq;
	uint8_t *rx;
	size_t rxcap;
};

static void nl_open(struct nl *nl, int rcvbuf)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	socklen_t sl = sizeof(sa);
	int one = 1;

	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl->fd < 0)
		die("netlink socket: %s", strerror(errno));
	if (setsockopt(nl->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(nl->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(nl->fd, SOL_SOCKET, SO_SNDBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("netlink bind: %s", strerror(errno));
	if (getsockname(nl->fd, (struct sockaddr *)&sa, &sl) < 0)
		die("getsockname: %s", strerror(errno));
	nl->pid = sa.nl_pid;
	nl->seq = 1;
	nl->rxcap = 1 << 20;
	nl->rx = malloc(nl->rxcap);
	if (!nl->rx)
		die("out of memory");
}

static void nl_send(struct nl *nl, const struct buf *b)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	ssize_t r = sendto(nl->fd, b->p, b->len, 0, (struct sockaddr *)&sa, sizeof(sa));

	if (r < 0 || (size_t)r != b->len)
		die("netlink send: %s", r < 0 ? strerror(errno) : "short write");
}

/* The extack message of an error, or "". */
static const char *extack_msg(const struct nlmsghdr *h)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);
	size_t off = NLMSG_HDRLEN + sizeof(*e);
	const struct nlattr *tb[MAX_ATTR];

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return "";
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len) - NLMSG_HDRLEN;
	if (off >= h->nlmsg_len)
		return "";
	parse_attrs((const uint8_t *)h + off, h->nlmsg_len - off, tb);
	return tb[NLMSGERR_ATTR_MSG] ? (const char *)attr_data(tb[NLMSGERR_ATTR_MSG]) : "";
}

typedef void (*msg_cb)(const struct nlmsghdr *h, void *ctx);

/*
 * Reads until `want` acks/errors/dones have arrived (any sequence numbers;
 * the caller knows how many requests it has outstanding), handing every other
 * message to cb.  Returns the number of error acks; the first error's errno
 * and extack go to stderr.
 */
static unsigned nl_collect(struct nl *nl, unsigned want, msg_cb cb, void *ctx)
{
	unsigned errors = 0;

	while (want) {
		ssize_t r = recv(nl->fd, nl->rx, nl->rxcap, 0);
		size_t len;
		const struct nlmsghdr *h;

		if (r < 0) {
			if (errno == EINTR)
				continue;
			die("netlink recv: %s", strerror(errno));
		}
		len = (size_t)r;
		for (h = (const void *)nl->rx; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				if (e->error) {
					static unsigned shown;

					if (shown++ < 3)
						fprintf(stderr, "ovsbench: request seq %u: %s (%s)\n",
							h->nlmsg_seq, strerror(-e->error), extack_msg(h));
					errors++;
				}
				want--;
			} else if (h->nlmsg_type == NLMSG_DONE) {
				want--;
			} else if (cb) {
				cb(h, ctx);
			}
		}
	}
	return errors;
}

/* Sends b (one or more requests, each with NLM_F_ACK) and waits for n acks. */
static unsigned nl_transact(struct nl *nl, const struct buf *b, unsigned n, msg_cb cb, void *ctx)
{
	nl_send(nl, b);
	return nl_collect(nl, n, cb, ctx);
}

static void family_cb(const struct nlmsghdr *h, void *ctx)
{
	const struct nlattr *tb[MAX_ATTR];
	size_t off = NLMSG_HDRLEN + GENL_HDRLEN;

	parse_attrs((const uint8_t *)h + off, h->nlmsg_len - off, tb);
	if (tb[CTRL_ATTR_FAMILY_ID])
		*(uint16_t *)ctx = *(const uint16_t *)attr_data(tb[CTRL_ATTR_FAMILY_ID]);
}

static uint16_t family_id(struct nl *nl, const char *name)
{
	struct buf b = { 0 };
	uint16_t id = 0;
	size_t m = msg_begin(&b, GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, nl->seq++, CTRL_CMD_GETFAMILY, 1, 0);

	attr_put(&b, CTRL_ATTR_FAMILY_NAME, name, strlen(name) + 1);
	msg_end(&b, m);
	if (nl_transact(nl, &b, 1, family_cb, &id) || !id)
		die("generic netlink family %s not found", name);
	free(b.p);
	return id;
}

/* ------------------------------------------------------------------------ */
/* Datapath, vports, flows                                                  */
/* ------------------------------------------------------------------------ */
struct ovs {
	struct nl nl;
	uint16_t dp_fam, vport_fam, flow_fam, packet_fam;
	int dp_ifindex;
};

static void ovs_open(struct ovs *o)
{
	nl_open(&o->nl, 32 << 20);
	o->dp_fam = family_id(&o->nl, OVS_DATAPATH_FAMILY);
	o->vport_fam = family_id(&o->nl, OVS_VPORT_FAMILY);
	o->flow_fam = family_id(&o->nl, OVS_FLOW_FAMILY);
	o->packet_fam = family_id(&o->nl, OVS_PACKET_FAMILY);
	o->dp_ifindex = 0;
}

static void dp_ifindex_cb(const struct nlmsghdr *h, void *ctx)
{
	const struct ovs_header *oh = (const void *)((const uint8_t *)h + NLMSG_HDRLEN + GENL_HDRLEN);

	*(int *)ctx = oh->dp_ifindex;
}

static void dp_delete_by_name(struct ovs *o)
{
	struct buf b = { 0 };
	size_t m = msg_begin(&b, o->dp_fam, NLM_F_REQUEST | NLM_F_ACK, o->nl.seq++, OVS_DP_CMD_DEL,
			     OVS_DATAPATH_VERSION, 0);

	attr_put(&b, OVS_DP_ATTR_NAME, dp_name, strlen(dp_name) + 1);
	msg_end(&b, m);
	nl_send(&o->nl, &b);
	/* ENODEV when there is none: fine, and quiet. */
	for (;;) {
		ssize_t r = recv(o->nl.fd, o->nl.rx, o->nl.rxcap, 0);
		const struct nlmsghdr *h = (const void *)o->nl.rx;

		if (r < 0 || !NLMSG_OK(h, (size_t)r) || h->nlmsg_type == NLMSG_ERROR)
			break;
	}
	free(b.p);
}

static void dp_create(struct ovs *o, uint32_t upcall_pid)
{
	struct buf b = { 0 };
	size_t m;

	dp_delete_by_name(o);
	m = msg_begin(&b, o->dp_fam, NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO, o->nl.seq++, OVS_DP_CMD_NEW,
		      OVS_DATAPATH_VERSION, 0);
	attr_put(&b, OVS_DP_ATTR_NAME, dp_name, strlen(dp_name) + 1);
	attr_u32(&b, OVS_DP_ATTR_UPCALL_PID, upcall_pid);
	attr_u32(&b, OVS_DP_ATTR_USER_FEATURES, OVS_DP_F_UNALIGNED | OVS_DP_F_VPORT_PIDS);
	msg_end(&b, m);
	if (nl_transact(&o->nl, &b, 1, dp_ifindex_cb, &o->dp_ifindex) || !o->dp_ifindex)
		die("cannot create datapath %s", dp_name);
	free(b.p);
}

static void dp_delete(struct ovs *o)
{
	struct buf b = { 0 };
	size_t m = msg_begin(&b, o->dp_fam, NLM_F_REQUEST | NLM_F_ACK, o->nl.seq++, OVS_DP_CMD_DEL,
			     OVS_DATAPATH_VERSION, o->dp_ifindex);

	msg_end(&b, m);
	if (nl_transact(&o->nl, &b, 1, NULL, NULL))
		die("cannot delete datapath");
	free(b.p);
}

static void vport_add(struct ovs *o, const char *name, uint32_t port_no, uint32_t upcall_pid)
{
	struct buf b = { 0 };
	size_t m = msg_begin(&b, o->vport_fam, NLM_F_REQUEST | NLM_F_ACK, o->nl.seq++, OVS_VPORT_CMD_NEW,
			     OVS_VPORT_VERSION, o->dp_ifindex);

	attr_put(&b, OVS_VPORT_ATTR_NAME, name, strlen(name) + 1);
	attr_u32(&b, OVS_VPORT_ATTR_TYPE, OVS_VPORT_TYPE_NETDEV);
	attr_u32(&b, OVS_VPORT_ATTR_PORT_NO, port_no);
	attr_u32(&b, OVS_VPORT_ATTR_UPCALL_PID, upcall_pid);
	msg_end(&b, m);
	if (nl_transact(&o->nl, &b, 1, NULL, NULL))
		die("cannot add vport %s as port %u", name, port_no);
	free(b.p);
}

struct dp_stats {
	struct ovs_dp_stats s;
	struct ovs_dp_megaflow_stats mf;
	int have_mf;
};

static void dp_stats_cb(const struct nlmsghdr *h, void *ctx)
{
	struct dp_stats *st = ctx;
	const struct nlattr *tb[MAX_ATTR];
	size_t off = NLMSG_HDRLEN + GENL_HDRLEN + sizeof(struct ovs_header);

	parse_attrs((const uint8_t *)h + off, h->nlmsg_len - off, tb);
	if (tb[OVS_DP_ATTR_STATS] && attr_len(tb[OVS_DP_ATTR_STATS]) >= sizeof(st->s))
		memcpy(&st->s, attr_data(tb[OVS_DP_ATTR_STATS]), sizeof(st->s));
	if (tb[OVS_DP_ATTR_MEGAFLOW_STATS] && attr_len(tb[OVS_DP_ATTR_MEGAFLOW_STATS]) >= sizeof(st->mf)) {
		memcpy(&st->mf, attr_data(tb[OVS_DP_ATTR_MEGAFLOW_STATS]), sizeof(st->mf));
		st->have_mf = 1;
	}
}

static struct dp_stats dp_get_stats(struct ovs *o)
{
	struct dp_stats st;
	struct buf b = { 0 };
	size_t m = msg_begin(&b, o->dp_fam, NLM_F_REQUEST | NLM_F_ACK, o->nl.seq++, OVS_DP_CMD_GET,
			     OVS_DATAPATH_VERSION, o->dp_ifindex);

	memset(&st, 0, sizeof(st));
	msg_end(&b, m);
	if (nl_transact(&o->nl, &b, 1, dp_stats_cb, &st))
		die("cannot read datapath stats");
	free(b.p);
	return st;
}

/* Appends an OVS_FLOW_CMD_NEW (create, exclusive) or _DEL request to b. */
struct flow_spec {
	uint32_t ip_dst, ip_dst_mask;	/* host order */
	uint32_t ip_src, ip_src_mask;	/* host order; 0/0 for W(M) and setup flows */
	uint16_t tp_src, tp_src_mask, tp_dst, tp_dst_mask;
	int udp;			/* match udp ports at all */
	uint32_t out_port;		/* 0: drop (empty action list) */
	int metered;			/* meter(kBenchMeter) before the output */
};

/* The meter of the "meter" forwarding case: a rate no packet stream reaches. */
enum { kBenchMeter = 1 };

static void put_key(struct buf *b, const struct flow_spec *f, int mask)
{
	struct ovs_key_ethernet eth;
	struct ovs_key_ipv4 ip;

	memset(&eth, 0, sizeof(eth));
	memset(&ip, 0, sizeof(ip));
	attr_u32(b, OVS_KEY_ATTR_IN_PORT, mask ? 0xffffffffu : WSET_IN_PORT);
	attr_put(b, OVS_KEY_ATTR_ETHERNET, &eth, sizeof(eth));
	attr_be16(b, OVS_KEY_ATTR_ETHERTYPE, mask ? 0xffff : ETH_P_IP);
	ip.ipv4_dst = htonl(mask ? f->ip_dst_mask : f->ip_dst);
	ip.ipv4_src = htonl(mask ? f->ip_src_mask : f->ip_src);
	ip.ipv4_proto = mask ? 0xff : IPPROTO_UDP;
	ip.ipv4_frag = mask ? 0xff : OVS_FRAG_TYPE_NONE;
	attr_put(b, OVS_KEY_ATTR_IPV4, &ip, sizeof(ip));
	if (f->udp) {
		struct ovs_key_udp udp = {
			.udp_src = htons(mask ? f->tp_src_mask : f->tp_src),
			.udp_dst = htons(mask ? f->tp_dst_mask : f->tp_dst),
		};
		attr_put(b, OVS_KEY_ATTR_UDP, &udp, sizeof(udp));
	}
}

static void put_flow_msg(struct ovs *o, struct buf *b, const struct flow_spec *f, int del)
{
	size_t m = msg_begin(b, o->flow_fam,
			     NLM_F_REQUEST | NLM_F_ACK | (del ? 0 : NLM_F_CREATE | NLM_F_EXCL),
			     o->nl.seq++, del ? OVS_FLOW_CMD_DEL : OVS_FLOW_CMD_NEW, OVS_FLOW_VERSION,
			     o->dp_ifindex);
	size_t n = nest_begin(b, OVS_FLOW_ATTR_KEY);

	put_key(b, f, 0);
	nest_end(b, n);
	n = nest_begin(b, OVS_FLOW_ATTR_MASK);
	put_key(b, f, 1);
	nest_end(b, n);
	if (!del) {
		n = nest_begin(b, OVS_FLOW_ATTR_ACTIONS);
		if (f->metered)
			attr_u32(b, OVS_ACTION_ATTR_METER, kBenchMeter);
		if (f->out_port)
			attr_u32(b, OVS_ACTION_ATTR_OUTPUT, f->out_port);
		nest_end(b, n);
	}
	msg_end(b, m);
}

typedef void (*flow_gen)(uint32_t n, void *ctx, struct flow_spec *f);

/*
 * Sends `count` flow requests (generated by gen) in sends of `batch`
 * messages, with at most `window` unacknowledged, then collects all acks.
 * Returns the guest nanoseconds from the first send to the last ack.
 */
static uint64_t flows_batched(struct ovs *o, uint32_t count, flow_gen gen, void *ctx, int del,
			      unsigned batch, unsigned window)
{
	struct buf b = { 0 };
	uint32_t sent = 0, acked = 0;
	unsigned errors = 0;
	uint64_t t0 = now_ns();

	while (sent < count) {
		uint32_t n;

		b.len = 0;
		for (n = 0; n < batch && sent < count; n++, sent++) {
			struct flow_spec f;

			gen(sent, ctx, &f);
			put_flow_msg(o, &b, &f, del);
		}
		nl_send(&o->nl, &b);
		if (sent - acked > window) {
			uint32_t w = sent - acked - window;

			errors += nl_collect(&o->nl, w, NULL, NULL);
			acked += w;
		}
	}
	errors += nl_collect(&o->nl, sent - acked, NULL, NULL);
	t0 = now_ns() - t0;
	free(b.p);
	if (errors)
		die("%u of %u flow %s requests failed", errors, count, del ? "delete" : "install");
	return t0;
}

static void flows_flush(struct ovs *o)
{
	struct buf b = { 0 };
	size_t m = msg_begin(&b, o->flow_fam, NLM_F_REQUEST | NLM_F_ACK, o->nl.seq++, OVS_FLOW_CMD_DEL,
			     OVS_FLOW_VERSION, o->dp_ifindex);

	msg_end(&b, m);
	if (nl_transact(&o->nl, &b, 1, NULL, NULL))
		die("cannot flush flows");
	free(b.p);
}

struct wset_ctx {
	uint32_t m, out_port;
	int metered;
};

static void wset_gen(uint32_t n, void *ctx, struct flow_spec *f)
{
	const struct wset_ctx *c = ctx;
	struct wset_flow w;

	memset(f, 0, sizeof(*f));
	if (wset_flow(c->m, n, &w))
		die("bad W(M) flow %u of M=%u", n, c->m);
	f->ip_dst = w.ip_dst;
	f->ip_dst_mask = w.ip_dst_mask;
	f->tp_src = w.tp_src;
	f->tp_src_mask = w.tp_src_mask;
	f->tp_dst = w.tp_dst;
	f->tp_dst_mask = w.tp_dst_mask;
	f->udp = 1;
	f->out_port = c->out_port;
	f->metered = c->metered;
}

/* T(M), the tuple-space explosion set (wset.h). */
static void tset_gen(uint32_t n, void *ctx, struct flow_spec *f)
{
	const struct wset_ctx *c = ctx;
	struct tset_flow t;

	memset(f, 0, sizeof(*f));
	if (tset_flow(c->m, n, &t))
		die("bad T(M) flow %u of M=%u", n, c->m);
	f->ip_src = t.ip_src;
	f->ip_src_mask = t.ip_src_mask;
	f->ip_dst = t.ip_dst;
	f->ip_dst_mask = t.ip_dst_mask;
	f->tp_src = t.tp_src;
	f->tp_src_mask = t.tp_src_mask;
	f->tp_dst = t.tp_dst;
	f->tp_dst_mask = t.tp_dst_mask;
	f->udp = 1;
	f->out_port = c->out_port;
	f->metered = c->metered;
}

/* Meter kBenchMeter in the datapath: one drop band of 2^32-1 packets per
 * second, burst as large: it never drops. */
static void meter_set_unlimited(struct ovs *o)
{
	uint16_t fam = family_id(&o->nl, OVS_METER_FAMILY);
	struct buf b = { 0 };
	size_t m = msg_begin(&b, fam, NLM_F_REQUEST | NLM_F_ACK, o->nl.seq++, OVS_METER_CMD_SET, OVS_METER_VERSION,
			     o->dp_ifindex);
	size_t bands, band;

	attr_u32(&b, OVS_METER_ATTR_ID, kBenchMeter);
	bands = nest_begin(&b, OVS_METER_ATTR_BANDS);
	band = nest_begin(&b, OVS_BAND_ATTR_UNSPEC);
	attr_u32(&b, OVS_BAND_ATTR_TYPE, OVS_METER_BAND_TYPE_DROP);
	attr_u32(&b, OVS_BAND_ATTR_RATE, 0xffffffffu);
	attr_u32(&b, OVS_BAND_ATTR_BURST, 0xffffffffu);
	nest_end(&b, band);
	nest_end(&b, bands);
	msg_end(&b, m);
	if (nl_transact(&o->nl, &b, 1, NULL, NULL))
		die("cannot set the benchmark's meter");
	free(b.p);
}

/* ------------------------------------------------------------------------ */
/* pktgen                                                                   */
/* ------------------------------------------------------------------------ */
static int pg_write(const char *path, const char *cmd)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return -errno;
	r = write(fd, cmd, strlen(cmd));
	r = r < 0 ? -errno : 0;
	close(fd);
	return (int)r;
}

static void pg_must(const char *path, const char *cmd)
{
	int r = pg_write(path, cmd);

	if (r)
		die("pktgen: '%s' > %s: %s", cmd, path, strerror(-r));
}

static const char *PG_SRC_MAC = "02:00:00:00:00:01";
static const char *PG_DST_MAC = "02:00:00:00:00:02";

/*
 * The traffic (tests/vm/bench/README.md):
 *   random: 10.0.0.1 -> random 10.1.0.0/16, random udp src -> 9; a new
 *           5-tuple nearly every packet, so no mask cache can serve it;
 *   repeat: the same, but 64 pktgen "flows": each keeps its random
 *           destination for the whole run and the udp src is TSET_SPORT, so
 *           64 5-tuples repeat and a per-5-tuple mask cache serves them;
 *   tse:    random destinations with udp src TSET_SPORT (every packet hits
 *           one flow of T(M)).
 */
enum traffic { TRAFFIC_RANDOM, TRAFFIC_REPEAT, TRAFFIC_TSE, TRAFFIC_SEQ };
static const char *const traffic_names[] = { "random", "repeat", "tse", "seq" };
/* seq (the memory benchmark's, not a command-line choice): destinations
 * 10.2.0.0 .. 10.2.0.0 + seq_dsts - 1 in turn, udp src TSET_SPORT. */
static uint32_t seq_dsts;
enum { kRepeatTuples = 64 };

static enum traffic parse_traffic(const char *s)
{
	unsigned t;

	for (t = 0; t < TRAFFIC_SEQ; t++)
		if (!strcmp(s, traffic_names[t]))
			return (enum traffic)t;
	die("traffic must be random, repeat or tse: %s", s);
	return TRAFFIC_RANDOM;
}

/* Configures pktgen thread `thread` to inject the benchmark traffic into dev
 * (dev itself on thread 0, "dev@N" on thread N). */
static void pg_setup_on(const char *dev, unsigned thread, uint64_t count, enum traffic traffic)
{
	char path[128], cmd[128], thr[64], pgdev[64];

	snprintf(thr, sizeof(thr), "/proc/net/pktgen/kpktgend_%u", thread);
	if (thread)
		snprintf(pgdev, sizeof(pgdev), "%s@%u", dev, thread);
	else
		snprintf(pgdev, sizeof(pgdev), "%s", dev);
	pg_must(thr, "rem_device_all");
	snprintf(cmd, sizeof(cmd), "add_device %s", pgdev);
	pg_must(thr, cmd);
	snprintf(path, sizeof(path), "/proc/net/pktgen/%s", pgdev);
	pg_must(path, "clone_skb 0");
	pg_must(path, "xmit_mode netif_receive");
	snprintf(cmd, sizeof(cmd), "count %llu", (unsigned long long)count);
	pg_must(path, cmd);
	pg_must(path, "pkt_size 60");	/* 60 + 4 bytes FCS = a 64-byte frame */
	pg_must(path, "delay 0");
	snprintf(cmd, sizeof(cmd), "src_mac %s", PG_SRC_MAC);
	pg_must(path, cmd);
	snprintf(cmd, sizeof(cmd), "dst_mac %s", PG_DST_MAC);
	pg_must(path, cmd);
	pg_must(path, "src_min 10.0.0.1");
	pg_must(path, "src_max 10.0.0.1");
	if (traffic == TRAFFIC_SEQ) {
		uint32_t last = 0x0a020000u + seq_dsts - 1;

		pg_must(path, "dst_min 10.2.0.0");
		snprintf(cmd, sizeof(cmd), "dst_max %u.%u.%u.%u", last >> 24, (last >> 16) & 255, (last >> 8) & 255,
			 last & 255);
		pg_must(path, cmd);
	} else {
		pg_must(path, "dst_min 10.1.0.0");
		pg_must(path, "dst_max 10.1.255.255");
	}
	if (traffic == TRAFFIC_RANDOM) {
		pg_must(path, "udp_src_min 0");
		pg_must(path, "udp_src_max 65535");
		pg_must(path, "flag UDPSRC_RND");
	} else {
		snprintf(cmd, sizeof(cmd), "udp_src_min %u", TSET_SPORT);
		pg_must(path, cmd);
		snprintf(cmd, sizeof(cmd), "udp_src_max %u", TSET_SPORT);
		pg_must(path, cmd);
	}
	pg_must(path, "udp_dst_min 9");
	pg_must(path, "udp_dst_max 9");
	pg_must(path, "tos 00");
	if (traffic != TRAFFIC_SEQ)
		pg_must(path, "flag IPDST_RND");
	pg_must(path, "flag NO_TIMESTAMP");
	if (traffic == TRAFFIC_REPEAT) {
		/* Random flow picks among 64, each keeping its destination:
		 * flowlen above any count keeps a flow's tuple for the run. */
		snprintf(cmd, sizeof(cmd), "flows %u", kRepeatTuples);
		pg_must(path, cmd);
		pg_must(path, "flowlen 4000000000");
	}
}

static void pg_setup(const char *dev, uint64_t count, enum traffic traffic)
{
	pg_setup_on(dev, 0, count, traffic);
}

struct pg_result {
	uint64_t usec, pkts, errors, pps;
	uint64_t wall_ns;	/* CLOCK_MONOTONIC around the run */
};

/* The result of pktgen device `dev` ("veth0", "veth0@1") after a run. */
static struct pg_result pg_result_of(const char *dev)
{
	struct pg_result r;
	char path[128], text[8192], *p;
	uint64_t c, d;
	ssize_t n;
	int fd;

	memset(&r, 0, sizeof(r));
	snprintf(path, sizeof(path), "/proc/net/pktgen/%s", dev);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		die("%s: empty", path);
	text[n] = 0;
	p = strstr(text, "Result: OK: ");
	if (!p || sscanf(p, "Result: OK: %llu(c%llu+d%llu) usec, %llu", (unsigned long long *)&r.usec,
			 (unsigned long long *)&c, (unsigned long long *)&d,
			 (unsigned long long *)&r.pkts) != 4)
		die("pktgen did not report a result:\n%s", text);
	p = strstr(p, "\n");
	if (p)
		sscanf(p, " %llupps", (unsigned long long *)&r.pps);
	p = strstr(p ? p : text, "errors: ");
	if (p)
		sscanf(p, "errors: %llu", (unsigned long long *)&r.errors);
	return r;
}

/* Runs every configured pktgen thread to the end; the result of dev. */
/* The marker of tests/vm/bench/insnprof.c: a NOP no compiler emits. Under
 * that QEMU plugin each one closes a window of instruction counts. */
static void insnprof_mark(void)
{
	__asm__ volatile(".byte 0x0f, 0x1f, 0x80, 0x4c, 0x53, 0x56, 0x4f" ::: "memory");
}

/* OVSBENCH_MARK names the part whose timed pass insnprof_mark() brackets. */
static int mark_is(const char *part)
{
	const char *mark = getenv("OVSBENCH_MARK");

	return mark && !strcmp(mark, part);
}

static struct pg_result pg_run(const char *dev)
{
	struct pg_result r;
	uint64_t t = now_ns();

	pg_must("/proc/net/pktgen/pgctrl", "start\n");	/* pgctrl drops the last byte */
	t = now_ns() - t;
	r = pg_result_of(dev);
	r.wall_ns = t;
	return r;
}

static uint64_t read_sys_u64(const char *dev, const char *stat)
{
	char path[256];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", dev, stat);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%llu", &v) != 1)
		die("cannot read %s", path);
	fclose(f);
	return v;
}

/* ------------------------------------------------------------------------ */
/* Subcommands                                                              */
/* ------------------------------------------------------------------------ */
static int cmd_flows(int argc, char **argv)
{
	uint32_t m, n;

	if (argc != 1)
		die("usage: ovsbench flows M");
	m = (uint32_t)strtoul(argv[0], NULL, 0);
	if (wset_log2(m) < 0)
		die("M must be a power of two in 1..512");
	for (n = 0; n < 4 * m; n++) {
		struct wset_flow w;
		uint32_t d = 0, dm = 0;

		wset_flow(m, n, &w);
		d = w.ip_dst;
		dm = w.ip_dst_mask;
		printf("in_port(%u),eth(),eth_type(0x0800),ipv4(dst=%u.%u.%u.%u/%u.%u.%u.%u,proto=17,frag=no),"
		       "udp(src=%u/%#x", WSET_IN_PORT, d >> 24, (d >> 16) & 255, (d >> 8) & 255, d & 255,
		       dm >> 24, (dm >> 16) & 255, (dm >> 8) & 255, dm & 255, w.tp_src, w.tp_src_mask);
		if (w.tp_dst_mask)
			printf(",dst=%u/%#x", w.tp_dst, w.tp_dst_mask);
		printf(")\n");
	}
	return 0;
}

/* Parses "1,8,32" into v[]; returns the count. */
static unsigned parse_list(const char *s, char out[][16], unsigned max)
{
	unsigned n = 0;

	while (*s && n < max) {
		size_t l = strcspn(s, ",");

		if (l >= 16)
			die("list item too long: %s", s);
		memcpy(out[n], s, l);
		out[n][l] = 0;
		n++;
		s += l;
		if (*s == ',')
			s++;
	}
	return n;
}

static int cmd_base(int argc, char **argv)
{
	struct pg_result r;
	enum traffic traffic = TRAFFIC_RANDOM;
	uint64_t count;

	if (argc != 3 && argc != 4)
		die("usage: ovsbench base LABEL IN COUNT [TRAFFIC]");
	count = strtoull(argv[2], NULL, 0);
	if (argc == 4)
		traffic = parse_traffic(argv[3]);
	pg_setup(argv[1], count, traffic);
	if (mark_is("base"))
		insnprof_mark();
	r = pg_run(argv[1]);
	if (mark_is("base"))
		insnprof_mark();
	pg_must("/proc/net/pktgen/kpktgend_0", "rem_device_all");
	printf("result kind=base module=%s traffic=%s pkts=%llu usec=%llu kpps=%.2f pg_errors=%llu wall_ns=%llu\n",
	       argv[0], traffic_names[traffic], (unsigned long long)r.pkts, (unsigned long long)r.usec, r.usec ? (double)r.pkts * 1000.0 / (double)r.usec : 0.0,
	       (unsigned long long)r.errors, (unsigned long long)r.wall_ns);
	pg_must("/proc/net/pktgen/kpktgend_0", "rem_device_all");
	return 0;
}

static int cmd_fwd(int argc, char **argv)
{
	const char *label, *in, *out;
	char ms[16][16], acts[4][16];
	unsigned nm, na, im, ia;
	uint64_t count;
	enum traffic traffic = TRAFFIC_RANDOM;
	/* OVSBENCH_MARK=fwd: each pktgen run is an insnprof window (use one M
	 * and one action: scripts/insnprof.sh fwd). */
	int mark_fwd = mark_is("fwd");
	struct ovs o;
	int rc = 0;

	if (argc != 6 && argc != 7)
		die("usage: ovsbench fwd LABEL IN OUT COUNT M[,M...] ACTION[,ACTION...] [TRAFFIC]");
	if (argc == 7)
		traffic = parse_traffic(argv[6]);
	label = argv[0];
	in = argv[1];
	out = argv[2];
	count = strtoull(argv[3], NULL, 0);
	nm = parse_list(argv[4], ms, 16);
	na = parse_list(argv[5], acts, 4);

	ovs_open(&o);
	dp_create(&o, 0);
	vport_add(&o, in, 1, 0);
	vport_add(&o, out, 2, 0);
	pg_setup(in, count, traffic);

	for (im = 0; im < nm; im++) {
		uint32_t m = (uint32_t)strtoul(ms[im], NULL, 0);
		/* T(M) for the tse traffic, W(M) otherwise */
		int tse = traffic == TRAFFIC_TSE;
		uint32_t nflows = tse ? tset_nflows(m) : 4 * m;

		if (tse ? tset_log2(m) < 0 : wset_log2(m) < 0)
			die("M must be a power of two in 1..%u: %s", tse ? TSET_MAX_MASKS : 512, ms[im]);
		for (ia = 0; ia < na; ia++) {
			struct wset_ctx c = { .m = m };
			struct dp_stats s0, s1;
			struct pg_result r;
			uint64_t hit, missed, lost, mask_hit, cache_hit, out0, out1, inst_ns;
			double kpps;

			if (!strcmp(acts[ia], "drop")) {
				c.out_port = 0;
			} else if (!strcmp(acts[ia], "output")) {
				c.out_port = 2;
			} else if (!strcmp(acts[ia], "meter")) {
				/* meter(1),output(2) through a meter that never drops */
				c.out_port = 2;
				c.metered = 1;
				meter_set_unlimited(&o);
			} else {
				die("action must be drop, output or meter: %s", acts[ia]);
			}
			flows_flush(&o);
			inst_ns = flows_batched(&o, nflows, tse ? tset_gen : wset_gen, &c, 0, 50, 1000);
			s0 = dp_get_stats(&o);
			if (s0.s.n_flows != nflows)
				die("datapath has %llu flows after installing %u", (unsigned long long)s0.s.n_flows, nflows);
			if (!s0.have_mf || s0.mf.n_masks != m)
				die("datapath reports %u masks (megaflow stats %s), expected %u", s0.mf.n_masks,
				    s0.have_mf ? "present" : "missing", m);
			out0 = read_sys_u64(out, "tx_packets");
			if (mark_fwd)
				insnprof_mark();
			r = pg_run(in);
			if (mark_fwd)
				insnprof_mark();
			out1 = read_sys_u64(out, "tx_packets");
			s1 = dp_get_stats(&o);
			hit = s1.s.n_hit - s0.s.n_hit;
			missed = s1.s.n_missed - s0.s.n_missed;
			lost = s1.s.n_lost - s0.s.n_lost;
			mask_hit = s1.mf.n_mask_hit - s0.mf.n_mask_hit;
			cache_hit = s1.mf.n_cache_hit - s0.mf.n_cache_hit;
			kpps = r.usec ? (double)r.pkts * 1000.0 / (double)r.usec : 0.0;
			printf("result kind=fwd module=%s traffic=%s M=%u action=%s pkts=%llu usec=%llu kpps=%.2f "
			       "n_hit=%llu n_missed=%llu n_lost=%llu n_mask_hit=%llu masks_per_pkt=%.3f "
			       "cache_hits=%llu out_tx=%llu pg_errors=%llu wall_ns=%llu install_ns=%llu\n",
			       label, traffic_names[traffic], m, acts[ia], (unsigned long long)r.pkts, (unsigned long long)r.usec, kpps,
			       (unsigned long long)hit, (unsigned long long)missed, (unsigned long long)lost,
			       (unsigned long long)mask_hit, hit ? (double)mask_hit / (double)hit : 0.0,
			       (unsigned long long)cache_hit, (unsigned long long)(out1 - out0),
			       (unsigned long long)r.errors, (unsigned long long)r.wall_ns,
			       (unsigned long long)inst_ns);
			fflush(stdout);
			if (hit != r.pkts || missed || (c.out_port && out1 - out0 != r.pkts)) {
				fprintf(stderr, "ovsbench: M=%u %s: pktgen sent %llu, datapath hit %llu missed %llu, "
					"%s sent %llu\n", m, acts[ia], (unsigned long long)r.pkts,
					(unsigned long long)hit, (unsigned long long)missed, out,
					(unsigned long long)(out1 - out0));
				rc = 1;
			}
		}
	}
	pg_must("/proc/net/pktgen/kpktgend_0", "rem_device_all");
	flows_flush(&o);
	dp_delete(&o);
	return rc;
}

/* Leaves datapath "ovsbench" with W(M) (drop) installed, for a dump-flows check. */
static int cmd_install(int argc, char **argv)
{
	struct wset_ctx c = { 0 };
	struct ovs o;

	if (argc != 3)
		die("usage: ovsbench install IN OUT M");
	c.m = (uint32_t)strtoul(argv[2], NULL, 0);
	if (wset_log2(c.m) < 0)
		die("M must be a power of two in 1..512");
	ovs_open(&o);
	dp_create(&o, 0);
	vport_add(&o, argv[0], 1, 0);
	vport_add(&o, argv[1], 2, 0);
	flows_batched(&o, 4 * c.m, wset_gen, &c, 0, 50, 1000);
	return 0;
}

/* Flow-setup flows: one mask, ipv4 dst exact 10.2.0.0 + n. */
static void setup_gen(uint32_t n, void *ctx, struct flow_spec *f)
{
	(void)ctx;
	memset(f, 0, sizeof(*f));
	f->ip_dst = 0x0a020000u + n;
	f->ip_dst_mask = 0xffffffffu;
	f->udp = 1;		/* udp(): present (proto 17 requires it), ports wildcarded */
	f->out_port = 2;
}

static int cmd_setup(int argc, char **argv)
{
	uint32_t nflows, rep, i;
	int mark_in = mark_is("install"), mark_del = mark_is("delete");
	struct ovs o;

	if (argc != 5)
		die("usage: ovsbench setup LABEL IN OUT NFLOWS REPEAT");
	nflows = (uint32_t)strtoul(argv[3], NULL, 0);
	rep = (uint32_t)strtoul(argv[4], NULL, 0);
	ovs_open(&o);
	dp_create(&o, 0);
	vport_add(&o, argv[1], 1, 0);
	vport_add(&o, argv[2], 2, 0);
	/* OVSBENCH_MARK=install or delete: the last round's installs or
	 * deletes are insnprof's timed pass (scripts/insnprof.sh). */
	for (i = 0; i < rep; i++) {
		int last = i == rep - 1;
		uint64_t tin, tdel;
		struct dp_stats s;

		if (last && mark_in)
			insnprof_mark();
		tin = flows_batched(&o, nflows, setup_gen, NULL, 0, 50, 1000);
		if (last && mark_in)
			insnprof_mark();
		s = dp_get_stats(&o);
		if (s.s.n_flows != nflows)
			die("datapath has %llu flows after installing %u", (unsigned long long)s.s.n_flows, nflows);
		if (last && mark_del)
			insnprof_mark();
		tdel = flows_batched(&o, nflows, setup_gen, NULL, 1, 50, 1000);
		if (last && mark_del)
			insnprof_mark();
		s = dp_get_stats(&o);
		if (s.s.n_flows != 0)
			die("datapath has %llu flows after deleting all", (unsigned long long)s.s.n_flows);
		printf("result kind=setup module=%s rep=%u flows=%u install_ns=%llu install_per_s=%.0f "
		       "delete_ns=%llu delete_per_s=%.0f\n", argv[0], i, nflows, (unsigned long long)tin,
		       (double)nflows * 1e9 / (double)tin, (unsigned long long)tdel,
		       (double)nflows * 1e9 / (double)tdel);
		fflush(stdout);
	}
	dp_delete(&o);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Miss upcalls                                                             */
/* ------------------------------------------------------------------------ */
static int packet_socket(const char *dev)
{
	struct sockaddr_ll sa = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	int big = 4 << 20;

	if (fd < 0)
		die("packet socket: %s", strerror(errno));
	sa.sll_ifindex = (int)if_nametoindex(dev);
	if (!sa.sll_ifindex)
		die("no device %s", dev);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("bind %s: %s", dev, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	return fd;
}

/* A 60-byte frame like pktgen's: 10.0.0.1 -> 10.1.x.y, udp sport -> 9. */
static size_t make_frame(uint8_t *f, uint32_t n)
{
	static const uint8_t src[6] = { 2, 0, 0, 0, 0, 1 }, dst[6] = { 2, 0, 0, 0, 0, 2 };
	uint8_t *ip = f + 14, *udp = ip + 20;
	uint32_t sum = 0, i, daddr = 0x0a010000u | (n & 0xffff);

	memset(f, 0, 60);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[3] = 46;		/* total length: 60 - 14 */
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	ip[12] = 10, ip[13] = 0, ip[14] = 0, ip[15] = 1;
	ip[16] = (uint8_t)(daddr >> 24), ip[17] = (uint8_t)(daddr >> 16);
	ip[18] = (uint8_t)(daddr >> 8), ip[19] = (uint8_t)daddr;
	for (i = 0; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	ip[10] = (uint8_t)(sum >> 8), ip[11] = (uint8_t)sum;
	udp[0] = (uint8_t)(n >> 8), udp[1] = (uint8_t)n;	/* varying source port */
	udp[3] = 9;
	udp[5] = 26;		/* udp length: 46 - 20 */
	return 60;
}

struct upcall_ctx {
	struct ovs *o;
	struct buf *exec;	/* EXECUTE requests built from the upcalls */
	unsigned got, bad;
	uint32_t out_port;
};

static void upcall_cb(const struct nlmsghdr *h, void *ctx)
{
	struct upcall_ctx *u = ctx;
	const struct genlmsghdr *g = (const void *)((const uint8_t *)h + NLMSG_HDRLEN);
	size_t off = NLMSG_HDRLEN + GENL_HDRLEN + sizeof(struct ovs_header);
	const struct nlattr *tb[MAX_ATTR];
	size_t m, n;

	if (h->nlmsg_type != u->o->packet_fam || g->cmd != OVS_PACKET_CMD_MISS) {
		u->bad++;
		return;
	}
	parse_attrs((const uint8_t *)h + off, h->nlmsg_len - off, tb);
	if (!tb[OVS_PACKET_ATTR_PACKET] || !tb[OVS_PACKET_ATTR_KEY]) {
		u->bad++;
		return;
	}
	u->got++;
	m = msg_begin(u->exec, u->o->packet_fam, NLM_F_REQUEST | NLM_F_ACK, u->o->nl.seq++,
		      OVS_PACKET_CMD_EXECUTE, OVS_PACKET_VERSION, u->o->dp_ifindex);
	attr_put(u->exec, OVS_PACKET_ATTR_PACKET, attr_data(tb[OVS_PACKET_ATTR_PACKET]),
		 attr_len(tb[OVS_PACKET_ATTR_PACKET]));
	attr_put(u->exec, OVS_PACKET_ATTR_KEY, attr_data(tb[OVS_PACKET_ATTR_KEY]),
		 attr_len(tb[OVS_PACKET_ATTR_KEY]));
	n = nest_begin(u->exec, OVS_PACKET_ATTR_ACTIONS);
	attr_u32(u->exec, OVS_ACTION_ATTR_OUTPUT, u->out_port);
	nest_end(u->exec, n);
	msg_end(u->exec, m);
}

/* Reads upcalls from up until `want` have arrived (they carry no acks). */
static void read_upcalls(struct nl *up, struct upcall_ctx *u, unsigned want)
{
	while (u->got < want) {
		struct pollfd pfd = { .fd = up->fd, .events = POLLIN };
		ssize_t r;
		size_t len;
		const struct nlmsghdr *h;

		if (poll(&pfd, 1, 5000) <= 0)
			die("no upcall within 5 s (%u of %u)", u->got, want);
		r = recv(up->fd, up->rx, up->rxcap, 0);
		if (r < 0)
			die("upcall recv: %s", strerror(errno));
		len = (size_t)r;
		for (h = (const void *)up->rx; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len))
			upcall_cb(h, u);
	}
}

/* Reads `want` copies of our frames (not outgoing ones) from the packet socket. */
static unsigned read_frames(int fd, unsigned want)
{
	uint8_t f[2048];
	unsigned got = 0;

	while (got < want) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct sockaddr_ll sa;
		socklen_t sl = sizeof(sa);
		ssize_t r;

		if (poll(&pfd, 1, 5000) <= 0)
			die("output packet not seen within 5 s (%u of %u)", got, want);
		r = recvfrom(fd, f, sizeof(f), 0, (struct sockaddr *)&sa, &sl);
		if (r < 0)
			die("packet recv: %s", strerror(errno));
		if (sa.sll_pkttype == PACKET_OUTGOING || r < 42 || f[12] != 0x08 || f[13] != 0 || f[23] != IPPROTO_UDP ||
		    f[26] != 10 || f[29] != 1)
			continue;
		got++;
	}
	return got;
}

static int cmd_upcall(int argc, char **argv)
{
	const char *label, *in, *out, *inpeer, *outpeer;
	unsigned n, batch, i, done = 0;
	struct upcall_ctx u;
	struct buf exec = { 0 };
	struct dp_stats s0, s1;
	struct nl up;
	struct ovs o;
	int txfd, rxfd;
	uint64_t t;
	uint8_t frame[64];

	if (argc != 7)
		die("usage: ovsbench upcall LABEL IN OUT INPEER OUTPEER N BATCH");
	label = argv[0];
	in = argv[1];
	out = argv[2];
	inpeer = argv[3];
	outpeer = argv[4];
	n = (unsigned)strtoul(argv[5], NULL, 0);
	batch = (unsigned)strtoul(argv[6], NULL, 0);
	if (!batch || batch > 256)
		die("BATCH must be 1..256");

	ovs_open(&o);
	nl_open(&up, 8 << 20);
	dp_create(&o, up.pid);
	vport_add(&o, in, 1, up.pid);
	vport_add(&o, out, 2, 0);
	txfd = packet_socket(inpeer);
	rxfd = packet_socket(outpeer);
	memset(&u, 0, sizeof(u));
	u.o = &o;
	u.exec = &exec;
	u.out_port = 2;

	/* One warm-up round trip, untimed. */
	for (int pass = 0; pass < 2; pass++) {
		unsigned total = pass ? n : batch;

		s0 = dp_get_stats(&o);
		done = 0;
		if (pass)
			insnprof_mark();
		t = now_ns();
		while (done < total) {
			unsigned b = total - done < batch ? total - done : batch;

			for (i = 0; i < b; i++) {
				size_t len = make_frame(frame, done + i + 1);

				if (send(txfd, frame, len, 0) != (ssize_t)len)
					die("send on %s: %s", inpeer, strerror(errno));
			}
			u.got = 0;
			exec.len = 0;
			read_upcalls(&up, &u, b);
			if (nl_transact(&o.nl, &exec, b, NULL, NULL))
				die("OVS_PACKET_CMD_EXECUTE failed");
			read_frames(rxfd, b);
			done += b;
		}
		t = now_ns() - t;
		if (pass)
			insnprof_mark();
		s1 = dp_get_stats(&o);
	}
	if (s1.s.n_missed - s0.s.n_missed != n || u.bad)
		die("%llu misses counted for %u packets, %u unexpected upcall messages",
		    (unsigned long long)(s1.s.n_missed - s0.s.n_missed), n, u.bad);
	printf("result kind=upcall module=%s batch=%u n=%u ns=%llu us_per_rt=%.2f upcalls_per_s=%.0f n_missed=%llu "
	       "n_lost=%llu\n", label, batch, n, (unsigned long long)t, (double)t / 1000.0 / n,
	       (double)n * 1e9 / (double)t, (unsigned long long)(s1.s.n_missed - s0.s.n_missed),
	       (unsigned long long)(s1.s.n_lost - s0.s.n_lost));
	close(txfd);
	close(rxfd);
	dp_delete(&o);
	free(exec.p);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Flow dumps, and EXECUTE beside dumps and flow changes                    */
/* ------------------------------------------------------------------------ */

/*
 * One dump of every flow. Each flow of the setup range (10.2.0.0 + n, n <
 * nstable) must come exactly once, or the run fails; flows outside it (the
 * churn range) are only counted. Returns the number of flow messages. With
 * stop != NULL the dump is abandoned (returns 0) as soon as *stop is set.
 */
struct dump_check {
	uint8_t *seen;
	uint32_t nstable, dups, other;
};

static void dump_flow_cb(const struct nlmsghdr *h, void *ctx)
{
	struct dump_check *c = ctx;
	const struct nlattr *tb[MAX_ATTR], *kb[MAX_ATTR];
	size_t off = NLMSG_HDRLEN + GENL_HDRLEN + sizeof(struct ovs_header);
	const struct ovs_key_ipv4 *ip;
	uint32_t n;

	parse_attrs((const uint8_t *)h + off, h->nlmsg_len - off, tb);
	if (!tb[OVS_FLOW_ATTR_KEY])
		die("dumped flow without a key");
	parse_attrs(attr_data(tb[OVS_FLOW_ATTR_KEY]), attr_len(tb[OVS_FLOW_ATTR_KEY]), kb);
	if (!kb[OVS_KEY_ATTR_IPV4] || attr_len(kb[OVS_KEY_ATTR_IPV4]) < sizeof(*ip))
		die("dumped flow without an ipv4 key");
	ip = attr_data(kb[OVS_KEY_ATTR_IPV4]);
	n = ntohl(ip->ipv4_dst) - 0x0a020000u;
	if (n < c->nstable) {
		if (c->seen[n]++)
			c->dups++;
	} else {
		c->other++;
	}
}

static uint32_t dump_all(struct ovs *o, struct dump_check *c, volatile int *stop)
{
	struct buf b = { 0 };
	size_t m = msg_begin(&b, o->flow_fam, NLM_F_REQUEST | NLM_F_DUMP, o->nl.seq++, OVS_FLOW_CMD_GET,
			     OVS_FLOW_VERSION, o->dp_ifindex);
	uint32_t i, missing = 0;

	msg_end(&b, m);
	memset(c->seen, 0, c->nstable);
	c->dups = 0;
	c->other = 0;
	nl_send(&o->nl, &b);
	free(b.p);
	for (;;) {
		ssize_t r;
		size_t len;
		const struct nlmsghdr *h;
		int done = 0;

		if (stop && *stop)
			return 0;
		r = recv(o->nl.fd, o->nl.rx, o->nl.rxcap, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die("dump recv: %s", strerror(errno));
		}
		len = (size_t)r;
		for (h = (const void *)o->nl.rx; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				int err = *(const int *)NLMSG_DATA(h);

				if (err)
					die("flow dump ended with %s", strerror(-err));
				done = 1;
			} else if (h->nlmsg_type == NLMSG_ERROR) {
				die("flow dump failed: %s", strerror(-((const struct nlmsgerr *)NLMSG_DATA(h))->error));
			} else {
				dump_flow_cb(h, c);
			}
		}
		if (done)
			break;
	}
	for (i = 0; i < c->nstable; i++)
		missing += !c->seen[i];
	if (missing || c->dups)
		die("dump: %u stable flows missing, %u seen twice", missing, c->dups);
	return c->nstable + c->other;
}

/* Churn flows: the same shape as the setup flows, in 10.4.0.0/16. */
static void churn_gen(uint32_t n, void *ctx, struct flow_spec *f)
{
	setup_gen(n, ctx, f);
	f->ip_dst = 0x0a040000u + n;
}

/* What the helper processes did while the EXECUTEs ran (shared memory). */
struct side_counts {
	volatile int stop;
	volatile uint64_t dumps, dumped, installs, deletes;
};

static void side_dumper(const struct ovs *parent, uint32_t nstable, struct side_counts *sc)
{
	struct ovs o;
	struct dump_check c = { .nstable = nstable };

	ovs_open(&o);
	o.dp_ifindex = parent->dp_ifindex;
	c.seen = malloc(nstable);
	if (!c.seen)
		die("out of memory");
	while (!sc->stop) {
		uint32_t n = dump_all(&o, &c, &sc->stop);

		if (n) {
			sc->dumps++;
			sc->dumped += n;
		}
	}
	exit(0);
}

static void side_churner(const struct ovs *parent, uint32_t churn, struct side_counts *sc)
{
	struct ovs o;

	ovs_open(&o);
	o.dp_ifindex = parent->dp_ifindex;
	while (!sc->stop) {
		flows_batched(&o, churn, churn_gen, NULL, 0, 50, 1000);
		sc->installs += churn;
		flows_batched(&o, churn, churn_gen, NULL, 1, 50, 1000);
		sc->deletes += churn;
	}
	exit(0);
}

/* Sends `n` EXECUTEs (output:2, with acks) in sends of `batch`; returns ns. */
static uint64_t exec_flood(struct ovs *o, unsigned n, unsigned batch)
{
	struct buf b = { 0 };
	struct flow_spec f;
	uint8_t frame[64];
	unsigned done = 0, i;
	uint64_t t = now_ns();

	setup_gen(0, NULL, &f);
	while (done < n) {
		unsigned k = n - done < batch ? n - done : batch;

		b.len = 0;
		for (i = 0; i < k; i++) {
			size_t len = make_frame(frame, done + i + 1), m, nest;

			m = msg_begin(&b, o->packet_fam, NLM_F_REQUEST | NLM_F_ACK, o->nl.seq++,
				      OVS_PACKET_CMD_EXECUTE, OVS_PACKET_VERSION, o->dp_ifindex);
			attr_put(&b, OVS_PACKET_ATTR_PACKET, frame, len);
			nest = nest_begin(&b, OVS_PACKET_ATTR_KEY);
			put_key(&b, &f, 0);
			nest_end(&b, nest);
			nest = nest_begin(&b, OVS_PACKET_ATTR_ACTIONS);
			attr_u32(&b, OVS_ACTION_ATTR_OUTPUT, 2);
			nest_end(&b, nest);
			msg_end(&b, m);
		}
		if (nl_transact(&o->nl, &b, k, NULL, NULL))
			die("OVS_PACKET_CMD_EXECUTE failed");
		done += k;
	}
	free(b.p);
	return now_ns() - t;
}

static int cmd_dump(int argc, char **argv)
{
	uint32_t nflows, nexec, churn;
	struct side_counts *sc;
	struct dump_check c;
	struct ovs o;
	uint64_t tdump[2], texec_alone, texec;
	pid_t kids[2];
	int i, status;

	if (argc != 6)
		die("usage: ovsbench dump LABEL IN OUT NFLOWS NEXEC CHURN");
	nflows = (uint32_t)strtoul(argv[3], NULL, 0);
	nexec = (uint32_t)strtoul(argv[4], NULL, 0);
	churn = (uint32_t)strtoul(argv[5], NULL, 0);
	if (!nflows || nflows > 65536 * 2 || !nexec || !churn || churn > 65536)
		die("NFLOWS must be 1..131072, NEXEC > 0, CHURN 1..65536");
	ovs_open(&o);
	dp_create(&o, 0);
	vport_add(&o, argv[1], 1, 0);
	vport_add(&o, argv[2], 2, 0);
	flows_batched(&o, nflows, setup_gen, NULL, 0, 50, 1000);

	c.nstable = nflows;
	c.seen = malloc(nflows);
	if (!c.seen)
		die("out of memory");
	for (i = 0; i < 2; i++) {
		uint64_t t = now_ns();
		uint32_t n = dump_all(&o, &c, NULL);

		tdump[i] = now_ns() - t;
		if (n != nflows)
			die("dump returned %u flows of %u", n, nflows);
	}
	texec_alone = exec_flood(&o, nexec, 32);

	sc = mmap(NULL, sizeof(*sc), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sc == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	memset((void *)sc, 0, sizeof(*sc));
	for (i = 0; i < 2; i++) {
		kids[i] = fork();
		if (kids[i] < 0)
			die("fork: %s", strerror(errno));
		if (kids[i] == 0) {
			if (i == 0)
				side_dumper(&o, nflows, sc);
			side_churner(&o, churn, sc);
		}
	}
	texec = exec_flood(&o, nexec, 32);
	sc->stop = 1;
	for (i = 0; i < 2; i++) {
		if (waitpid(kids[i], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			die("helper process %d failed", i);
	}
	/* The churn may have stopped between its installs and deletes. */
	flows_flush(&o);
	printf("result kind=dump module=%s flows=%u dump_ns=%llu dump2_ns=%llu dump_flows_per_s=%.0f "
	       "exec=%u exec_alone_ns=%llu exec_alone_per_s=%.0f exec_busy_ns=%llu exec_busy_per_s=%.0f "
	       "side_dumps=%llu side_dumped=%llu side_installs=%llu side_deletes=%llu churn=%u\n",
	       argv[0], nflows, (unsigned long long)tdump[0], (unsigned long long)tdump[1],
	       (double)nflows * 1e9 / (double)tdump[1], nexec, (unsigned long long)texec_alone,
	       (double)nexec * 1e9 / (double)texec_alone, (unsigned long long)texec,
	       (double)nexec * 1e9 / (double)texec, (unsigned long long)sc->dumps,
	       (unsigned long long)sc->dumped, (unsigned long long)sc->installs,
	       (unsigned long long)sc->deletes, churn);
	free(c.seen);
	dp_delete(&o);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Memory per megaflow                                                      */
/* ------------------------------------------------------------------------ */
struct meminfo {
	long long slab, sunreclaim, vmalloc, percpu, memfree;	/* kB */
};

static struct meminfo meminfo_read(void)
{
	struct meminfo m;
	char line[256];
	FILE *f = fopen("/proc/meminfo", "r");

	memset(&m, 0, sizeof(m));
	if (!f)
		die("/proc/meminfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "Slab: %lld", &m.slab);
		sscanf(line, "SUnreclaim: %lld", &m.sunreclaim);
		sscanf(line, "VmallocUsed: %lld", &m.vmalloc);
		sscanf(line, "Percpu: %lld", &m.percpu);
		sscanf(line, "MemFree: %lld", &m.memfree);
	}
	fclose(f);
	return m;
}

/* Settles the allocators' deferred frees (RCU callbacks) before a reading. */
static struct meminfo meminfo_settled(void)
{
	/* Freed flows wait for a grace period: give the RCU callbacks time. */
	usleep(300000);
	return meminfo_read();
}

static void print_mem(const char *label, const char *stage, uint32_t nflows, const struct meminfo *a,
		      const struct meminfo *b)
{
	printf("result kind=mem module=%s stage=%s flows=%u slab_kb=%lld sunreclaim_kb=%lld vmalloc_kb=%lld "
	       "percpu_kb=%lld memfree_kb=%lld slab_b_per_flow=%.1f all_b_per_flow=%.1f\n", label, stage, nflows,
	       b->slab - a->slab, b->sunreclaim - a->sunreclaim, b->vmalloc - a->vmalloc, b->percpu - a->percpu,
	       a->memfree - b->memfree, (double)(b->slab - a->slab) * 1024.0 / nflows,
	       (double)(a->memfree - b->memfree) * 1024.0 / nflows);
}

/*
 * Kernel memory per installed megaflow: NFLOWS flow-setup flows (one mask,
 * ipv4 dst exact, output:2) installed into a fresh datapath, then every flow
 * hit once from each of the first two CPUs (pktgen threads 0 and 1: one CPU
 * per NUMA node in vm-run's default machine), so that the statistics each
 * module keeps per CPU or per node exist too.  /proc/meminfo before, after
 * the install and after the traffic.
 */
static int cmd_mem(int argc, char **argv)
{
	struct meminfo m0, m1, m2;
	struct dp_stats s0, s1;
	struct pg_result r0, r1;
	uint32_t nflows;
	char dev1[64];
	struct ovs o;

	if (argc != 4)
		die("usage: ovsbench mem LABEL IN OUT NFLOWS");
	nflows = (uint32_t)strtoul(argv[3], NULL, 0);
	if (nflows < 2 || nflows > 131072)
		die("NFLOWS must be 2..131072");
	ovs_open(&o);
	dp_create(&o, 0);
	vport_add(&o, argv[1], 1, 0);
	vport_add(&o, argv[2], 2, 0);
	seq_dsts = nflows;
	pg_setup_on(argv[1], 0, nflows, TRAFFIC_SEQ);
	pg_setup_on(argv[1], 1, nflows, TRAFFIC_SEQ);
	m0 = meminfo_settled();
	flows_batched(&o, nflows, setup_gen, NULL, 0, 50, 1000);
	m1 = meminfo_settled();
	s0 = dp_get_stats(&o);
	if (s0.s.n_flows != nflows)
		die("datapath has %llu flows after installing %u", (unsigned long long)s0.s.n_flows, nflows);
	pg_must("/proc/net/pktgen/pgctrl", "start\n");
	r0 = pg_result_of(argv[1]);
	snprintf(dev1, sizeof(dev1), "%s@1", argv[1]);
	r1 = pg_result_of(dev1);
	m2 = meminfo_settled();
	s1 = dp_get_stats(&o);
	if (s1.s.n_hit - s0.s.n_hit != r0.pkts + r1.pkts || r0.pkts != nflows || r1.pkts != nflows)
		die("pktgen sent %llu + %llu, datapath hit %llu", (unsigned long long)r0.pkts,
		    (unsigned long long)r1.pkts, (unsigned long long)(s1.s.n_hit - s0.s.n_hit));
	print_mem(argv[0], "installed", nflows, &m0, &m1);
	print_mem(argv[0], "hit_from_2_nodes", nflows, &m0, &m2);
	pg_must("/proc/net/pktgen/kpktgend_0", "rem_device_all");
	pg_must("/proc/net/pktgen/kpktgend_1", "rem_device_all");
	flows_flush(&o);
	dp_delete(&o);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: ovsbench flows|fwd|base|setup|upcall|dump ARGS (see the source)\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "flows"))
		return cmd_flows(argc - 2, argv + 2);
	if (!strcmp(argv[1], "fwd"))
		return cmd_fwd(argc - 2, argv + 2);
	if (!strcmp(argv[1], "base"))
		return cmd_base(argc - 2, argv + 2);
	if (!strcmp(argv[1], "install"))
		return cmd_install(argc - 2, argv + 2);
	if (!strcmp(argv[1], "setup"))
		return cmd_setup(argc - 2, argv + 2);
	if (!strcmp(argv[1], "upcall"))
		return cmd_upcall(argc - 2, argv + 2);
	if (!strcmp(argv[1], "dump"))
		return cmd_dump(argc - 2, argv + 2);
	if (!strcmp(argv[1], "mem"))
		return cmd_mem(argc - 2, argv + 2);
	fprintf(stderr, "ovsbench: unknown command %s\n", argv[1]);
	return 2;
}
