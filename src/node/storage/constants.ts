/** File magic of an append log: "CMLOG", a NUL, format version 1, newline. */
export const APPEND_LOG_MAGIC = new Uint8Array([0x43, 0x4d, 0x4c, 0x4f, 0x47, 0x00, 0x01, 0x0a])

/** Per-record frame header: u32 length + u32 CRC-32 (little endian). */
export const RECORD_HEADER_BYTES = 8

/**
 * Largest record accepted (and believed on recovery): a length field above this is treated as damage,
 * not as an instruction to read gigabytes.
 * @default 64 MiB
 */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024

/** Name of the lock file inside a locked directory. */
export const LOCK_FILE_NAME = 'LOCK'
