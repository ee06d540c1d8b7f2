/**
 * The library's one HTML escape: html-escaper's (already linkedom's), typed.
 *
 * @module
 */
import { escape, unescape } from "html-escaper";

/**
 * `text` with `&`, `<`, `>`, `'` and `"` escaped, for HTML or SVG content and attributes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeHtml } from "./_html.ts";
 * assert.equal(escapeHtml(`a < b & "c"`), "a &lt; b &amp; &quot;c&quot;");
 * ```
 */
export const escapeHtml: (text: string) => string = escape;

/** The text that {@link escapeHtml} escaped. */
export const unescapeHtml: (html: string) => string = unescape;
