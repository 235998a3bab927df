// SPDX-License-Identifier: GPL-2.0
/*
 * Configuration and statistics in global variables instead of maps.
 *
 *   .rodata (const volatile, set before load): the largest frame accepted, whether IPv6 is
 *           allowed, and the MAC address of this host;
 *   .data   (initialised, writable at run time): the minimum TTL, and a generation number the
 *           program bumps whenever it sees a frame addressed to this host's MAC;
 *   .bss    (zeroed): packet, byte and per-verdict counters.
 * Verdicts: frames longer than max_frame_len and IPv4 packets with TTL below min_ttl are dropped;
 * IPv6 is dropped when allow_ipv6 is false; everything else passes.
 */
#include "common.h"

const volatile __u32 max_frame_len = 1514;
const volatile _Bool allow_ipv6 = 1;
const volatile __u8 host_mac[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

__u8 min_ttl = 2;
__u32 generation = 1;

__u64 packets;
__u64 bytes;
__u64 to_host;
__u64 verdicts[XDP_REDIRECT + 1];

static __always_inline int verdict(int action)
{
	verdicts[action]++;
	return action;
}

SEC("xdp")
int xdp_globals(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 len = data_end - data;
	int i, mine = 1;

	packets++;
	bytes += len;
	if (len > max_frame_len)
		return verdict(XDP_DROP);
	if ((void *)(eth + 1) > data_end)
		return verdict(XDP_DROP);

	for (i = 0; i < ETH_ALEN; i++)
		if (eth->h_dest[i] != host_mac[i])
			mine = 0;
	if (mine) {
		to_host++;
		generation++;
	}

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end)
			return verdict(XDP_DROP);
		if (ip->ttl < min_ttl)
			return verdict(XDP_DROP);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6) && !allow_ipv6) {
		return verdict(XDP_DROP);
	}
	return verdict(XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
