/** "12.50" (or "12,5") → 1250 minor units; undefined unless a positive amount with at most two decimals. */
export function parseAmount(text: string): number | undefined {
  const match = /^\s*(\d{1,10})(?:[.,](\d{1,2}))?\s*$/.exec(text);
  if (!match) return undefined;
  const minor = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  return minor > 0 ? minor : undefined;
}
