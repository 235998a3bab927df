/** BTF (.BTF section) — parsed type information. Filled in by the object-loader work (issue 3). */
export interface Btf {
  readonly typeCount: number;
}
