// SPDX-License-Identifier: GPL-2.0
/* ALU32/ALU64 edge cases on packet-controlled values: div/mod by zero, shifts, signed ops, swaps, jmp32. */
#include "progs.h"

SEC("xdp")
int alu(struct xdp_md *ctx)
{
	INPUTS(ctx, a, b);
	__u32 a32 = (__u32)a, b32 = (__u32)b;
	put(0, a / b);				/* div64 by zero → 0 */
	put(1, a % b);				/* mod64 by zero → a */
	put(2, a32 / b32);
	put(3, a32 % b32);
	put(4, a / (b >> 32));			/* high word only */
	put(5, a << (b & 63));
	put(6, a >> (b & 63));
	put(7, (__s64)a >> (b & 63));
	put(8, a32 << (b32 & 31));
	put(9, (__s32)a32 >> (b32 & 31));
	put(10, a * b);
	put(11, a32 * b32);
	put(12, __builtin_bswap64(a));
	put(13, bpf_htonl(a32));
	put(14, bpf_htons((__u16)a32));
	put(15, -a);
	put(16, (__u32)-a32);
	put(17, (__s64)(__s8)a);
	put(18, (__s64)(__s16)a);
	put(19, (__s64)(__s32)a);
	put(20, ((__s64)a < (__s64)b) | (((__s32)a32 < (__s32)b32) << 1) | ((a32 > b32) << 2) | ((a > b) << 3) |
		(((a & b) != 0) << 4) | ((a32 == b32) << 5) | (((__s32)a32 >= -5) << 6) | ((a >= 0xffffffff00000000ULL) << 7));
	put(21, a - b);
	put(22, a32 - b32);
	put(23, a ^ (b | 0xffff0000ULL));
	put(24, a32 + 0x80000000U);
	put(25, a + 0xffffffff80000000ULL);
	return (a32 & 3) == 3 ? XDP_TX : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
