// Typed errors of the manifest capability. Callers check `err.name`, not instanceof.

/** A manifest (or the fields for one) failed validation; `problems` lists every `field: problem`. */
export class ManifestValidationError extends Error {
  static override name = 'ManifestValidationError'
  readonly problems: string[]

  constructor (problems: string[], message = `Invalid adapter manifest: ${problems.join('; ')}`) {
    super(message)
    this.name = 'ManifestValidationError'
    this.problems = problems
  }
}

/** The key given to signManifest does not belong to the manifest's publisher. */
export class PublisherMismatchError extends Error {
  static override name = 'PublisherMismatchError'

  constructor (message = 'The signing key does not belong to the manifest publisher') {
    super(message)
    this.name = 'PublisherMismatchError'
  }
}

/** Manifests are signed with Ed25519 keys only. */
export class UnsupportedKeyTypeError extends Error {
  static override name = 'UnsupportedKeyTypeError'

  constructor (message = 'Adapter manifests must be signed with an Ed25519 key') {
    super(message)
    this.name = 'UnsupportedKeyTypeError'
  }
}

/** A value cannot be encoded canonically (not JSON data, non-finite number, too deep). */
export class CanonicalEncodingError extends Error {
  static override name = 'CanonicalEncodingError'

  constructor (message = 'Value cannot be canonically encoded') {
    super(message)
    this.name = 'CanonicalEncodingError'
  }
}

/** A safetensors file's header is malformed; `problems` lists what is wrong. */
export class InvalidSafetensorsError extends Error {
  static override name = 'InvalidSafetensorsError'
  readonly problems: string[]

  constructor (problems: string[], message = `Invalid safetensors file: ${problems.join('; ')}`) {
    super(message)
    this.name = 'InvalidSafetensorsError'
    this.problems = problems
  }
}

/** A folder is not a usable PEFT adapter; `problems` lists everything missing or wrong. */
export class InvalidPeftFolderError extends Error {
  static override name = 'InvalidPeftFolderError'
  readonly problems: string[]
  readonly dir: string

  constructor (dir: string, problems: string[], message = `Not a usable PEFT adapter folder (${dir}): ${problems.join('; ')}`) {
    super(message)
    this.name = 'InvalidPeftFolderError'
    this.dir = dir
    this.problems = problems
  }
}
