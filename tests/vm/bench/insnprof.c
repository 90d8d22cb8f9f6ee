// SPDX-License-Identifier: GPL-2.0
/*
 * insnprof: a QEMU TCG plugin that counts the guest instructions executed at
 * each translation block, between markers the guest sets, for exact
 * per-function instruction counts of a workload (scripts/insnprof.py maps the
 * addresses to the guest's /proc/kallsyms).  Counts agree with -icount's
 * (a `rep` string instruction counts once per iteration: each iteration
 * re-enters its block).
 *
 * The marker is a NOP no compiler emits, `nopl 0x4f56534c(%rax)` (bytes
 * 0f 1f 80 4c 53 56 4f, "LSVO"); ovsbench runs it around a timed pass.  Each
 * time a marker executes, the counts since the previous marker are written
 * to OUT.N (N = 1, 2, ...) as lines "vaddr insns_in_block executions", and
 * reset.  At exit the rest goes to OUT.N as well.
 *
 *   qemu-system-x86_64 ... -plugin tests/vm/bench/insnprof.so,out=/path/prefix
 *
 * Built against QEMU 7.2's plugin API (version 1); only the calls below are
 * used, declared here as that API defines them.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
typedef struct qemu_info_t qemu_info_t;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op, void *ptr,
					      uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
					    enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* One translation of a block; blocks are retranslated after a flush, so one
 * address may have several records (summed when written). Records live in
 * chunks that never move: the generated code adds to their counters. */
struct rec {
	uint64_t vaddr;
	uint64_t count;
	uint32_t n_insns;
};

#define CHUNK 65536
struct chunk {
	struct rec recs[CHUNK];
	size_t used;
	struct chunk *next;
};

static const uint8_t marker[] = { 0x0f, 0x1f, 0x80, 0x4c, 0x53, 0x56, 0x4f };
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct chunk *chunks;
static char out_prefix[4096] = "insnprof";
static unsigned windows;

static struct rec *rec_new(uint64_t vaddr, uint32_t n)
{
	struct rec *r;

	if (!chunks || chunks->used == CHUNK) {
		struct chunk *c = calloc(1, sizeof(*c));

		if (!c)
			abort();
		c->next = chunks;
		chunks = c;
	}
	r = &chunks->recs[chunks->used++];
	r->vaddr = vaddr;
	r->n_insns = n;
	return r;
}

/* Writes and resets the counts since the last window (lock held). */
static void window_dump(void)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s.%u", out_prefix, ++windows);
	f = fopen(path, "w");
	for (struct chunk *c = chunks; c; c = c->next) {
		for (size_t i = 0; i < c->used; i++) {
			struct rec *r = &c->recs[i];

			if (r->count && f)
				fprintf(f, "%" PRIx64 " %u %" PRIu64 "\n", r->vaddr, r->n_insns, r->count);
			r->count = 0;
		}
	}
	if (f)
		fclose(f);
}

static void on_marker(unsigned int vcpu, void *udata)
{
	(void)vcpu;
	(void)udata;
	pthread_mutex_lock(&lock);
	window_dump();
	pthread_mutex_unlock(&lock);
}

static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);
	struct rec *r;

	(void)id;
	pthread_mutex_lock(&lock);
	r = rec_new(qemu_plugin_tb_vaddr(tb), (uint32_t)n);
	pthread_mutex_unlock(&lock);
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &r->count, 1);
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		if (qemu_plugin_insn_size(insn) == sizeof(marker) &&
		    !memcmp(qemu_plugin_insn_data(insn), marker, sizeof(marker)))
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker, QEMU_PLUGIN_CB_NO_REGS, NULL);
	}
}

static void on_atexit(qemu_plugin_id_t id, void *udata)
{
	(void)id;
	(void)udata;
	pthread_mutex_lock(&lock);
	window_dump();
	pthread_mutex_unlock(&lock);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
							       int argc, char **argv)
{
	(void)info;
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4)) {
			snprintf(out_prefix, sizeof(out_prefix), "%s", argv[i] + 4);
		} else {
			fprintf(stderr, "insnprof: unknown argument %s (out=PREFIX)\n", argv[i]);
			return -1;
		}
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_trans);
	qemu_plugin_register_atexit_cb(id, on_atexit, NULL);
	return 0;
}
