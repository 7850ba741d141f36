import { createRequire } from 'node:module';
import type { Dispatcher, Agent as UndiciAgent, buildConnector as undiciBuildConnector } from 'undici';

const require = createRequire(import.meta.url);

/*
 * The three parts of undici 7 the download core uses, each loaded from its own file rather than through the
 * package's index. The index also loads fetch, WebSocket, EventSource, the HTTP cache and the mock agents, and
 * its cookie module reads globalThis.Headers, which loads Node's own bundled copy of undici as well: together
 * ~65 ms of every `fetch` and `worker` start-up, for nothing they use. undici has no `exports` map, so Node
 * resolves these paths like its index; the version is pinned in package.json, and
 * test/unit/undici-parts.test.ts checks that each part is the very object the index exports, so an upgrade that
 * moves one fails there by name.
 */

/** undici's Agent: one pool per origin. */
export const Agent = require('undici/lib/dispatcher/agent.js') as typeof UndiciAgent;

/** undici's TCP/TLS connector factory. */
export const buildConnector = require('undici/lib/core/connect.js') as typeof undiciBuildConnector;

/** The index copies this onto Dispatcher.prototype as `request`; it needs only the dispatcher's `dispatch`. */
const requestThrough = require('undici/lib/api/api-request.js') as (
  this: Pick<Dispatcher, 'dispatch'>,
  options: Dispatcher.RequestOptions<null>,
) => Promise<Dispatcher.ResponseData<null>>;

/** The index copies this onto Dispatcher.prototype as `stream`; the bench's undici floor uses it. */
const streamThrough = require('undici/lib/api/api-stream.js') as (
  this: Pick<Dispatcher, 'dispatch'>,
  options: Dispatcher.RequestOptions<null>,
  factory: Dispatcher.StreamFactory<null>,
) => Promise<Dispatcher.StreamData<null>>;

/**
 * An Agent as loaded here: without the index, it has `dispatch` and its life cycle but not the methods the index
 * adds (`request`, `stream`, `pipeline`, `connect`, `upgrade`), so the type leaves them out: call request() below.
 */
export type HttpAgent = Omit<UndiciAgent, 'request' | 'stream' | 'pipeline' | 'connect' | 'upgrade'>;

/** `dispatcher.request(options)`, also for an Agent loaded without the index (which adds `request` to it). */
export function request(
  dispatcher: HttpAgent,
  options: Dispatcher.RequestOptions<null>,
): Promise<Dispatcher.ResponseData<null>> {
  return requestThrough.call(dispatcher, options);
}

/** `dispatcher.stream(options, factory)`, for an Agent loaded without the index. */
export function stream(
  dispatcher: HttpAgent,
  options: Dispatcher.RequestOptions<null>,
  factory: Dispatcher.StreamFactory<null>,
): Promise<Dispatcher.StreamData<null>> {
  return streamThrough.call(dispatcher, options, factory);
}
