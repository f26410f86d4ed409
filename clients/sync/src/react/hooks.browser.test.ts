import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { startBrowser, type BrowserHarness, type TestPage } from '@niaga/testing';

// The React hooks in Chromium over a Dexie store on the real IndexedDB and a real, offline
// SyncClient (browser-test/hooks.page.ts); and leadership between two tabs (browser-test/tabs.page.ts).

const pages = join(dirname(fileURLToPath(import.meta.url)), '../browser-test');
let browser: BrowserHarness | undefined;

beforeAll(async () => {
  browser = await startBrowser({ pages: { hooks: join(pages, 'hooks.page.ts'), tabs: join(pages, 'tabs.page.ts') } });
});

afterAll(async () => {
  await browser?.close();
});

const textOf = async (page: TestPage, selector: string) => (await page.page.textContent(selector)) ?? '';
/** Two tabs of the app in a profile of their own (their own locks and channels). */
async function twoTabs(): Promise<[TestPage, TestPage]> {
  const context = await browser!.newContext();
  return [await browser!.open('tabs', context), await browser!.open('tabs', context)];
}
const until = (check: () => Promise<void>) => vi.waitFor(check, { timeout: 5_000, interval: 25 });

test('the page shows what the store holds and follows its writes: local mutations, server commits and the sync status', async () => {
  const shop = await browser!.open('hooks');
  await shop.call('mount');
  await until(async () => expect(await textOf(shop, '#wishlist')).toBe(''));
  expect(await textOf(shop, '#status')).toMatch(/^offline, 0 pending$/);

  await shop.page.click('#wish-tea');
  await until(async () => expect(await textOf(shop, '#wishlist')).toBe('Tea'));
  await until(async () => expect(await textOf(shop, '#status')).toBe('offline, 1 pending'));
  expect(await textOf(shop, '#mutation')).toBe('idle');

  await shop.call('rename', '00000000-0000-4000-8000-00000000000a', 'Green tea');
  await until(async () => expect(await textOf(shop, '#wishlist')).toBe('Green tea'));
  await browser!.screenshot(shop.page, 'hooks-after-writes');
  await shop.call('unmount');
  expect(shop.errors).toEqual([]);
});

test('a mutation the device refuses shows as the mutator’s error and queues nothing', async () => {
  const shop = await browser!.open('hooks');
  await shop.call('mount');
  await shop.page.click('#wish-unknown');
  await until(async () => expect(await textOf(shop, '#mutation')).toMatch(/^MutationRejected NOT_FOUND: Product .* does not exist$/));
  expect(await textOf(shop, '#status')).toBe('offline, 0 pending');
  expect(await textOf(shop, '#wishlist')).toBe('');

  await shop.page.click('#wish-tea');
  await until(async () => expect(await textOf(shop, '#mutation')).toBe('idle'));
  await shop.call('unmount');
  expect(shop.errors).toEqual([]);
});

test('after a burst of commits the live query shows the last one, never an older result after it', async () => {
  const shop = await browser!.open('hooks');
  await shop.call('mount');
  const shown: string[] = [];
  await shop.page.exposeFunction('reportCounter', (text: string) => void shown.push(text));
  // Every text the counter shows, in order, as the DOM changes.
  await shop.page.evaluate(() => {
    const scope = globalThis as unknown as { document: { getElementById(id: string): { textContent: string | null } }; MutationObserver: new (callback: () => void) => { observe(target: unknown, options: object): void }; reportCounter(text: string): void };
    const counter = scope.document.getElementById('counter');
    new scope.MutationObserver(() => scope.reportCounter(counter.textContent ?? '')).observe(counter, { childList: true, characterData: true, subtree: true });
  });
  await shop.call('burst', 40);
  await until(async () => expect(await textOf(shop, '#counter')).toBe('count 40'));
  const numbers = shown.map((text) => Number(text.replace('count ', '')));
  expect(numbers.at(-1)).toBe(40);
  expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
  await shop.call('unmount');
  expect(shop.errors).toEqual([]);
});

test('the outcomes inbox lists the rejected, backordered and adjusted results, newest first', async () => {
  const shop = await browser!.open('hooks');
  await shop.call('mount');
  expect(await textOf(shop, '#outcomes')).toBe('');
  await shop.call('outcomes', [
    { name: 'order.place', status: 'backordered', code: 'INSUFFICIENT_STOCK', createdAt: '2024-05-01 10:00:00+00' },
    { name: 'wishlist.toggle', status: 'applied', code: '', createdAt: '2024-05-01 10:01:00+00' },
    { name: 'cart.add', status: 'rejected', code: 'NOT_FOUND', createdAt: '2024-05-01 10:02:00+00' },
  ]);
  await until(async () => {
    const items = await shop.page.locator('#outcomes li').allTextContents();
    expect(items).toEqual(['rejected cart.add NOT_FOUND', 'backordered order.place INSUFFICIENT_STOCK']);
  });
  await shop.call('unmount');
  expect(shop.errors).toEqual([]);
});

test('of two tabs of one origin only one leads; when its tab closes the other takes over', async () => {
  const [first, second] = await twoTabs();
  await first.call('lead', 'niaga-sync');
  await until(async () => expect(await first.call('isLeader')).toBe(true));
  await second.call('lead', 'niaga-sync');
  // The second tab waits in the queue as long as the first leads.
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(await second.call('isLeader')).toBe(false);

  await first.page.close();
  await until(async () => expect(await second.call('isLeader')).toBe(true));
  expect(second.errors).toEqual([]);
});

test('a leader that releases hands leadership to the waiting tab, and can queue again', async () => {
  const [first, second] = await twoTabs();
  await first.call('lead', 'niaga-sync');
  await until(async () => expect(await first.call('isLeader')).toBe(true));
  await second.call('lead', 'niaga-sync');
  await first.call('release');
  expect(await first.call('isLeader')).toBe(false);
  await until(async () => expect(await second.call('isLeader')).toBe(true));

  await first.call('lead', 'niaga-sync');
  await second.call('release');
  await until(async () => expect(await first.call('isLeader')).toBe(true));
  expect([...first.errors, ...second.errors]).toEqual([]);
});

test("a follower tab's 'pending-changed' reaches the other tabs, not itself", async () => {
  const [leader, follower] = await twoTabs();
  await follower.call('post');
  await until(async () => expect(await leader.call('heard')).toEqual(['pending-changed']));
  expect(await follower.call('heard')).toEqual([]);
});
