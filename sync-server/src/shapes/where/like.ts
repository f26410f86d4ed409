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

/**
 * A pattern as the runs of elements between its `%`s: the first must match at the start of the
 * value, the last at its end, and each one between at its leftmost place after the one before
 * (taking the leftmost never loses a match the others could make). Every element stands for one
 * code point, so a run's length is its number of elements.
 */
interface CompiledLike {
  readonly runs: readonly Run[];
}

interface Run {
  readonly length: number;
  /** Per code point in the run, the bits of the positions it may stand at (`_` stands anywhere); 32 positions a word. */
  readonly masks: ReadonlyMap<string, Uint32Array>;
  /** The bits of the `_` positions: what any other code point may stand at. */
  readonly wildcards: Uint32Array;
}

const compiled = new WeakMap<readonly LikeElement[], CompiledLike>();

function compile(pattern: readonly LikeElement[]): CompiledLike {
  let done = compiled.get(pattern);
  if (done) return done;
  const runs: LikeElement[][] = [[]];
  for (const element of pattern) {
    if (element.kind === 'many') runs.push([]);
    else runs[runs.length - 1]!.push(element);
  }
  done = { runs: runs.map(compileRun) };
  compiled.set(pattern, done);
  return done;
}

function compileRun(elements: readonly LikeElement[]): Run {
  const words = Math.ceil(elements.length / 32);
  const wildcards = new Uint32Array(words);
  elements.forEach((element, index) => {
    if (element.kind === 'one') wildcards[index >>> 5]! |= 1 << (index & 31);
  });
  const masks = new Map<string, Uint32Array>();
  elements.forEach((element, index) => {
    if (element.kind !== 'char') return;
    let mask = masks.get(element.char);
    if (!mask) masks.set(element.char, (mask = Uint32Array.from(wildcards)));
    mask[index >>> 5]! |= 1 << (index & 31);
  });
  return { length: elements.length, masks, wildcards };
}

/** Whether `run` matches the code points of `chars` from `at`. */
function runMatchesAt(chars: readonly string[], run: Run, at: number): boolean {
  for (let index = 0; index < run.length; index++) {
    const mask = run.masks.get(chars[at + index]!) ?? run.wildcards;
    if ((mask[index >>> 5]! & (1 << (index & 31))) === 0) return false;
  }
  return true;
}

/**
 * Where `run` first matches wholly within chars[from, end): shift-and over the code points, one
 * bit per position of the run, so O((end - from) × ⌈length / 32⌉) whatever the run holds; -1 if nowhere.
 */
function findRun(chars: readonly string[], run: Run, from: number, end: number): number {
  if (run.length === 0) return from;
  const words = run.wildcards.length;
  const state = new Uint32Array(words);
  const lastWord = words - 1;
  const lastBit = 1 << ((run.length - 1) & 31);
  for (let at = from; at < end; at++) {
    const mask = run.masks.get(chars[at]!) ?? run.wildcards;
    let carry = 1;
    for (let word = 0; word < words; word++) {
      const bits = state[word]!;
      state[word] = ((bits << 1) | carry) & mask[word]!;
      carry = bits >>> 31;
    }
    if ((state[lastWord]! & lastBit) !== 0) return at - run.length + 1;
  }
  return -1;
}

/**
 * Wildcard matching in time linear in the value (times the longest run between two `%`, in words
 * of 32 code points): a live shape's LIKE is judged on every change of its table, so a pattern
 * built to make a backtracking matcher work for seconds must not be able to.
 */
export function likeMatches(value: string, pattern: readonly LikeElement[], caseInsensitive: boolean): boolean {
  const chars = Array.from(caseInsensitive ? asciiLower(value) : value);
  const { runs } = compile(pattern);
  const first = runs[0]!;
  if (runs.length === 1) return chars.length === first.length && runMatchesAt(chars, first, 0);
  const last = runs[runs.length - 1]!;
  const lastStart = chars.length - last.length;
  if (lastStart < first.length || !runMatchesAt(chars, first, 0) || !runMatchesAt(chars, last, lastStart)) return false;
  let position = first.length;
  for (let index = 1; index < runs.length - 1; index++) {
    const run = runs[index]!;
    const found = findRun(chars, run, position, lastStart);
    if (found < 0) return false;
    position = found + run.length;
  }
  return true;
}
