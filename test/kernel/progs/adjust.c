// SPDX-License-Identifier: GPL-2.0
/* adjust_head/tail/meta with packet-controlled amounts; helper results go to the result map. */
#include "progs.h"

SEC("xdp")
int adjust(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	if (data + 20 > data_end)
		return XDP_PASS;
	__s16 head = *(__s16 *)(data + 14);
	__s16 tail = *(__s16 *)(data + 16);
	__s8 meta = *(__s8 *)(data + 18);
	__u8 order = *(__u8 *)(data + 19);
	long r1, r2, r3;
	if (order & 1) {
		r3 = bpf_xdp_adjust_meta(ctx, meta);
		r1 = bpf_xdp_adjust_head(ctx, head);
	} else {
		r1 = bpf_xdp_adjust_head(ctx, head);
		r3 = bpf_xdp_adjust_meta(ctx, meta);
	}
	r2 = bpf_xdp_adjust_tail(ctx, tail);
	put(0, r1);
	put(1, r2);
	put(2, r3);
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	void *data_meta = (void *)(long)ctx->data_meta;
	put(3, data_end - data);
	put(4, data - data_meta);
	if (data_meta + 4 <= data)
		*(__u32 *)data_meta = 0xfeedf00d;
	if (data + 2 <= data_end)
		*(__u16 *)data = 0xbeef;
	if (order & 2)
		bpf_xdp_adjust_tail(ctx, 8);	/* re-grow: zero-filled */
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
