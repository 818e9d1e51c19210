/** Default port of the local API (127.0.0.1 only). */
export const DEFAULT_API_PORT = 4180
/** File in the data dir that tells the CLI where the running node's API is. */
export const API_INFO_FILE = 'api.json'
export const MAX_BODY_BYTES = 1024 * 1024
/** The API access token, kept across restarts (mode 0600). */
export const API_TOKEN_FILE = 'api-token'
/** Host names the API answers to (with its port); anything else is refused (DNS rebinding). */
export const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]']
/** The only routes that accept `?token=`: EventSource cannot send an Authorization header. */
export const QUERY_TOKEN_PATHS = ['/api/events']
