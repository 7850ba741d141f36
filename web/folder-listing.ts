import { readdir } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { renderGalleryPage } from './gallery-page.js';

/** The answers a folder has: serve-index's three types, and the gallery. */
export type ListingView = 'html' | 'plain' | 'json' | 'gallery';

/** A folder's listing as bytes, or serve-index passing the request on (`error`: to the error handler; none: a 404). */
export type FolderListing =
  | { kind: 'page'; view: ListingView; contentType: string; body: Buffer }
  | { kind: 'pass'; error?: unknown };

/** serve-index's media types, in its order (the first is what a request without Accept gets). */
const SERVE_INDEX_TYPES = { html: 'text/html', plain: 'text/plain', json: 'application/json' } as const;
const SERVE_INDEX_VIEWS = new Map<string, keyof typeof SERVE_INDEX_TYPES>(
  Object.entries(SERVE_INDEX_TYPES).map(([view, type]) => [type, view as keyof typeof SERVE_INDEX_TYPES]),
);

type Accepts = (req: Pick<IncomingMessage, 'headers'>) => { type(types: string[]): string | false };
// serve-index negotiates with its own copy of `accepts` (1.3, on negotiator 0.6), not express's (2.0, on negotiator
// 1.x), and their Accept parsers differ on odd headers: asking serve-index's copy picks exactly the type it would.
const requireFromServeIndex = createRequire(createRequire(import.meta.url).resolve('serve-index'));
const accepts = requireFromServeIndex('accepts') as Accepts;

/** The serve-index answer a request's Accept header gets, or undefined when it accepts none (serve-index's 406). */
export function negotiateListingView(
  req: Pick<IncomingMessage, 'headers'>,
): keyof typeof SERVE_INDEX_TYPES | undefined {
  const type = accepts(req).type(Object.values(SERVE_INDEX_TYPES));
  return type === false ? undefined : SERVE_INDEX_VIEWS.get(type);
}

/**
 * Renders one folder through serve-index into a buffer rather than onto a
 * response, so that one rendering can answer many requests: its page is the
 * contract (tests compare it), and serve-index writes it with `setHeader`
 * and one `end` (its `send`), or passes the request on with `next`. The
 * request it sees is a GET of `pathname` accepting exactly `view`.
 */
export function renderServeIndex(
  listing: RequestHandler,
  pathname: string,
  view: keyof typeof SERVE_INDEX_TYPES,
): Promise<FolderListing> {
  return new Promise((resolve) => {
    const req = { method: 'GET', url: pathname, originalUrl: pathname, headers: { accept: SERVE_INDEX_TYPES[view] } };
    let contentType = `${SERVE_INDEX_TYPES[view]}; charset=utf-8`;
    const res = {
      setHeader(name: string, value: unknown): void {
        if (name.toLowerCase() === 'content-type') contentType = String(value);
      },
      end(body: string, encoding: BufferEncoding): void {
        resolve({ kind: 'page', view, contentType, body: Buffer.from(body, encoding) });
      },
    };
    const next: NextFunction = (error?: unknown) =>
      resolve(error === undefined ? { kind: 'pass' } : { kind: 'pass', error });
    void listing(req as unknown as Request, res as unknown as Response, next);
  });
}

/** The gallery of `directory`, shown as `folder` (its store-relative path): names and kinds only, no stat per entry. */
export async function renderGallery(directory: string, folder: string): Promise<FolderListing> {
  const entries = (await readdir(directory, { withFileTypes: true })).filter((entry) => !entry.name.startsWith('.'));
  const page = renderGalleryPage(
    folder,
    entries.map((entry) => ({ name: entry.name, isDirectory: entry.isDirectory() })),
  );
  return { kind: 'page', view: 'gallery', contentType: 'text/html; charset=utf-8', body: Buffer.from(page) };
}
