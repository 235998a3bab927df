/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tail calls made inside a bpf-to-bpf function: the target runs in the function's frame, and
 * its exit returns to the function's caller, which goes on with its own callee-saved registers
 * and stack. An empty slot falls through inside the function.
 */
#include "progs.h"

int tc_target_a(struct xdp_md *ctx);
int tc_target_b(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__array(values, int (struct xdp_md *));
} tc_table SEC(".maps") = {
	.values = {
		[0] = (void *)&tc_target_a,
		[1] = (void *)&tc_target_b,
	},
};

SEC("xdp")
int tc_target_a(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *b = data;

	if (data + 16 > data_end)
		return XDP_ABORTED;
	b[15] ^= 0x5a;
	put(1, b[14]);
	return b[14] & 3;
}

SEC("xdp")
int tc_target_b(struct xdp_md *ctx)
{
	put(2, 77);
	return 40;
}

static __attribute__((noinline)) int try_slot(struct xdp_md *ctx, __u32 slot)
{
	volatile __u64 local = slot * 3 + 1;

	bpf_tail_call(ctx, &tc_table, slot);
	return 100 + (int)local;
}

SEC("xdp")
int tc_subprog(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 keep;
	__u32 slot;
	int r;

	if (data + 15 > data_end)
		return XDP_PASS;
	/* Lives in a callee-saved register across the call (and the tail call inside it). */
	keep = 0x1122334455667788ULL ^ ((__u8 *)data)[14];
	slot = (((__u8 *)data)[14] >> 4) & 3;
	r = try_slot(ctx, slot);
	put(0, (__u64)r);
	put(3, keep + (__u64)r);
	if (r >= 100)
		return XDP_DROP;
	if (r == 40)
		return XDP_TX;
	return r;
}

char _license[] SEC("license") = "GPL";
