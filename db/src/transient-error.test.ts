import { describe, expect, test } from 'vitest';
import { POOL_TIMEOUT } from './executor.ts';
import { isTransientError } from './transient-error.ts';

/** An error as node-postgres or PGlite throws it: an Error with the SQLSTATE (or errno) in `code`. */
const coded = (code: string, message = `failed with ${code}`) => Object.assign(new Error(message), { code });

describe('isTransientError', () => {
  test.each([
    ['08006 connection failure', coded('08006')],
    ['08001 unable to connect', coded('08001')],
    ['40001 serialization failure', coded('40001')],
    ['40P01 deadlock detected', coded('40P01')],
    ['53300 too many connections', coded('53300')],
    ['53100 disk full', coded('53100')],
    ['53200 out of memory', coded('53200')],
    ['55P03 lock not available', coded('55P03')],
    ['57014 query canceled', coded('57014')],
    ['25P03 idle in transaction session timeout', coded('25P03')],
    ['57P01 admin shutdown', coded('57P01')],
    ['57P02 crash shutdown', coded('57P02')],
    ['57P03 cannot connect now', coded('57P03')],
    ['57P05 idle session timeout', coded('57P05')],
    ['58030 I/O error', coded('58030')],
    ['ECONNREFUSED', coded('ECONNREFUSED')],
    ['ECONNRESET', coded('ECONNRESET')],
    ['ETIMEDOUT', coded('ETIMEDOUT')],
    ['EPIPE', coded('EPIPE')],
    ['ENOTFOUND', coded('ENOTFOUND')],
    ['EAI_AGAIN', coded('EAI_AGAIN')],
    ['a pool timeout', coded(POOL_TIMEOUT)],
    ['node-postgres: connection terminated unexpectedly', new Error('Connection terminated unexpectedly')],
    ['node-postgres: a client with a connection error', new Error('Client has encountered a connection error and is not queryable')],
    ['node-postgres: no connection in time', new Error('timeout exceeded when trying to connect')],
    ['node-postgres: a closed client', new Error('Client was closed and is not queryable')],
  ])('%s is transient', (_, error) => {
    expect(isTransientError(error)).toBe(true);
  });

  test.each([
    ['23505 unique violation', coded('23505')],
    ['23503 foreign key violation', coded('23503')],
    ['23514 check violation', coded('23514')],
    ['22P02 invalid text representation', coded('22P02')],
    ['22001 string too long', coded('22001')],
    ['42P01 undefined table (a bug)', coded('42P01')],
    ['42601 syntax error (a bug)', coded('42601')],
    ['25P02 in failed transaction', coded('25P02')],
    ['57P04 database dropped', coded('57P04')],
    ['P0001 raise exception', coded('P0001')],
    ['a SQLSTATE that merely mentions a dropped connection', coded('23505', 'Connection terminated? no: duplicate key')],
    ['EACCES', coded('EACCES')],
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a plain Error', new Error('something broke')],
    ['a string', 'Connection terminated'],
    ['an object with a transient code that is not an Error', { code: '40P01', message: 'deadlock detected' }],
    ['undefined', undefined],
    ['null', null],
  ])('%s is not transient', (_, error) => {
    expect(isTransientError(error)).toBe(false);
  });
});
