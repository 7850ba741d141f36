/**
 * Stable error codes. Callers (the summary, the fleet's retry policy, tests)
 * branch on these, never on message text. Adding a code is fine; renaming one
 * breaks operators' alerting, so don't.
 */
export const ErrorCode = {
  // One line of the URL list.
  InvalidUrl: 'IMG_ERR_INVALID_URL',
  UnsupportedScheme: 'IMG_ERR_UNSUPPORTED_SCHEME',
  CredentialsInUrl: 'IMG_ERR_CREDENTIALS_IN_URL',
  LineTooLong: 'IMG_ERR_LINE_TOO_LONG',
  InvalidEncoding: 'IMG_ERR_INVALID_ENCODING',
  // The list as a whole.
  ListUnreadable: 'IMG_ERR_LIST_UNREADABLE',
  ListBinary: 'IMG_ERR_LIST_BINARY',
  // One download.
  HttpStatus: 'IMG_ERR_HTTP_STATUS',
  NotAnImage: 'IMG_ERR_NOT_AN_IMAGE',
  SvgNotAllowed: 'IMG_ERR_SVG_NOT_ALLOWED',
  TooLarge: 'IMG_ERR_TOO_LARGE',
  ConnectTimeout: 'IMG_ERR_CONNECT_TIMEOUT',
  HeadersTimeout: 'IMG_ERR_HEADERS_TIMEOUT',
  BodyTimeout: 'IMG_ERR_BODY_TIMEOUT',
  Deadline: 'IMG_ERR_DEADLINE',
  Connection: 'IMG_ERR_CONNECTION',
  DnsNotFound: 'IMG_ERR_DNS_NOT_FOUND',
  TooManyRedirects: 'IMG_ERR_TOO_MANY_REDIRECTS',
  RedirectLoop: 'IMG_ERR_REDIRECT_LOOP',
  BadRedirect: 'IMG_ERR_BAD_REDIRECT',
  BlockedAddress: 'IMG_ERR_BLOCKED_ADDRESS',
  Truncated: 'IMG_ERR_TRUNCATED',
  Store: 'IMG_ERR_STORE',
  Aborted: 'IMG_ERR_ABORTED',
  // Fleet mode.
  /** A job was abandoned by crashed workers more often than the queue allows (maxStalledCount). */
  WorkerLost: 'IMG_ERR_WORKER_LOST',
  /** Redis could not be reached (operator commands fail fast; services wait and reconnect). */
  Redis: 'IMG_ERR_REDIS',
  // Start-up.
  InvalidConfig: 'IMG_ERR_INVALID_CONFIG',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
