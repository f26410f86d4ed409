import Dexie from 'dexie';
import { expect, test } from 'vitest';
import { LocalStoreError } from '../local-store.ts';
import { localStoreCode, toLocalStoreError } from './dexie-errors.ts';

const domError = (name: string) => new DOMException(`${name} happened`, name);

test('a full disk is STORE_QUOTA, however deep Dexie wrapped it', () => {
  expect(localStoreCode(domError('QuotaExceededError'))).toBe('STORE_QUOTA');
  expect(localStoreCode(new Dexie.AbortError('aborted', domError('QuotaExceededError')))).toBe('STORE_QUOTA');
  expect(localStoreCode(new Dexie.BulkError('bulkPut failed', [domError('QuotaExceededError')]))).toBe('STORE_QUOTA');
});

test('a closed database is STORE_CLOSED', () => {
  expect(localStoreCode(new Dexie.DatabaseClosedError('closed'))).toBe('STORE_CLOSED');
});

test('unreadable data is STORE_CORRUPT', () => {
  for (const name of ['VersionError', 'DataError', 'UnknownError', 'NotReadableError']) expect(localStoreCode(domError(name))).toBe('STORE_CORRUPT');
  expect(localStoreCode(new Dexie.OpenFailedError('open failed', domError('UnknownError')))).toBe('STORE_CORRUPT');
});

test('anything else is STORE_FAILED', () => {
  expect(localStoreCode(domError('ConstraintError'))).toBe('STORE_FAILED');
  expect(localStoreCode(new TypeError('bad'))).toBe('STORE_FAILED');
  expect(localStoreCode('a string')).toBe('STORE_FAILED');
});

test('the mapped error keeps the engine error as its cause and says what failed', () => {
  const cause = domError('QuotaExceededError');
  const mapped = toLocalStoreError(cause, 'put into catalog.products');
  expect(mapped).toBeInstanceOf(LocalStoreError);
  expect(mapped).toMatchObject({ code: 'STORE_QUOTA', cause, message: 'put into catalog.products: QuotaExceededError happened' });
});

test('a LocalStoreError passes through unchanged', () => {
  const error = new LocalStoreError('STORE_CLOSED', 'closed');
  expect(toLocalStoreError(error, 'anything')).toBe(error);
});

test('a transaction that ended early says that the work awaited something else', () => {
  expect(toLocalStoreError(new Dexie.PrematureCommitError('committed too early'), 'transaction').message).toContain('await only the store');
});
