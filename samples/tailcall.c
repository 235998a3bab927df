// SPDX-License-Identifier: GPL-2.0
/*
 * A protocol dispatcher built on tail calls.
 *
 * xdp_dispatch reads the EtherType and tail-calls through the `jmp_table` PROG_ARRAY:
 *   slot 0: xdp_ipv4   drops IPv4 packets whose TTL is 0 or 1, passes the rest,
 *   slot 1: xdp_ipv6   drops IPv6 packets whose hop limit is 0 or 1, passes the rest,
 *   slot 2: (empty)    ARP is sent here; the tail call fails and the dispatcher falls through,
 *   slot 3: xdp_chain  EtherType 0x88b5 (local experimental); it counts itself and tail-calls
 *                      its own slot until the kernel's limit of 33 tail calls stops it.
 * Frames of any other EtherType, and every tail call that falls through, pass; `hits` counts
 * per slot how often each program ran (index 4 counts fall-throughs).
 */
#include "common.h"

#define SLOT_IPV4 0
#define SLOT_IPV6 1
#define SLOT_ARP 2
#define SLOT_CHAIN 3
#define FALLTHROUGH 4
#define ETH_P_LOCAL_EXP1 0x88b5

int xdp_ipv4(struct xdp_md *ctx);
int xdp_ipv6(struct xdp_md *ctx);
int xdp_chain(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__array(values, int (struct xdp_md *));
} jmp_table SEC(".maps") = {
	.values = {
		[SLOT_IPV4] = (void *)&xdp_ipv4,
		[SLOT_IPV6] = (void *)&xdp_ipv6,
		[SLOT_CHAIN] = (void *)&xdp_chain,
	},
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FALLTHROUGH + 1);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

static __always_inline void count(__u32 slot)
{
	__u64 *cnt = bpf_map_lookup_elem(&hits, &slot);

	if (cnt)
		*cnt += 1;
}

SEC("xdp")
int xdp_dispatch(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 slot;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	switch (bpf_ntohs(eth->h_proto)) {
	case ETH_P_IP:
		slot = SLOT_IPV4;
		break;
	case ETH_P_IPV6:
		slot = SLOT_IPV6;
		break;
	case ETH_P_ARP:
		slot = SLOT_ARP;
		break;
	case ETH_P_LOCAL_EXP1:
		slot = SLOT_CHAIN;
		break;
	default:
		return XDP_PASS;
	}
	bpf_tail_call(ctx, &jmp_table, slot);
	/* Only reached when the slot is empty. */
	count(FALLTHROUGH);
	return XDP_PASS;
}

SEC("xdp")
int xdp_ipv4(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);

	count(SLOT_IPV4);
	if ((void *)(ip + 1) > data_end)
		return XDP_DROP;
	return ip->ttl <= 1 ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xdp_ipv6(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ipv6hdr *ip6 = data + sizeof(struct ethhdr);

	count(SLOT_IPV6);
	if ((void *)(ip6 + 1) > data_end)
		return XDP_DROP;
	return ip6->hop_limit <= 1 ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xdp_chain(struct xdp_md *ctx)
{
	count(SLOT_CHAIN);
	bpf_tail_call(ctx, &jmp_table, SLOT_CHAIN);
	/* The tail-call limit was reached. */
	count(FALLTHROUGH);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
