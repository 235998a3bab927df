/* SPDX-License-Identifier: GPL-2.0 */
/* Shared bits of the differential test programs: a u64 result array and packet input words. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define NRES 32

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NRES);
	__type(key, __u32);
	__type(value, __u64);
} res SEC(".maps");

static __always_inline void put(__u32 i, __u64 v)
{
	__u64 *p = bpf_map_lookup_elem(&res, &i);
	if (p)
		*p = v;
}

/* Two 64-bit inputs from bytes 14..29 of the frame (0 when the frame is shorter). */
#define INPUTS(ctx, a, b)                                                  \
	void *data = (void *)(long)(ctx)->data;                            \
	void *data_end = (void *)(long)(ctx)->data_end;                    \
	__u64 a = 0, b = 0;                                                \
	if (data + 30 <= data_end) {                                       \
		a = *(__u64 *)(data + 14);                                 \
		b = *(__u64 *)(data + 22);                                 \
	}
