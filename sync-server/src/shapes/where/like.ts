/**
 * LIKE / ILIKE matching as Postgres does it in a UTF-8 database: `%` any run of characters,
 * `_` exactly one character (code point), backslash escapes the next character, and the whole
 * value must match. ILIKE is compiled with `COLLATE "C"`, under which Postgres lower-cases only
 * ASCII A-Z on both sides before matching; we do the same.
 */
import { asciiLower } from './tokenizer.ts';

export type LikeElement = { readonly kind: 'char'; readonly char: string } | { readonly kind: 'one' } | { readonly kind: 'many' };

/** Pattern elements, or undefined if the pattern ends in a lone escape (an error in Postgres). */
export function parseLikePattern(pattern: string, caseInsensitive: boolean): LikeElement[] | undefined {
  const chars = Array.from(caseInsensitive ? asciiLower(pattern) : pattern);
  const elements: LikeElement[] = [];
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i]!;
    if (char === '\\') {
      const escaped = chars[++i];
      if (escaped === undefined) return undefined;
      elements.push({ kind: 'char', char: escaped });
    } else if (char === '%') {
      if (elements[elements.length - 1]?.kind !== 'many') elements.push({ kind: 'many' });
    } else if (char === '_') {
      elements.push({ kind: 'one' });
    } else {
      elements.push({ kind: 'char', char });
    }
  }
  return elements;
}

/** Wildcard matching with backtracking to the last `%` only: O(value × pattern) at worst. */
export function likeMatches(value: string, pattern: readonly LikeElement[], caseInsensitive: boolean): boolean {
  const chars = Array.from(caseInsensitive ? asciiLower(value) : value);
  let v = 0;
  let p = 0;
  let starPattern = -1;
  let starValue = 0;
  while (v < chars.length) {
    const element = pattern[p];
    if (element !== undefined && element.kind === 'many') {
      starPattern = p++;
      starValue = v;
    } else if (element !== undefined && (element.kind === 'one' || element.char === chars[v])) {
      p++;
      v++;
    } else if (starPattern >= 0) {
      p = starPattern + 1;
      v = ++starValue;
    } else {
      return false;
    }
  }
  while (pattern[p]?.kind === 'many') p++;
  return p === pattern.length;
}
