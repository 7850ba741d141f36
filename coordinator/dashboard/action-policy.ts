import { isSafeMethod } from './csrf-guard.js';

export type ActionVerdict = { allowed: true } | { allowed: false; reason: string };

/**
 * Which of bull-board's state-changing routes the dashboard lets through.
 * Read-only (the default) refuses every one: bull-board's own readOnlyMode
 * hides the buttons and refuses most routes, and this makes sure of all.
 * With --allow-actions, only the repairs an operator needs: retry, clean
 * (remove) and promote jobs, one or all of a status. The rest would break
 * the fleet's own bookkeeping and stay refused: adding a job (a download
 * outside any round and its list), emptying or obliterating a queue (the
 * rounds queue holds the job scheduler), pausing, editing a job's data,
 * delay or priority, changing the job scheduler (upserted by coordinators
 * only), its rate limit or concurrency.
 *
 * Matched on the raw path like express's router (case-insensitive, one
 * trailing slash allowed): a path refused here cannot reach an allowed
 * handler in a spelling this check does not see.
 */
export function checkAction(method: string, path: string, allowActions: boolean): ActionVerdict {
  if (isSafeMethod(method)) return { allowed: true };
  if (!allowActions)
    return {
      allowed: false,
      reason: 'the dashboard is read-only (start it with --allow-actions to retry, clean or promote jobs)',
    };
  if (method.toUpperCase() === 'PUT' && isRepairRoute(path)) return { allowed: true };
  return {
    allowed: false,
    reason: `${method.toUpperCase()} ${path} is not an action the dashboard allows (only retry, clean and promote jobs)`,
  };
}

/** Job statuses of bull-board's "all jobs of a status" routes. */
const STATUSES = new Set([
  'latest',
  'active',
  'waiting',
  'waiting-children',
  'prioritized',
  'completed',
  'failed',
  'delayed',
  'paused',
]);
const ONE_JOB_ACTIONS = new Set(['retry', 'clean', 'promote']);

function isRepairRoute(path: string): boolean {
  const segments = path
    .toLowerCase()
    .replace(/(.)\/$/, '$1')
    .split('/');
  // ['', 'api', 'queues', queue, ...rest], no empty segment.
  if (
    segments.length < 5 ||
    segments[0] !== '' ||
    segments[1] !== 'api' ||
    segments[2] !== 'queues' ||
    segments.slice(1).includes('')
  )
    return false;
  const rest = segments.slice(4);
  // PUT /api/queues/:queue/promote: every delayed job now.
  if (rest.length === 1) return rest[0] === 'promote';
  if (rest.length !== 2) return false;
  const [first, second] = rest as [string, string];
  // PUT /api/queues/:queue/retry/:status and /clean/:status: every job of a status.
  if ((first === 'retry' || first === 'clean') && STATUSES.has(second)) return true;
  // PUT /api/queues/:queue/:jobId/retry, /clean, /promote: one job.
  return ONE_JOB_ACTIONS.has(second);
}
