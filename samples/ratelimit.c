// SPDX-License-Identifier: GPL-2.0
/*
 * A per-source IPv4 rate limiter (token bucket, tokens kept as nanoseconds of credit).
 *
 * Each IPv4 source address owns a bucket in an LRU hash, so idle sources are evicted when the
 * table is full. A bucket holds at most `burst` packets' worth of credit and refills at
 * `rate_pps` packets per second, measured with bpf_ktime_get_ns(). A packet that finds less
 * than one packet's worth of credit is dropped. Non-IPv4 frames and frames too short to hold
 * an IPv4 header pass untouched. VLAN tags are not parsed (tagged frames pass).
 */
#include "common.h"

const volatile __u64 rate_pps = 1000;	/* refill: one packet per millisecond */
const volatile __u64 burst = 8;		/* bucket depth in packets */

struct bucket {
	__u64 credit_ns;	/* accumulated credit, at most burst * cost */
	__u64 last_ns;		/* time of the last refill */
	__u64 passed;
	__u64 dropped;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 256);
	__type(key, __be32);
	__type(value, struct bucket);
} buckets SEC(".maps");

SEC("xdp")
int xdp_ratelimit(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__u64 cost = 1000000000ULL / rate_pps;
	__u64 now, limit;
	struct bucket *b;
	__be32 saddr;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	saddr = ip->saddr;
	now = bpf_ktime_get_ns();
	limit = burst * cost;

	b = bpf_map_lookup_elem(&buckets, &saddr);
	if (!b) {
		/* A new source starts with a full bucket, minus this packet. */
		struct bucket fresh = {
			.credit_ns = limit - cost,
			.last_ns = now,
			.passed = 1,
		};

		bpf_map_update_elem(&buckets, &saddr, &fresh, BPF_ANY);
		return XDP_PASS;
	}

	b->credit_ns += now - b->last_ns;
	if (b->credit_ns > limit)
		b->credit_ns = limit;
	b->last_ns = now;

	if (b->credit_ns < cost) {
		b->dropped++;
		return XDP_DROP;
	}
	b->credit_ns -= cost;
	b->passed++;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
