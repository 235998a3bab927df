// SPDX-License-Identifier: GPL-2.0
/*
 * A stateless edge firewall, version 2 (samples/variants: the second version for `xdpreplay diff`).
 *
 * Changed from ../firewall.c: one rule. Port 3389 (RDP) is no longer blocked; port 53 (DNS) is.
 *
 * Parses Ethernet, up to two VLAN tags (802.1Q or QinQ), IPv4 (honouring IHL, so options are
 * skipped) or IPv6, then TCP, UDP, ICMP or ICMPv6. It drops:
 *   - traffic to a blocked destination port (rule table in .rodata),
 *   - IPv4 traffic from a denied source address (HASH of /32 addresses; one built-in address
 *     is always denied and is recorded in the map on first hit),
 *   - ICMP and ICMPv6 redirects,
 *   - malformed packets (truncated headers, IHL < 5, a total length shorter than the header).
 * Everything else, including non-IP traffic such as ARP and non-first IPv4 fragments, passes.
 * Counters: packets and bytes per XDP action (PERCPU_ARRAY) and drops per reason (ARRAY).
 */
#include "../common.h"

enum drop_reason {
	REASON_SHORT_L2 = 0,	/* Ethernet or VLAN header truncated */
	REASON_MALFORMED_L3,	/* IP header truncated or inconsistent */
	REASON_MALFORMED_L4,	/* TCP/UDP/ICMP header truncated */
	REASON_BLOCKED_PORT,
	REASON_BLOCKED_SRC,
	REASON_ICMP_REDIRECT,
	REASON_MAX,
};

struct action_stats {
	__u64 packets;
	__u64 bytes;
};

/* Destination ports that are never allowed in (host byte order, 0 = unused slot). */
const volatile __u16 blocked_ports[8] = { 23, 135, 445, 53, 11211 };

/* A source address denied even before the control plane fills deny_v4 (198.51.100.66). */
const volatile __be32 builtin_denied_src = 0x426433c6;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDP_REDIRECT + 1);
	__type(key, __u32);
	__type(value, struct action_stats);
} action_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, REASON_MAX);
	__type(key, __u32);
	__type(value, __u64);
} drop_reasons SEC(".maps");

/* Denied IPv4 sources (network byte order) -> packets dropped from that source. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __be32);
	__type(value, __u64);
} deny_v4 SEC(".maps");

struct hdr_cursor {
	void *pos;
	void *end;
};

static __always_inline int port_blocked(__u16 port)
{
	int i;

#pragma unroll
	for (i = 0; i < 8; i++) {
		if (blocked_ports[i] != 0 && blocked_ports[i] == port)
			return 1;
	}
	return 0;
}

static __always_inline int source_denied(__be32 saddr)
{
	__u64 *hits = bpf_map_lookup_elem(&deny_v4, &saddr);
	__u64 one = 1;

	if (hits) {
		__sync_fetch_and_add(hits, 1);
		return 1;
	}
	if (saddr == builtin_denied_src) {
		bpf_map_update_elem(&deny_v4, &saddr, &one, BPF_NOEXIST);
		return 1;
	}
	return 0;
}

/* Checks the L4 header at c->pos; returns a drop reason, or REASON_MAX to pass. */
static __always_inline __u32 check_l4(struct hdr_cursor *c, __u8 proto)
{
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		/* Both headers start with the source and destination ports. */
		struct udphdr *ports = c->pos;
		__u32 hdr_len = proto == IPPROTO_TCP ? sizeof(struct tcphdr) : sizeof(struct udphdr);

		if (c->pos + hdr_len > c->end)
			return REASON_MALFORMED_L4;
		if (port_blocked(bpf_ntohs(ports->dest)))
			return REASON_BLOCKED_PORT;
	} else if (proto == IPPROTO_ICMP) {
		struct icmp_hdr *icmp = c->pos;

		if ((void *)(icmp + 1) > c->end)
			return REASON_MALFORMED_L4;
		if (icmp->type == ICMP_REDIRECT)
			return REASON_ICMP_REDIRECT;
	} else if (proto == IPPROTO_ICMPV6) {
		struct icmp6hdr *icmp6 = c->pos;

		if ((void *)(icmp6 + 1) > c->end)
			return REASON_MALFORMED_L4;
		if (icmp6->icmp6_type == ICMPV6_NDISC_REDIRECT)
			return REASON_ICMP_REDIRECT;
	}
	return REASON_MAX;
}

/* Parses the frame; returns a drop reason, or REASON_MAX when the packet may pass. */
static __always_inline __u32 classify(struct hdr_cursor *c)
{
	struct ethhdr *eth = c->pos;
	__be16 proto;
	int i;

	if ((void *)(eth + 1) > c->end)
		return REASON_SHORT_L2;
	proto = eth->h_proto;
	c->pos = eth + 1;

#pragma unroll
	for (i = 0; i < 2; i++) {
		struct vlan_hdr *vlan = c->pos;

		if (!proto_is_vlan(proto))
			break;
		if ((void *)(vlan + 1) > c->end)
			return REASON_SHORT_L2;
		proto = vlan->encap_proto;
		c->pos = vlan + 1;
	}

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = c->pos;
		__u32 hdr_len;

		if ((void *)(ip + 1) > c->end)
			return REASON_MALFORMED_L3;
		hdr_len = ip->ihl * 4;
		if (hdr_len < sizeof(*ip) || bpf_ntohs(ip->tot_len) < hdr_len)
			return REASON_MALFORMED_L3;
		if (c->pos + hdr_len > c->end)
			return REASON_MALFORMED_L3;
		if (source_denied(ip->saddr))
			return REASON_BLOCKED_SRC;
		/* Later fragments carry no L4 header: let the stack reassemble them. */
		if (bpf_ntohs(ip->frag_off) & IP_OFFSET)
			return REASON_MAX;
		c->pos += hdr_len;
		return check_l4(c, ip->protocol);
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = c->pos;

		if ((void *)(ip6 + 1) > c->end)
			return REASON_MALFORMED_L3;
		c->pos = ip6 + 1;
		/* Extension headers are left to the stack; only direct L4 headers are checked. */
		return check_l4(c, ip6->nexthdr);
	}
	return REASON_MAX;
}

SEC("xdp")
int xdp_firewall(struct xdp_md *ctx)
{
	struct hdr_cursor c = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};
	__u32 reason = classify(&c);
	__u32 action = XDP_PASS;
	struct action_stats *st;
	__u64 *cnt;

	if (reason < REASON_MAX) {
		action = XDP_DROP;
		cnt = bpf_map_lookup_elem(&drop_reasons, &reason);
		if (cnt)
			__sync_fetch_and_add(cnt, 1);
	}
	st = bpf_map_lookup_elem(&action_stats, &action);
	if (st) {
		st->packets++;
		st->bytes += ctx->data_end - ctx->data;
	}
	return action;
}

char LICENSE[] SEC("license") = "GPL";
