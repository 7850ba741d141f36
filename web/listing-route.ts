import type { Stats } from 'node:fs';
import type { NextFunction, Request, Response } from 'express';
import serveIndex from 'serve-index';
import { type FolderListing, negotiateListingView, renderGallery, renderServeIndex } from './folder-listing.js';
import { folderVersion, ListingCache } from './listing-cache.js';
import { renderListingHtml } from './listing-html.js';
import type { WebMetrics } from './web-metrics.js';

/** One folder request, its path already checked and resolved. */
export interface FolderRequest {
  /** The folder's real path, inside the human tree. */
  real: string;
  info: Stats;
  /** The URL path with its trailing slash and doubled slashes merged, as the listing shows it. */
  pathname: string;
  query: string;
  segments: string[];
  /** listings.tick() taken when the request arrived. */
  arrival: number;
}

/**
 * A folder's answers: serve-index's listing (HTML, JSON or text, chosen by
 * Accept, so every one says `Vary: Accept`) or the gallery
 * (`?view=gallery`), rendered once and kept (listing-cache.ts).
 */
export class FolderListings {
  private readonly listing;
  private readonly listings: ListingCache<FolderListing>;

  constructor(
    root: string,
    private readonly metrics: WebMetrics,
  ) {
    this.listing = serveIndex(root, { view: 'details', hidden: false, icons: false, template: renderListingHtml });
    this.listings = new ListingCache<FolderListing>({
      sizeOf: (page) => (page.kind === 'page' ? page.body.length : undefined),
      onBytes: (bytes) => metrics.listingCacheBytes.set(bytes),
    });
  }

  /** Taken before the folder is looked at: a listing rendered from then on shows every change made before it. */
  tick(): number {
    return this.listings.tick();
  }

  async answer(req: Request, res: Response, next: NextFunction, folder: FolderRequest): Promise<void> {
    const gallery = new URLSearchParams(folder.query).get('view') === 'gallery';
    // An Accept that none of serve-index's types matches (a browser's `image/*`) gets the HTML page: RFC 9110
    // §12.5.1 lets a server disregard Accept, and a page is more use to the person behind it than a 406.
    const view = gallery ? 'gallery' : (negotiateListingView(req) ?? 'html');
    // The key is the folder as the page shows it (serve-index prints the decoded URL path) and the answer's type.
    const page = await this.listings.get(
      `${view} ${decodeURIComponent(folder.pathname)}`,
      { tick: folder.arrival, version: folderVersion(folder.info) },
      () => {
        this.metrics.listingRenders.inc({ view });
        return view === 'gallery'
          ? renderGallery(folder.real, folder.segments.join('/'))
          : renderServeIndex(this.listing, folder.pathname, view);
      },
    );
    if (page.kind === 'pass') {
      next(page.error);
      return;
    }
    // As serve-index answers (its `send`), with the web node's Cache-Control first.
    res.setHeader('Cache-Control', 'no-cache');
    if (!gallery) res.setHeader('Vary', 'Accept');
    res.setHeader('Content-Type', page.contentType);
    res.setHeader('Content-Length', page.body.length);
    res.end(page.body);
  }
}
