/** An announcement list could not be read or fetched. */
export class AnnouncementSourceError extends Error {
  static override name = 'AnnouncementSourceError'
  override name = 'AnnouncementSourceError'
}

/** An address given by the user is not a valid peer address. */
export class InvalidPeerAddressError extends Error {
  static override name = 'InvalidPeerAddressError'
  override name = 'InvalidPeerAddressError'
}
