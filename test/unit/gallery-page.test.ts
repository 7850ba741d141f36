import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { escapeHtml } from '../../core/html/escape-html.js';
import { renderGalleryPage } from '../../web/gallery-page.js';

describe('gallery page', () => {
  test('escapes every character that matters in HTML text and attributes', () => {
    assert.equal(
      escapeHtml(`<a href="x" onclick='y'>&</a>`),
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });
  test('hostile names come out inert, in text and in links', () => {
    const page = renderGalleryPage('example.com/<b>', [
      { name: '"><script>alert(1)<\\script>.png', isDirectory: false },
      { name: "x' onerror='alert(1).jpg", isDirectory: false },
      { name: '<img src=x>', isDirectory: true },
    ]);
    assert.ok(!page.includes('<script>alert'));
    assert.ok(!page.includes("' onerror='"));
    assert.ok(!page.includes('<img src=x>'));
    assert.ok(!page.includes('<b>'));
    assert.match(page, /src="\/example\.com\/%3Cb%3E\/%22%3E%3Cscript%3Ealert\(1\)%3C%5Cscript%3E\.png"/);
  });
  test('images only (by extension), sorted, lazy; folders linked to their gallery', () => {
    const page = renderGalleryPage('h', [
      { name: 'b.png', isDirectory: false },
      { name: 'a.JPG', isDirectory: false },
      { name: 'notes.txt', isDirectory: false },
      { name: 'sub', isDirectory: true },
    ]);
    const sources = [...page.matchAll(/<img src="([^"]+)"[^>]*loading="lazy"/g)].map((match) => match[1]);
    assert.deepEqual(sources, ['/h/a.JPG', '/h/b.png']);
    assert.match(page, /href="\/h\/sub\/\?view=gallery"/);
    assert.match(page, /2 image\(s\), 1 folder\(s\)/);
  });
});
