const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text for HTML (and inline SVG) element content and quoted attribute
 * values. Everything a round summary holds comes from Redis, where anyone
 * with Redis access can write it, and holds URLs and server messages: it is
 * escaped on the way out, always.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ENTITIES[char]!);
}
