import { expect, test } from 'vitest';
import { toProblem } from './http-errors.ts';

const coded = (code: string, message = `failed with ${code}`) => Object.assign(new Error(message), { code });

test.each([
  ['40P01 deadlock detected', coded('40P01')],
  ['40001 serialization failure', coded('40001')],
  ['55P03 lock not available', coded('55P03')],
  ['57014 query canceled', coded('57014')],
  ['25P03 idle in transaction session timeout', coded('25P03')],
  ['57P05 idle session timeout', coded('57P05')],
  ['53100 disk full', coded('53100')],
  ['58030 I/O error', coded('58030')],
  ['08006 connection failure', coded('08006')],
  ['EPIPE', coded('EPIPE')],
  ['EAI_AGAIN', coded('EAI_AGAIN')],
  ["node-postgres's code-less dropped connection", new Error('Connection terminated unexpectedly')],
])('a database error that is momentary (%s) is UNAVAILABLE, for reads and writes alike', (_, error) => {
  expect(toProblem(error, 'POST')).toEqual({ code: 'UNAVAILABLE', message: 'The database is unavailable' });
  expect(toProblem(error, 'GET').code).toBe('UNAVAILABLE');
});

test.each([
  ['23505 unique violation', coded('23505'), 'DUPLICATE'],
  ['22001 string too long', coded('22001'), 'VALIDATION_FAILED'],
  ['42P01 undefined table', coded('42P01'), 'INTERNAL'],
  ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'id')"), 'INTERNAL'],
] as const)('an error that is not momentary (%s) is not UNAVAILABLE', (_, error, code) => {
  expect(toProblem(error, 'POST').code).toBe(code);
});
