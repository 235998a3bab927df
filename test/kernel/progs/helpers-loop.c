// SPDX-License-Identifier: GPL-2.0
/* bpf_loop: packet-controlled iteration counts, early stop, flags, the 2^23 cap, and a callback
 * that calls a helper and writes the packet through its context. */
#include "progs.h"

struct loop_ctx {
	__u64 sum;
	__u32 stop_at;
	__u32 calls;
	void *data;
	void *data_end;
};

static long body(__u32 i, void *arg)
{
	struct loop_ctx *c = arg;
	c->calls++;
	c->sum = c->sum * 31 + i;
	if (c->data + 40 + (i & 7) + 1 <= c->data_end)
		*(__u8 *)(c->data + 40 + (i & 7)) += (__u8)i;
	if (i == c->stop_at)
		return 1;
	return 0;
}

static long count_cpu(__u32 i, void *arg)
{
	*(__u64 *)arg += bpf_get_smp_processor_id() + 1;
	return 0;
}

SEC("xdp")
int loops(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	if (data + 40 > data_end)
		return XDP_PASS;
	__u32 nr = *(__u32 *)(data + 14);
	__u32 stop = *(__u32 *)(data + 18);
	__u64 flags = *(__u8 *)(data + 22);
	struct loop_ctx c = { .stop_at = stop, .data = data, .data_end = data_end };
	long r = bpf_loop(nr, body, &c, flags);
	put(0, r);
	put(1, c.sum);
	put(2, c.calls);
	__u64 n = 0;
	long r3 = bpf_loop(*(__u8 *)(data + 23), count_cpu, &n, 0);
	put(3, r3);
	put(4, n);
	/* per packet: the results into the frame at byte 48 */
	__u64 res5[5] = { r, c.sum, c.calls, r3, n };
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	for (int i = 0; i < 5; i++) {
		__u64 *p = data + 48 + 8 * i;
		if ((void *)(p + 1) > data_end)
			break;
		*p = res5[i];
	}
	return r < 0 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
