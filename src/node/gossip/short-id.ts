import { createHash } from 'node:crypto'

/**
 * A 12-character id of one release (`<publisher>/<id>@<version>`): what peers compare to learn what
 * the other lacks. 72 bits keep accidental collisions negligible at catalog sizes of millions.
 */
export function releaseId (key: string, version: string): string {
  return createHash('sha256').update(`${key}@${version}`).digest('base64url').slice(0, 12)
}
