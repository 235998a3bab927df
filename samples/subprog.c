// SPDX-License-Identifier: GPL-2.0
/*
 * A header sanity checker written with bpf-to-bpf calls and bounded loops.
 *
 * xdp_sanity -> check_l3 -> ipv4_csum_ok  -> csum_fold
 *                        -> ipv6_skip_ext -> ext_hdr_len
 * Every function below the entry point is `static __noinline`, so each is a real BPF
 * subprogram reached by a pseudo call. IPv4 (after at most one VLAN tag): the header checksum
 * is verified over IHL*2 16-bit words in a loop of at most 30 iterations; a bad checksum drops.
 * IPv6: up to 8 extension headers (hop-by-hop, routing, fragment, destination options, AH) are
 * walked; a type 0 routing header (deprecated by RFC 5095), a truncated extension header or
 * more than 8 of them drop. Everything else passes. `results` counts packets per reason.
 */
#include "common.h"

#define MAX_EXT_HDRS 8
#define MAX_L3_OFFSET 512

enum result {
	RES_PASS = 0,
	RES_NOT_IP,
	RES_TRUNCATED,
	RES_BAD_CSUM,
	RES_RH0,
	RES_TOO_MANY_EXT,
	RES_MAX,
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RES_MAX);
	__type(key, __u32);
	__type(value, __u64);
} results SEC(".maps");

static __noinline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* True when the IPv4 header at `off` has a correct header checksum. */
static __noinline int ipv4_csum_ok(struct xdp_md *ctx, __u32 off)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip;
	__u16 *word;
	__u32 sum = 0, words;
	int i;

	if (off > MAX_L3_OFFSET)
		return 0;
	ip = data + off;
	if ((void *)(ip + 1) > data_end)
		return 0;
	words = ip->ihl * 2;
	word = (__u16 *)ip;
	for (i = 0; i < 30; i++) {
		if (i >= words)
			break;
		/* Keeps clang from turning the bound into pointer arithmetic on data_end. */
		barrier_var(data_end);
		if ((void *)(word + 1) > data_end)
			return 0;
		sum += *word++;
	}
	return csum_fold(sum) == 0;
}

/* Length of the extension header `nexthdr` whose second byte is `len_field`. */
static __noinline __u32 ext_hdr_len(__u8 nexthdr, __u8 len_field)
{
	if (nexthdr == IPPROTO_FRAGMENT)
		return 8;
	if (nexthdr == IPPROTO_AH)
		return ((__u32)len_field + 2) * 4;
	return ((__u32)len_field + 1) * 8;
}

static __always_inline int is_ext_hdr(__u8 nexthdr)
{
	return nexthdr == IPPROTO_HOPOPTS || nexthdr == IPPROTO_ROUTING ||
	       nexthdr == IPPROTO_FRAGMENT || nexthdr == IPPROTO_DSTOPTS || nexthdr == IPPROTO_AH;
}

/* Walks the extension headers after the IPv6 header at `off`; returns an enum result. */
static __noinline int ipv6_skip_ext(struct xdp_md *ctx, __u32 off)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ipv6hdr *ip6;
	__u8 nexthdr;
	int i;

	if (off > MAX_L3_OFFSET)
		return RES_TRUNCATED;
	ip6 = data + off;
	if ((void *)(ip6 + 1) > data_end)
		return RES_TRUNCATED;
	nexthdr = ip6->nexthdr;
	off += sizeof(*ip6);

	for (i = 0; i < MAX_EXT_HDRS; i++) {
		__u8 *ext;

		if (!is_ext_hdr(nexthdr))
			return RES_PASS;
		if (off > MAX_L3_OFFSET)
			return RES_TRUNCATED;
		ext = data + off;
		/* Routing headers: next, length, type, segments left. */
		if ((void *)(ext + 4) > data_end)
			return RES_TRUNCATED;
		if (nexthdr == IPPROTO_ROUTING && ext[2] == 0)
			return RES_RH0;
		off += ext_hdr_len(nexthdr, ext[1]);
		nexthdr = ext[0];
	}
	return is_ext_hdr(nexthdr) ? RES_TOO_MANY_EXT : RES_PASS;
}

static __noinline int check_l3(struct xdp_md *ctx, __be16 proto, __u32 off)
{
	if (proto == bpf_htons(ETH_P_IP))
		return ipv4_csum_ok(ctx, off) ? RES_PASS : RES_BAD_CSUM;
	if (proto == bpf_htons(ETH_P_IPV6))
		return ipv6_skip_ext(ctx, off);
	return RES_NOT_IP;
}

SEC("xdp")
int xdp_sanity(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 off = sizeof(*eth);
	__be16 proto;
	__u32 res;
	__u64 *cnt;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	proto = eth->h_proto;
	if (proto_is_vlan(proto)) {
		struct vlan_hdr *vlan = (void *)(eth + 1);

		if ((void *)(vlan + 1) > data_end)
			return XDP_DROP;
		proto = vlan->encap_proto;
		off += sizeof(*vlan);
	}

	res = check_l3(ctx, proto, off);
	cnt = bpf_map_lookup_elem(&results, &res);
	if (cnt)
		*cnt += 1;
	return res == RES_PASS || res == RES_NOT_IP ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
