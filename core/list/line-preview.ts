/** The longest preview of a bad line, in characters: enough to find the line, not a megabyte echoed back. */
export const PREVIEW_CHARS = 200;

// C0 controls, DEL, C1 controls, and the bidirectional overrides and isolates that reorder what a terminal shows.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * A bad list line as it may be shown to an operator: cut at PREVIEW_CHARS,
 * every control character written as an escape (`\x1b`, `\u202e`). The line
 * is the list author's text; printed raw, an escape sequence in it would
 * rewrite the operator's terminal, and a bidi override would make the shown
 * URL differ from the real one.
 */
export function linePreview(text: string): string {
  const cut = text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
  return cut.replace(UNPRINTABLE, (char) => {
    const code = char.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** The preview of raw bytes that may not be UTF-8 (an over-long or undecodable line): invalid sequences become U+FFFD. */
export function bytesPreview(bytes: Uint8Array): string {
  // 4 bytes per character at most: decode no more than the preview can show.
  return linePreview(Buffer.from(bytes.subarray(0, PREVIEW_CHARS * 4)).toString('utf8'));
}
