// SPDX-License-Identifier: GPL-2.0
/* bpf_csum_diff over the packet with sizes 0..24 (odd ones too) and packet-controlled seeds. */
#include "progs.h"

#define DIFF(i, fs, ts)                                                              \
	put(i, bpf_csum_diff((__be32 *)(data + 14), fs, (__be32 *)(data + 40), ts, seed))

SEC("xdp")
int csum(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	if (data + 64 > data_end)
		return XDP_PASS;
	__u32 seed = *(__u32 *)(data + 60);
	DIFF(0, 0, 4);
	DIFF(1, 4, 0);
	DIFF(2, 4, 4);
	DIFF(3, 1, 3);
	DIFF(4, 2, 0);
	DIFF(5, 0, 5);
	DIFF(6, 7, 9);
	DIFF(7, 8, 8);
	DIFF(8, 20, 20);
	DIFF(9, 24, 3);
	DIFF(10, 0, 0);
	DIFF(11, 13, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
