// SPDX-License-Identifier: GPL-2.0
/* bpf_printk with many conversions (trace_printk for <= 3 arguments, trace_vprintk above),
 * values from the packet: compared with the kernel's trace buffer line by line. */
#include "progs.h"

const char fmt_bad[] = "bad %q %d";
const char fmt_s_alnum[] = "bad %sx";

SEC("xdp")
int printk(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	if (data + 64 > data_end)
		return XDP_PASS;
	__u32 a = *(__u32 *)(data + 14);
	__s32 b = *(__s32 *)(data + 18);
	__u64 c = *(__u64 *)(data + 22);
	__u8 ch = *(__u8 *)(data + 30) % 94 + 33;
	char name[8] = "abc";
	name[3] = *(__u8 *)(data + 31) % 26 + 'a';

	bpf_printk("n=%u d=%d x=%x", a, b, a);
	bpf_printk("X=%X llx=%llx lld=%lld", a, c, c);
	bpf_printk("w=%5d|%-5d|%05u", b & 0xfff, (b & 0xff) - 128, a & 0x3ff);
	bpf_printk("c=%c s=%s %%", ch, name);
	bpf_printk("+d=%+d sp=% d i=%i", b, b, b);
	bpf_printk("ip4 %pI4 %pi4", data + 32, data + 32);
	bpf_printk("ip6 %pI6", data + 36);
	bpf_printk("ip6 %pi6", data + 36);
	bpf_printk("v %u %u %u %u %u %llx", a, a + 1, a + 2, a + 3, a + 4, c);
	bpf_printk("lu=%lu li=%li", c, c);
	long r1 = bpf_trace_printk(fmt_bad, sizeof(fmt_bad), 1);
	long r2 = bpf_trace_printk(fmt_s_alnum, sizeof(fmt_s_alnum), (long)name);
	bpf_printk("rc %ld %ld", r1, r2);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
