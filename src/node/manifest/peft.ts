// Read a Hugging Face PEFT adapter folder (adapter_config.json, adapter_model.safetensors and an
// optional README.md model card) into the fields of a manifest. The caller adds the embedding
// (of manifestSearchText(fields)) and signs.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import type { AbortOptions } from '@libp2p/interface'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { canonicalize } from './canonical.js'
import { DEFAULT_ADAPTER_VERSION, DEFAULT_DOMAIN, LIMITS, PEFT_FILES, PEFT_LIMITS, UNKNOWN_LICENSE } from './constants.js'
import { InvalidPeftFolderError } from './errors.js'
import { validateAdapterFields } from './manifest.js'
import { readSafetensorsHeader, type SafetensorsHeader } from './safetensors.js'
import type { AdapterFields, AdapterFieldsInput, AdapterKind } from './schema.js'

/** PEFT's `peft_type` → manifest kind (LoRA becomes `dora` with `use_dora`, `qlora` when the card says so). */
export const PEFT_TYPE_KINDS: Readonly<Record<string, AdapterKind>> = Object.freeze({
  LORA: 'lora',
  LOHA: 'loha',
  LOKR: 'lokr',
  ADALORA: 'adalora',
  VERA: 'vera',
  OFT: 'oft',
  BOFT: 'boft',
  IA3: 'ia3',
  PREFIX_TUNING: 'prefix-tuning',
  PROMPT_TUNING: 'prompt-tuning',
  P_TUNING: 'p-tuning'
})

export interface ReadPeftFolderOptions extends AbortOptions {
  /** Fields that replace what the folder says (e.g. a version or domain given on the command line). */
  overrides?: Partial<AdapterFieldsInput>
}

export interface PeftFileInfo {
  /** File name inside the folder. */
  path: string
  sizeBytes: number
  /** Lowercase hex SHA-256 of the file. */
  sha256: string
}

export interface PeftFolderInfo {
  dir: string
  /** Everything a manifest needs except embedding, publisher and signature. */
  fields: AdapterFields
  /** The bundle: files the content hash covers, in name order. */
  files: PeftFileInfo[]
  /** The weights file's validated header. */
  weights: SafetensorsHeader
  /** `peft_type` and `task_type` as written in adapter_config.json. */
  peftType: string
  taskType?: string
}

// adapter_config.json has dozens of fields that vary by PEFT version; read the few we use.
const peftConfigSchema = z.looseObject({
  peft_type: z.string().max(64),
  base_model_name_or_path: z.string().max(1000).nullish(),
  task_type: z.string().max(64).nullish(),
  r: z.number().int().min(1).max(LIMITS.maxRank).nullish(),
  use_dora: z.boolean().nullish(),
  rank_pattern: z.record(z.string(), z.unknown()).nullish(),
  target_modules: z.union([z.array(z.string().max(LIMITS.targetModuleLength)).max(LIMITS.targetModuleCount), z.string().max(LIMITS.targetModuleLength)]).nullish()
})

// Model-card front matter keys we read; `continuum` is this project's own block.
const cardSchema = z.looseObject({
  license: z.string().max(LIMITS.licenseLength).nullish(),
  base_model: z.union([z.string().max(LIMITS.baseModelLength), z.array(z.string().max(LIMITS.baseModelLength))]).nullish(),
  tags: z.array(z.string().max(200)).max(200).nullish(),
  pipeline_tag: z.string().max(64).nullish(),
  continuum: z.looseObject({
    id: z.string().max(LIMITS.idLength).optional(),
    name: z.string().max(LIMITS.nameLength).optional(),
    version: z.string().max(LIMITS.versionLength).optional(),
    kind: z.string().max(32).optional(),
    domain: z.string().max(LIMITS.domainLength).optional(),
    specializations: z.array(z.string()).max(LIMITS.tagCount).optional(),
    capabilities: z.array(z.string()).max(LIMITS.tagCount).optional(),
    price: z.number().optional()
  }).nullish()
})
type Card = z.output<typeof cardSchema>

// Hub tags that say nothing about what an adapter is for.
const GENERIC_TAG = /^(?:peft|lora|qlora|dora|ia3|adapter|safetensors|transformers|pytorch|text-generation(?:-inference)?|conversational|endpoints_compatible|autotrain_compatible|trl|sft|generated_from_trainer|unsloth|(?:base_model|license|region|arxiv|dataset|doi|language|lora|adapter):.*)$/i
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/
const HF_MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*(?:\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/

/**
 * Read a PEFT adapter folder into manifest fields.
 *
 * @throws InvalidPeftFolderError listing everything missing or wrong
 */
export async function readPeftFolder (dir: string, options: ReadPeftFolderOptions = {}): Promise<PeftFolderInfo> {
  const { signal } = options
  signal?.throwIfAborted()
  const problems: string[] = []
  const info = await stat(dir).catch(() => undefined)
  if (info === undefined || !info.isDirectory()) throw new InvalidPeftFolderError(dir, [`${dir}: is not a folder`])

  // adapter_config.json
  let config: z.output<typeof peftConfigSchema> | undefined
  const configText = await readLimited(path.join(dir, PEFT_FILES.config), PEFT_LIMITS.maxConfigBytes)
  if (configText.status === 'missing') problems.push(`${PEFT_FILES.config}: missing`)
  else if (configText.status === 'too-large') problems.push(`${PEFT_FILES.config}: larger than ${PEFT_LIMITS.maxConfigBytes} bytes`)
  else {
    let json: unknown
    try {
      json = JSON.parse(configText.text)
    } catch {
      problems.push(`${PEFT_FILES.config}: is not valid JSON`)
    }
    if (json !== undefined) {
      const parsed = peftConfigSchema.safeParse(json)
      if (!parsed.success) {
        problems.push(...parsed.error.issues.map(i => `${PEFT_FILES.config}: ${i.path.map(String).join('.') || 'file'}: ${i.message}`))
      } else {
        config = parsed.data
        if (!Object.hasOwn(PEFT_TYPE_KINDS, config.peft_type)) {
          problems.push(`${PEFT_FILES.config}: peft_type ${JSON.stringify(config.peft_type)} is not supported (supported: ${Object.keys(PEFT_TYPE_KINDS).join(', ')})`)
        }
      }
    }
  }
  signal?.throwIfAborted()

  // adapter_model.safetensors
  let weights: SafetensorsHeader | undefined
  const weightsPath = path.join(dir, PEFT_FILES.weights)
  const weightsStat = await stat(weightsPath).catch(() => undefined)
  if (weightsStat === undefined || !weightsStat.isFile()) {
    const pickle = await stat(path.join(dir, PEFT_FILES.pickleWeights)).catch(() => undefined)
    problems.push(pickle !== undefined
      ? `${PEFT_FILES.weights}: missing (${PEFT_FILES.pickleWeights} is a pickle file, which can run code when loaded and is not accepted; convert it to safetensors)`
      : `${PEFT_FILES.weights}: missing`)
  } else {
    try {
      weights = await readSafetensorsHeader(weightsPath, { signal })
    } catch (err) {
      if ((err as Error).name !== 'InvalidSafetensorsError') throw err
      problems.push(...(err as { problems: string[] }).problems.map(p => `${PEFT_FILES.weights}: ${p}`))
    }
  }
  signal?.throwIfAborted()

  // README.md (optional model card)
  let card: Card = {}
  let body = ''
  const readmeText = await readLimited(path.join(dir, PEFT_FILES.card), PEFT_LIMITS.maxReadmeBytes)
  const hasReadme = readmeText.status !== 'missing'
  if (readmeText.status === 'too-large') problems.push(`${PEFT_FILES.card}: larger than ${PEFT_LIMITS.maxReadmeBytes} bytes`)
  else if (readmeText.status === 'ok') {
    const split = splitFrontMatter(readmeText.text)
    body = split.body
    if (split.frontMatter !== undefined) {
      let yaml: unknown
      try {
        yaml = parseYaml(split.frontMatter, { maxAliasCount: 50 }) ?? {}
      } catch {
        problems.push(`${PEFT_FILES.card}: front matter is not valid YAML`)
      }
      if (yaml !== undefined) {
        const parsed = cardSchema.safeParse(yaml)
        if (parsed.success) card = parsed.data
        else problems.push(...parsed.error.issues.map(i => `${PEFT_FILES.card}: front matter ${i.path.map(String).join('.') || 'block'}: ${i.message}`))
      }
    }
  }

  // The weights must match the rank the config declares.
  if (config !== undefined && weights !== undefined && typeof config.r === 'number' && Object.keys(config.rank_pattern ?? {}).length === 0 &&
      (config.peft_type === 'LORA' || config.peft_type === 'ADALORA')) {
    const mismatched = weights.tensors.filter(t => /\.lora_A(?:\.[^.]+)?\.weight$/.test(t.name) && t.shape[0] !== config!.r)
    if (mismatched.length > 0) {
      problems.push(`${PEFT_FILES.weights}: ${mismatched.length} lora_A tensor(s) (e.g. ${mismatched[0].name} with shape ${JSON.stringify(mismatched[0].shape)}) do not have rank r=${config.r} from ${PEFT_FILES.config}`)
    }
  }

  // Base model: the config's, unless it is a local path; then the card's.
  let baseModel: string | undefined
  if (config !== undefined) {
    const fromCard = Array.isArray(card.base_model) ? card.base_model[0] : card.base_model ?? undefined
    const fromConfig = config.base_model_name_or_path ?? undefined
    baseModel = fromConfig !== undefined && HF_MODEL_ID.test(fromConfig) ? fromConfig : fromCard
    if (baseModel === undefined && options.overrides?.baseModel === undefined) {
      problems.push(`${PEFT_FILES.config}: base_model_name_or_path ${fromConfig === undefined ? 'is missing' : `${JSON.stringify(fromConfig.slice(0, 200))} is a local path, not a model id`} and ${PEFT_FILES.card} names no base_model`)
    }
  }

  if (problems.length > 0 || config === undefined || weights === undefined) throw new InvalidPeftFolderError(dir, problems)

  // Hash the bundle.
  const names = [PEFT_FILES.config, PEFT_FILES.weights, ...(hasReadme ? [PEFT_FILES.card] : [])].sort()
  const files: PeftFileInfo[] = []
  for (const name of names) {
    const file = path.join(dir, name)
    files.push({ path: name, sizeBytes: (await stat(file)).size, sha256: await sha256File(file, signal) })
  }

  const tags = card.tags ?? []
  const continuum = card.continuum ?? {}
  let kind: AdapterKind = PEFT_TYPE_KINDS[config.peft_type]
  if (kind === 'lora' && config.use_dora === true) kind = 'dora'
  if (kind === 'lora' && (continuum.kind === 'qlora' || tags.some(t => t.toLowerCase() === 'qlora'))) kind = 'qlora'
  const usesRank = ['lora', 'qlora', 'dora', 'loha', 'lokr', 'adalora', 'vera'].includes(kind)
  const targetModules = config.target_modules == null ? undefined : Array.isArray(config.target_modules) ? [...config.target_modules].sort() : [config.target_modules]
  const title = cardTitle(body)
  const derived: AdapterFieldsInput = {
    id: continuum.id ?? slugify(path.basename(path.resolve(dir))),
    name: continuum.name ?? title ?? path.basename(path.resolve(dir)),
    version: continuum.version ?? DEFAULT_ADAPTER_VERSION,
    description: cardDescription(body) ?? `${kind} adapter for ${baseModel}.`,
    kind,
    baseModel: baseModel ?? '',
    ...(usesRank && typeof config.r === 'number' ? { rank: config.r } : {}),
    ...(targetModules !== undefined && targetModules.length > 0 ? { targetModules } : {}),
    license: card.license ?? UNKNOWN_LICENSE,
    // Hub tags are hints: drop the generic ones and any a manifest could not carry, rather than fail.
    specializations: unique(continuum.specializations ?? tags.filter(t => !GENERIC_TAG.test(t) && t.trim().length <= LIMITS.tagLength && !CONTROL.test(t))).slice(0, LIMITS.tagCount),
    capabilities: unique(continuum.capabilities ?? (card.pipeline_tag != null ? [card.pipeline_tag] : [])).slice(0, LIMITS.tagCount),
    domain: continuum.domain ?? DEFAULT_DOMAIN,
    sizeBytes: files.reduce((sum, f) => sum + f.sizeBytes, 0),
    contentHash: bundleDigest(files),
    ...(continuum.price !== undefined ? { price: continuum.price } : {}),
    ...options.overrides
  }
  const checked = validateAdapterFields(derived)
  if (!checked.ok) throw new InvalidPeftFolderError(dir, checked.problems)
  return { dir, fields: checked.fields, files, weights, peftType: config.peft_type, ...(config.task_type != null ? { taskType: config.task_type } : {}) }
}

/**
 * Digest of a bundle: SHA-256 over the canonical JSON of its file list
 * (`[{"path","sha256","sizeBytes"}]` in name order), written `sha256-<hex>`.
 */
export function bundleDigest (files: PeftFileInfo[]): string {
  const list = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map(f => ({ path: f.path, sha256: f.sha256, sizeBytes: f.sizeBytes }))
  return `sha256-${createHash('sha256').update(canonicalize(list)).digest('hex')}`
}

async function sha256File (file: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file, { signal })) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

type Limited = { status: 'ok', text: string } | { status: 'missing' } | { status: 'too-large' }

async function readLimited (file: string, max: number): Promise<Limited> {
  const info = await stat(file).catch(() => undefined)
  if (info === undefined || !info.isFile()) return { status: 'missing' }
  if (info.size > max) return { status: 'too-large' }
  return { status: 'ok', text: await readFile(file, 'utf8') }
}

function splitFrontMatter (text: string): { frontMatter?: string, body: string } {
  const normalised = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n')
  const match = /^---\n([\s\S]*?)\n---[ \t]*(?:\n|$)/.exec(normalised)
  if (match === null) return { body: normalised }
  return { frontMatter: match[1], body: normalised.slice(match[0].length) }
}

function cardTitle (body: string): string | undefined {
  const match = /^#[ \t]+(.+?)[ \t#]*$/m.exec(body)
  const title = match === null ? undefined : plainText(match[1]).slice(0, LIMITS.nameLength).trim()
  return title === '' ? undefined : title
}

/** The card's opening prose: paragraphs after the title, up to the next heading, as plain text. */
function cardDescription (body: string): string | undefined {
  const paragraphs: string[] = []
  let length = 0
  let inFence = false
  let seenProse = false
  // Prose before the title is badges and banners, not the summary.
  const title = /^#[ \t]+.*$/m.exec(body)
  const afterTitle = title === null ? body : body.slice(title.index + title[0].length)
  for (const block of afterTitle.split(/\n[ \t]*\n/)) {
    const trimmed = block.trim()
    if (trimmed.startsWith('```') || trimmed.startsWith('~~~')) {
      // A fence that opens and closes in the same block leaves us outside one.
      const fences = trimmed.split('\n').filter(l => /^(```|~~~)/.test(l.trim())).length
      if (fences % 2 === 1) inFence = !inFence
      continue
    }
    if (inFence || trimmed === '') continue
    if (trimmed.startsWith('#')) {
      if (seenProse) break
      continue
    }
    // Badges, images, HTML, tables and lists are not the summary.
    const withoutLinks = trimmed.replace(/!?\[[^\]]*\]\([^)]*\)/g, '').replace(/!?\[[^\]]*\]\([^)]*\)/g, '').trim()
    if (withoutLinks === '' || /^(?:!\[|<|\||[-*+] |\d+\. |>)/.test(trimmed)) {
      if (seenProse) break
      continue
    }
    const text = plainText(trimmed.replace(/\s*\n\s*/g, ' '))
    if (text === '') continue
    paragraphs.push(text)
    seenProse = true
    length += text.length
    if (length >= 200) break
  }
  if (paragraphs.length === 0) return undefined
  let description = paragraphs.join('\n\n')
  if (description.length > PEFT_LIMITS.descriptionChars) {
    const cut = description.slice(0, PEFT_LIMITS.descriptionChars)
    const sentenceEnd = cut.lastIndexOf('. ')
    description = sentenceEnd > 200 ? cut.slice(0, sentenceEnd + 1) : `${cut.trimEnd()}…`
  }
  return description
}

/** Markdown inline syntax → plain text. */
function plainText (markdown: string): string {
  return markdown
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/(\*\*|__)(.*?)\1/g, '$2')
    .replace(/(^|[^\w*])[*_]([^*_\n]+)[*_](?=$|[^\w*])/g, '$1$2')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
    .trim()
}

function slugify (text: string): string {
  const slug = text.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/-{2,}/g, '-').replace(/^[-._]+|[-._]+$/g, '')
  return slug.slice(0, LIMITS.idLength).replace(/[-._]+$/, '') || 'adapter'
}

function unique (items: string[]): string[] {
  return [...new Set(items.map(s => s.trim()).filter(s => s !== ''))]
}
