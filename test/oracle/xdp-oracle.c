// SPDX-License-Identifier: MIT
/*
 * xdp-oracle: runs a capture through an XDP program in the kernel (BPF_PROG_TEST_RUN) and
 * prints what happened, as JSON lines, for differential tests against the xdpreplay VM.
 *
 *   xdp-oracle OBJECT PROGRAM PCAP [--seeds FILE] [--ifindex N] [--rxq N] [--write OUT.pcap]
 *
 * With --write, it is instead the kernel baseline of bench/replay.ts, a syscall-per-packet
 * replay: each output frame goes to OUT.pcap (classic pcap, the input's timestamps; frames the
 * kernel refused are written unchanged), and stdout gets one summary line
 * {"packets":N,"refused":R,"verdicts":[XDP_ABORTED,DROP,PASS,TX,REDIRECT counts]} instead of
 * the per-packet and map lines.
 *
 * Loads every program and map of OBJECT (libbpf), pins itself to CPU 0, applies the seed file,
 * then runs each packet of PCAP (classic pcap, either byte order, µs or ns) once, in order, so
 * map state carries from packet to packet. Output on stdout:
 *   {"i":N,"ret":R,"errno":E,"out":"hex"}         one line per packet; E is 0 or a positive
 *                                                 errno of the test run (e.g. 22 for frames
 *                                                 under 14 bytes); out starts at data_meta
 *   {"map":"name","type":T,"key_size":K,"value_size":V,"percpu":B,"ncpus":C,
 *    "entries":[["keyhex","valuehex"],...]}        one line per readable map, after the run;
 *                                                 arrays in index order, other maps sorted
 *                                                 bytewise by key; per-CPU values are the
 *                                                 values of all C possible CPUs concatenated,
 *                                                 each padded to a multiple of 8 bytes
 *   {"map":"name","type":T,"error":"text"}       a map the kernel refuses to read
 * Seed file lines: `mapname keyhex valuehex` ('#' starts a comment). Global-data maps
 * (`<obj>.rodata`, `.data`, `.bss`, key 00000000) are seeded before the object is loaded, so
 * `const volatile` settings can be changed; other maps after. A per-CPU value given once is
 * copied to every CPU. Fatal problems: a message on stderr and exit status 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#define MAX_FRAME 262144
#define OUT_SIZE (MAX_FRAME + 8192)

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("xdp-oracle: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void print_hex(const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		putchar(digits[p[i] >> 4]);
		putchar(digits[p[i] & 15]);
	}
}

static int parse_hex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(s), i;

	if (n % 2 || n / 2 > cap)
		return -1;
	for (i = 0; i < n / 2; i++) {
		unsigned int byte;

		if (sscanf(s + 2 * i, "%2x", &byte) != 1)
			return -1;
		out[i] = (uint8_t)byte;
	}
	*len = n / 2;
	return 0;
}

static int is_percpu(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH || t == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

static int is_array(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_ARRAY || t == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       t == BPF_MAP_TYPE_PROG_ARRAY || t == BPF_MAP_TYPE_DEVMAP;
}

/* Bytes userspace reads or writes per value (all CPUs for per-CPU maps). */
static size_t value_bytes(const struct bpf_map *map, int ncpus)
{
	size_t v = bpf_map__value_size(map);

	return is_percpu(bpf_map__type(map)) ? ((v + 7) / 8 * 8) * ncpus : v;
}

static void apply_seeds(struct bpf_object *obj, const char *path, int loaded, int ncpus)
{
	char line[65536], name[256], khex[1024], vhex[sizeof(line)];
	uint8_t key[512], *val = malloc(sizeof(line));
	FILE *f = fopen(path, "r");
	int lineno = 0;

	if (!f || !val)
		die("cannot open seed file %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *hash = strchr(line, '#');
		struct bpf_map *map;
		size_t klen, vlen, want;
		int internal;

		lineno++;
		if (hash)
			*hash = 0;
		if (sscanf(line, "%255s %1023s %65535s", name, khex, vhex) != 3)
			continue;
		map = bpf_object__find_map_by_name(obj, name);
		if (!map)
			die("%s:%d: no map named '%s'", path, lineno, name);
		internal = bpf_map__is_internal(map);
		if (internal == loaded)
			continue;
		if (parse_hex(khex, key, sizeof(key), &klen) || parse_hex(vhex, val, sizeof(line) / 2, &vlen))
			die("%s:%d: key and value must be even-length hex", path, lineno);
		if (klen != bpf_map__key_size(map))
			die("%s:%d: map '%s' has %u-byte keys, got %zu", path, lineno, name,
			    bpf_map__key_size(map), klen);
		if (internal) {
			size_t size;
			void *init = (void *)bpf_map__initial_value(map, &size);

			if (!init || vlen != size)
				die("%s:%d: global data '%s' is %zu bytes, got %zu", path, lineno, name, size, vlen);
			if (bpf_map__set_initial_value(map, val, vlen))
				die("%s:%d: cannot set initial value of '%s'", path, lineno, name);
			continue;
		}
		want = value_bytes(map, ncpus);
		if (is_percpu(bpf_map__type(map)) && vlen == bpf_map__value_size(map)) {
			size_t stride = (vlen + 7) / 8 * 8;
			int c;

			for (c = ncpus - 1; c >= 0; c--) {
				memmove(val + c * stride, val, vlen);
				memset(val + c * stride + vlen, 0, stride - vlen);
			}
			vlen = want;
		}
		if (vlen != want)
			die("%s:%d: map '%s' needs %zu-byte values, got %zu", path, lineno, name, want, vlen);
		if (bpf_map_update_elem(bpf_map__fd(map), key, val, BPF_ANY))
			die("%s:%d: update of '%s' failed: %s", path, lineno, name, strerror(errno));
	}
	fclose(f);
	free(val);
}

struct pcap_reader {
	FILE *f;
	int swapped;
	int nanos;
	/* The last record's header, host byte order (for --write). */
	uint32_t ts_sec, ts_frac, orig_len;
};

static uint32_t rd32(const uint8_t *p, int swapped)
{
	uint32_t v = p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;

	return swapped ? __builtin_bswap32(v) : v;
}

static void pcap_open(struct pcap_reader *r, const char *path)
{
	uint8_t hdr[24];
	uint32_t magic;

	r->f = fopen(path, "rb");
	if (!r->f)
		die("cannot open %s: %s", path, strerror(errno));
	if (fread(hdr, 1, sizeof(hdr), r->f) != sizeof(hdr))
		die("%s: shorter than a pcap header", path);
	magic = rd32(hdr, 0);
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
		r->swapped = 0;
	else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
		r->swapped = 1;
	else
		die("%s: not a classic pcap file (magic %08x)", path, magic);
	r->nanos = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
	if (rd32(hdr + 20, r->swapped) != 1)
		die("%s: link type %u is not Ethernet", path, rd32(hdr + 20, r->swapped));
}

/* Returns the captured length of the next packet, or -1 at the end. */
static long pcap_next(struct pcap_reader *r, uint8_t *buf)
{
	uint8_t rec[16];
	size_t got = fread(rec, 1, sizeof(rec), r->f);
	uint32_t caplen;

	if (got == 0)
		return -1;
	if (got != sizeof(rec))
		die("truncated pcap record header");
	caplen = rd32(rec + 8, r->swapped);
	r->ts_sec = rd32(rec, r->swapped);
	r->ts_frac = rd32(rec + 4, r->swapped);
	r->orig_len = rd32(rec + 12, r->swapped);
	if (caplen > MAX_FRAME)
		die("pcap record of %u bytes is larger than %d", caplen, MAX_FRAME);
	if (fread(buf, 1, caplen, r->f) != caplen)
		die("truncated pcap record");
	return caplen;
}

static int cmp_keys_size;

static int cmp_keys(const void *a, const void *b)
{
	return memcmp(a, b, cmp_keys_size);
}

static void dump_map(const struct bpf_map *map, int ncpus)
{
	enum bpf_map_type type = bpf_map__type(map);
	size_t ks = bpf_map__key_size(map), vs = value_bytes(map, ncpus), n = 0, cap = 64, i;
	uint8_t *keys = malloc(cap * ks), *val = malloc(vs), *cur = malloc(ks);
	int fd = bpf_map__fd(map), err = 0, first = 1;

	if (!keys || !val || !cur)
		die("out of memory");
	if (is_array(type) && ks == 4) {
		uint32_t k;

		for (k = 0; k < bpf_map__max_entries(map); k++) {
			if (n == cap)
				keys = realloc(keys, (cap *= 2) * ks);
			memcpy(keys + n++ * ks, &k, 4);
		}
	} else {
		void *prev = NULL;

		while (bpf_map_get_next_key(fd, prev, cur) == 0) {
			if (n == cap)
				keys = realloc(keys, (cap *= 2) * ks);
			memcpy(keys + n++ * ks, cur, ks);
			prev = keys + (n - 1) * ks;
		}
		cmp_keys_size = (int)ks;
		qsort(keys, n, ks, cmp_keys);
	}

	printf("{\"map\":\"%s\",\"type\":%d,\"key_size\":%zu,\"value_size\":%u,\"percpu\":%s,\"ncpus\":%d,\"entries\":[",
	       bpf_map__name(map), type, ks, bpf_map__value_size(map), is_percpu(type) ? "true" : "false",
	       is_percpu(type) ? ncpus : 1);
	for (i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(fd, keys + i * ks, val)) {
			/* Empty DEVMAP / PROG_ARRAY slots read as ENOENT: leave them out. */
			if (errno == ENOENT)
				continue;
			err = errno;
			break;
		}
		printf("%s[\"", first ? "" : ",");
		first = 0;
		print_hex(keys + i * ks, ks);
		printf("\",\"");
		print_hex(val, vs);
		printf("\"]");
	}
	printf("]}\n");
	if (err)
		printf("{\"map\":\"%s\",\"type\":%d,\"error\":\"%s\"}\n", bpf_map__name(map), type, strerror(err));
	free(keys);
	free(val);
	free(cur);
}

int main(int argc, char **argv)
{
	const char *obj_path, *prog_name, *pcap_path, *seeds = NULL, *write_path = NULL;
	unsigned long verdicts[5] = { 0 }, refused = 0;
	FILE *wf = NULL;
	long ifindex = -1, rxq = -1, len;
	struct pcap_reader reader;
	struct bpf_program *prog;
	struct bpf_object *obj;
	struct bpf_map *map;
	uint8_t *in, *out;
	cpu_set_t cpus;
	int ncpus, fd, i, err;

	if (argc < 4)
		die("usage: xdp-oracle OBJECT PROGRAM PCAP [--seeds FILE] [--ifindex N] [--rxq N] [--write OUT.pcap]");
	obj_path = argv[1];
	prog_name = argv[2];
	pcap_path = argv[3];
	for (i = 4; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--seeds"))
			seeds = argv[i + 1];
		else if (!strcmp(argv[i], "--ifindex"))
			ifindex = strtol(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--rxq"))
			rxq = strtol(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--write"))
			write_path = argv[i + 1];
		else
			die("unknown option %s", argv[i]);
	}
	if (i != argc)
		die("option %s needs a value", argv[i]);

	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		die("cannot pin to CPU 0: %s", strerror(errno));
	libbpf_set_print(quiet_print);
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0)
		die("cannot count possible CPUs");

	obj = bpf_object__open_file(obj_path, NULL);
	if (!obj)
		die("cannot open %s: %s", obj_path, strerror(errno));
	if (seeds)
		apply_seeds(obj, seeds, 0, ncpus);
	if (bpf_object__load(obj))
		die("cannot load %s: %s", obj_path, strerror(errno));
	if (seeds)
		apply_seeds(obj, seeds, 1, ncpus);
	prog = bpf_object__find_program_by_name(obj, prog_name);
	if (!prog)
		die("no program named '%s' in %s", prog_name, obj_path);
	fd = bpf_program__fd(prog);

	in = malloc(MAX_FRAME);
	out = malloc(OUT_SIZE);
	if (!in || !out)
		die("out of memory");
	pcap_open(&reader, pcap_path);
	if (write_path) {
		/* Host-order pcap with the input's timestamp unit (timestamps are copied), Ethernet. */
		uint32_t hdr[6] = { reader.nanos ? 0xa1b23c4d : 0xa1b2c3d4, 2 | 4 << 16, 0, 0, MAX_FRAME, 1 };

		wf = fopen(write_path, "wb");
		if (!wf || fwrite(hdr, 1, sizeof(hdr), wf) != sizeof(hdr))
			die("cannot write %s: %s", write_path, strerror(errno));
	}
	for (i = 0; (len = pcap_next(&reader, in)) >= 0; i++) {
		struct xdp_md ctx = {
			.data_end = (uint32_t)len,
			.ingress_ifindex = ifindex > 0 ? (uint32_t)ifindex : 0,
			.rx_queue_index = rxq > 0 ? (uint32_t)rxq : 0,
		};
		LIBBPF_OPTS(bpf_test_run_opts, opts,
			.data_in = in,
			.data_size_in = (uint32_t)len,
			.data_out = out,
			.data_size_out = OUT_SIZE,
			.repeat = 1,
		);

		if (ifindex > 0 || rxq > 0) {
			opts.ctx_in = &ctx;
			opts.ctx_size_in = sizeof(ctx);
		}
		err = bpf_prog_test_run_opts(fd, &opts);
		if (wf) {
			const uint8_t *frame = err ? in : out;
			uint32_t n = err ? (uint32_t)len : opts.data_size_out;
			uint32_t rec[4] = { reader.ts_sec, reader.ts_frac, n, err ? reader.orig_len : n };

			if (err)
				refused++;
			else if (opts.retval < 5)
				verdicts[opts.retval]++;
			if (fwrite(rec, 1, sizeof(rec), wf) != sizeof(rec) || fwrite(frame, 1, n, wf) != n)
				die("cannot write %s: %s", write_path, strerror(errno));
			continue;
		}
		printf("{\"i\":%d,\"ret\":%u,\"errno\":%d,\"out\":\"", i, err ? 0 : opts.retval, err ? -err : 0);
		if (!err)
			print_hex(out, opts.data_size_out);
		printf("\"}\n");
	}
	fclose(reader.f);
	if (wf) {
		if (fclose(wf))
			die("cannot write %s: %s", write_path, strerror(errno));
		printf("{\"packets\":%d,\"refused\":%lu,\"verdicts\":[%lu,%lu,%lu,%lu,%lu]}\n", i, refused,
		       verdicts[0], verdicts[1], verdicts[2], verdicts[3], verdicts[4]);
		bpf_object__close(obj);
		free(in);
		free(out);
		return 0;
	}

	bpf_object__for_each_map(map, obj)
		dump_map(map, ncpus);
	bpf_object__close(obj);
	free(in);
	free(out);
	return 0;
}
