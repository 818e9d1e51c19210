// Crash-safe storage primitives: atomic file replacement, a checksummed fsynced append log with group
// commit and tail recovery, and an exclusive data-directory lock.
export { writeFileAtomic, fsyncDir, tempPathFor, type AtomicWriteOptions } from './atomic-file'
export { openAppendLog, type AppendLog, type AppendLogInit, type AppendLogOpenResult, type AppendLogRecovery } from './append-log'
export { lockDirectory, type DirectoryLock } from './lock'
export { crc32 } from './crc32'
export * from './errors'
export { APPEND_LOG_MAGIC, MAX_RECORD_BYTES, LOCK_FILE_NAME } from './constants'
