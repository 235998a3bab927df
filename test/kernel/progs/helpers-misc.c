// SPDX-License-Identifier: GPL-2.0
/* strtol/strtoul/strncmp/snprintf, local dynptrs, fib_lookup (test run: lo, forwarding off),
 * probe_read_kernel(_str) of the stack, raw SYN cookie MSS, timers without callbacks,
 * get_numa_node_id, get_current_ancestor_cgroup_id(1+). Results land in the
 * frame at byte 64 + 8 * i (per packet) and in the res map. */
#include "progs.h"
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/ipv6.h>

#define AF_INET 2
#define AF_INET6 10

struct tval {
	struct bpf_timer t;
	__u64 n;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tval);
} timers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[32]);
} dmem SEC(".maps");

const char hello[] = "hello";
const char fmt[] = "a=%d b=%x s=%s ip=%pI4 %05u|%-3d|";
const char fmt2[] = "%d %x %s";

#define NOUT 28
#define R(i, v) put(i, (__u64)(v))

SEC("xdp")
int misc(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	if (data + 64 > data_end)
		return XDP_PASS;
	char s[24];
	__builtin_memcpy(s, data + 14, 24);
	__u64 flags = *(__u8 *)(data + 38);
	long v = 0;
	unsigned long u = 0;

	R(0, bpf_strtol(s, (*(__u8 *)(data + 39) & 15) + 1, flags, &v));
	R(1, v);
	R(2, bpf_strtoul(s, (*(__u8 *)(data + 39) & 15) + 1, flags, &u));
	R(3, u);
	R(4, bpf_strncmp(s, (*(__u8 *)(data + 40) & 15) + 1, hello));

	char out[48];
	__u64 args[6] = { *(__u32 *)(data + 41), *(__u32 *)(data + 41), (__u64)(long)s, (__u64)(long)(data + 26), *(__u16 *)(data + 45), *(__s8 *)(data + 47) };
	s[12] = 0; /* the %pI4 must start before the 47th character (see divergences.md) */
	R(5, bpf_snprintf(out, sizeof(out), fmt, args, sizeof(args)));
	__u64 h = 0;
	for (int i = 0; i < 48; i++) {
		if (!out[i])
			break; /* bytes after the NUL are stale stack */
		h = h * 131 + out[i];
	}
	R(6, h);
	/* Truncated output (no %pI4 before the cut: the kernel miscounts those, see divergences.md) */
	R(7, bpf_snprintf(out, 8, fmt2, args, sizeof(args)));

	struct bpf_dynptr d;
	__u32 zero = 0;
	char *mem = bpf_map_lookup_elem(&dmem, &zero);
	if (!mem)
		return XDP_ABORTED;
	__u32 off = *(__u8 *)(data + 48) & 63;
	R(8, bpf_dynptr_from_mem(mem, 32, 0, &d));
	R(9, bpf_dynptr_write(&d, off, s, 8, 0));
	R(10, bpf_dynptr_read(out, 4, &d, off, 0));
	R(11, *(__u32 *)out);
	void *p = bpf_dynptr_data(&d, off, 4);
	R(12, p ? *(__u32 *)p : 0xdead);

	struct bpf_fib_lookup fib = {};
	fib.family = *(__u8 *)(data + 49) & 1 ? AF_INET6 : AF_INET;
	if (*(__u8 *)(data + 49) & 2)
		fib.family = 7;
	fib.ifindex = *(__u8 *)(data + 50) & 1 ? 1 : *(__u8 *)(data + 50);
	fib.ipv4_dst = *(__u32 *)(data + 30);
	if (*(__u8 *)(data + 49) & 4)
		fib.ipv6_dst[0] = bpf_htonl(0xfe800000);
	R(13, bpf_fib_lookup(ctx, &fib, sizeof(fib), *(__u8 *)(data + 51) & 0x41));

	R(14, bpf_probe_read_kernel(out, 8, s));
	R(15, *(__u64 *)out);
	R(16, bpf_probe_read_kernel_str(out, 10, s));
	R(17, *(__u64 *)out);

	struct {
		struct iphdr ip;
		struct tcphdr th;
		__u8 opt[4];
	} syn = {};
	syn.ip.version = 4;
	syn.ip.ihl = 5;
	syn.th.doff = *(__u8 *)(data + 52) & 1 ? 6 : 5;
	syn.th.syn = 1;
	syn.opt[0] = 2;
	syn.opt[1] = 4;
	syn.opt[2] = *(__u8 *)(data + 53);
	syn.opt[3] = *(__u8 *)(data + 54);
	long c = bpf_tcp_raw_gen_syncookie_ipv4(&syn.ip, &syn.th, *(__u8 *)(data + 52) & 2 ? 24 : syn.th.doff * 4);
	R(18, c < 0 ? c : c >> 32);

	R(24, bpf_tcp_raw_check_syncookie_ipv4(&syn.ip, &syn.th));
	syn.th.syn = 0;
	syn.th.ack = 1;
	R(25, bpf_tcp_raw_check_syncookie_ipv4(&syn.ip, &syn.th));
	{
		struct {
			struct ipv6hdr ip6;
			struct tcphdr th;
			__u8 opt[4];
		} s6 = {};
		s6.ip6.version = 6;
		s6.th.doff = *(__u8 *)(data + 52) & 1 ? 6 : 5;
		s6.th.syn = 1;
		s6.opt[0] = 2;
		s6.opt[1] = 4;
		s6.opt[2] = *(__u8 *)(data + 54);
		s6.opt[3] = *(__u8 *)(data + 53);
		long c6 = bpf_tcp_raw_gen_syncookie_ipv6(&s6.ip6, &s6.th, s6.th.doff * 4);
		R(26, c6 < 0 ? c6 : c6 >> 32);
		s6.th.syn = 0;
		s6.th.ack = 1;
		R(27, bpf_tcp_raw_check_syncookie_ipv6(&s6.ip6, &s6.th));
	}

	__u32 k = 0;
	struct tval *tv = bpf_map_lookup_elem(&timers, &k);
	if (tv) {
		R(19, bpf_timer_init(&tv->t, &timers, *(__u8 *)(data + 55) & 1 ? 1 : 3));
		R(20, bpf_timer_start(&tv->t, 1000, 0));
		R(21, bpf_timer_cancel(&tv->t));
	}
	R(22, bpf_get_numa_node_id());
	R(23, bpf_get_current_ancestor_cgroup_id(5));

	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	for (int i = 0; i < NOUT; i++) {
		__u64 *q = data + 64 + 8 * i;
		if ((void *)(q + 1) > data_end)
			break;
		__u32 key = i;
		__u64 *val = bpf_map_lookup_elem(&res, &key);
		*q = val ? *val : 0;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
