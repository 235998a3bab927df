/** XDP constants (include/uapi/linux/bpf.h; net/bpf/test_run.c; include/net/xdp.h). */

/** enum xdp_action. */
export const XdpAction = { ABORTED: 0, DROP: 1, PASS: 2, TX: 3, REDIRECT: 4 } as const;
export const XDP_ACTION_NAMES: readonly string[] = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'];

/** struct xdp_md field offsets. */
export const XdpMd = { DATA: 0, DATA_END: 4, DATA_META: 8, INGRESS_IFINDEX: 12, RX_QUEUE_INDEX: 16, EGRESS_IFINDEX: 20 } as const;

/** XDP_PACKET_HEADROOM: where the frame starts in the page. */
export const XDP_PACKET_HEADROOM = 256;
/** sizeof(struct xdp_frame): the start of the page that can never be claimed. */
export const XDP_FRAME_SIZE = 40;
/** SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) at the end of the page. */
export const SKB_SHARED_INFO_SIZE = 320;
export const PAGE_SIZE = 4096;
/** Most linear bytes a test-run frame can hold. */
export const MAX_LINEAR = PAGE_SIZE - XDP_PACKET_HEADROOM - SKB_SHARED_INFO_SIZE; // 3520
export const ETH_HLEN = 14;
/** Largest metadata area (skb_shared_info.meta_len is a u8). */
export const MAX_META_LEN = 255;

/** bpf_redirect_map flags. */
export const BPF_F_BROADCAST = 1 << 3;
export const BPF_F_EXCLUDE_INGRESS = 1 << 4;
