import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { OrderStatus } from '@niaga/protocol';
import type { ProductForSale } from '../catalog/product-lookup.ts';
import { DomainError } from '../shared/errors.ts';
import { adminTransitions, ownerCancellable, planOrderPatch, priceOrder, sourceFor } from './order-rules.ts';

const product = (extra: Partial<ProductForSale> = {}): ProductForSale => ({
  id: randomUUID(),
  sku: 'SKU-1',
  name: 'Tea',
  price_minor: 1250,
  currency: 'USD',
  active: true,
  ...extra,
});
const catalogue = (...products: ProductForSale[]) => new Map(products.map((p) => [p.id, p]));
const codeOf = (run: () => unknown): string | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof DomainError ? error.code : 'NOT_A_DOMAIN_ERROR';
  }
};

describe('the transition table', () => {
  test('finished orders go nowhere, and nothing returns to placed except a draft', () => {
    for (const done of ['delivered', 'cancelled', 'rejected'] as const) expect(adminTransitions[done]).toEqual([]);
    const intoPlaced = (Object.keys(adminTransitions) as OrderStatus[]).filter((from) => adminTransitions[from].includes('placed'));
    expect(intoPlaced).toEqual(['draft']);
  });

  test('an owner may cancel only what an admin could also cancel', () => {
    for (const status of ownerCancellable) expect(adminTransitions[status]).toContain('cancelled');
  });
});

describe('priceOrder', () => {
  test('prices each line from the catalogue and sums the lines', () => {
    const tea = product({ price_minor: 1250 });
    const rice = product({ price_minor: 399, sku: 'SKU-2', name: 'Rice' });
    const priced = priceOrder([{ productId: tea.id, qty: 3 }, { productId: rice.id, qty: 10, id: 'a' }], catalogue(tea, rice), 'USD');
    expect(priced).toEqual({
      lines: [
        { productID: tea.id, sku: 'SKU-1', name: 'Tea', qty: 3, unitPriceMinor: 1250, lineTotalMinor: 3750 },
        { id: 'a', productID: rice.id, sku: 'SKU-2', name: 'Rice', qty: 10, unitPriceMinor: 399, lineTotalMinor: 3990 },
      ],
      subtotalMinor: 7740,
      taxMinor: 0,
      totalMinor: 7740,
    });
  });

  test('a given unit price replaces the catalogue price', () => {
    const tea = product({ price_minor: 1250 });
    expect(priceOrder([{ productId: tea.id, qty: 2, unitPriceMinor: 0 }], catalogue(tea), 'USD').totalMinor).toBe(0);
  });

  test('unknown products are REFERENCE_NOT_FOUND; off-sale or foreign-currency products VALIDATION_FAILED', () => {
    const tea = product();
    expect(codeOf(() => priceOrder([{ productId: randomUUID(), qty: 1 }], catalogue(tea), 'USD'))).toBe('REFERENCE_NOT_FOUND');
    const retired = product({ active: false });
    expect(codeOf(() => priceOrder([{ productId: retired.id, qty: 1 }], catalogue(retired), 'USD'))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => priceOrder([{ productId: tea.id, qty: 1 }], catalogue(tea), 'IDR'))).toBe('VALIDATION_FAILED');
    const huge = product({ price_minor: Number.MAX_SAFE_INTEGER });
    expect(codeOf(() => priceOrder([{ productId: huge.id, qty: 2 }], catalogue(huge), 'USD'))).toBe('VALIDATION_FAILED');
  });

  test('the total is always the sum of quantity times unit price', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ price: fc.integer({ min: 0, max: 10_000_000 }), qty: fc.integer({ min: 1, max: 100_000 }) }), { minLength: 1, maxLength: 50 }), (lines) => {
        const products = lines.map((line) => product({ price_minor: line.price }));
        const priced = priceOrder(lines.map((line, index) => ({ productId: products[index]!.id, qty: line.qty })), catalogue(...products), 'USD');
        const expected = lines.reduce((sum, line) => sum + line.price * line.qty, 0);
        return priced.totalMinor === expected && priced.lines.every((line) => line.lineTotalMinor === line.unitPriceMinor * line.qty);
      }),
    );
  });
});

describe('planOrderPatch', () => {
  const now = new Date('2025-01-02T03:04:05Z');

  test('every change bumps the version; a status change resets the reason and a cancel stamps the time', () => {
    expect(planOrderPatch('admin', { status: 'placed', version: 4 }, { note: 'x' }, now)).toEqual({ note: 'x', version: 5 });
    expect(planOrderPatch('admin', { status: 'placed', version: 1 }, { status: 'confirmed' }, now)).toEqual({ status: 'confirmed', status_reason: '', version: 2 });
    expect(planOrderPatch('customer', { status: 'backordered', version: 2 }, { status: 'cancelled', status_reason: 'too slow' }, now)).toEqual({
      status: 'cancelled',
      status_reason: 'too slow',
      cancelled_at: now,
      version: 3,
    });
  });

  test('an admin may make exactly the moves in the table', () => {
    const statuses = Object.keys(adminTransitions) as OrderStatus[];
    for (const from of statuses) {
      for (const to of statuses) {
        const code = codeOf(() => planOrderPatch('admin', { status: from, version: 1 }, { status: to }, now));
        expect(code, `${from} -> ${to}`).toBe(adminTransitions[from].includes(to) ? undefined : 'INVALID_STATE');
      }
    }
  });

  test('owners change the note only while placed and cancel only before picking', () => {
    expect(codeOf(() => planOrderPatch('agent', { status: 'confirmed', version: 1 }, { note: 'x' }, now))).toBe('INVALID_STATE');
    expect(codeOf(() => planOrderPatch('agent', { status: 'picking', version: 1 }, { status: 'cancelled' }, now))).toBe('INVALID_STATE');
    expect(codeOf(() => planOrderPatch('agent', { status: 'placed', version: 1 }, { note: 'x', status: 'cancelled' }, now))).toBeUndefined();
  });

  test('a reason without a status is a validation error', () => {
    expect(codeOf(() => planOrderPatch('admin', { status: 'placed', version: 1 }, { status_reason: 'why' }, now))).toBe('VALIDATION_FAILED');
  });

  test('the source follows the role', () => {
    expect([sourceFor('agent'), sourceFor('customer'), sourceFor('admin')]).toEqual(['agent', 'storefront', 'admin']);
  });
});
