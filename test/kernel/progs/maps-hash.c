/* SPDX-License-Identifier: GPL-2.0 */
/* Hash-family maps driven by the packet: bytes 14..21 = op | map << 8 | flags << 16 | key << 32,
 * bytes 22..29 = value. Returns the helper's result (update/delete) or the value read (lookup,
 * 0xffffffff when absent) so the kernel's answer is visible in the XDP return value. */
#include "progs.h"

#define HMAP(name, t, n, f, vt)                 \
	struct {                                \
		__uint(type, t);                \
		__uint(max_entries, n);         \
		__uint(map_flags, f);           \
		__type(key, __u32);             \
		__type(value, vt);              \
	} name SEC(".maps")

HMAP(hash4, BPF_MAP_TYPE_HASH, 4, 0, __u64);
HMAP(hash4np, BPF_MAP_TYPE_HASH, 4, BPF_F_NO_PREALLOC, __u64);
HMAP(lru4, BPF_MAP_TYPE_LRU_HASH, 4, 0, __u64);
HMAP(lru8, BPF_MAP_TYPE_LRU_HASH, 8, 0, __u64);
HMAP(lru16, BPF_MAP_TYPE_LRU_HASH, 16, 0, __u64);
HMAP(lrupc8, BPF_MAP_TYPE_LRU_PERCPU_HASH, 8, 0, __u64);
HMAP(pchash, BPF_MAP_TYPE_PERCPU_HASH, 4, 0, __u64);
HMAP(pcarr, BPF_MAP_TYPE_PERCPU_ARRAY, 4, 0, __u64);
HMAP(arr4, BPF_MAP_TYPE_ARRAY, 4, 0, __u64);
HMAP(lru5, BPF_MAP_TYPE_LRU_HASH, 5, 0, __u32);
HMAP(lrunc6, BPF_MAP_TYPE_LRU_HASH, 6, BPF_F_NO_COMMON_LRU, __u64);
HMAP(lrunc9, BPF_MAP_TYPE_LRU_HASH, 9, BPF_F_NO_COMMON_LRU, __u64);
HMAP(lrupcnc8, BPF_MAP_TYPE_LRU_PERCPU_HASH, 8, BPF_F_NO_COMMON_LRU, __u64);

static __always_inline __u64 op_on(void *map, __u32 op, __u32 flags, __u32 key, __u64 val)
{
	__u64 *p;

	switch (op) {
	case 0:
		return (__u32)bpf_map_update_elem(map, &key, &val, flags);
	case 1:
		p = bpf_map_lookup_elem(map, &key);
		return p ? (__u32)*p : 0xffffffff;
	case 2:
		return (__u32)bpf_map_delete_elem(map, &key);
	case 3:
		p = bpf_map_lookup_elem(map, &key);
		if (!p)
			return 0xffffffff;
		*p += val;
		return (__u32)*p;
	}
	return 0xfffffffe;
}

static __always_inline __u64 op_on32(void *map, __u32 op, __u32 flags, __u32 key, __u32 val)
{
	__u32 *p;

	switch (op) {
	case 0:
		return (__u32)bpf_map_update_elem(map, &key, &val, flags);
	case 1:
		p = bpf_map_lookup_elem(map, &key);
		return p ? *p : 0xffffffff;
	case 2:
		return (__u32)bpf_map_delete_elem(map, &key);
	}
	return 0xfffffffe;
}

struct walk {
	__u64 sum;
	__u32 stop;
	__u32 seen;
};

static long walk_one(void *map, __u32 *key, __u64 *value, struct walk *w)
{
	w->sum += *value * (*key + 1);
	w->seen++;
	*value += 1;
	return *key == w->stop ? 1 : 0;
}

static __always_inline __u64 walk(void *map, __u32 stop, __u32 flags)
{
	struct walk w = { .stop = stop };
	long n = bpf_for_each_map_elem(map, walk_one, &w, flags);

	return ((__u32)n & 0xff) | ((w.seen & 0xff) << 8) | ((__u32)w.sum << 16);
}

SEC("xdp")
int maps_hash(struct xdp_md *ctx)
{
	INPUTS(ctx, a, b);
	__u32 op = a & 0xff, sel = (a >> 8) & 0xff, flags = (a >> 16) & 0xff, key = a >> 32;

	switch (sel) {
	case 0: return op_on(&hash4, op, flags, key, b);
	case 1: return op_on(&hash4np, op, flags, key, b);
	case 2: return op_on(&lru4, op, flags, key, b);
	case 3: return op_on(&lru8, op, flags, key, b);
	case 4: return op_on(&lru16, op, flags, key, b);
	case 5: return op_on(&lrupc8, op, flags, key, b);
	case 6: return op_on(&pchash, op, flags, key, b);
	case 7: return op_on(&pcarr, op, flags, key, b);
	case 8: return op_on(&arr4, op, flags, key, b);
	case 9: return op_on32(&lru5, op, flags, key, b);
	case 10: {
		__u32 k = key;
		__u64 *p = bpf_map_lookup_percpu_elem(&pcarr, &k, flags);
		return p ? (__u32)*p : 0xffffffff;
	}
	case 11:
		return bpf_get_smp_processor_id();
	case 12: return walk(&hash4, key, flags);
	case 13: return walk(&arr4, key, flags);
	case 14: return walk(&pcarr, key, flags);
	case 15: return walk(&lru8, key, flags);
	case 16: return walk(&pchash, key, flags);
	case 17: return op_on(&lrunc6, op, flags, key, b);
	case 18: return op_on(&lrunc9, op, flags, key, b);
	case 19: return op_on(&lrupcnc8, op, flags, key, b);
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
