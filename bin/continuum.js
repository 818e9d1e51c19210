#!/usr/bin/env node
// The `continuum` command: runs the bundled CLI (built by `npm run build`).
const path = require('node:path')
const fs = require('node:fs')
const bundle = path.join(__dirname, '..', 'dist', 'cli.js')
if (!fs.existsSync(bundle)) {
  console.error('error: the CLI is not built yet: run `npm run build` in ' + path.join(__dirname, '..'))
  process.exit(1)
}
require(bundle).main().then(code => { process.exitCode = code }, err => { console.error(`error: ${err.message}`); process.exitCode = 1 })
