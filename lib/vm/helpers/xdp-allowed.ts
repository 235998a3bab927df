/**
 * Helper ids the kernel lets a BPF_PROG_TYPE_XDP program call: xdp_func_proto (net/core/filter.c)
 * falling back to bpf_sk_base_func_proto and bpf_base_func_proto (kernel/bpf/helpers.c).
 * Measured on 6.18 x86-64 as root (CAP_BPF + CAP_PERFMON) by loading `call <id>` for every id
 * 1..215: an id is allowed when the verifier gets past "program of this type cannot use
 * helper" / "unknown func" (it then complains about arguments or accepts). Ids above 211 do
 * not exist (the helper list is frozen; new kernel functions are kfuncs).
 *
 * Capabilities: without CAP_BPF the ids in NEEDS_CAP_BPF are refused, without CAP_PERFMON also
 * those in NEEDS_CAP_PERFMON (an unprivileged loader is not modelled: we load as root would).
 */
export const XDP_ALLOWED_HELPERS: ReadonlySet<number> = new Set([
  1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 23, 25, 28, 35, 37, 42, 44, 51, 54, 55, 65, 69, 80,
  84, 85, 86, 87, 88, 89, 93, 94, 99, 100, 105, 106, 109, 110, 112, 113, 114, 115, 117, 118, 120,
  123, 125, 130, 131, 132, 133, 134, 136, 137, 138, 139, 140, 141, 148, 149, 153, 154, 156, 157,
  158, 160, 163, 164, 165, 169, 170, 171, 172, 175, 176, 177, 178, 180, 181, 182, 188, 189, 190,
  191, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 211,
]);

/** Allowed for XDP only with CAP_BPF (bpf_base_func_proto's second group). */
export const NEEDS_CAP_BPF: ReadonlySet<number> = new Set([
  93, 94, 118, 153, 154, 169, 170, 171, 172, 194, 164, 181, 209, 198, 199, 200, 197, 201, 202, 203,
  210, 211, 80, 123, 37, 17, 156, 157,
]);

/** Allowed for XDP only with CAP_PERFMON (bpf_base_func_proto's third group, bpf_sk_base_func_proto). */
export const NEEDS_CAP_PERFMON: ReadonlySet<number> = new Set([
  6, 35, 158, 16, 112, 113, 114, 115, 148, 191, 149, 165, 175, 177, 55, 22, 109, 117, 141, 176, 180,
  136, 137, 138, 139, 140, 178, 196, 160,
]);

/**
 * Allowed by the helper table but refused by the verifier for any XDP program: these may sleep
 * (copy_from_user, copy_from_user_task) and XDP programs cannot be sleepable.
 */
export const SLEEPABLE_ONLY_HELPERS: ReadonlySet<number> = new Set([148, 191]);
