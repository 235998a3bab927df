// SPDX-License-Identifier: GPL-2.0
/*
 * A simple port forwarder.
 *
 * IPv4 packets are forwarded to the egress port chosen by the last byte of their destination
 * address (daddr 10.0.0.3 -> key 3) through the `tx_ports` DEVMAP, with XDP_PASS in the low
 * bits of the flags so that a key without a port (or beyond the map) hands the packet to the
 * stack instead of dropping it. The MAC addresses are swapped before forwarding. IPv6 packets
 * all go to one configured interface with bpf_redirect(); other frames pass.
 */
#include "common.h"

const volatile __u32 ipv6_egress_ifindex = 1;

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);	/* egress ifindex */
} tx_ports SEC(".maps");

/* Redirect attempts per destination key (0..255). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} redirects SEC(".maps");

static __always_inline void swap_macs(struct ethhdr *eth)
{
	__u8 tmp[ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, tmp, ETH_ALEN);
}

SEC("xdp")
int xdp_redirect(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u64 *cnt;
	__u32 key;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end)
			return XDP_DROP;
		key = bpf_ntohl(ip->daddr) & 0xff;
		cnt = bpf_map_lookup_elem(&redirects, &key);
		if (cnt)
			*cnt += 1;
		swap_macs(eth);
		return bpf_redirect_map(&tx_ports, key, XDP_PASS);
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		swap_macs(eth);
		return bpf_redirect(ipv6_egress_ifindex, 0);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
