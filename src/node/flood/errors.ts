// Errors of flood search; callers check `err.name`.

export class FloodBusyError extends Error {
  constructor (message: string) { super(message); this.name = 'FloodBusyError' }
}

export class UnknownSearchError extends Error {
  constructor (message: string) { super(message); this.name = 'UnknownSearchError' }
}

export class InvalidSearchOptionsError extends Error {
  constructor (message: string) { super(message); this.name = 'InvalidSearchOptionsError' }
}
