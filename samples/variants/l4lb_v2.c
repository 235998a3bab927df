// SPDX-License-Identifier: GPL-2.0
/*
 * A layer-4 load balancer in the style of Katran/Unimog, reduced to its core; version 2
 * (samples/variants: the second version for `xdpreplay diff`).
 *
 * Changed from ../l4lb.c: the flow hash. The protocol word is salted with the golden-ratio
 * constant, so most flows move to another backend (same verdict, different output bytes).
 *
 * IPv4 TCP or UDP packets to the virtual IP (VIP) are hashed on their 5-tuple to one of
 * `num_backends` backends, encapsulated in an outer IPv4 header (IP-in-IP, protocol 4) with
 * bpf_xdp_adjust_head(ctx, -20), given the backend's MAC address and sent back out the same
 * interface (XDP_TX). Backends come from the `backends` ARRAY; an all-zero slot falls back to
 * the built-in table in .rodata, so the program balances without any control plane.
 * Non-VIP traffic, non-IPv4 frames and VIP fragments pass; truncated VIP packets are dropped.
 */
#include "../common.h"

#define MAX_BACKENDS 4

struct backend {
	__be32 addr;
	__u8 mac[ETH_ALEN];
	__u16 pad;
};

const volatile __be32 vip_addr = 0x0a0200c0;	/* 192.0.2.10 */
const volatile __be32 lb_addr = 0x010200c0;	/* 192.0.2.1, outer source */
const volatile __u8 lb_mac[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
const volatile __u32 num_backends = 3;
const volatile struct backend default_backends[MAX_BACKENDS] = {
	{ .addr = 0x0a01000a, .mac = { 0x02, 0x00, 0x00, 0x00, 0x01, 0x0a } },	/* 10.0.1.10 */
	{ .addr = 0x0b01000a, .mac = { 0x02, 0x00, 0x00, 0x00, 0x01, 0x0b } },	/* 10.0.1.11 */
	{ .addr = 0x0c01000a, .mac = { 0x02, 0x00, 0x00, 0x00, 0x01, 0x0c } },	/* 10.0.1.12 */
	{ .addr = 0x0d01000a, .mac = { 0x02, 0x00, 0x00, 0x00, 0x01, 0x0d } },	/* 10.0.1.13 */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct backend);
} backends SEC(".maps");

/* Packets sent to each backend. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_BACKENDS);
	__type(key, __u32);
	__type(value, __u64);
} backend_packets SEC(".maps");

static __always_inline __u32 rol32(__u32 word, unsigned int shift)
{
	return (word << shift) | (word >> ((-shift) & 31));
}

/* A small avalanche hash over the flow (Bob Jenkins' final mix). */
static __always_inline __u32 flow_hash(__u32 a, __u32 b, __u32 c)
{
	c ^= b; c -= rol32(b, 14);
	a ^= c; a -= rol32(c, 11);
	b ^= a; b -= rol32(a, 25);
	c ^= b; c -= rol32(b, 16);
	a ^= c; a -= rol32(c, 4);
	b ^= a; b -= rol32(a, 14);
	c ^= b; c -= rol32(b, 24);
	return c;
}

static __always_inline __u16 csum_fold(__u32 csum)
{
	csum = (csum & 0xffff) + (csum >> 16);
	csum = (csum & 0xffff) + (csum >> 16);
	return (__u16)~csum;
}

SEC("xdp")
int xdp_l4lb(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct iphdr outer = {};
	struct backend be;
	struct backend *slot;
	__u32 ports = 0, idx, key, hl;
	__u64 *cnt;
	__u16 *l4;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	if (ip->daddr != vip_addr)
		return XDP_PASS;
	if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	if (bpf_ntohs(ip->frag_off) & (IP_MF | IP_OFFSET))
		return XDP_PASS;
	hl = ip->ihl * 4;
	if (hl < sizeof(*ip))
		return XDP_DROP;
	l4 = (void *)ip + hl;
	if ((void *)(l4 + 2) > data_end)
		return XDP_DROP;
	/* Source and destination ports are the first 4 bytes of both TCP and UDP. */
	ports = *(__u32 *)l4;

	idx = flow_hash(ip->saddr, ports, ip->protocol ^ 0x9e3779b9) % num_backends;
	if (idx >= MAX_BACKENDS)
		return XDP_ABORTED;
	key = idx;
	slot = bpf_map_lookup_elem(&backends, &key);
	if (slot && slot->addr)
		be = *slot;
	else
		__builtin_memcpy(&be, (void *)&default_backends[idx], sizeof(be));

	outer.version = 4;
	outer.ihl = 5;
	outer.tos = ip->tos;
	outer.tot_len = bpf_htons(bpf_ntohs(ip->tot_len) + sizeof(outer));
	outer.frag_off = bpf_htons(0x4000);	/* don't fragment */
	outer.ttl = 64;
	outer.protocol = IPPROTO_IPIP;
	outer.saddr = lb_addr;
	outer.daddr = be.addr;
	outer.check = csum_fold(bpf_csum_diff(NULL, 0, (__be32 *)&outer, sizeof(outer), 0));

	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(outer)))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return XDP_ABORTED;

	__builtin_memcpy(eth->h_dest, be.mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, (void *)lb_mac, ETH_ALEN);
	eth->h_proto = bpf_htons(ETH_P_IP);
	*ip = outer;

	cnt = bpf_map_lookup_elem(&backend_packets, &key);
	if (cnt)
		*cnt += 1;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
