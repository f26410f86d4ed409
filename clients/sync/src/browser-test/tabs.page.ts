/** One tab of an app, for the leadership and tab-channel tests in react/hooks.browser.test.ts. */
import { definePage } from '@niaga/testing/page';
import { tabChannel, webLocksLeader, type LeaderLock, type TabMessage } from '../leader-lock.ts';

let lock: LeaderLock | undefined;
const heard: TabMessage[] = [];
const channel = tabChannel('niaga-test-tabs');
channel.subscribe((message) => heard.push(message));

definePage({
  /** Joins the queue for leadership of `name`. */
  lead(name: string) {
    lock = webLocksLeader(name);
    lock.whenLeader().catch(() => undefined);
  },
  isLeader: () => lock?.isLeader() ?? false,
  release: () => lock?.release(),
  post: () => channel.post('pending-changed'),
  heard: () => [...heard],
});
