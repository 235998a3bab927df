/* SPDX-License-Identifier: GPL-2.0 */
/* Map-in-map and redirect maps driven by the packet: bytes 14..21 =
 * op | sel << 8 | flags << 16 | key << 32, bytes 22..29 = value. */
#include "progs.h"

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
};

struct inner in_a SEC(".maps"), in_b SEC(".maps");

struct inner_h {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} in_h SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 3);
	__type(key, __u32);
	__array(values, struct inner);
} outer_arr SEC(".maps") = {
	.values = { [0] = &in_a, [2] = &in_b },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner_h);
} outer_hash SEC(".maps") = {
	.values = { [7] = &in_h },
};

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} dev_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} cpus SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

SEC("xdp")
int maps_inner(struct xdp_md *ctx)
{
	INPUTS(ctx, a, b);
	__u32 op = a & 0xff, sel = (a >> 8) & 0xff, flags = (a >> 16) & 0xff, key = a >> 32;
	__u32 ik = key & 0xffff;
	__u64 *p;
	void *inner;

	switch (op) {
	case 0: /* outer_arr[sel]: update/lookup inner[ik] */
	case 1:
		inner = bpf_map_lookup_elem(&outer_arr, &sel);
		if (!inner)
			return 0xffffffff;
		if (op == 0)
			return (__u32)bpf_map_update_elem(inner, &ik, &b, 0);
		p = bpf_map_lookup_elem(inner, &ik);
		return p ? (__u32)*p : 0xfffffffe;
	case 2:
	case 3:
		inner = bpf_map_lookup_elem(&outer_hash, &sel);
		if (!inner)
			return 0xffffffff;
		if (op == 2)
			return (__u32)bpf_map_update_elem(inner, &ik, &b, flags);
		p = bpf_map_lookup_elem(inner, &ik);
		return p ? (__u32)*p : 0xfffffffe;
	case 4: return bpf_redirect_map(&dev_hash, key, flags);
	case 5: return bpf_redirect_map(&cpus, key, flags);
	case 6: return bpf_redirect_map(&xsks, key, flags);
	case 7: {
		__u32 *d = bpf_map_lookup_elem(&dev_hash, &key);
		return d ? *d : 0xffffffff;
	}
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
