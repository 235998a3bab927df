// SPDX-License-Identifier: GPL-2.0
/* Atomics on map values: add (all CPUs), fetch/or/and/xor/xchg/cmpxchg (v3). */
#include "progs.h"

SEC("xdp")
int atomics(struct xdp_md *ctx)
{
	INPUTS(ctx, a, b);
	__u32 k0 = 0, k1 = 1, k2 = 2;
	__u64 *p = bpf_map_lookup_elem(&res, &k0);
	__u64 *q = bpf_map_lookup_elem(&res, &k1);
	__u64 *r = bpf_map_lookup_elem(&res, &k2);
	if (!p || !q || !r)
		return XDP_ABORTED;
	__sync_fetch_and_add(p, a);
	__sync_fetch_and_add((__u32 *)q, (__u32)b);
#if __BPF_CPU_VERSION__ >= 3
	put(3, __sync_fetch_and_add(p, 1));
	put(4, __sync_fetch_and_or(q, a));
	put(5, __sync_fetch_and_and(r, b | 0xff));
	put(6, __sync_fetch_and_xor(r, a));
	put(7, __sync_lock_test_and_set(p, b));
	put(8, __sync_val_compare_and_swap(q, a, b));
	put(9, __sync_val_compare_and_swap((__u32 *)r, (__u32)a, (__u32)b));
	__sync_fetch_and_or((__u32 *)q, (__u32)a);
	__sync_fetch_and_xor((__u32 *)r, (__u32)b);
#endif
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
