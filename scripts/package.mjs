// `npm run package`: builds the extension and packs a platform-specific VSIX with @vscode/vsce, offline.
// It stages only what the extension runs — dist/extension.js and the embedding worker, the web UI bundle,
// media, the embedding model and onnxruntime-node for one platform — into .cache/vsix/stage, then lets
// .vscodeignore trim that. Usage:
//   npm run package [-- --target linux-x64] [--out FILE] [--skip-build]
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { ensureModel, MODEL_NAME } from './build-model.mjs'

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

export async function packageExtension ({ target = `${process.platform}-${process.arch}`, out, skipBuild = false, log = m => console.error(`package: ${m}`) } = {}) {
  const ortDir = ORT_BINARIES[target]
  if (ortDir === undefined) throw new Error(`Unsupported target ${target}; use one of ${Object.keys(ORT_BINARIES).join(', ')}`)
  const started = Date.now()
  if (!skipBuild) run(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, env: { ...process.env, NODE_ENV: 'production' } })
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
    for (const f of ['extension.js', 'embedding-worker.cjs']) {
      if (!existsSync(path.join(root, 'dist', f))) throw new Error(`dist/${f} is missing: run npm run build`)
      linkTree(path.join(root, 'dist', f), path.join(stage, 'dist', f))
    }
    if (existsSync(path.join(root, 'dist', 'webview'))) linkTree(path.join(root, 'dist', 'webview'), path.join(stage, 'dist', 'webview'))
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
  packageExtension({ target: arg('--target'), out: arg('--out'), skipBuild: process.argv.includes('--skip-build') }).catch(err => {
    console.error(`package: ${err.message}`)
    process.exit(1)
  })
}
