// `npm run package`: packs a platform-specific VSIX with @vscode/vsce, offline.
// It bundles the extension, the embedding worker and the web UI straight into a staging folder
// (.cache/vsix/stage-<pid>; not dist/, which other builds may be rewriting at the same time), adds media,
// the embedding model and onnxruntime-node for one platform, and lets .vscodeignore trim that. Usage:
//   npm run package [-- --target linux-x64] [--out FILE]
import { spawnSync } from 'node:child_process'
import { build } from 'esbuild'
import { copyFileSync, linkSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { ensureModel, MODEL_NAME } from './build-model.mjs'
import { nodeBundle, workerEntryPoints } from './esbuild-options.mjs'
import { buildWebview } from '../webview-ui/build.mjs'

const root = path.resolve(import.meta.dirname, '..')

/** vsce target → onnxruntime-node's binary folder. */
const ORT_BINARIES = {
  'linux-x64': 'linux/x64',
  'linux-arm64': 'linux/arm64',
  'darwin-arm64': 'darwin/arm64',
  'win32-x64': 'win32/x64',
  'win32-arm64': 'win32/arm64'
}

function arg (name) {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : undefined
}

/**
 * Copies a tree; with `link`, hard-links instead (fast, no extra space) — only for files nothing rewrites in
 * place (the model, native binaries): a bundle rebuilt while vsce zips it would change under a link.
 */
function linkTree (from, to, link = false) {
  const st = statSync(from)
  if (st.isDirectory()) {
    mkdirSync(to, { recursive: true })
    for (const name of readdirSync(from)) linkTree(path.join(from, name), path.join(to, name), link)
    return
  }
  mkdirSync(path.dirname(to), { recursive: true })
  if (link) {
    try { linkSync(from, to); return } catch { /* another file system: copy */ }
  }
  copyFileSync(from, to)
}

function run (cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { stdio: 'inherit', ...opts })
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${res.status})`)
}

export async function packageExtension ({ target = `${process.platform}-${process.arch}`, out, log = m => console.error(`package: ${m}`) } = {}) {
  const ortDir = ORT_BINARIES[target]
  if (ortDir === undefined) throw new Error(`Unsupported target ${target}; use one of ${Object.keys(ORT_BINARIES).join(', ')}`)
  const started = Date.now()
  await ensureModel({ log: m => log(`model: ${m}`) })

  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
  const stage = path.join(root, '.cache', 'vsix', `stage-${process.pid}`)
  rmSync(stage, { recursive: true, force: true })
  mkdirSync(stage, { recursive: true })
  try {
    // The manifest as the extension needs it: no scripts (vsce would run vscode:prepublish), no dev tooling,
    // and onnxruntime-node as the one runtime dependency (everything else is bundled).
    const { scripts: _s, devDependencies: _d, bin: _b, dependencies, overrides: _o, ...manifest } = pkg
    manifest.dependencies = { 'onnxruntime-node': dependencies['onnxruntime-node'] }
    writeFileSync(path.join(stage, 'package.json'), JSON.stringify(manifest, null, 2))
    copyFileSync(path.join(root, 'package.nls.json'), path.join(stage, 'package.nls.json'))
    copyFileSync(path.join(root, 'media', 'vsix-readme.md'), path.join(stage, 'README.md'))
    // The bundles, built the way scripts/build.mjs builds them (minified, no source maps).
    const dist = path.join(stage, 'dist')
    const bundle = { ...nodeBundle, minify: true, sourcemap: false, logLevel: 'error' }
    await build({ ...bundle, entryPoints: [path.join(root, 'src', 'extension', 'extension.ts')], outfile: path.join(dist, 'extension.js') })
    for (const w of workerEntryPoints) await build({ ...bundle, entryPoints: [w.in], outfile: path.join(dist, `${w.out}.cjs`) })
    await buildWebview(path.join(dist, 'webview'))
    linkTree(path.join(root, 'media'), path.join(stage, 'media'))
    linkTree(path.join(root, 'models', MODEL_NAME), path.join(stage, 'models', MODEL_NAME), true)
    // onnxruntime-node with this platform's binary only; its own dependencies other than onnxruntime-common
    // serve its install script, which the VSIX does not run.
    const ortSrc = path.join(root, 'node_modules', 'onnxruntime-node')
    const ortDst = path.join(stage, 'node_modules', 'onnxruntime-node')
    for (const d of ['dist', 'lib']) linkTree(path.join(ortSrc, d), path.join(ortDst, d))
    linkTree(path.join(ortSrc, 'bin', 'napi-v6', ortDir), path.join(ortDst, 'bin', 'napi-v6', ortDir), true)
    const ortPkg = JSON.parse(readFileSync(path.join(ortSrc, 'package.json'), 'utf8'))
    ortPkg.dependencies = { 'onnxruntime-common': ortPkg.dependencies['onnxruntime-common'] }
    delete ortPkg.scripts
    writeFileSync(path.join(ortDst, 'package.json'), JSON.stringify(ortPkg, null, 2))
    linkTree(path.join(root, 'node_modules', 'onnxruntime-common'), path.join(stage, 'node_modules', 'onnxruntime-common'))
    copyFileSync(path.join(root, '.vscodeignore'), path.join(stage, '.vscodeignore'))

    const file = path.resolve(out ?? path.join(root, `${pkg.name}-${pkg.version}-${target}.vsix`))
    const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce')
    // vsce prints its file list on stdout: send it to stderr so callers can print JSON on stdout.
    run(process.execPath, [vsce, 'package', '--target', target, '--out', file, '--skip-license', '--allow-missing-repository', '--no-update-package-json', '--no-git-tag-version', '--no-rewrite-relative-links'], { cwd: stage, stdio: ['ignore', process.stderr, process.stderr] })
    const size = statSync(file).size
    log(`${path.relative(process.cwd(), file)}: ${(size / 1024 / 1024).toFixed(1)} MiB in ${Math.round((Date.now() - started) / 1000)} s`)
    return { file, size }
  } finally {
    rmSync(stage, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  packageExtension({ target: arg('--target'), out: arg('--out') }).catch(err => {
    console.error(`package: ${err.message}`)
    process.exit(1)
  })
}
