import { escapeHtml } from '../core/html/escape-html.js';
import { encodeStorePath } from './request-path.js';

export interface FolderEntry {
  name: string;
  isDirectory: boolean;
}

const IMAGE_NAME = /\.(?:jpe?g|png|gif|webp|avif|bmp|tiff?|ico|svg)$/i;

/**
 * A folder as thumbnails: every image in it, lazy-loaded (the browser
 * fetches only what scrolls into view), and links to its subfolders. The
 * images are the stored files themselves, scaled by the browser. Every name
 * is escaped: a URL path can put anything into a file name.
 */
export function renderGalleryPage(folder: string, entries: FolderEntry[]): string {
  const base = folder === '' ? '' : `${folder}/`;
  const folders = entries.filter((entry) => entry.isDirectory).sort((a, b) => a.name.localeCompare(b.name));
  const images = entries
    .filter((entry) => !entry.isDirectory && IMAGE_NAME.test(entry.name))
    .sort((a, b) => a.name.localeCompare(b.name));
  const title = escapeHtml(`/${base}`);
  const up =
    folder === ''
      ? ''
      : `<a href="${escapeHtml(encodeStorePath(folder.split('/').slice(0, -1).join('/')).replace(/\/?$/, '/'))}?view=gallery">..</a>`;
  const folderLinks = folders
    .map(
      (entry) =>
        `<li><a href="${escapeHtml(encodeStorePath(base + entry.name))}/?view=gallery">${escapeHtml(entry.name)}/</a></li>`,
    )
    .join('\n');
  const figures = images
    .map((entry) => {
      const href = escapeHtml(encodeStorePath(base + entry.name));
      const name = escapeHtml(entry.name);
      return `<figure><a href="${href}"><img src="${href}" alt="${name}" loading="lazy" decoding="async"></a><figcaption>${name}</figcaption></figure>`;
    })
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gallery of ${title}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1rem; }
nav a { margin-right: 1rem; }
ul { list-style: none; padding: 0; columns: 4 12rem; }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(10rem, 1fr)); gap: 0.75rem; }
figure { margin: 0; background: #f4f4f4; padding: 0.4rem; border-radius: 4px; }
img { width: 100%; height: 9rem; object-fit: contain; display: block; }
figcaption { font-size: 0.75rem; overflow-wrap: anywhere; margin-top: 0.3rem; }
</style>
</head>
<body>
<h1>${title}</h1>
<nav>${up}<a href="${escapeHtml(encodeStorePath(folder).replace(/\/?$/, '/'))}">list view</a></nav>
<p>${images.length} image(s), ${folders.length} folder(s)</p>
${folders.length > 0 ? `<ul>\n${folderLinks}\n</ul>` : ''}
<main>
${figures}
</main>
</body>
</html>
`;
}
