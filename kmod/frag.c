// SPDX-License-Identifier: GPL-2.0
/*
 * Buffers for the messages and packets the datapath makes itself: upcall
 * messages (upcall.c) and EXECUTE's copy of a packet from a batched request
 * (skb.c). Each is a fragment of one of this CPU's pages, instead of a
 * kmalloc'd head, whose whole size bucket is zeroed under init_on_alloc
 * (Debian's default), or a fragment of the netdev fragment cache, which
 * clears a fresh page whenever the one it carves from still has a buffer in
 * use when it fills, as it does with a handler's batch of upcalls queued.
 *
 * Each CPU keeps FRAG_PAGES compound pages and carves buffers from one until
 * it is full, then moves to the next. A page none of whose buffers is left
 * (only the ring's own reference held) is carved again from its start, so a
 * steady stream of upcalls allocates and clears no memory at all; a page
 * with a buffer still in use is let go (its last buffer frees it) and a
 * fresh page takes its place.
 *
 * References as page_frag_cache's: a page starts with 1 + FRAG_BIAS, the
 * ring's one and the ones it hands out, one per buffer (put by
 * skb_free_frag() when the skb is freed). When the page fills, the ones not
 * handed out are returned at once, leaving 1 + the buffers still in use.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/skbuff.h>

#include "kmod/compat.h"
#include "kmod/kmod.h"

#define FRAG_PAGE_ORDER 3 /* 32 KiB */
#define FRAG_PAGE_SIZE (PAGE_SIZE << FRAG_PAGE_ORDER)
#define FRAG_PAGES 2
#define FRAG_BIAS (FRAG_PAGE_SIZE / SMP_CACHE_BYTES) /* >= buffers per page */

struct frag_page {
	struct page *page;
	unsigned int offset; /* first free byte */
	unsigned int bias;   /* references not handed out yet */
};

struct frag_pages {
	struct frag_page p[FRAG_PAGES];
	unsigned int cur;
};

static DEFINE_PER_CPU(struct frag_pages, frag_pages);

/* fp's page carved again from its start if none of its buffers is left,
 * else let go and replaced by a fresh page. false: no page (fp is empty). */
static bool frag_page_refill(struct frag_page *fp)
{
	struct page *page = fp->page;

	if (page) {
		if (page_ref_count(page) == 1) /* the ring's reference only */
			goto reuse;
		put_page(page);
		fp->page = NULL;
	}
	page = alloc_pages(GFP_ATOMIC | __GFP_COMP | __GFP_NOWARN | __GFP_NORETRY, FRAG_PAGE_ORDER);
	if (!page)
		return false;
	/* From the emergency reserves: an skb on it is one that sk_filter()
	 * drops for any socket but a SOCK_MEMALLOC one. */
	if (unlikely(page_is_pfmemalloc(page))) {
		__free_pages(page, FRAG_PAGE_ORDER);
		return false;
	}
	fp->page = page;
reuse:
	page_ref_add(page, FRAG_BIAS);
	fp->offset = 0;
	fp->bias = FRAG_BIAS;
	return true;
}

/* fragsz bytes (SKB_DATA_ALIGN'ed by the caller) of this CPU's pages, or
 * NULL. Any context but hard interrupts. */
static void *frag_alloc(unsigned int fragsz)
{
	struct frag_pages *pp;
	struct frag_page *fp;
	void *data = NULL;

	if (unlikely(fragsz > FRAG_PAGE_SIZE || in_hardirq() || irqs_disabled()))
		return NULL;
	local_bh_disable();
	pp = this_cpu_ptr(&frag_pages);
	fp = &pp->p[pp->cur];
	if (unlikely(!fp->page || fp->offset + fragsz > FRAG_PAGE_SIZE || !fp->bias)) {
		if (fp->page) { /* full: return what it did not hand out */
			page_ref_sub(fp->page, fp->bias);
			fp->bias = 0;
		}
		pp->cur = (pp->cur + 1) % FRAG_PAGES;
		fp = &pp->p[pp->cur];
		if (!frag_page_refill(fp))
			goto out;
	}
	data = page_address(fp->page) + fp->offset;
	fp->offset += fragsz;
	fp->bias--;
out:
	local_bh_enable();
	return data;
}

struct sk_buff *ovsdp_frag_skb(unsigned int size)
{
	unsigned int fragsz = SKB_DATA_ALIGN(size) + SKB_DATA_ALIGN(sizeof(struct skb_shared_info));
	struct sk_buff *skb;
	void *data;

	if (fragsz > PAGE_SIZE)
		return NULL;
	data = frag_alloc(fragsz);
	if (!data)
		return NULL;
	skb = build_skb(data, fragsz);
	if (!skb) {
		skb_free_frag(data);
		return NULL;
	}
	return skb;
}

void ovsdp_frag_exit(void)
{
	int cpu, i;

	for_each_possible_cpu(cpu) {
		struct frag_pages *pp = per_cpu_ptr(&frag_pages, cpu);

		for (i = 0; i < FRAG_PAGES; i++) {
			struct frag_page *fp = &pp->p[i];

			/* Buffers still in use keep their page until freed. */
			if (fp->page)
				__page_frag_cache_drain(fp->page, fp->bias + 1);
			fp->page = NULL;
		}
	}
}
