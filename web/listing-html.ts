import type { Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, normalize } from 'node:path';

/** What serve-index hands a template function (serve-index 1.9). */
export interface ServeIndexLocals {
  directory: string;
  fileList: Array<{ name: string; stat?: Stats }>;
  style: string;
  viewName: string;
}

const requireFromServeIndex = createRequire(createRequire(import.meta.url).resolve('serve-index'));
// serve-index's own escaper and page: the listing stays serve-index's page, byte for byte, but for its links.
const escapeHtml = requireFromServeIndex('escape-html') as (text: string) => string;
const TEMPLATE = join(dirname(requireFromServeIndex.resolve('./index.js')), 'public', 'directory.html');

/**
 * serve-index's HTML page (its details view, without icons) with every
 * folder link and breadcrumb ending in `/`. serve-index links a folder
 * without it: each click costs a 301, and a mirroring client (wget -m)
 * saves the listing as a file under the folder's name, so its next run
 * cannot create the folder. Given to serve-index as its `template`.
 */
export function renderListingHtml(
  locals: ServeIndexLocals,
  callback: (error: Error | null, body?: string) => void,
): void {
  readFile(TEMPLATE, 'utf8').then(
    (template) =>
      callback(
        null,
        template
          .replace(/\{style\}/g, () => locals.style)
          .replace(/\{files\}/g, () => fileList(locals))
          .replace(/\{directory\}/g, () => escapeHtml(locals.directory))
          .replace(/\{linked-path\}/g, () => linkedPath(locals.directory)),
      ),
    (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
  );
}

function fileList(locals: ServeIndexLocals): string {
  const header =
    locals.viewName === 'details'
      ? '<li class="header"><span class="name">Name</span><span class="size">Size</span><span class="date">Modified</span></li>'
      : '';
  const items = locals.fileList.map((file) => {
    const isDirectory = file.stat?.isDirectory() === true;
    const path = locals.directory.split('/').map((part) => encodeURIComponent(part));
    path.push(encodeURIComponent(file.name));
    const href = normalize(path.join('/')).replace(/\\/g, '/');
    const date =
      file.stat && file.name !== '..'
        ? `${file.stat.mtime.toLocaleDateString()} ${file.stat.mtime.toLocaleTimeString()}`
        : '';
    const size = file.stat && !isDirectory ? String(file.stat.size) : '';
    return (
      `<li><a href="${escapeHtml(isDirectory ? withSlash(href) : href)}" class="" title="${escapeHtml(file.name)}">` +
      `<span class="name">${escapeHtml(file.name)}</span>` +
      `<span class="size">${escapeHtml(size)}</span>` +
      `<span class="date">${escapeHtml(date)}</span></a></li>`
    );
  });
  return `<ul id="files" class="view-${escapeHtml(locals.viewName)}">${header}${items.join('\n')}</ul>`;
}

/** The breadcrumbs: one link per folder of the path, each to the folder itself (with its `/`). */
function linkedPath(directory: string): string {
  const parts = directory.split('/');
  const crumbs = parts.map((part, index) => {
    if (part === '') return undefined;
    parts[index] = encodeURIComponent(part);
    return `<a href="${escapeHtml(withSlash(parts.slice(0, index + 1).join('/')))}">${escapeHtml(part)}</a>`;
  });
  return crumbs.join(' / ');
}

const withSlash = (href: string): string => (href.endsWith('/') ? href : `${href}/`);
