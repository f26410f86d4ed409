/**
 * A small seeded PRNG (sfc32, seeded through cyrb128) so the demo company is identical for the same
 * seed on every machine and engine. Each part of the generator takes its own named stream, so
 * changing how one part draws numbers does not reshuffle every other part.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream: string) {
    [this.a, this.b, this.c, this.d] = cyrb128(`${seed}:${stream}`);
    for (let i = 0; i < 16; i++) this.uint32();
  }

  /** The next 32-bit unsigned integer. */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.uint32() / 4_294_967_296;
  }

  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Cannot pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Picks by weight: `[[value, weight], …]`. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = this.next() * total;
    for (const [value, weight] of choices) {
      roll -= weight;
      if (roll < 0) return value;
    }
    return (choices[choices.length - 1] as readonly [T, number])[0];
  }

  /** `count` distinct items (or all of them if there are fewer), in random order. */
  sample<T>(items: readonly T[], count: number): T[] {
    const n = Math.min(count, items.length);
    // Few from many (an order's lines from 35k stocked products): draw and reject repeats, no copy.
    if (n * 4 < items.length) {
      const chosen = new Set<number>();
      while (chosen.size < n) chosen.add(Math.floor(this.next() * items.length));
      return [...chosen].map((index) => items[index] as T);
    }
    const copy = [...items];
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(this.next() * (copy.length - i));
      [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
    }
    return copy.slice(0, n);
  }

  /** A version-4-layout UUID whose random bits come from this stream. */
  uuid(): string {
    let at = 0;
    for (let word = 0; word < 4; word++) {
      let bits = this.uint32();
      if (word === 1) bits = ((bits & 0xffff0fff) | 0x00004000) >>> 0; // version 4
      if (word === 2) bits = ((bits & 0x3fffffff) | 0x80000000) >>> 0; // RFC 4122 variant
      for (let shift = 28; shift >= 0; shift -= 4) {
        if (at === 8 || at === 13 || at === 18 || at === 23) uuidCodes[at++] = 45; // '-'
        uuidCodes[at++] = hexCodes[(bits >>> shift) & 15]!;
      }
    }
    return String.fromCharCode(...uuidCodes);
  }
}

// The large demo holds millions of ids; a string built by concatenation is a tree of pieces that the
// garbage collector copies one by one (measured: 7x slower), so ids are built flat from char codes.
const hexCodes = Array.from('0123456789abcdef', (char) => char.charCodeAt(0));
const uuidCodes = new Array<number>(36).fill(0);

/** Four 32-bit seeds from a string (cyrb128, public domain). */
function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}
