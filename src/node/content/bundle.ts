// An adapter bundle is one deterministic tar: `manifest.json` (the signed manifest, canonical JSON)
// followed by the PEFT files the manifest's contentHash covers, in name order. One file, so its CID
// is the one `ipfs add` / `ipfs_cid` computes for `continuum genome export <cid> bundle.tar`.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import {
  bundleDigest, decodeManifest, encodeManifest, PEFT_FILES, type AdapterManifest, type PeftFileInfo
} from '../manifest'
import { MANIFEST_FILE } from './constants'
import { InvalidBundleError } from './errors'
import { readTar, type TarEntrySource } from './tar'

/** Files a bundle may carry besides the manifest. */
export const BUNDLE_FILES: readonly string[] = [PEFT_FILES.config, PEFT_FILES.weights, PEFT_FILES.card]
const REQUIRED_FILES = [PEFT_FILES.config, PEFT_FILES.weights]
const MAX_MANIFEST_BYTES = 64 * 1024

/** Tar entries of a bundle: the manifest, then the PEFT files (read from `dir`) in name order. */
export function bundleEntries (manifest: AdapterManifest, dir: string, files: PeftFileInfo[]): TarEntrySource[] {
  const manifestBytes = encodeManifest(manifest)
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  for (const f of sorted) if (!BUNDLE_FILES.includes(f.path)) throw new InvalidBundleError(`${f.path} cannot go into a bundle`)
  return [
    { name: MANIFEST_FILE, size: manifestBytes.length, content: () => [manifestBytes] },
    ...sorted.map(f => ({ name: f.path, size: f.sizeBytes, content: () => createReadStream(path.join(dir, f.path)) as AsyncIterable<Uint8Array> }))
  ]
}

export interface ExtractedBundle {
  manifest: AdapterManifest
  files: PeftFileInfo[]
}

/**
 * Unpacks a bundle stream into `destDir` (an existing empty folder), then checks it: only known file
 * names, each once; the manifest's signature; and the files against the manifest's contentHash and
 * sizeBytes. Throws InvalidBundleError; the caller removes `destDir` on failure.
 */
export async function extractBundle (source: AsyncIterable<Uint8Array>, destDir: string, options: { signal?: AbortSignal } = {}): Promise<ExtractedBundle> {
  const seen = new Set<string>()
  const files: PeftFileInfo[] = []
  let manifestBytes: Uint8Array | undefined
  let manifestParts: Uint8Array[] = []
  let fh: FileHandle | undefined
  let hash = createHash('sha256')
  let first = true
  let manifest: AdapterManifest | undefined
  let declared = 0
  try {
    await readTar(source, {
      begin: async e => {
        options.signal?.throwIfAborted()
        if (seen.has(e.name)) throw new InvalidBundleError(`bundle: ${e.name} appears twice`)
        seen.add(e.name)
        if (first && e.name !== MANIFEST_FILE) throw new InvalidBundleError(`bundle: the first file must be ${MANIFEST_FILE}, got ${e.name}`)
        first = false
        if (e.name === MANIFEST_FILE) {
          if (e.size > MAX_MANIFEST_BYTES) throw new InvalidBundleError(`bundle: ${MANIFEST_FILE} is larger than 64 KiB`)
          manifestParts = []
          return
        }
        if (!BUNDLE_FILES.includes(e.name)) throw new InvalidBundleError(`bundle: unexpected file "${e.name}"`)
        // The manifest came first and verified: files may not add up to more than it says.
        declared += e.size
        if (manifest !== undefined && declared > manifest.sizeBytes) throw new InvalidBundleError(`bundle: the files hold more than the manifest's ${manifest.sizeBytes} bytes`)
        hash = createHash('sha256')
        fh = await open(path.join(destDir, e.name), 'wx', 0o644)
      },
      data: async piece => {
        if (fh === undefined) { manifestParts.push(piece.slice()); return }
        hash.update(piece)
        await fh.write(piece)
      },
      end: async e => {
        if (e.name === MANIFEST_FILE) {
          // Verify the manifest before any file is written, so a bad bundle writes nothing big.
          manifestBytes = Buffer.concat(manifestParts)
          const check = await decodeManifest(manifestBytes, options)
          if (!check.ok) throw new InvalidBundleError(`bundle: the manifest does not verify: ${check.problems.slice(0, 3).join('; ')}`)
          manifest = check.manifest
          return
        }
        await fh!.sync()
        await fh!.close()
        fh = undefined
        files.push({ path: e.name, sizeBytes: e.size, sha256: hash.digest('hex') })
      }
    })
  } finally {
    await fh?.close().catch(() => {})
  }
  if (manifestBytes === undefined || manifest === undefined) throw new InvalidBundleError(`bundle: no ${MANIFEST_FILE}`)
  for (const r of REQUIRED_FILES) if (!seen.has(r)) throw new InvalidBundleError(`bundle: ${r} is missing`)
  const digest = bundleDigest(files)
  if (digest !== manifest.contentHash) throw new InvalidBundleError(`bundle: the files do not match the manifest's contentHash (${manifest.contentHash}, got ${digest})`)
  const total = files.reduce((s, f) => s + f.sizeBytes, 0)
  if (total !== manifest.sizeBytes) throw new InvalidBundleError(`bundle: the files hold ${total} bytes, the manifest says ${manifest.sizeBytes}`)
  return { manifest, files }
}

/** SHA-256 of a file's bytes (to check an installed folder without the network). */
export async function sha256OfFile (file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}
