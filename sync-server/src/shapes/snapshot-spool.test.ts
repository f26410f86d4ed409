import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { SnapshotSpool, SpoolFullError } from './snapshot-spool.ts';

const parentFolder = () => mkdtempSync(join(tmpdir(), 'niaga-spool-test-'));

test('pages are written to files of its own folder, counted until released (once), and the folder goes on close', async () => {
  const parent = parentFolder();
  const spool = await SnapshotSpool.create(parent, 100);
  expect(spool.dir.startsWith(join(parent, `niaga-snapshots-${process.pid}-`))).toBe(true);
  const first = await spool.write('{"a":"é"}');
  expect(first.bytes).toBe(10);
  expect(readFileSync(first.file, 'utf8')).toBe('{"a":"é"}');
  const second = await spool.write('x'.repeat(40));
  expect(spool.usedBytes).toBe(50);
  spool.release(first);
  spool.release(first);
  expect(spool.usedBytes).toBe(40);
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(existsSync(first.file)).toBe(false);
  expect(existsSync(second.file)).toBe(true);
  await spool.close();
  expect(existsSync(spool.dir)).toBe(false);
});

test('a page that would take it past its budget is refused with SpoolFullError and writes nothing', async () => {
  const spool = await SnapshotSpool.create(parentFolder(), 100);
  await spool.write('x'.repeat(60));
  await expect(spool.write('y'.repeat(41))).rejects.toBeInstanceOf(SpoolFullError);
  await expect(spool.write('y'.repeat(41))).rejects.toThrow('SHAPE_SNAPSHOT_SPOOL_MAX_MB');
  expect(spool.usedBytes).toBe(60);
  expect(readdirSync(spool.dir)).toHaveLength(1);
  await spool.write('y'.repeat(40)); // exactly full fits
  expect(spool.usedBytes).toBe(100);
  await spool.close();
});

test("the folders of processes that are gone are removed when a spool is made beside them; a running process's are kept", async () => {
  const parent = parentFolder();
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const abandoned = join(parent, `niaga-snapshots-${gone.stdout}-dead`);
  mkdirSync(abandoned);
  const running = join(parent, `niaga-snapshots-${process.ppid}-alive`);
  mkdirSync(running);
  const unrelated = join(parent, 'something-else');
  mkdirSync(unrelated);
  const spool = await SnapshotSpool.create(parent, 100);
  expect(existsSync(abandoned)).toBe(false);
  expect(existsSync(running)).toBe(true);
  expect(existsSync(unrelated)).toBe(true);
  await spool.close();
});

test('a budget that is not a positive integer is refused', async () => {
  await expect(SnapshotSpool.create(parentFolder(), 0)).rejects.toBeInstanceOf(RangeError);
});
