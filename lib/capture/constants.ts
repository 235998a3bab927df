/**
 * Capture file constants, named as the specs name them.
 * pcap: draft-ietf-opsawg-pcap (§4 file header, §5 packet record).
 * pcapng: draft-ietf-opsawg-pcapng (§4 blocks, §3.5 options) — section numbers from draft -02.
 * Link types: https://www.tcpdump.org/linktypes.html (LINKTYPE_*).
 */

/** Classic pcap magic numbers as read in the file's own byte order (§4). */
export const PcapMagic = {
  /** Seconds + microseconds timestamps. */
  USEC: 0xa1b2c3d4,
  /** Seconds + nanoseconds timestamps. */
  NSEC: 0xa1b23c4d,
  /** The same magics read in the other byte order. */
  USEC_SWAPPED: 0xd4c3b2a1,
  NSEC_SWAPPED: 0x4d3cb2a1,
} as const;

/** pcap file header is 24 bytes, packet record header 16 (§4, §5). */
export const PCAP_FILE_HEADER_LENGTH = 24;
export const PCAP_RECORD_HEADER_LENGTH = 16;
export const PCAP_VERSION_MAJOR = 2;
export const PCAP_VERSION_MINOR = 4;

/** pcapng block types (§4.1 SHB, §4.2 IDB, §4.3 EPB, §4.4 SPB, §4.5 NRB, §4.6 ISB, Appendix A PB). */
export const BlockType = {
  SHB: 0x0a0d0d0a,
  IDB: 0x00000001,
  /** Obsolete Packet Block (Appendix A). */
  PB: 0x00000002,
  SPB: 0x00000003,
  NRB: 0x00000004,
  ISB: 0x00000005,
  EPB: 0x00000006,
  /** Decryption Secrets Block (§4.7). */
  DSB: 0x0000000a,
} as const;

/** Byte-order magic inside the SHB (§4.1), as read in the section's own byte order. */
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
export const BYTE_ORDER_MAGIC_SWAPPED = 0x4d3c2b1a;
export const PCAPNG_VERSION_MAJOR = 1;
export const PCAPNG_VERSION_MINOR = 0;

/** Fixed block overhead: type + length + trailing length (§3.1). */
export const BLOCK_OVERHEAD = 12;

/** An EPB without options and data: block overhead + interface id, timestamp (2 words), captured and original length. */
export const EPB_FIXED_LENGTH = 32;

/** Options common to all blocks (§3.5). */
export const OptionCode = {
  ENDOFOPT: 0,
  COMMENT: 1,
  CUSTOM_STR_COPY: 2988,
  CUSTOM_BIN_COPY: 2989,
  CUSTOM_STR: 19372,
  CUSTOM_BIN: 19373,
} as const;

/** SHB options (§4.1). */
export const ShbOption = { HARDWARE: 2, OS: 3, USERAPPL: 4 } as const;

/** IDB options (§4.2). */
export const IdbOption = {
  NAME: 2,
  DESCRIPTION: 3,
  IPV4ADDR: 4,
  IPV6ADDR: 5,
  MACADDR: 6,
  EUIADDR: 7,
  SPEED: 8,
  /** u8: MSB 0 → 10^-n seconds, MSB 1 → 2^-n seconds; default 6 (µs). */
  TSRESOL: 9,
  TZONE: 10,
  FILTER: 11,
  OS: 12,
  FCSLEN: 13,
  /** i64 seconds added to every timestamp of the interface. */
  TSOFFSET: 14,
  HARDWARE: 15,
} as const;

/** Default if_tsresol (§4.2): 10^-6 seconds. */
export const DEFAULT_TSRESOL = 6;
/** if_tsresol value we write: 10^-9 seconds (nanoseconds). */
export const TSRESOL_NSEC = 9;

/** EPB options (§4.3.1). */
export const EpbOption = {
  FLAGS: 2,
  HASH: 3,
  DROPCOUNT: 4,
  PACKETID: 5,
  QUEUE: 6,
  /** Type byte + type-specific data; for eBPF types an u64 action (§4.3.1 epb_verdict). */
  VERDICT: 7,
} as const;

/** Obsolete Packet Block options (Appendix A). */
export const PbOption = { FLAGS: 2, HASH: 3 } as const;

/** ISB options (§4.6). */
export const IsbOption = {
  STARTTIME: 2,
  ENDTIME: 3,
  IFRECV: 4,
  IFDROP: 5,
  FILTERACCEPT: 6,
  OSDROP: 7,
  USRDELIV: 8,
} as const;

/** epb_verdict type byte (§4.3.1). */
export const VerdictType = { HARDWARE: 0, LINUX_EBPF_TC: 1, LINUX_EBPF_XDP: 2 } as const;

/** epb_flags direction bits (§4.3.1, bits 0-1). */
export const EpbFlags = { INBOUND: 1, OUTBOUND: 2 } as const;

/** LINKTYPE_* values we name; any other value passes through unchanged. */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LINUX_SLL: 113,
  LINUX_SLL2: 276,
} as const;

/** Default cap on one packet's captured length (tcpdump's MAXIMUM_SNAPLEN). */
export const DEFAULT_MAX_CAPLEN = 262144;
/** Default cap on one pcapng block's total length. */
export const DEFAULT_MAX_BLOCK_LENGTH = 16 * 1024 * 1024;

/** Stable codes of the FormatErrors the capture readers raise. */
export const CaptureErrorCode = {
  EMPTY: 'EMPTY',
  BAD_MAGIC: 'BAD_MAGIC',
  SHORT_HEADER: 'SHORT_HEADER',
  BAD_VERSION: 'BAD_VERSION',
  BAD_BYTE_ORDER_MAGIC: 'BAD_BYTE_ORDER_MAGIC',
  BAD_BLOCK_LENGTH: 'BAD_BLOCK_LENGTH',
  BLOCK_TOO_LARGE: 'BLOCK_TOO_LARGE',
  TRAILER_MISMATCH: 'TRAILER_MISMATCH',
  CAPLEN_TOO_LARGE: 'CAPLEN_TOO_LARGE',
  CAPLEN_EXCEEDS_BLOCK: 'CAPLEN_EXCEEDS_BLOCK',
  BAD_OPTION: 'BAD_OPTION',
  BAD_BLOCK_BODY: 'BAD_BLOCK_BODY',
  UNKNOWN_INTERFACE: 'UNKNOWN_INTERFACE',
  TRUNCATED: 'TRUNCATED',
} as const;
export type CaptureErrorCode = (typeof CaptureErrorCode)[keyof typeof CaptureErrorCode];
