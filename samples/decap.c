// SPDX-License-Identifier: GPL-2.0
/*
 * A tunnel decapsulator for a load balancer's backends.
 *
 * Handles IPv4 outer headers (any IHL) carrying
 *   - IP-in-IP (protocol 4) or IPv6-in-IPv4 (protocol 41), and
 *   - GUE variant 0 over UDP port 6080 (RFC draft "Generic UDP Encapsulation"), whose 4-byte
 *     header plus `hlen` optional words precede an inner IPv4 or IPv6 packet.
 * The outer headers are removed with bpf_xdp_adjust_head(ctx, +N), the Ethernet header is
 * rebuilt in front of the inner packet with the inner EtherType, and a 4-byte mark saying how
 * the packet arrived is stored in the XDP metadata area (bpf_xdp_adjust_meta) for a later TC
 * program. The result is passed to the stack. Non-tunnel traffic passes without metadata;
 * tunnel packets whose headers are truncated or whose GUE header is not understood are dropped.
 */
#include "common.h"

#define GUE_PORT 6080

enum tunnel_kind {
	TUN_NONE = 0,
	TUN_IPIP,
	TUN_IP6IP,
	TUN_GUE,
	TUN_MALFORMED,
	TUN_MAX,
};

/* GUE variant 0 base header. */
struct guehdr {
	__u8 ver_c_hlen;	/* ver:2 C:1 hlen:5 (hlen in 32-bit words) */
	__u8 proto;		/* inner IP protocol */
	__be16 flags;
};

/* What decap leaves in the metadata area in front of the packet. */
struct tunnel_meta {
	__u16 kind;		/* enum tunnel_kind */
	__u16 outer_len;	/* bytes removed */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TUN_MAX);
	__type(key, __u32);
	__type(value, __u64);
} decap_stats SEC(".maps");

static __always_inline void count(__u32 kind)
{
	__u64 *cnt = bpf_map_lookup_elem(&decap_stats, &kind);

	if (cnt)
		*cnt += 1;
}

static __always_inline __be16 inner_ethertype(__u8 proto)
{
	if (proto == IPPROTO_IPIP)
		return bpf_htons(ETH_P_IP);
	if (proto == IPPROTO_IPV6)
		return bpf_htons(ETH_P_IPV6);
	return 0;
}

SEC("xdp")
int xdp_decap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tunnel_meta *meta;
	struct ethhdr saved;
	__u32 outer_len, kind, inner_min;
	__u8 inner_proto;
	__be16 inner_type;
	void *inner;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	outer_len = ip->ihl * 4;
	if (outer_len < sizeof(*ip))
		return XDP_PASS;

	if (ip->protocol == IPPROTO_IPIP || ip->protocol == IPPROTO_IPV6) {
		inner_proto = ip->protocol;
		kind = inner_proto == IPPROTO_IPIP ? TUN_IPIP : TUN_IP6IP;
	} else if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *udp = (void *)ip + outer_len;
		struct guehdr *gue = (void *)(udp + 1);

		if ((void *)(gue + 1) > data_end)
			return XDP_PASS;
		if (udp->dest != bpf_htons(GUE_PORT))
			return XDP_PASS;
		/* Only data messages of variant 0 (ver 0, C 0) carry a packet. */
		if (gue->ver_c_hlen & 0xe0) {
			count(TUN_MALFORMED);
			return XDP_DROP;
		}
		inner_proto = gue->proto;
		outer_len += sizeof(*udp) + sizeof(*gue) + (gue->ver_c_hlen & 0x1f) * 4;
		kind = TUN_GUE;
	} else {
		return XDP_PASS;
	}

	inner_type = inner_ethertype(inner_proto);
	inner_min = inner_type == bpf_htons(ETH_P_IP) ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
	inner = (void *)ip + outer_len;
	if (!inner_type || inner + inner_min > data_end) {
		count(TUN_MALFORMED);
		return XDP_DROP;
	}

	__builtin_memcpy(&saved, eth, sizeof(saved));
	saved.h_proto = inner_type;
	if (bpf_xdp_adjust_head(ctx, (int)outer_len))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(eth, &saved, sizeof(saved));

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*meta)) == 0) {
		meta = (void *)(long)ctx->data_meta;
		data = (void *)(long)ctx->data;
		if ((void *)(meta + 1) <= data) {
			meta->kind = kind;
			meta->outer_len = outer_len;
		}
	}
	count(kind);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
