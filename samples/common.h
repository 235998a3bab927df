/* SPDX-License-Identifier: GPL-2.0 */
/* Shared definitions for the xdpreplay sample programs. */
#ifndef XDPREPLAY_SAMPLES_COMMON_H
#define XDPREPLAY_SAMPLES_COMMON_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmpv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* 802.1Q / 802.1ad tag as it follows the MAC addresses. */
struct vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

/* The ICMP header's fixed part (linux/icmp.h pulls in libc headers). */
struct icmp_hdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be32 rest;
};

#define ICMP_ECHOREPLY 0
#define ICMP_REDIRECT 5
#define ICMP_ECHO 8
#define ICMPV6_ECHO_REQ 128
#define ICMPV6_NDISC_REDIRECT 137

/* IPv4 "more fragments" flag and fragment offset mask, host order. */
#define IP_MF 0x2000
#define IP_OFFSET 0x1fff

static __always_inline int proto_is_vlan(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

#endif
