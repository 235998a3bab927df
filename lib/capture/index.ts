/** Public capture API: readers, writer, records, constants. */
export * from './constants.ts';
export type * from './types.ts';
export { PcapStreamReader } from './pcap-stream-reader.ts';
export { PacketRun } from './packet-run.ts';
export { RunEpbEncoder } from './run-epb-encoder.ts';
export { PcapngStreamReader } from './pcapng-stream-reader.ts';
export { CaptureReader, detectCaptureFormat, readCapture, type ReadCaptureEnd, type ReadCaptureOptions } from './read-capture.ts';
export { PcapngWriter, xdpVerdict, type BlockEncoder, type InterfaceOut, type NumberedComment, type PacketOut, type PcapngWriterOptions, type Sink, type VerdictOut } from './pcapng-writer.ts';
