import { afterEach, expect, test, vi } from 'vitest';
import { alwaysLeader, defaultLeaderLock, tabChannel, webLocksLeader, type TabChannel, type TabMessage } from './leader-lock.ts';

// Web Locks leadership across real tabs is tested in Chromium (react/hooks.browser.test.ts).

const channels: TabChannel[] = [];
const open = (name: string) => {
  const channel = tabChannel(name);
  channels.push(channel);
  return channel;
};
afterEach(() => {
  for (const channel of channels.splice(0)) channel.close();
});

test('a single process is leader as soon as it asks, and no longer once it releases', async () => {
  const lock = alwaysLeader();
  expect(lock.isLeader()).toBe(false);
  await lock.whenLeader();
  expect(lock.isLeader()).toBe(true);
  await lock.release();
  expect(lock.isLeader()).toBe(false);
  await lock.whenLeader();
  expect(lock.isLeader()).toBe(true);
});

test('asking for leadership with an aborted signal rejects with its reason', async () => {
  const reason = new Error('stopping');
  await expect(alwaysLeader().whenLeader(AbortSignal.abort(reason))).rejects.toBe(reason);
});

test('without Web Locks (Node) the default lock leads at once when it is alone', async () => {
  const lock = defaultLeaderLock('niaga-test');
  await lock.whenLeader();
  expect(lock.isLeader()).toBe(true);
  await lock.release();
});

test('without Web Locks, two default locks of one name in one process take turns: the second leads once the first releases', async () => {
  const first = defaultLeaderLock('niaga-test-turns');
  const second = defaultLeaderLock('niaga-test-turns');
  await first.whenLeader();
  let secondLeads = false;
  const turn = second.whenLeader().then(() => (secondLeads = true));
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect([first.isLeader(), second.isLeader(), secondLeads]).toEqual([true, false, false]);
  await first.release();
  await turn;
  expect([first.isLeader(), second.isLeader()]).toEqual([false, true]);
  // Another name is not held by them.
  const other = defaultLeaderLock('niaga-test-other');
  await other.whenLeader();
  await Promise.all([second.release(), other.release()]);
});

test('a lock that leaves the queue before its turn never leads, and the one after it does', async () => {
  const first = defaultLeaderLock('niaga-test-leave');
  const leaving = defaultLeaderLock('niaga-test-leave');
  const third = defaultLeaderLock('niaga-test-leave');
  await first.whenLeader();
  void leaving.whenLeader().catch(() => undefined);
  const thirdLeads = third.whenLeader();
  await leaving.release();
  await first.release();
  await thirdLeads;
  expect([first.isLeader(), leaving.isLeader(), third.isLeader()]).toEqual([false, false, true]);
  await third.release();
});

test('asking for a Web Locks leader where there are none says what to use instead', () => {
  expect(() => webLocksLeader('niaga-test')).toThrow(/alwaysLeader/);
});

test('a tab message reaches the other channels of that name, not the sender nor other names', async () => {
  const [sender, receiver, elsewhere] = [open('tabs-a'), open('tabs-a'), open('tabs-b')];
  const heard = { sender: [] as TabMessage[], receiver: [] as TabMessage[], elsewhere: [] as TabMessage[] };
  sender.subscribe((message) => heard.sender.push(message));
  receiver.subscribe((message) => heard.receiver.push(message));
  elsewhere.subscribe((message) => heard.elsewhere.push(message));
  sender.post('pending-changed');
  await vi.waitFor(() => expect(heard.receiver).toEqual(['pending-changed']));
  // A later message that arrives proves the earlier ones that could have arrived have.
  open('tabs-b').post('pending-changed');
  await vi.waitFor(() => expect(heard.elsewhere).toEqual(['pending-changed']));
  expect(heard.sender).toEqual([]);
  expect(heard.receiver).toEqual(['pending-changed']);
});

test('messages that are not tab messages are ignored, and a closed channel hears nothing', async () => {
  const receiver = open('tabs-c');
  const heard: TabMessage[] = [];
  receiver.subscribe((message) => heard.push(message));
  const raw = new BroadcastChannel('tabs-c');
  raw.postMessage({ something: 'else' });
  raw.postMessage('pending-changed');
  await vi.waitFor(() => expect(heard).toEqual(['pending-changed']));
  receiver.close();
  raw.postMessage('pending-changed');
  const witness = open('tabs-c');
  const witnessed: TabMessage[] = [];
  witness.subscribe((message) => witnessed.push(message));
  raw.postMessage('pending-changed');
  await vi.waitFor(() => expect(witnessed).toEqual(['pending-changed']));
  raw.close();
  expect(heard).toEqual(['pending-changed']);
});
