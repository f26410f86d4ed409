import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, vi } from 'vitest';
import { SnapshotSpool } from './snapshot-spool.ts';

const parentFolder = () => mkdtempSync(join(tmpdir(), 'niaga-spool-test-'));

/** Settles within a few turns of the event loop (true), or is still waiting (false). */
const settles = async (promise: Promise<unknown>) => {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setTimeout(resolve, 30));
  return settled;
};

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
  await vi.waitFor(() => expect(existsSync(first.file)).toBe(false));
  expect(existsSync(second.file)).toBe(true);
  await spool.close();
  expect(existsSync(spool.dir)).toBe(false);
});

test('a page that does not fit waits until enough is released; one whose writer holds too little to wait on goes past the budget', async () => {
  const spool = await SnapshotSpool.create(parentFolder(), 100);
  const held = await spool.write('x'.repeat(60));
  const waiting = spool.write('y'.repeat(41));
  expect(await settles(waiting)).toBe(false);
  expect(spool.usedBytes).toBe(60); // not written, not counted
  expect(readdirSync(spool.dir)).toHaveLength(1);
  spool.release(held);
  expect((await waiting).bytes).toBe(41);
  expect(spool.usedBytes).toBe(41);

  const over = await spool.write('z'.repeat(90), { mayExceedBudget: () => true });
  expect(spool.usedBytes).toBe(131);
  spool.release(over);
  await spool.write('w'.repeat(59)); // exactly full fits
  expect(spool.usedBytes).toBe(100);
  await spool.close();
});

test('a write waiting for room stops when its writer is given up, or when the spool closes', async () => {
  const spool = await SnapshotSpool.create(parentFolder(), 10);
  await spool.write('x'.repeat(10));
  const writer = new AbortController();
  const abandoned = spool.write('y', { signal: writer.signal });
  expect(await settles(abandoned)).toBe(false);
  writer.abort(new Error('dropped'));
  await expect(abandoned).rejects.toThrow('dropped');
  await expect(spool.write('y', { signal: writer.signal })).rejects.toThrow('dropped'); // aborted already
  const closing = spool.write('z');
  expect(await settles(closing)).toBe(false);
  await spool.close();
  await expect(closing).rejects.toThrow('closed');
  expect(spool.usedBytes).toBe(0);
});

test("folders of processes that are gone, and of an earlier process with our pid, are removed when a spool is made beside them; a running process's are kept", async () => {
  const parent = parentFolder();
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const abandoned = join(parent, `niaga-snapshots-${gone.stdout}-dead`);
  mkdirSync(abandoned);
  const earlierRun = join(parent, `niaga-snapshots-${process.pid}-earlier`); // a container restarted with the same pid
  mkdirSync(earlierRun);
  const running = join(parent, `niaga-snapshots-${process.ppid}-alive`);
  mkdirSync(running);
  const unrelated = join(parent, 'something-else');
  mkdirSync(unrelated);
  const spool = await SnapshotSpool.create(parent, 100);
  expect(existsSync(abandoned)).toBe(false);
  expect(existsSync(earlierRun)).toBe(false);
  expect(existsSync(running)).toBe(true);
  expect(existsSync(unrelated)).toBe(true);
  const second = await SnapshotSpool.create(parent, 100); // this process's own open spool is kept
  expect(existsSync(spool.dir)).toBe(true);
  await second.close();
  await spool.close();
});

test('a budget that is not a positive integer is refused', async () => {
  await expect(SnapshotSpool.create(parentFolder(), 0)).rejects.toBeInstanceOf(RangeError);
});
