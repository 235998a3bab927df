/** xdpreplay library: the public API. No process I/O here. */
export * from './errors.ts';
export * from './isa/instruction.ts';
export * from './isa/opcode.ts';
export type * from './object/types.ts';
export { MapType } from './object/types.ts';
export * from './capture/index.ts';
export { loadObject, selectProgram, objectNameFromPath, type LoadObjectOptions } from './object/load-object.ts';
export { Btf, type FormattedValue } from './object/btf.ts';
export { formatBtfValue, stringifyFormatted } from './object/btf-format.ts';
export { loadXdpProgram, loadXdpProgramFromElf, XdpProgram, XdpMaps, type XdpResult, type XdpRunOptions, type XdpLoadOptions, type XdpMapHandle } from './xdp/xdp-program.ts';
export { XdpAction, XDP_ACTION_NAMES } from './xdp/constants.ts';
export type { VmFault, VmFaultKind } from './vm/fault.ts';
export { diff, compareResults, firstDifferingByte, verdictLabel, DIFF_KINDS, type DiffCompare, type DiffKind, type DiffOptions, type DiffPacket, type DiffReport, type DiffSideInfo, type DiffSideResult, type ResultDifference } from './replay/diff.ts';
export { formatDiffReport, formatDiffPacket, formatMatrix, diffReportJson } from './replay/diff-report.ts';
