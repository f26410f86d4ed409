import { describe, expect, test } from 'vitest';
import { isRepeat, judgePickScan, parseQuantity, type PickLineState, type ScannedProduct } from '../src/scan-rules.ts';

const tea: ScannedProduct = { id: 'p-tea', sku: 'TEA-1', name: 'Green tea', barcode: '8990000000011' };
const rice: ScannedProduct = { id: 'p-rice', sku: 'RIC-1', name: 'Red rice', barcode: '8990000000028' };
const line = (change: Partial<PickLineState> = {}): PickLineState => ({ productID: tea.id, productName: tea.name, sku: tea.sku, qty: 3, scanned: 0, done: false, ...change });

describe('a scan on a pick line', () => {
  test('of the line’s product counts one unit, and completes the line at its quantity', () => {
    expect(judgePickScan(line(), tea.barcode!, tea)).toEqual({ kind: 'counted', scanned: 1, complete: false });
    expect(judgePickScan(line({ scanned: 2 }), tea.sku, tea)).toEqual({ kind: 'counted', scanned: 3, complete: true });
  });

  test('of another product is refused, naming what was expected and what was scanned', () => {
    expect(judgePickScan(line(), rice.barcode!, rice)).toEqual({ kind: 'refused', reason: 'wrong-item', message: 'Wrong item: expected Green tea (TEA-1), scanned Red rice (RIC-1)' });
  });

  test('of a code no product has is refused as unknown', () => {
    expect(judgePickScan(line(), '123', undefined)).toEqual({ kind: 'refused', reason: 'unknown', message: 'No product has barcode 123' });
  });

  test('on a line already confirmed, or already fully scanned, counts nothing', () => {
    expect(judgePickScan(line({ done: true }), tea.barcode!, tea)).toMatchObject({ kind: 'refused', reason: 'line-done' });
    expect(judgePickScan(line({ scanned: 3 }), tea.barcode!, tea)).toMatchObject({ kind: 'refused', reason: 'already-full' });
  });
});

describe('a repeated scan', () => {
  test('of the same code within the source’s window is a repeat; later, or another code, is not', () => {
    const last = { code: 'A', at: 1000, source: 'keyboard' as const };
    expect(isRepeat(last, 'A', 1100, 'keyboard')).toBe(true);
    expect(isRepeat(last, 'A', 1599, 'keyboard')).toBe(true);
    expect(isRepeat(last, 'A', 1600, 'keyboard')).toBe(false);
    expect(isRepeat(last, 'B', 1100, 'keyboard')).toBe(false);
    expect(isRepeat(last, 'A', 2000, 'camera')).toBe(true);
    expect(isRepeat(undefined, 'A', 1000, 'keyboard')).toBe(false);
  });
});

describe('a typed quantity', () => {
  test('is a whole number within the bounds, or a message saying what is allowed', () => {
    expect(parseQuantity(' 12 ', 0, 20)).toEqual({ ok: true, value: 12 });
    expect(parseQuantity('21', 0, 20)).toEqual({ ok: false, message: 'Enter a whole number from 0 to 20, not 21' });
    expect(parseQuantity('-1', 0, 20)).toEqual({ ok: false, message: 'Enter a whole number from 0 to 20, not "-1"' });
    expect(parseQuantity('1.5', 0, 20)).toEqual({ ok: false, message: 'Enter a whole number from 0 to 20, not "1.5"' });
    expect(parseQuantity('', 0, 20)).toEqual({ ok: false, message: 'Enter a whole number from 0 to 20 (it is empty)' });
  });
});
