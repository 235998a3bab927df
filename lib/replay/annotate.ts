import { EpbFlags } from '../capture/constants.ts';
import type { NumberedComment, PacketOut, VerdictOut } from '../capture/pcapng-writer.ts';
import { xdpVerdict } from '../capture/pcapng-writer.ts';
import type { SourceLine } from '../object/types.ts';
import { XDP_ACTION_NAMES, XdpAction } from '../xdp/constants.ts';
import type { XdpResult } from '../xdp/xdp-program.ts';

/** `XDP_DROP`, or the bare number for values outside enum xdp_action (the kernel reports them as they are). */
export function actionName(action: number): string {
  return XDP_ACTION_NAMES[action] ?? String(action);
}

/** Parse `drop,tx,XDP_PASS,4` into action numbers. Returns the unknown words too. */
export function parseActions(list: readonly string[]): { actions: Set<number>; unknown: string[] } {
  const actions = new Set<number>();
  const unknown: string[] = [];
  for (const word of list.flatMap((w) => w.split(',')).map((w) => w.trim()).filter(Boolean)) {
    const upper = word.toUpperCase().replace(/^XDP_/, '');
    const i = XDP_ACTION_NAMES.indexOf(`XDP_${upper}`);
    if (i >= 0) actions.add(i);
    else if (/^\d+$/.test(word)) actions.add(Number(word));
    else unknown.push(word);
  }
  return { actions, unknown };
}

const labels = new WeakMap<SourceLine, string>();

/** `firewall.c:42` (the path as BTF stores it, without a leading `./`); cached per line object, the per-packet path. */
export function lineLabel(line: SourceLine | undefined): string | undefined {
  if (line === undefined) return undefined;
  let label = labels.get(line);
  if (label === undefined) {
    label = `${line.file.replace(/^\.\//, '')}:${line.line}`;
    labels.set(line, label);
  }
  return label;
}

/** A source line that states a verdict: a `return` or an XDP action name. */
const DECIDES = /\breturn\b|\bXDP_[A-Z]+\b/;
const decidesCache = new WeakMap<SourceLine, boolean>();

/** DECIDES.test(line.text), cached per line object (a regular expression per packet costs). */
function decides(line: SourceLine): boolean {
  let d = decidesCache.get(line);
  if (d === undefined) {
    d = DECIDES.test(line.text);
    decidesCache.set(line, d);
  }
  return d;
}

/**
 * Where a run decided its verdict, as `file.c:42`: the line of the `return` that produced r0's
 * value (XdpResult.verdictLine) when the compiler's shared epilogue put the exit instruction on
 * another line; otherwise the exit instruction's line; `prog+insn` without line info.
 */
export function exitLabel(r: XdpResult): string {
  return exitLabelAt(r.line, r.verdictLine, r.exitProgram, r.exitInsn);
}

/** exitLabel() from its parts: the exit's line, the verdict's line, and the program and insn for `prog+insn`. */
export function exitLabelAt(line: SourceLine | undefined, v: SourceLine | undefined, program: string, insn: number): string {
  // Consecutive packets mostly leave at the same place: the last answer first (two WeakMap lookups saved).
  if (line !== undefined && line === lastExit.line && v === lastExit.verdictLine) return lastExit.label;
  const label = v !== undefined && v !== line && v.line !== 0 && decides(v) ? lineLabel(v)! : lineLabel(line) ?? `${program}+${insn}`;
  lastExit.line = line;
  lastExit.verdictLine = v;
  lastExit.label = label;
  return label;
}
const lastExit: { line: SourceLine | undefined; verdictLine: SourceLine | undefined; label: string } = { line: undefined, verdictLine: undefined, label: '' };

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

function redirectText(r: XdpResult): string | undefined {
  const t = r.redirect;
  if (t === undefined || (r.action !== XdpAction.REDIRECT && r.action !== XdpAction.TX)) return undefined;
  if (t.map !== undefined) return `redirect=${t.map}[${t.key ?? '?'}]${t.flags ? ` flags=0x${t.flags.toString(16)}` : ''}`;
  if (t.ifindex !== undefined) return `redirect=ifindex ${t.ifindex}`;
  return undefined;
}

/** A run whose comment is just `ACTION file.c:line insns=N`: no tail call, redirect, metadata, fragments, fault or printk. */
function saysOnlyVerdict(r: XdpResult): boolean {
  return r.tailCalls === 0 && r.redirect === undefined && r.meta.length === 0 && r.fragBytes === undefined && r.fault === undefined && r.printk.length === 0;
}

/**
 * The per-packet comment: `XDP_DROP firewall.c:42 insns=87`, then the fault, redirect target,
 * metadata and fragment notes, then one line per bpf_trace_printk output.
 * Wireshark filters it with `frame.comment contains "firewall.c:42"`.
 */
export function resultComment(r: XdpResult): string {
  if (r.notRun !== undefined) return `not run: ${r.notRun}`;
  const first = `${actionName(r.action)} ${exitLabel(r)} insns=${r.insns}`;
  // The common case, on the per-packet path: nothing else to say.
  if (saysOnlyVerdict(r)) return first;
  const head = [first];
  if (r.tailCalls > 0) head.push(`tail_calls=${r.tailCalls}`);
  const redirect = redirectText(r);
  if (redirect !== undefined) head.push(redirect);
  if (r.meta.length > 0) head.push(`meta=${hex(r.meta)}`);
  if (r.fragBytes !== undefined) head.push(`frags=${r.fragBytes}`);
  const lines = [head.join(' ')];
  if (r.fault !== undefined) lines.push(`fault: ${r.fault.message}`);
  for (const p of r.printk) lines.push(`printk: ${p}`);
  return lines.join('\n');
}

export interface RecordContext {
  interfaceId: number;
  tsNs: bigint;
  packetId: number;
  queue: number;
}

const utf8 = new TextEncoder();
/** `XDP_PASS firewall.c:42 insns=` as UTF-8, by exit label, then by action (0..255). */
const commentHeads = new Map<string, (Uint8Array | undefined)[]>();
/** The comment plainComment() refills (the writer copies it at once). */
const plain: NumberedComment = { head: new Uint8Array(0), value: 0 };

/**
 * resultComment() of a plain run (nothing but verdict, exit line and count) as a cached UTF-8
 * head and the count: making and encoding the string per packet cost ~0.3 µs. Undefined when
 * the comment has more to say. Valid until the next call.
 */
function plainComment(r: XdpResult): NumberedComment | undefined {
  if (r.notRun !== undefined || !saysOnlyVerdict(r)) return undefined;
  const action = r.action;
  if (action > 255) return undefined;
  plain.head = commentHead(action, exitLabel(r));
  plain.value = r.insns;
  return plain;
}

/** `XDP_PASS firewall.c:42 insns=` as UTF-8 (cached): the head of a plain run's comment, before its count. Action ≤ 255. */
export function commentHead(action: number, label: string): Uint8Array {
  let byAction = commentHeads.get(label);
  if (byAction === undefined) commentHeads.set(label, (byAction = []));
  let head = byAction[action];
  if (head === undefined) byAction[action] = head = utf8.encode(`${actionName(action)} ${label} insns=`);
  return head;
}

/** One shared, never-modified verdict list per action value (no objects per packet). */
const verdictLists = new Map<number, readonly VerdictOut[]>();
function verdictsOf(action: number): readonly VerdictOut[] {
  let v = verdictLists.get(action);
  if (v === undefined) {
    v = Object.freeze([Object.freeze(xdpVerdict(action))]);
    verdictLists.set(action, v);
  }
  return v;
}

/** The exit record: the frame as the program left it, with verdict, comment, flags, id, queue. */
export function exitRecord(r: XdpResult, input: Uint8Array, origLen: number, ctx: RecordContext): PacketOut {
  const ran = r.notRun === undefined;
  const outbound = r.action === XdpAction.TX || r.action === XdpAction.REDIRECT;
  const data = ran ? r.packet : input;
  return {
    interfaceId: ctx.interfaceId,
    tsNs: ctx.tsNs,
    data,
    // A snapped input stays snapped by the same amount; a rewritten frame is otherwise whole.
    origLen: ran ? data.length + Math.max(0, origLen - input.length) : origLen,
    verdicts: ran ? verdictsOf(r.action) : undefined,
    comments: [plainComment(r) ?? resultComment(r)],
    flags: ran && outbound ? EpbFlags.OUTBOUND : EpbFlags.INBOUND,
    packetId: ctx.packetId,
    queue: ctx.queue,
  };
}

/** The entry record: the input frame as the program was given it. */
export function entryRecord(input: Uint8Array, origLen: number, ctx: RecordContext): PacketOut {
  return {
    interfaceId: ctx.interfaceId,
    tsNs: ctx.tsNs,
    data: input,
    origLen,
    flags: EpbFlags.INBOUND,
    packetId: ctx.packetId,
    queue: ctx.queue,
  };
}
