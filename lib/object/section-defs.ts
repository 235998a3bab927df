/**
 * libbpf's program section table (libbpf.c `section_defs[]`), most specific first, and its
 * match rule (`sec_def_matches`): a definition ending in `/` needs that prefix; ending in `+`
 * matches the type exactly or `type/…`; otherwise the name must match exactly.
 * libbpf 0.x also accepted any `xdp…` prefix ("sloppy" matching); `xdp/foo` still appears in
 * older code, so we accept it as XDP and say so (`legacy`).
 */

export interface SectionDef {
  sec: string;
  /** BPF_PROG_TYPE_* without the prefix. */
  progType: string;
  /** Expected attach type, when the section implies one. */
  attach?: string;
  frags?: boolean;
}

const D = (sec: string, progType: string, attach?: string, frags?: boolean): SectionDef => ({ sec, progType, ...(attach ? { attach } : {}), ...(frags ? { frags } : {}) });

export const SECTION_DEFS: readonly SectionDef[] = [
  D('socket', 'SOCKET_FILTER'),
  D('sk_reuseport/migrate', 'SK_REUSEPORT', 'SK_REUSEPORT_SELECT_OR_MIGRATE'),
  D('sk_reuseport', 'SK_REUSEPORT', 'SK_REUSEPORT_SELECT'),
  D('kprobe+', 'KPROBE'),
  D('uprobe+', 'KPROBE'),
  D('uprobe.s+', 'KPROBE'),
  D('kretprobe+', 'KPROBE'),
  D('uretprobe+', 'KPROBE'),
  D('uretprobe.s+', 'KPROBE'),
  D('kprobe.multi+', 'KPROBE', 'TRACE_KPROBE_MULTI'),
  D('kretprobe.multi+', 'KPROBE', 'TRACE_KPROBE_MULTI'),
  D('uprobe.multi+', 'KPROBE', 'TRACE_UPROBE_MULTI'),
  D('uretprobe.multi+', 'KPROBE', 'TRACE_UPROBE_MULTI'),
  D('ksyscall+', 'KPROBE'),
  D('kretsyscall+', 'KPROBE'),
  D('usdt+', 'KPROBE'),
  D('tc/ingress', 'SCHED_CLS', 'TCX_INGRESS'),
  D('tc/egress', 'SCHED_CLS', 'TCX_EGRESS'),
  D('tcx/ingress', 'SCHED_CLS', 'TCX_INGRESS'),
  D('tcx/egress', 'SCHED_CLS', 'TCX_EGRESS'),
  D('tc', 'SCHED_CLS'),
  D('classifier', 'SCHED_CLS'),
  D('action', 'SCHED_ACT'),
  D('netkit/primary', 'SCHED_CLS', 'NETKIT_PRIMARY'),
  D('netkit/peer', 'SCHED_CLS', 'NETKIT_PEER'),
  D('tracepoint+', 'TRACEPOINT'),
  D('tp+', 'TRACEPOINT'),
  D('raw_tracepoint+', 'RAW_TRACEPOINT'),
  D('raw_tp+', 'RAW_TRACEPOINT'),
  D('raw_tracepoint.w+', 'RAW_TRACEPOINT_WRITABLE'),
  D('raw_tp.w+', 'RAW_TRACEPOINT_WRITABLE'),
  D('tp_btf+', 'TRACING', 'TRACE_RAW_TP'),
  D('fentry+', 'TRACING', 'TRACE_FENTRY'),
  D('fmod_ret+', 'TRACING', 'MODIFY_RETURN'),
  D('fexit+', 'TRACING', 'TRACE_FEXIT'),
  D('fentry.s+', 'TRACING', 'TRACE_FENTRY'),
  D('fmod_ret.s+', 'TRACING', 'MODIFY_RETURN'),
  D('fexit.s+', 'TRACING', 'TRACE_FEXIT'),
  D('freplace+', 'EXT'),
  D('lsm+', 'LSM', 'LSM_MAC'),
  D('lsm.s+', 'LSM', 'LSM_MAC'),
  D('lsm_cgroup+', 'LSM', 'LSM_CGROUP'),
  D('iter+', 'TRACING', 'TRACE_ITER'),
  D('iter.s+', 'TRACING', 'TRACE_ITER'),
  D('syscall', 'SYSCALL'),
  D('xdp.frags/devmap', 'XDP', 'XDP_DEVMAP', true),
  D('xdp/devmap', 'XDP', 'XDP_DEVMAP'),
  D('xdp.frags/cpumap', 'XDP', 'XDP_CPUMAP', true),
  D('xdp/cpumap', 'XDP', 'XDP_CPUMAP'),
  D('xdp.frags', 'XDP', 'XDP', true),
  D('xdp', 'XDP', 'XDP'),
  D('perf_event', 'PERF_EVENT'),
  D('lwt_in', 'LWT_IN'),
  D('lwt_out', 'LWT_OUT'),
  D('lwt_xmit', 'LWT_XMIT'),
  D('lwt_seg6local', 'LWT_SEG6LOCAL'),
  D('sockops', 'SOCK_OPS', 'CGROUP_SOCK_OPS'),
  D('sk_skb/stream_parser', 'SK_SKB', 'SK_SKB_STREAM_PARSER'),
  D('sk_skb/stream_verdict', 'SK_SKB', 'SK_SKB_STREAM_VERDICT'),
  D('sk_skb/verdict', 'SK_SKB', 'SK_SKB_VERDICT'),
  D('sk_skb', 'SK_SKB'),
  D('sk_msg', 'SK_MSG', 'SK_MSG_VERDICT'),
  D('lirc_mode2', 'LIRC_MODE2', 'LIRC_MODE2'),
  D('flow_dissector', 'FLOW_DISSECTOR', 'FLOW_DISSECTOR'),
  D('cgroup_skb/ingress', 'CGROUP_SKB', 'CGROUP_INET_INGRESS'),
  D('cgroup_skb/egress', 'CGROUP_SKB', 'CGROUP_INET_EGRESS'),
  D('cgroup/skb', 'CGROUP_SKB'),
  D('cgroup/sock_create', 'CGROUP_SOCK', 'CGROUP_INET_SOCK_CREATE'),
  D('cgroup/sock_release', 'CGROUP_SOCK', 'CGROUP_INET_SOCK_RELEASE'),
  D('cgroup/sock', 'CGROUP_SOCK', 'CGROUP_INET_SOCK_CREATE'),
  D('cgroup/post_bind4', 'CGROUP_SOCK', 'CGROUP_INET4_POST_BIND'),
  D('cgroup/post_bind6', 'CGROUP_SOCK', 'CGROUP_INET6_POST_BIND'),
  D('cgroup/bind4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_BIND'),
  D('cgroup/bind6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_BIND'),
  D('cgroup/connect4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_CONNECT'),
  D('cgroup/connect6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_CONNECT'),
  D('cgroup/sendmsg4', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP4_SENDMSG'),
  D('cgroup/sendmsg6', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP6_SENDMSG'),
  D('cgroup/recvmsg4', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP4_RECVMSG'),
  D('cgroup/recvmsg6', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP6_RECVMSG'),
  D('cgroup/getpeername4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_GETPEERNAME'),
  D('cgroup/getpeername6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_GETPEERNAME'),
  D('cgroup/getsockname4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_GETSOCKNAME'),
  D('cgroup/getsockname6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_GETSOCKNAME'),
  D('cgroup/sysctl', 'CGROUP_SYSCTL', 'CGROUP_SYSCTL'),
  D('cgroup/getsockopt', 'CGROUP_SOCKOPT', 'CGROUP_GETSOCKOPT'),
  D('cgroup/setsockopt', 'CGROUP_SOCKOPT', 'CGROUP_SETSOCKOPT'),
  D('cgroup/dev', 'CGROUP_DEVICE', 'CGROUP_DEVICE'),
  D('struct_ops+', 'STRUCT_OPS'),
  D('struct_ops.s+', 'STRUCT_OPS'),
  D('sk_lookup', 'SK_LOOKUP', 'SK_LOOKUP'),
  D('netfilter', 'NETFILTER', 'NETFILTER'),
];

/** libbpf's `sec_def_matches`. */
export function secDefMatches(def: string, section: string): boolean {
  if (def.endsWith('/')) return section.startsWith(def);
  if (def.endsWith('+')) {
    const base = def.slice(0, -1);
    if (!section.startsWith(base)) return false;
    return section.length === base.length || section[base.length] === '/';
  }
  return section === def;
}

export interface SectionMatch {
  def: SectionDef | undefined;
  isXdp: boolean;
  frags: boolean;
  /** Accepted only by libbpf 0.x's prefix matching (e.g. `xdp/lb`). */
  legacy: boolean;
}

/** Classify an executable section by libbpf's rules. */
export function matchSection(section: string): SectionMatch {
  const def = SECTION_DEFS.find((d) => secDefMatches(d.sec, section));
  if (def) return { def, isXdp: def.progType === 'XDP', frags: def.frags === true, legacy: false };
  if (section.startsWith('xdp.frags/')) return { def: undefined, isXdp: true, frags: true, legacy: true };
  if (section.startsWith('xdp/') || section.startsWith('xdp_')) return { def: undefined, isXdp: true, frags: false, legacy: true };
  return { def: undefined, isXdp: false, frags: false, legacy: false };
}

/** "XDP", "SCHED_CLS", … or "unknown" for messages. */
export function describeSection(section: string): string {
  const m = matchSection(section);
  if (m.def) return m.def.progType;
  return m.isXdp ? 'XDP (libbpf 0.x prefix rule)' : 'unknown program type';
}
