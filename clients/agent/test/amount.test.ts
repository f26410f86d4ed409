import { expect, test } from 'vitest';
import { parseAmount } from '../src/amount.ts';

test('an amount typed as people type it becomes minor units', () => {
  expect(['12.50', '12,5', ' 7 ', '0.01', '1000000'].map(parseAmount)).toEqual([1250, 1250, 700, 1, 100_000_000]);
});

test('anything else is not an amount', () => {
  for (const text of ['', '0', '0.00', '-5', '1.234', '1e3', '12.', 'abc', '1 000', '12345678901']) expect(parseAmount(text), text).toBeUndefined();
});
