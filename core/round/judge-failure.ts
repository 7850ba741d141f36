/** What a round does with a URL whose attempt failed. */
export type FailureVerdict =
  /** Try again after a backoff: the failure may pass, and retries are left. */
  | 'retry'
  /** The URL's last word in this round: its failure is recorded and becomes its summary entry. */
  | 'settle'
  /** Neither: the process is stopping and gives the URL back untouched, for another to take (the fleet's workers). */
  | 'hand-back';

/**
 * The one retry rule of both modes: a retryable failure is tried again while
 * retries are left, anything else settles the URL as failed. Only stopping
 * differs by mode: `fetch` settles what was running (its round ends there),
 * a worker hands it back to the queue (the fleet's round goes on).
 */
export function judgeFailure(failure: {
  retryable: boolean;
  /** 1 for the first request. */
  attempt: number;
  /** Retries allowed after the first attempt. */
  retries: number;
  /** The process is stopping. */
  stopping: boolean;
  whenStopping: 'settle' | 'hand-back';
}): FailureVerdict {
  if (failure.stopping) return failure.whenStopping;
  return failure.retryable && failure.attempt <= failure.retries ? 'retry' : 'settle';
}
