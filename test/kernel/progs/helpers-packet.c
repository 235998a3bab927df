// SPDX-License-Identifier: GPL-2.0
/* xdp_get_buff_len, xdp_load_bytes / xdp_store_bytes (linear part and fragments, bad offsets),
 * check_mtu (devices 0, 1 and a missing one; lengths and len_diff from the packet). */
#include "progs.h"

/* Results go to the res map (final state) and into the frame at byte 40 + 8 * i (per packet). */
#define R(i, v) (r[i] = (v), put(i, r[i]))

SEC("xdp.frags")
int packet(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	if (data + 34 > data_end)
		return XDP_PASS;
	__u32 off = *(__u16 *)(data + 14);
	__u32 off2 = *(__u16 *)(data + 16) | ((__u32)*(__u8 *)(data + 18) << 16);
	__s32 diff = *(__s32 *)(data + 20);
	__u32 given = *(__u32 *)(data + 24);
	__u8 mode = *(__u8 *)(data + 28);
	__u8 buf[40] = {};
	__u64 sum = 0;
	__u64 r[16] = {};

	R(0, bpf_xdp_get_buff_len(ctx));
	R(1, bpf_xdp_load_bytes(ctx, off, buf, 16));
	for (int i = 0; i < 16; i++)
		sum = sum * 257 + buf[i];
	R(2, sum);
	R(3, bpf_xdp_load_bytes(ctx, off2, buf, 40));
	sum = 0;
	for (int i = 0; i < 40; i++)
		sum = sum * 257 + buf[i];
	R(4, sum);
	for (int i = 0; i < 40; i++)
		buf[i] = i + 0xa0;
	if (mode & 1)
		R(5, bpf_xdp_store_bytes(ctx, off, buf, 7));
	if (mode & 2)
		R(6, bpf_xdp_store_bytes(ctx, off2, buf, 33));
	R(7, bpf_xdp_get_buff_len(ctx));

	__u32 mtu = given;
	R(8, bpf_check_mtu(ctx, 0, &mtu, diff, 0));
	R(9, mtu);
	mtu = given;
	R(10, bpf_check_mtu(ctx, 1, &mtu, diff, 0));
	R(11, mtu);
	mtu = 0;
	R(12, bpf_check_mtu(ctx, 0x7ffffff0, &mtu, 0, 0));
	R(13, mtu);
	mtu = given;
	R(14, bpf_check_mtu(ctx, 0, &mtu, 0, mode >> 7));
	R(15, mtu);
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	for (int i = 0; i < 16; i++) {
		__u64 *p = data + 40 + 8 * i;
		if ((void *)(p + 1) > data_end)
			break;
		*p = r[i];
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
