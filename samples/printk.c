// SPDX-License-Identifier: GPL-2.0
/*
 * A packet logger for debugging: prints a line per packet to the kernel trace buffer
 * (/sys/kernel/debug/tracing/trace_pipe) with bpf_printk, then passes the packet.
 *
 * Formats used: %u (frame length, ingress ifindex), %d (a signed delta), %x (EtherType),
 * %llx (MAC addresses as one 48-bit number), %llu (a running counter), %s (a protocol name
 * from .rodata) and %c. Frames shorter than an Ethernet header are dropped with a message.
 */
#include "common.h"

const volatile char name_ipv4[8] = "ipv4";
const volatile char name_ipv6[8] = "ipv6";
const volatile char name_arp[8] = "arp";
const volatile char name_other[8] = "other";

__u64 seen;

static __always_inline __u64 mac_to_u64(const __u8 *mac)
{
	return ((__u64)mac[0] << 40) | ((__u64)mac[1] << 32) | ((__u64)mac[2] << 24) |
	       ((__u64)mac[3] << 16) | ((__u64)mac[4] << 8) | (__u64)mac[5];
}

SEC("xdp")
int xdp_printk(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 len = data_end - data;
	const volatile char *name;
	__u16 proto;

	seen++;
	if ((void *)(eth + 1) > data_end) {
		bpf_printk("runt frame: %u bytes", len);
		return XDP_DROP;
	}
	proto = bpf_ntohs(eth->h_proto);
	if (proto == ETH_P_IP)
		name = name_ipv4;
	else if (proto == ETH_P_IPV6)
		name = name_ipv6;
	else if (proto == ETH_P_ARP)
		name = name_arp;
	else
		name = name_other;

	bpf_printk("pkt %llu: len %u ifindex %u", seen, len, ctx->ingress_ifindex);
	bpf_printk("  proto 0x%x (%s) %c", proto, name, len > 1514 ? 'J' : 'n');
	bpf_printk("  %llx -> %llx", mac_to_u64(eth->h_source), mac_to_u64(eth->h_dest));
	bpf_printk("  delta from 1514: %d", (int)len - 1514);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
