/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wset.h: the flow set W(M) of the datapath forwarding benchmark (DESIGN §6),
 * defined once.  Plain C99, header-only: the in-VM client (ovsbench.c)
 * includes it, and so can a C++ benchmark that wants the same flows.
 * `ovsbench flows M` prints the set in ovs-dpctl syntax.
 *
 * W(M), M a power of two in 1..512, k = log2(M): M masks, mask i = 0..M-1
 * holds 4 flows j = 0..3.  Every flow matches
 *   in_port(1) exact, eth() present with src/dst wildcarded,
 *   eth_type 0x0800 exact, ipv4 proto 17 exact, ipv4 frag "no" exact,
 *   ipv4 dst = 10.1.0.0 | (i << (16 - k)) under a /(16 + k) prefix mask,
 *   udp src: bits a and b of the port (p = i mod 120 picks the p-th pair
 *     (a < b) of bit positions 0..15 in lexicographic order: (0,1), (0,2),
 *     ..., (0,15), (1,2), ..., (14,15)); bit a = j & 1, bit b = (j >> 1) & 1,
 *   udp dst: value 0 under mask (i / 120) << 12 (wildcarded when i < 120),
 * and nothing else (ipv4 src, tos, ttl wildcarded).  The traffic (10.0.0.1 ->
 * random 10.1.0.0/16, udp random src port -> dst port 9) hits exactly one flow
 * per packet, and every mask equally often.
 */
#ifndef OVSDP_BENCH_WSET_H
#define OVSDP_BENCH_WSET_H

#include <stdint.h>

/* One flow of W(M), every field in host byte order. */
struct wset_flow {
	uint32_t mask_index;	/* i */
	uint32_t ip_dst, ip_dst_mask;
	uint16_t tp_src, tp_src_mask;
	uint16_t tp_dst, tp_dst_mask;
};

#define WSET_IN_PORT 1u
#define WSET_IP_BASE 0x0a010000u	/* 10.1.0.0 */
#define WSET_MAX_MASKS 600u		/* 120 pairs x 5 values of c (0..4) */

/* log2(M) for a power of two M in 1..512, else -1. */
static inline int wset_log2(uint32_t m)
{
	int k;

	for (k = 0; k <= 9; k++)
		if (m == (1u << k))
			return k;
	return -1;
}

/* The p-th pair (a < b) of bit positions 0..15, lexicographic order. */
static inline void wset_pair(uint32_t p, unsigned *a, unsigned *b)
{
	unsigned x, y;

	for (x = 0; x < 16; x++)
		for (y = x + 1; y < 16; y++)
			if (p-- == 0) {
				*a = x;
				*b = y;
				return;
			}
	*a = *b = 0;
}

/* Flow n (0 .. 4M-1; n = 4i + j) of W(M).  Returns 0, or -1 for a bad M/n. */
static inline int wset_flow(uint32_t m, uint32_t n, struct wset_flow *f)
{
	int k = wset_log2(m);
	uint32_t i = n / 4, j = n % 4, prefix;
	unsigned a, b;

	if (k < 0 || n >= 4 * m)
		return -1;
	prefix = 16 + (uint32_t)k;
	f->mask_index = i;
	f->ip_dst_mask = 0xffffffffu << (32 - prefix);
	f->ip_dst = WSET_IP_BASE | (k ? i << (16 - k) : 0);
	wset_pair(i % 120, &a, &b);
	f->tp_src_mask = (uint16_t)((1u << a) | (1u << b));
	f->tp_src = (uint16_t)(((j & 1) << a) | (((j >> 1) & 1) << b));
	f->tp_dst_mask = (uint16_t)((i / 120) << 12);
	f->tp_dst = 0;
	return 0;
}

/*
 * T(M): the tuple-space explosion set (CVE-2019-25076), M a power of two in
 * 1..16384, k = log2(M).  Megaflows as ovs-vswitchd makes them for an ACL
 * on address prefixes and L4 ports: each mask is a combination of prefix
 * lengths, and there are as many masks as combinations the traffic reaches.
 * Mask i = 0..M-1 matches
 *   in_port(1), eth() (wildcarded), eth_type 0x0800, proto 17, frag "no"
 *     exact, as in W(M);
 *   ipv4 src under a /a prefix, a = i % 32 + 1 (1..32);
 *   udp src under a /b prefix of the 16-bit port, b = (i / 32) % 16 + 1;
 *   udp dst under a /c prefix, c = (i / 512) % 16 + 1;
 *   ipv4 dst under a /(16 + k + e) prefix, e = i / 8192 (0 or 1), whose k
 *     bits after /16 equal i (the traffic's random destination spreads it
 *     evenly over the masks);
 * and holds 2^e flows (f = 0 .. 2^e - 1: the e dst bits after those k),
 * whose other values are the traffic's own under the mask: src 10.0.0.1,
 * udp src TSET_SPORT, udp dst 9.  The tuple (a, b, c, e) differs for every
 * i < 16384, so the M masks are distinct; every packet of the traffic
 * (10.0.0.1:TSET_SPORT -> random 10.1.0.0/16 port 9) hits exactly one flow.
 * T(1) is one mask (src /1, ports /1, dst /16), one flow: the same traffic
 * with nothing to search.
 */
#define TSET_MAX_MASKS 16384u
#define TSET_SPORT 4660u		/* 0x1234: the udp source port of the TSE and repeat traffic */
#define TSET_IP_SRC 0x0a000001u		/* 10.0.0.1 */
#define TSET_UDP_DST 9u

struct tset_flow {
	uint32_t mask_index;
	uint32_t ip_src, ip_src_mask, ip_dst, ip_dst_mask;
	uint16_t tp_src, tp_src_mask, tp_dst, tp_dst_mask;
};

/* log2(M) for a power of two M in 1..16384, else -1. */
static inline int tset_log2(uint32_t m)
{
	int k;

	for (k = 0; k <= 14; k++)
		if (m == (1u << k))
			return k;
	return -1;
}

/* Flows of T(M): M + M/2 for M = 16384 (masks 8192.. hold 2), else M. */
static inline uint32_t tset_nflows(uint32_t m)
{
	return m > 8192 ? m + (m - 8192) : m;
}

static inline uint32_t tset_pfx32(unsigned len)
{
	return len ? 0xffffffffu << (32 - len) : 0;
}

/* Flow n (0 .. tset_nflows(M) - 1) of T(M).  Returns 0, or -1 for a bad M/n. */
static inline int tset_flow(uint32_t m, uint32_t n, struct tset_flow *f)
{
	int k = tset_log2(m);
	uint32_t i, fl, e, a, b, c;

	if (k < 0 || n >= tset_nflows(m))
		return -1;
	/* Masks 0..8191 hold one flow each (flows 0..8191); masks 8192.. two. */
	if (n < 8192 || m <= 8192) {
		i = n;
		fl = 0;
	} else {
		i = 8192 + (n - 8192) / 2;
		fl = (n - 8192) % 2;
	}
	a = i % 32 + 1;
	b = (i / 32) % 16 + 1;
	c = (i / 512) % 16 + 1;
	e = i / 8192;
	f->mask_index = i;
	f->ip_src_mask = tset_pfx32(a);
	f->ip_src = TSET_IP_SRC & f->ip_src_mask;
	f->ip_dst_mask = tset_pfx32(16 + (unsigned)k + e);
	f->ip_dst = WSET_IP_BASE | (k ? i << (16 - k) : 0) | (e ? fl << (16 - k - e) : 0);
	f->tp_src_mask = (uint16_t)(tset_pfx32(b) >> 16);
	f->tp_src = (uint16_t)(TSET_SPORT & f->tp_src_mask);
	f->tp_dst_mask = (uint16_t)(tset_pfx32(c) >> 16);
	f->tp_dst = (uint16_t)(TSET_UDP_DST & f->tp_dst_mask);
	return 0;
}

#endif
