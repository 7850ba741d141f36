const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text for HTML (and inline SVG) element content and quoted attribute
 * values, for every page this project renders: file names come from URL
 * paths, round summaries from Redis (where anyone with Redis access can
 * write), so whatever goes out is escaped, always.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ENTITIES[char]!);
}
