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

#endif
