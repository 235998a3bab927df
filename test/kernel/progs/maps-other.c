/* SPDX-License-Identifier: GPL-2.0 */
/* LPM trie, queue, stack and ring buffer driven by the packet: bytes 14..21 =
 * op | flags << 8 | prefixlen << 16 | key << 32 (key in network order for the trie),
 * bytes 22..29 = value. Returns the helper's result or the value read. */
#include "progs.h"

struct lpm_key {
	__u32 prefixlen;
	__u32 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 6);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_key);
	__type(value, __u64);
} lpm SEC(".maps");

struct lpm6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm6_key);
	__type(value, __u64);
} lpm6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 4);
	__type(value, __u64);
} fifo SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 4);
	__type(value, __u32);
} lifo SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} perf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 64);
	__type(value, __u32);
} bloom SEC(".maps");

SEC("xdp")
int maps_other(struct xdp_md *ctx)
{
	INPUTS(ctx, a, b);
	__u32 op = a & 0xff, flags = (a >> 8) & 0xff, plen = (a >> 16) & 0xffff, key = a >> 32;
	struct lpm_key k = { .prefixlen = plen, .addr = key };
	__u64 v = b, *p;
	__u32 v32 = b;
	long r;

	switch (op) {
	case 0: return (__u32)bpf_map_update_elem(&lpm, &k, &v, flags);
	case 1:
		p = bpf_map_lookup_elem(&lpm, &k);
		return p ? (__u32)*p : 0xffffffff;
	case 2: return (__u32)bpf_map_delete_elem(&lpm, &k);
	case 3: return (__u32)bpf_map_push_elem(&fifo, &v, flags);
	case 4:
		v = 77;
		r = bpf_map_pop_elem(&fifo, &v);
		return r ? (__u32)r ^ ((__u32)v << 24) : (__u32)v;
	case 5:
		v = 77;
		r = bpf_map_peek_elem(&fifo, &v);
		return r ? (__u32)r ^ ((__u32)v << 24) : (__u32)v;
	case 6: return (__u32)bpf_map_push_elem(&lifo, &v32, flags);
	case 7:
		v32 = 77;
		r = bpf_map_pop_elem(&lifo, &v32);
		return r ? (__u32)r ^ (v32 << 24) : v32;
	case 8:
		v32 = 77;
		r = bpf_map_peek_elem(&lifo, &v32);
		return r ? (__u32)r ^ (v32 << 24) : v32;
	case 9: { /* reserve a fixed size by flags; submit (key 0) or discard (key 1); return positions */
		void *s;
		__u64 before = bpf_ringbuf_query(&rb, BPF_RB_PROD_POS);
		switch (flags) {
		case 0: s = bpf_ringbuf_reserve(&rb, 8, 0); break;
		case 1: s = bpf_ringbuf_reserve(&rb, 100, 0); break;
		case 2: s = bpf_ringbuf_reserve(&rb, 1000, 0); break;
		case 3: s = bpf_ringbuf_reserve(&rb, 3000, 0); break;
		case 4: s = bpf_ringbuf_reserve(&rb, 4088, 0); break;
		default: s = bpf_ringbuf_reserve(&rb, 8, 1); break;
		}
		if (!s)
			return 0x80000000 | (__u32)bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA);
		*(__u64 *)s = v;
		if (key)
			bpf_ringbuf_discard(s, 0);
		else
			bpf_ringbuf_submit(s, 0);
		return (__u32)(bpf_ringbuf_query(&rb, BPF_RB_PROD_POS) - before) |
		       ((__u32)bpf_ringbuf_query(&rb, BPF_RB_RING_SIZE) << 16);
	}
	case 10: { /* ringbuf_output of 0..16 bytes from the stack with wakeup flags */
		__u64 buf[2] = { v, v };
		__u32 n = key & 15;
		return (__u32)bpf_ringbuf_output(&rb, buf, n, flags);
	}
	case 11:
		return (__u32)bpf_ringbuf_query(&rb, flags);
	case 12: /* perf_event_output: flags byte = index (255 → current CPU), key = ctx len */
		return (__u32)bpf_perf_event_output(ctx, &perf,
			(flags == 255 ? BPF_F_CURRENT_CPU : flags) | ((__u64)key << 32), &v, 8);
	case 13:
		return (__u32)bpf_perf_event_output(ctx, &perf, 1ULL << 52, &v, 8);
	case 14: return (__u32)bpf_map_push_elem(&bloom, &v32, flags);
	case 15: return (__u32)bpf_map_peek_elem(&bloom, &v32);
	case 17: /* lpm6: address = value (8 bytes) + key (4 bytes) + 4 zero bytes; update stores a */
	case 18: {
		struct lpm6_key k6 = { .prefixlen = plen };

		__builtin_memcpy(k6.addr, &b, 8);
		__builtin_memcpy(k6.addr + 8, &key, 4);
		if (op == 17)
			return (__u32)bpf_map_update_elem(&lpm6, &k6, &a, flags);
		p = bpf_map_lookup_elem(&lpm6, &k6);
		return p ? (__u32)(*p >> 16) : 0xffffffff;
	}
	case 16: { /* reserve_dynptr of key bytes (flags byte = flags), write v, submit (value 0) or discard */
		struct bpf_dynptr d;
		__u64 before = bpf_ringbuf_query(&rb, BPF_RB_PROD_POS);

		r = bpf_ringbuf_reserve_dynptr(&rb, key, flags, &d);
		long w = bpf_dynptr_write(&d, 0, &v, 8, 0);
		if (b)
			bpf_ringbuf_discard_dynptr(&d, 0);
		else
			bpf_ringbuf_submit_dynptr(&d, 0);
		return ((__u32)r & 0xff) | (((__u32)w & 0xff) << 8) |
		       ((__u32)(bpf_ringbuf_query(&rb, BPF_RB_PROD_POS) - before) << 16);
	}
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
