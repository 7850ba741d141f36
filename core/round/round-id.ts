import { randomUUID } from 'node:crypto';

/** A round's id: sortable by start time, unique across processes and hosts, and free of `:` (fleet mode puts it in Redis keys). */
export function newRoundId(now = new Date()): string {
  return `${now.toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`;
}
