import { buildFieldApps, startFieldPlatform, type FieldPlatform } from '@niaga/app-kit/test-support';
import { launchChromium, saveScreenshot } from '@niaga/testing';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, onTestFailed, test } from 'vitest';
import { logIn, pending, scan, sections, tab, textOf, until, watchErrors } from './warehouse-page.ts';

// The picker's PWA, built with Vite (service worker included) and served by the real server over a
// fresh Postgres seeded with the small demo company, driven in the system Chromium.

const appRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
let platform: FieldPlatform;
let browser: Browser;

beforeAll(async () => {
  platform = await startFieldPlatform(await buildFieldApps({ warehouse: appRoot }, { build: 'first' }));
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await platform?.close();
});

const query = async <T>(sql: string, params: unknown[] = []): Promise<T[]> => (await platform.backend.database.db.query(sql, params)).rows as T[];

interface PickLineRow {
  id: string;
  qty: number;
  barcode: string;
  name: string;
  sku: string;
  bin_code: string;
}

test('a picker picks a whole list and counts a bin offline, and the server’s outcome arrives when back online', async () => {
  const [warehouse] = await query<{ id: string }>(`select id from inventory.warehouses where code = 'WH-1'`);
  // An open list of picker1's warehouse with few units, one of its lines for more than one unit.
  const [list] = await query<{ id: string; number: string }>(
    `select pl.id, o.number from orders.pick_lists pl join orders.orders o on o.id = pl.order_id join orders.pick_lines l on l.pick_list_id = pl.id
      where pl.warehouse_id = $1 and pl.status = 'open' group by pl.id, o.number having count(*) >= 2 and max(l.qty) >= 2 order by sum(l.qty), pl.id limit 1`,
    [warehouse!.id],
  );
  expect(list, 'the demo company has an open pick list at WH-1').toBeDefined();
  const lines = await query<PickLineRow>(
    `select l.id, l.qty, l.bin_code, p.barcode, p.name, p.sku from orders.pick_lines l join catalog.products p on p.id = l.product_id
      where l.pick_list_id = $1 order by l.bin_sort_order, l.bin_code, l.id`,
    [list!.id],
  );
  const [stranger] = await query<{ barcode: string; name: string; sku: string }>(
    `select barcode, name, sku from catalog.products where id not in (select product_id from orders.pick_lines where pick_list_id = $1) order by sku limit 1`,
    [list!.id],
  );
  // A bin the pick list does not touch, with two items to count.
  const [bin] = await query<{ id: string; code: string }>(
    `select b.id, b.code from inventory.bins b join inventory.stock_items s on s.bin_id = b.id
      where b.warehouse_id = $1 and b.id not in (select bin_id from orders.pick_lines where pick_list_id = $2)
      group by b.id, b.code having count(*) >= 2 order by b.code limit 1`,
    [warehouse!.id, list!.id],
  );
  const counted = await query<{ product_id: string; on_hand: number; barcode: string; name: string }>(
    `select s.product_id, s.on_hand, p.barcode, p.name from inventory.stock_items s join catalog.products p on p.id = s.product_id
      where s.bin_id = $1 order by p.sku limit 2`,
    [bin!.id],
  );
  const [exact, over] = counted as [(typeof counted)[0], (typeof counted)[0]];

  const context = await browser.newContext();
  const errors = watchErrors(context);
  let page = await context.newPage();
  const started = Date.now();
  const step = (name: string) => console.log(`${((Date.now() - started) / 1000).toFixed(1)} s: ${name}`);
  onTestFailed(async () => {
    console.log('errors', errors);
    if (!page.isClosed()) await saveScreenshot(page, 'warehouse-failed');
  });
  await logIn(page, platform.origin, 'picker1@niaga.test');
  step('first sync done');
  await page.getByRole('button', { name: `${list!.number}, open` }).waitFor();

  // Controlled by the service worker before going offline (the first visit only installs it).
  await page.evaluate('navigator.serviceWorker.ready.then(() => true)');
  await page.reload();
  await sections(page).waitFor();
  expect(await page.evaluate('navigator.serviceWorker.controller !== null')).toBe(true);
  await page.getByRole('button', { name: `${list!.number}, open` }).waitFor();
  await saveScreenshot(page, 'warehouse-picks');

  step('offline');
  await errors.setOffline(true);
  const reloading = Date.now();
  await page.reload();
  await sections(page).waitFor();
  step(`the app shell and its data opened offline in ${Date.now() - reloading} ms`);
  await until(async () => expect(await textOf(page.getByTestId('connection'))).toBe('Offline'));

  step('picking');
  // Pick the whole list by scanning.
  await page.getByRole('button', { name: `${list!.number}, open` }).click();
  const progress = page.getByTestId('scan-progress');
  const message = page.getByTestId('scan-message');
  await until(async () => expect(await textOf(progress)).toBe(`Scanned 0 of ${lines[0]!.qty}`));

  await scan(page, stranger!.barcode);
  await until(async () => expect(await textOf(message)).toBe(`Wrong item: expected ${lines[0]!.name} (${lines[0]!.sku}), scanned ${stranger!.name} (${stranger!.sku})`));
  expect(await page.locator('.scan-panel.scan-error').count()).toBe(1);
  expect(await textOf(progress)).toBe(`Scanned 0 of ${lines[0]!.qty}`);
  // An item of a later line, scanned too early (the list has at least two lines).
  await scan(page, lines[1]!.barcode);
  await until(async () =>
    expect(await textOf(message)).toBe(`Wrong item: expected ${lines[0]!.name} (${lines[0]!.sku}), scanned ${lines[1]!.name} (${lines[1]!.sku}). It is on this list later, at bin ${lines[1]!.bin_code}.`),
  );
  await scan(page, '0000000000000');
  await until(async () => expect(await textOf(message)).toBe('No product has barcode 0000000000000'));

  let repeated = false;
  for (const [index, line] of lines.entries()) {
    await until(async () => expect(await textOf(progress)).toBe(`Scanned 0 of ${line.qty}`));
    await scan(page, line.barcode);
    let scanned = 1;
    if (line.qty > 1 && !repeated) {
      // A scanner's double read, at once (the code in one go, as fast as the browser takes it): ignored.
      await page.keyboard.insertText(line.barcode);
      await page.keyboard.press('Enter');
      await until(async () => expect(await textOf(page.getByTestId('scan-repeats'))).toBe('1 repeated scan ignored'));
      await until(async () => expect(await textOf(progress)).toBe(`Scanned 1 of ${line.qty}`));
      repeated = true;
      // The next unit, scanned by a person a moment later, counts.
      await page.waitForTimeout(650);
      await scan(page, line.barcode);
      scanned = 2;
      if (line.qty > 2) await until(async () => expect(await textOf(progress)).toBe(`Scanned 2 of ${line.qty}`));
    }
    if (scanned < line.qty) {
      // The rest typed after the first scan, as for a carton.
      await until(async () => expect(await textOf(progress)).toBe(`Scanned ${scanned} of ${line.qty}`));
      await page.getByRole('textbox', { name: 'Quantity picked' }).fill(String(line.qty));
      await page.getByRole('button', { name: 'Confirm', exact: true }).click();
    }
    await until(async () => expect(await textOf(pending(page))).toBe(`${index + 1} change${index === 0 ? '' : 's'} waiting to send`));
  }
  expect(repeated).toBe(true);
  await page.getByText('Every line of this list is picked.').waitFor();
  await until(async () => expect(await textOf(page.getByTestId('pick-list-status'))).toBe('completed'));
  await until(async () => expect(await page.getByRole('table', { name: 'Pick lines' }).getByText('waiting to send').count()).toBe(lines.length));
  await saveScreenshot(page, 'warehouse-pick-list');

  step('counting');
  // Count a bin, blind: no expected quantity on the screen.
  await tab(page, 'Count').click();
  await page.getByRole('button', { name: `Bin ${bin!.code}` }).click();
  await scan(page, exact.barcode);
  await scan(page, over.barcode);
  const countOf = (name: string) => page.getByRole('textbox', { name: `Count of ${name}` });
  await until(async () => expect(await countOf(over.name).inputValue()).toBe('1'));
  await countOf(exact.name).fill('10000001');
  await countOf(over.name).fill(String(over.on_hand + 25));
  await page.getByRole('button', { name: 'Submit counts (2)' }).click();
  await page.getByText('Fix the counts marked in red: nothing was sent.').waitFor();
  expect(await textOf(pending(page))).toBe(`${lines.length} changes waiting to send`);
  await countOf(exact.name).fill(String(exact.on_hand));
  await page.getByRole('button', { name: 'Submit counts (2)' }).click();
  await page.getByText('2 counts submitted').waitFor();
  const countLines = page.getByTestId('count-line');
  await until(async () => expect(await countLines.count()).toBe(2));
  expect(await countLines.getByText('waiting for the server').count()).toBe(2);
  expect(await textOf(pending(page))).toBe(`${lines.length + 2} changes waiting to send`);
  // Work not submitted yet: one unit scanned on a new sheet.
  await scan(page, exact.barcode);
  await until(async () => expect(await countOf(exact.name).inputValue()).toBe('1'));
  await saveScreenshot(page, 'warehouse-count');

  step('transfers');
  await tab(page, 'Transfers').click();
  await page.getByRole('heading', { name: 'To receive' }).waitFor();
  await saveScreenshot(page, 'warehouse-transfers');
  await tab(page, 'Lookup').click();
  await page.getByRole('heading', { name: 'Product lookup' }).waitFor();
  await scan(page, exact.barcode);
  await page.getByRole('region', { name: 'Product' }).getByText(bin!.code).waitFor();
  await saveScreenshot(page, 'warehouse-lookup');

  step('reopen');
  // The tab goes away; a new one, still offline, finds the work where it was.
  await page.close();
  page = await context.newPage();
  await page.goto(`${platform.origin}/warehouse/#/count/${bin!.id}`);
  await sections(page).waitFor();
  await until(async () => expect(await textOf(pending(page))).toBe(`${lines.length + 2} changes waiting to send`));
  await until(async () => expect(await countOf(exact.name).inputValue()).toBe('1'));
  await page.getByRole('button', { name: `Remove ${exact.name}` }).click();
  await page.goto(`${platform.origin}/warehouse/#/picks`);
  await page.getByRole('button', { name: `${list!.number}, completed` }).getByText(`${lines.length} waiting to send`).waitFor();

  step('online');
  // Back online: the server's decisions arrive.
  await errors.setOffline(false);
  // Up to a minute: the pushes go out at once, but the client library's shape streams come back
  // from their offline backoff (up to 30 s) on their own time, and the confirmations come through them.
  await until(async () => expect(await textOf(pending(page))).toBe('All changes sent'), 60_000);
  step('all sent');
  await until(async () => expect(await page.getByRole('button', { name: `${list!.number}, completed` }).textContent()).not.toContain('waiting to send'));
  step('pick list confirmed');
  await page.goto(`${platform.origin}/warehouse/#/count/${bin!.id}`);
  const rowOf = (name: string) => page.getByTestId('count-line').filter({ hasText: name });
  await until(async () => expect((await rowOf(exact.name).locator('td').allTextContents()).slice(1)).toEqual([String(exact.on_hand), 'applied', '0']));
  await until(async () => expect((await rowOf(over.name).locator('td').allTextContents()).slice(1)).toEqual([String(over.on_hand + 25), 'awaiting approval', '+25']));
  await until(async () => expect(await textOf(page.getByRole('button', { name: /^Inbox/ }))).toBe('Inbox (1)'));
  await saveScreenshot(page, 'warehouse-count-outcome');

  step('postgres');
  const picked = await query<{ id: string; status: string; picked_qty: number; qty: number }>(`select id, status, picked_qty, qty from orders.pick_lines where pick_list_id = $1 order by id`, [list!.id]);
  expect(picked.map((line) => [line.status, line.picked_qty])).toEqual(picked.map((line) => ['picked', line.qty]));
  expect(await query(`select status from orders.pick_lists where id = $1`, [list!.id])).toEqual([{ status: 'completed' }]);
  const counts = await query<{ product_id: string; counted_qty: number; status: string; variance: number }>(
    `select product_id, counted_qty, status, variance from inventory.count_lines where bin_id = $1 order by variance`,
    [bin!.id],
  );
  expect(counts).toEqual([
    { product_id: exact.product_id, counted_qty: exact.on_hand, status: 'applied', variance: 0 },
    { product_id: over.product_id, counted_qty: over.on_hand + 25, status: 'awaiting_approval', variance: 25 },
  ]);

  expect(errors.unexpected).toEqual([]);
  await context.close();
}, 120_000);

test('bad input is refused with a clear message and sends nothing; a transfer is received with a discrepancy and another shipped', async () => {
  const [warehouse] = await query<{ id: string }>(`select id from inventory.warehouses where code = 'WH-2'`);
  const transferLines = (direction: 'from' | 'to', status: string) =>
    query<{ transfer_id: string; product_id: string; quantity: number; shipped_qty: number; barcode: string; name: string }>(
      `select l.transfer_id, l.product_id, l.quantity, l.shipped_qty, p.barcode, p.name from inventory.transfer_lines l
        join inventory.transfers t on t.id = l.transfer_id join catalog.products p on p.id = l.product_id
       where t.${direction}_warehouse_id = $1 and t.status = $2 order by p.name`,
      [warehouse!.id, status],
    );
  const incoming = await transferLines('to', 'shipped');
  const outgoing = await transferLines('from', 'draft');
  expect(incoming.length, 'WH-2 has a shipped transfer to receive').toBeGreaterThan(1);
  expect(outgoing.length, 'WH-2 has a draft transfer to ship').toBeGreaterThan(0);
  const [stranger] = await query<{ barcode: string; name: string }>(`select barcode, name from catalog.products where id <> all($1) order by sku limit 1`, [incoming.map((line) => line.product_id)]);
  const [bin] = await query<{ id: string; code: string }>(`select id, code from inventory.bins where warehouse_id = $1 order by sort_order limit 1`, [warehouse!.id]);
  const [binItem] = await query<{ barcode: string; name: string }>(
    `select p.barcode, p.name from inventory.stock_items s join catalog.products p on p.id = s.product_id where s.bin_id = $1 order by p.sku limit 1`,
    [bin!.id],
  );

  const pickLine = await nextPickLine('WH-2', 2);
  expect(pickLine, 'WH-2 has a pick list to start').toBeDefined();

  const context = await browser.newContext();
  const errors = watchErrors(context);
  const page = await context.newPage();
  onTestFailed(async () => {
    console.log('errors', errors);
    if (!page.isClosed()) await saveScreenshot(page, 'warehouse-bad-input-failed');
  });
  await logIn(page, platform.origin, 'picker2@niaga.test');

  // A picked quantity above the line's is refused, and nothing is confirmed.
  await page.goto(`${platform.origin}/warehouse/#/picks/${pickLine!.pick_list_id}`);
  await scan(page, pickLine!.barcode);
  await until(async () => expect(await textOf(page.getByTestId('scan-progress'))).toBe(`Scanned 1 of ${pickLine!.qty}`));
  await page.getByRole('textbox', { name: 'Quantity picked' }).fill(String(pickLine!.qty + 1));
  await page.getByRole('button', { name: 'Confirm', exact: true }).click();
  await page.getByText(`Enter a whole number from 0 to ${pickLine!.qty}, not ${pickLine!.qty + 1}`).waitFor();
  expect(await textOf(page.getByTestId('scan-progress'))).toBe(`Scanned 1 of ${pickLine!.qty}`);
  expect(await textOf(pending(page))).toBe('All changes sent');
  // The unit scanned survives a reload (it is not confirmed, so it is not in the queue).
  await page.reload();
  await until(async () => expect(await textOf(page.getByTestId('scan-progress'))).toBe(`Scanned 1 of ${pickLine!.qty}`));

  // An unknown barcode, wherever it is scanned.
  await tab(page, 'Lookup').click();
  // The pick screen has a scan field too: scan only once the lookup screen shows.
  await page.getByRole('heading', { name: 'Product lookup' }).waitFor();
  await scan(page, '12345678');
  await until(async () => expect(await textOf(page.getByTestId('scan-message'))).toBe('No product has barcode 12345678'));
  expect(await page.getByTestId('scan-message').getAttribute('role')).toBe('alert');

  // A count out of range is refused before anything is queued, and stays on the sheet to fix.
  await tab(page, 'Count').click();
  await page.getByRole('button', { name: `Bin ${bin!.code}` }).click();
  await scan(page, binItem!.barcode);
  const count = page.getByRole('textbox', { name: `Count of ${binItem!.name}` });
  await until(async () => expect(await count.inputValue()).toBe('1'));
  await count.fill('-5');
  await page.getByRole('button', { name: 'Submit count' }).click();
  await page.getByText('Fix the counts marked in red: nothing was sent.').waitFor();
  expect(await textOf(page.locator('.field-error'))).toBe(`${binItem!.name}: Enter a whole number from 0 to 10,000,000, not "-5"`);
  await count.fill('10000001');
  await page.getByRole('button', { name: 'Submit count' }).click();
  await until(async () => expect(await textOf(page.locator('.field-error'))).toBe(`${binItem!.name}: Enter a whole number from 0 to 10,000,000, not 10,000,001`));
  expect(await count.getAttribute('aria-invalid')).toBe('true');
  expect(await page.getByTestId('count-line').count()).toBe(0);
  expect(await textOf(pending(page))).toBe('All changes sent');
  await page.getByRole('button', { name: `Remove ${binItem!.name}` }).click();

  // Receive the incoming transfer: one line short of what was shipped.
  await tab(page, 'Transfers').click();
  await page.getByRole('region', { name: 'To receive' }).getByRole('button').first().click();
  await scan(page, stranger!.barcode);
  await until(async () => expect(await textOf(page.getByTestId('scan-message'))).toBe(`${stranger!.name} (${await skuOf(stranger!.barcode)}) is not on this transfer`));
  const receiveField = (name: string) => page.getByRole('textbox', { name: `Receive quantity of ${name}` });
  const typed = (index: number) => String(index === 0 ? incoming[0]!.shipped_qty - 1 : incoming[index]!.shipped_qty);
  for (const [index, line] of incoming.entries()) {
    // From the second line on, the scan comes while the quantity just typed still has the focus:
    // the scanner's burst is taken out of that field and counted as a scan.
    await scan(page, line.barcode);
    await until(async () => expect(await receiveField(line.name).inputValue()).toBe('1'));
    if (index > 0) expect(await receiveField(incoming[index - 1]!.name).inputValue()).toBe(typed(index - 1));
    await receiveField(line.name).fill(typed(index));
  }
  await page.getByRole('row').filter({ hasText: incoming[0]!.name }).getByText('1 short').waitFor();
  await saveScreenshot(page, 'warehouse-transfer-receive');
  await page.getByRole('button', { name: 'Receive with 1 discrepancy' }).click();
  await until(async () => expect(await textOf(page.getByTestId('transfer-status'))).toBe('discrepancy'), 30_000);
  await until(async () => expect(await textOf(pending(page))).toBe('All changes sent'), 30_000);

  // Ship the outgoing one as planned (quantities typed).
  await tab(page, 'Transfers').click();
  await page.getByRole('region', { name: 'To ship' }).getByRole('button').first().click();
  for (const line of outgoing) await page.getByRole('textbox', { name: `Ship quantity of ${line.name}` }).fill(String(line.quantity));
  await page.getByRole('button', { name: 'Ship', exact: true }).click();
  await until(async () => expect(await textOf(page.getByTestId('transfer-status'))).toBe('shipped'), 30_000);
  await until(async () => expect(await textOf(pending(page))).toBe('All changes sent'), 30_000);

  const received = await query<{ status: string; received_qty: number; shipped_qty: number }>(
    `select t.status, l.received_qty, l.shipped_qty from inventory.transfer_lines l join inventory.transfers t on t.id = l.transfer_id
      join catalog.products p on p.id = l.product_id where l.transfer_id = $1 order by p.name`,
    [incoming[0]!.transfer_id],
  );
  expect(received).toEqual(incoming.map((line, index) => ({ status: 'discrepancy', received_qty: index === 0 ? line.shipped_qty - 1 : line.shipped_qty, shipped_qty: line.shipped_qty })));
  const shipped = await query<{ status: string; shipped_qty: number }>(
    `select t.status, l.shipped_qty from inventory.transfer_lines l join inventory.transfers t on t.id = l.transfer_id
      join catalog.products p on p.id = l.product_id where l.transfer_id = $1 order by p.name`,
    [outgoing[0]!.transfer_id],
  );
  expect(shipped).toEqual(outgoing.map((line) => ({ status: 'shipped', shipped_qty: line.quantity })));
  expect(errors.unexpected).toEqual([]);
  await context.close();
}, 90_000);

/** A pick list of the warehouse whose next line (in bin order) is for at least `minQty` units. */
async function nextPickLine(warehouseCode: string, minQty: number): Promise<{ pick_list_id: string; qty: number; barcode: string } | undefined> {
  const [line] = await query<{ pick_list_id: string; qty: number; barcode: string }>(
    `select pick_list_id, qty, barcode from (
       select l.pick_list_id, l.qty, p.barcode, row_number() over (partition by l.pick_list_id order by l.bin_sort_order, l.bin_code, l.id) as n
         from orders.pick_lines l join catalog.products p on p.id = l.product_id join inventory.warehouses w on w.id = l.warehouse_id
        where w.code = $1 and l.status = 'pending') next
      where n = 1 and qty >= $2 order by pick_list_id limit 1`,
    [warehouseCode, minQty],
  );
  return line;
}

async function skuOf(barcode: string): Promise<string> {
  const [row] = await query<{ sku: string }>(`select sku from catalog.products where barcode = $1`, [barcode]);
  return row!.sku;
}

test('on a device whose storage is full a count is refused with a clear message, stays on the sheet, and goes through once there is room', async () => {
  const [bin] = await query<{ id: string; code: string }>(
    `select b.id, b.code from inventory.bins b join inventory.warehouses w on w.id = b.warehouse_id where w.code = 'WH-3' order by b.sort_order limit 1`,
  );
  const [item] = await query<{ barcode: string; name: string; product_id: string; on_hand: number }>(
    `select p.barcode, p.name, s.product_id, s.on_hand from inventory.stock_items s join catalog.products p on p.id = s.product_id where s.bin_id = $1 order by p.sku limit 1`,
    [bin!.id],
  );
  const context = await browser.newContext();
  const errors = watchErrors(context);
  const page = await context.newPage();
  onTestFailed(async () => {
    console.log('errors', errors);
    if (!page.isClosed()) await saveScreenshot(page, 'warehouse-quota-failed');
  });
  await logIn(page, platform.origin, 'picker3@niaga.test');
  await page.goto(`${platform.origin}/warehouse/#/count/${bin!.id}`);
  await scan(page, item!.barcode);
  const count = page.getByRole('textbox', { name: `Count of ${item!.name}` });
  await until(async () => expect(await count.inputValue()).toBe('1'));
  await count.fill(String(item!.on_hand));

  // The device's storage fills up: every IndexedDB write fails as the browser fails it then.
  // (Chromium's own quota override, Storage.overrideQuotaForOrigin, does not take effect headless.)
  await page.evaluate(`(() => {
    for (const method of ['put', 'add']) {
      const original = IDBObjectStore.prototype[method];
      IDBObjectStore.prototype[method] = function (...args) {
        if (globalThis.storageFull) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        return original.apply(this, args);
      };
    }
    globalThis.storageFull = true;
  })()`);
  await page.getByRole('button', { name: 'Submit count' }).click();
  await until(async () => expect(await textOf(page.getByTestId('mutation-error'))).toBe("This device's storage is full, so nothing was saved: free some space and try again."));
  expect(await count.inputValue()).toBe(String(item!.on_hand));
  expect(await page.getByTestId('count-line').count()).toBe(0);
  expect(await textOf(pending(page))).toBe('All changes sent');
  await saveScreenshot(page, 'warehouse-storage-full');

  await page.evaluate('globalThis.storageFull = false');
  await page.getByRole('button', { name: 'Submit count' }).click();
  await page.getByText('1 count submitted').waitFor();
  await until(async () => expect(await page.getByTestId('count-line').getByText('applied').count()).toBe(1), 30_000);
  expect(await query(`select counted_qty, status from inventory.count_lines where bin_id = $1 and product_id = $2`, [bin!.id, item!.product_id])).toEqual([
    { counted_qty: item!.on_hand, status: 'applied' },
  ]);
  expect(errors.unexpected).toEqual([]);
  await context.close();
}, 60_000);

test('where the browser reads barcodes from the camera, a code held in view counts once, and again when shown again', async () => {
  const pickLine = await nextPickLine('WH-3', 3);
  expect(pickLine, 'WH-3 has a pick list to start').toBeDefined();
  const context = await browser.newContext();
  // Headless Chromium on Linux has neither a camera nor BarcodeDetector: a camera that sees
  // `globalThis.cameraSees` in every frame, and a canvas as its video.
  await context.addInitScript(`
    globalThis.BarcodeDetector = class {
      async detect() { return globalThis.cameraSees ? [{ rawValue: globalThis.cameraSees }] : []; }
    };
    // (about:blank, where a new page starts, has no mediaDevices.)
    if (navigator.mediaDevices) navigator.mediaDevices.getUserMedia = async () => {
      const canvas = document.createElement('canvas');
      canvas.getContext('2d').fillRect(0, 0, canvas.width, canvas.height);
      return canvas.captureStream(10);
    };
  `);
  const errors = watchErrors(context);
  const page = await context.newPage();
  onTestFailed(async () => {
    console.log('errors', errors);
    if (!page.isClosed()) await saveScreenshot(page, 'warehouse-camera-failed');
  });
  await logIn(page, platform.origin, 'picker3@niaga.test');
  await page.goto(`${platform.origin}/warehouse/#/picks/${pickLine!.pick_list_id}`);
  const progress = page.getByTestId('scan-progress');
  await until(async () => expect(await textOf(progress)).toBe(`Scanned 0 of ${pickLine!.qty}`));
  await page.getByRole('button', { name: 'Camera' }).click();
  await page.getByLabel('Camera view').waitFor();

  // In view for a while: many frames, one unit.
  await page.evaluate(`globalThis.cameraSees = '${pickLine!.barcode}'`);
  await until(async () => expect(Number((await textOf(page.getByTestId('scan-repeats'))).split(' ')[0])).toBeGreaterThan(2));
  await page.evaluate('globalThis.cameraSees = undefined');
  expect(await textOf(progress)).toBe(`Scanned 1 of ${pickLine!.qty}`);
  await saveScreenshot(page, 'warehouse-camera');

  // Out of view long enough, then shown again: the next unit.
  await page.waitForTimeout(1600);
  await page.evaluate(`globalThis.cameraSees = '${pickLine!.barcode}'`);
  await until(async () => expect(await textOf(progress)).toBe(`Scanned 2 of ${pickLine!.qty}`));
  await page.evaluate('globalThis.cameraSees = undefined');
  await page.getByRole('button', { name: 'Close camera' }).click();
  expect(await page.getByLabel('Camera view').count()).toBe(0);
  expect(await textOf(progress)).toBe(`Scanned 2 of ${pickLine!.qty}`);
  expect(errors.unexpected).toEqual([]);
  await context.close();
}, 60_000);

test('an empty bin is confirmed as a short pick of nothing, with no scan, and the server records the line short', async () => {
  const line = await nextPickLine('WH-3', 1);
  expect(line, 'WH-3 has a pick list to start').toBeDefined();
  const [row] = await query<{ id: string }>(
    `select l.id from orders.pick_lines l where l.pick_list_id = $1 and l.status = 'pending' order by l.bin_sort_order, l.bin_code, l.id limit 1`,
    [line!.pick_list_id],
  );
  const context = await browser.newContext();
  const errors = watchErrors(context);
  const page = await context.newPage();
  onTestFailed(async () => {
    await saveScreenshot(page, 'failed-bin-empty');
  });
  await logIn(page, platform.origin, 'picker3@niaga.test');
  // What the app sends: the confirmation names no scanned code (nothing was scanned).
  const pushed: { name: string; args: Record<string, unknown> }[] = [];
  page.on('request', (request) => {
    if (request.url().endsWith('/api/v1/sync/push')) pushed.push(...(request.postDataJSON() as { mutations: { name: string; args: Record<string, unknown> }[] }).mutations);
  });
  await page.goto(`${platform.origin}/warehouse/#/picks/${line!.pick_list_id}`);
  await page.getByRole('button', { name: 'Bin empty' }).click();
  await until(async () => expect(await query('select status, picked_qty from orders.pick_lines where id = $1', [row!.id])).toEqual([{ status: 'short', picked_qty: 0 }]), 30_000);
  expect(await query(`select id from inventory.movements where reference_id = $1`, [row!.id])).toEqual([]);
  // Playwright reports the page's requests asynchronously: under load the event can come after the server applied the push.
  const confirmationOf = () => pushed.find((mutation) => mutation.name === 'pick.confirm' && mutation.args.pickLineID === row!.id);
  await until(async () => expect(confirmationOf()).toBeDefined(), 10_000);
  const confirmation = confirmationOf();
  expect(confirmation?.args).toMatchObject({ qty: 0 });
  expect(confirmation?.args).not.toHaveProperty('scannedCode');
  expect(errors.unexpected).toEqual([]);
  await context.close();
}, 60_000);

test('a new version deployed while the app is open is offered, not forced; Reload switches to it, and it opens offline', async () => {
  const context = await browser.newContext();
  const errors = watchErrors(context);
  const page = await context.newPage();
  onTestFailed(async () => {
    await saveScreenshot(page, 'failed-update');
  });
  await logIn(page, platform.origin, 'picker2@niaga.test');
  // The first visit installs the service worker; from the reload on, it serves the app.
  await page.evaluate('navigator.serviceWorker.ready.then(() => true)');
  await page.reload();
  await sections(page).waitFor();
  const footer = page.getByRole('contentinfo');
  expect(await textOf(footer)).toContain('build first');

  // Deploy: the app built again as another version, into the folder the server serves.
  await buildFieldApps({ warehouse: appRoot }, { appsDir: platform.appsDir, build: 'second' });
  await page.evaluate('navigator.serviceWorker.getRegistration().then((registration) => registration.update())');
  const prompt = page.getByRole('alert').filter({ hasText: 'A new version of the app is ready' });
  await prompt.waitFor({ timeout: 30_000 });
  expect(await textOf(footer)).toContain('build first');
  await saveScreenshot(page, 'warehouse-update-prompt');

  await prompt.getByRole('button', { name: 'Reload' }).click();
  await until(async () => expect(await textOf(footer)).toContain('build second'), 30_000);
  await errors.setOffline(true);
  await page.reload();
  await sections(page).waitFor();
  expect(await textOf(footer)).toContain('build second');
  await errors.setOffline(false);
  expect(errors.unexpected).toEqual([]);
  await context.close();
}, 120_000);
