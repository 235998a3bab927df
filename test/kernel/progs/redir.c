// SPDX-License-Identifier: GPL-2.0
/* redirect / redirect_map with packet-controlled keys and flags over a DEVMAP. */
#include "progs.h"

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} ports SEC(".maps");

SEC("xdp")
int redir(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	if (data + 26 > data_end)
		return XDP_PASS;
	__u32 key = *(__u32 *)(data + 14);
	__u64 flags = *(__u64 *)(data + 18) & 0xffffffffffULL;
	if (*(__u8 *)(data + 23) == 0x77)
		return bpf_redirect(key, flags);
	long r = bpf_redirect_map(&ports, key, flags);
	put(0, r);
	return r;
}

char LICENSE[] SEC("license") = "GPL";
