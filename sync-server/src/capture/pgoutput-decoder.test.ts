import type { Pgoutput } from 'pg-logical-replication';
import { expect, test } from 'vitest';
import { CaptureError, CaptureErrorCode } from './capture-error.ts';
import { toAssemblerInput } from './pgoutput-decoder.ts';

const relation = { schema: 'catalog', name: 'products' } as Pgoutput.MessageRelation;

/** A tuple as the library builds it: no prototype, one key per column. */
function libraryTuple(values: Record<string, unknown>): Record<string, unknown> {
  return Object.assign(Object.create(null) as Record<string, unknown>, values);
}

function update(old: Record<string, unknown> | null, next: Record<string, unknown>): Pgoutput.Message {
  return { tag: 'update', relation, key: null, old, new: next };
}

test('an update carries both rows as text, a column named __proto__ as an ordinary value', () => {
  const old = libraryTuple({ id: '1', name: 'old', ['__proto__']: 'p', note: null });
  const next = libraryTuple({ id: '1', name: 'new', ['__proto__']: 'q', note: null });
  const input = toAssemblerInput(update(old, next));
  expect(input).toMatchObject({ tag: 'update', table: 'catalog.products' });
  const { oldRow, newRow } = input as { oldRow: Record<string, string | null>; newRow: Record<string, string | null> };
  expect(Object.keys(oldRow)).toEqual(['id', 'name', '__proto__', 'note']);
  expect(oldRow['__proto__']).toBe('p');
  expect(newRow['__proto__']).toBe('q');
  expect(JSON.parse(JSON.stringify(newRow))).toEqual(JSON.parse('{"id":"1","name":"new","__proto__":"q","note":null}'));
});

test('a tuple with a prototype is copied into one without, keys and values kept', () => {
  const plain: Record<string, unknown> = { id: '2', name: 'x' };
  const { newRow } = toAssemblerInput({ tag: 'insert', relation, new: plain }) as { newRow: object };
  expect(Object.getPrototypeOf(newRow)).toBeNull();
  expect({ ...newRow }).toEqual({ id: '2', name: 'x' });
});

test('a missing old row, or a value that is not text (an unchanged TOAST value), is a capture error naming the table', () => {
  const missing = () => toAssemblerInput(update(null, libraryTuple({ id: '1' })));
  expect(missing).toThrow(CaptureError);
  expect(missing).toThrow(/catalog\.products .*REPLICA IDENTITY FULL/);
  const toast = () => toAssemblerInput(update(libraryTuple({ id: '1', body: undefined }), libraryTuple({ id: '1', body: 'x' })));
  expect(toast).toThrow(/Column body of catalog\.products/);
  expect(toast).toThrow(expect.objectContaining({ code: CaptureErrorCode.missingOldRow }));
  expect(missing).toThrow(expect.objectContaining({ code: CaptureErrorCode.missingOldRow }));
});
