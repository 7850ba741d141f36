/** What the bench origin served since its last `/__reset` (control requests excluded). */
export interface OriginCounters {
  /** Requests for images or the floor file. */
  requests: number;
  /** Body bytes of 200 responses actually written. */
  bodyBytes: number;
  /** 304 answers (If-None-Match or If-Modified-Since). */
  notModified: number;
  /** Most requests in flight at once: the concurrency the tool really used. */
  maxInFlight: number;
}
