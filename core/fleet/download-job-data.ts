/** A download job's data: the URL, and the round that enqueued it (for logs; the ledger decides where it counts). */
export interface DownloadJobData {
  url: string;
  roundId: string;
}
