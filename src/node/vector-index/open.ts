// Opening an index directory: checks the options, takes the directory lock, opens (and repairs) the append
// log, loads the snapshot the log refers to and replays only the records after it.
import path from 'node:path'
import { lockDirectory, openAppendLog } from '../storage'
import { decodeRecord, encodeDelete, encodeHeader, OP_SNAPSHOT } from './codec'
import { DEFAULT_DIMENSIONS, DEFAULT_REMOTE_CAPACITY, LOG_FILE_NAME, MAX_REMOTE_CAPACITY } from './constants'
import { readSnapshot, removeStaleSnapshots, type LoadedSnapshot } from './snapshot'
import type { VectorIndex, VectorIndexInit } from './types'
import { VectorIndexImpl } from './vector-index'

/** Opens (creating if needed) the index in `init.dir`: takes the directory lock, replays and repairs the log. */
export async function openVectorIndex (init: VectorIndexInit, options: { signal?: AbortSignal } = {}): Promise<VectorIndex> {
  const dimensions = init.dimensions ?? DEFAULT_DIMENSIONS
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 65536) throw new RangeError(`dimensions must be an integer in 1..65536, got ${dimensions}`)
  const remoteCapacity = init.remoteCapacity ?? DEFAULT_REMOTE_CAPACITY
  if (!Number.isInteger(remoteCapacity) || remoteCapacity < 0 || remoteCapacity > MAX_REMOTE_CAPACITY) throw new RangeError(`remoteCapacity must be an integer in 0..${MAX_REMOTE_CAPACITY}, got ${remoteCapacity}`)
  options.signal?.throwIfAborted()
  const lock = await lockDirectory(init.dir, options)
  try {
    const { log, records, recovery } = await openAppendLog(path.join(init.dir, LOG_FILE_NAME), {}, options)
    try {
      const index = new VectorIndexImpl(init, dimensions, remoteCapacity, lock, log, recovery)
      // The state up to the last snapshot reference is in that file; only the records after it replay.
      let start = 0
      let snapshot: LoadedSnapshot | null = null
      for (let i = records.length - 1; i >= 0; i--) {
        if (records[i][0] !== OP_SNAPSHOT) continue
        const ref = decodeRecord(records[i], dimensions)
        if (ref.op !== OP_SNAPSHOT) break
        snapshot = await readSnapshot(path.join(init.dir, ref.file), options, (h) => index.snapshotPlacement(h))
        index.snapshotFile = ref.file
        start = i + 1
        break
      }
      await removeStaleSnapshots(init.dir, index.snapshotFile)
      const evicted = index.replay(records, snapshot, start)
      if (log.count === 0) await log.append(encodeHeader(dimensions), options)
      // Persist evictions caused by a lowered cap, so raising it again does not bring them back.
      if (evicted.length > 0) await log.appendMany(evicted.map(encodeDelete), options)
      return index
    } catch (err) {
      await log.close()
      throw err
    }
  } catch (err) {
    await lock.release()
    throw err
  }
}
