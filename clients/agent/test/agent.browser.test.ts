/**
 * The agent app in real Chromium against the real platform (Postgres, change capture, in-process
 * saga): log in, first sync, then offline — reload (the service worker serves the app, PGlite in
 * IndexedDB has the data), add a customer and place an order, close and reopen the tab, go back
 * online and see the server's outcome in the UI and the rows in Postgres. Screenshots of each main
 * screen land in test-results/browser/.
 */
import { buildFieldApps, demoPassword, startFieldPlatform, type FieldPlatform } from '@niaga/app-kit/test-support';
import { launchChromium, saveScreenshot, whenTestFails } from '@niaga/testing';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';

const appRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
let platform: FieldPlatform;
let browser: Browser;

beforeAll(async () => {
  platform = await startFieldPlatform(await buildFieldApps({ agent: appRoot }));
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await platform?.close();
});

/** The sync server's requests (REST, push, pull, shapes), failed while a test is offline. */
const serverRoutes = (url: URL) => url.pathname.startsWith('/api/') || url.pathname.startsWith('/v1/');

/** A page whose console errors and uncaught exceptions are collected; failed requests while offline are expected. */
async function openPage(context: BrowserContext, path = '/agent/'): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !/ERR_INTERNET_DISCONNECTED|Failed to load resource/.test(message.text())) errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.stack ?? error.message));
  whenTestFails((name) => saveScreenshot(page, `failed-${name.slice(0, 40)}`));
  await page.goto(`${platform.origin}${path}`);
  return { page, errors };
}

async function logIn(page: Page, email: string, password = demoPassword): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
}

const sections = (page: Page) => page.getByRole('navigation', { name: 'Sections' });
const query = async <T>(sql: string, params: unknown[] = []) => (await platform.backend.database.db.query<T>(sql, params)).rows;

test('an agent syncs, works offline through a reload and a closed tab, and sees the server confirm the order', async () => {
  const [agent] = await query<{ agent_id: string; territory_id: string }>("select agent_id, territory_id from auth.users where email = 'agent1@niaga.test'");
  const [product] = await query<{ id: string; sku: string; name: string }>(
    `select p.id, p.sku, p.name from catalog.products p join inventory.stock_items s on s.product_id = p.id
      join agents.agents a on a.warehouse_id = s.warehouse_id where a.id = $1 and s.available >= 10 and p.active order by p.sku limit 1`,
    [agent!.agent_id],
  );
  const [customer] = await query<{ id: string; name: string }>('select id, name from customers.customers where territory_id = $1 and active order by name limit 1', [agent!.territory_id]);

  const context = await browser.newContext({ viewport: { width: 420, height: 860 } });
  const { page, errors } = await openPage(context);
  // A new device creates its database first (PGlite's initdb: seconds, more on a busy machine).
  await page.getByLabel('Email').waitFor({ timeout: 90_000 });

  // Bad input first: a wrong password and someone else's role are refused with a clear message.
  await logIn(page, 'agent1@niaga.test', 'not-the-password');
  await expect.poll(() => page.getByRole('alert').textContent()).toContain('Wrong email or password');
  await logIn(page, 'picker1@niaga.test');
  await expect.poll(() => page.getByRole('alert').textContent()).toContain('This app is for agent accounts');

  const started = Date.now();
  await logIn(page, 'agent1@niaga.test');
  await sections(page).waitFor({ timeout: 60_000 });
  const firstSyncMs = Date.now() - started;
  await page.getByRole('region', { name: 'Route' }).getByRole('listitem').first().waitFor();
  await saveScreenshot(page, 'agent-route');

  // One tab at a time: PGlite in IndexedDB cannot be shared between tabs (each would overwrite the
  // other's writes), so a second tab is told to use the first, and offered no reset.
  const second = await context.newPage();
  await second.goto(`${platform.origin}/agent/`);
  await second.getByRole('heading', { name: 'The app is open in another tab' }).waitFor();
  expect(await second.getByRole('button', { name: 'Reset this device' }).count()).toBe(0);
  await second.close();

  // The service worker has the app; a reload while online puts the page under its control.
  // (Expressions as text: this file type-checks without the DOM's types.)
  await page.evaluate('navigator.serviceWorker.ready.then(() => true)');
  await page.reload();
  await sections(page).waitFor();
  expect(await page.evaluate('navigator.serviceWorker.controller !== null')).toBe(true);

  await context.setOffline(true);
  // setOffline alone has let a tab opened later push (once in three full runs): the server's routes fail too.
  await context.route(serverRoutes, (route) => route.abort('internetdisconnected'));
  const reloadStarted = Date.now();
  await page.reload({ waitUntil: 'domcontentloaded' });
  await page.locator('#root main, #root nav').first().waitFor();
  const offlineShellMs = Date.now() - reloadStarted;
  await sections(page).waitFor();
  const offlineDataMs = Date.now() - reloadStarted;
  console.log(`agent app: first sync ${firstSyncMs} ms; offline reload: app shell ${offlineShellMs} ms, local data open ${offlineDataMs} ms`);
  await expect.poll(() => page.getByTestId('connection').textContent()).toContain('Offline');

  // The catalogue is searched on the device.
  await sections(page).getByRole('button', { name: 'Catalogue' }).click();
  await page.getByLabel('Search products').fill(product!.sku);
  await page.getByRole('list', { name: 'Products' }).getByRole('button', { name: product!.name }).click();
  await page.getByRole('heading', { name: product!.name }).waitFor();
  await expect.poll(() => page.getByRole('table').textContent()).toMatch(/WH-1/);
  await saveScreenshot(page, 'agent-product');

  // A new customer, offline.
  await sections(page).getByRole('button', { name: 'Customers' }).click();
  await saveScreenshot(page, 'agent-customers');
  await page.getByRole('button', { name: 'Add customer' }).click();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('Name is required');
  await page.getByLabel('Shop name').fill('Toko Offline Baru');
  await page.getByLabel('Street address').fill('Jl. Sudirman 1');
  await page.getByLabel('City', { exact: true }).fill('Jakarta');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Toko Offline Baru' }).waitFor();
  const newCustomerID = decodeURIComponent(new URL(page.url()).hash.split('/').at(-1)!);

  // An order for an existing customer, offline: placed at once, pending.
  await page.goto(`${platform.origin}/agent/#/customers/${customer!.id}`).catch(() => undefined);
  await page.getByRole('heading', { name: customer!.name }).waitFor();
  await saveScreenshot(page, 'agent-customer');
  await page.getByRole('region', { name: 'Customer' }).getByRole('button', { name: 'New order' }).click();
  await page.getByLabel('Search products to add').fill(product!.sku);
  await page.getByRole('list', { name: 'Products to add' }).getByRole('button', { name: `Add ${product!.name}` }).click();
  await page.getByRole('button', { name: `More ${product!.name}` }).click();
  expect(await page.getByLabel(`Quantity of ${product!.name}`).inputValue()).toBe('2');
  await page.getByLabel(`Quantity of ${product!.name}`).fill('999999');
  await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('at most 100,000');
  await page.getByLabel(`Quantity of ${product!.name}`).fill('2');
  await saveScreenshot(page, 'agent-order-entry');
  await page.getByRole('button', { name: 'Place order' }).click();
  await page.getByTestId('order-status').waitFor();
  const orderID = decodeURIComponent(new URL(page.url()).hash.split('/').at(-1)!);
  expect(await page.getByTestId('order-status').textContent()).toContain('Saved on this device');
  expect(await page.getByTestId('pending').textContent()).toContain('waiting to send');
  await saveScreenshot(page, 'agent-order-pending');

  // Close the tab and open the app again, still offline: the work is there, still pending.
  await page.close();
  const reopened = await openPage(context, '/agent/#/orders');
  const again = reopened.page;
  const orderRow = again.getByRole('listitem', { name: /^Order / }).filter({ hasText: customer!.name }).first();
  await orderRow.waitFor();
  expect(await orderRow.textContent()).toContain('pending');
  expect(await query('select id from orders.orders where id = $1', [orderID])).toEqual([]);

  // Back online: the queue drains and the server's decision arrives.
  await context.unroute(serverRoutes);
  await context.setOffline(false);
  await expect.poll(() => again.getByTestId('pending').textContent(), { timeout: 30_000 }).toContain('All changes sent');
  await expect.poll(() => orderRow.textContent(), { timeout: 30_000 }).toMatch(/confirmed|backordered/);
  await saveScreenshot(again, 'agent-orders');
  const [placed] = await query<{ status: string; agent_id: string; customer_id: string }>('select status, agent_id, customer_id from orders.orders where id = $1', [orderID]);
  expect(placed).toMatchObject({ agent_id: agent!.agent_id, customer_id: customer!.id });
  expect(['confirmed', 'backordered']).toContain(placed!.status);
  expect(await query('select name, territory_id from customers.customers where id = $1', [newCustomerID])).toEqual([{ name: 'Toko Offline Baru', territory_id: agent!.territory_id }]);
  expect(await query('select city, is_default from customers.addresses where customer_id = $1', [newCustomerID])).toEqual([{ city: 'Jakarta', is_default: true }]);

  // Payment taken at the shop: more than is owed is refused on the device; the full amount is
  // recorded, and the server processes it.
  await again.goto(`${platform.origin}/agent/#/orders/${orderID}`).catch(() => undefined);
  const payments = again.getByRole('region', { name: 'Payments' });
  await payments.getByTestId('outstanding').waitFor();
  const total = Number((await query<{ total_minor: string }>('select total_minor from orders.orders where id = $1', [orderID]))[0]!.total_minor);
  await payments.getByLabel('Amount taken').fill(((total + 100) / 100).toFixed(2));
  await payments.getByRole('button', { name: 'Record payment' }).click();
  await payments.getByText(/is left to pay on this order/).waitFor();
  await payments.getByLabel('Amount taken').fill((total / 100).toFixed(2));
  await payments.getByLabel('Receipt or slip number (optional)').fill('R-001');
  await payments.getByRole('button', { name: 'Record payment' }).click();
  await expect.poll(() => payments.getByTestId('outstanding').textContent()).toBe('Paid in full.');
  await expect.poll(() => query('select status, method, provider_ref from orders.payments where order_id = $1', [orderID]), { timeout: 30_000 }).toEqual([{ status: 'processed', method: 'cash', provider_ref: 'R-001' }]);
  expect(await query(`select count(*)::int as n from events.outbox where type = 'payment.processed' and payload->>'orderID' = $1`, [orderID])).toEqual([{ n: 1 }]);
  await expect.poll(() => payments.getByRole('listitem').first().textContent(), { timeout: 30_000 }).toMatch(/processed$/);
  await saveScreenshot(again, 'agent-payment');

  expect([...errors, ...reopened.errors]).toEqual([]);
  await context.close();
}, 180_000);

/** A request to the platform's API as the demo admin. */
async function asAdmin(path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
  const login = await fetch(`${platform.origin}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@niaga.test', password: demoPassword }) });
  const { accessToken } = (await login.json()) as { accessToken: string };
  return fetch(`${platform.origin}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${accessToken}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
}

test('a session that ends while the device is offline keeps its work and asks for a login; a device an admin revokes deletes its data', async () => {
  const [user] = await query<{ id: string }>("select id from auth.users where email = 'agent2@niaga.test'");
  const context = await browser.newContext({ viewport: { width: 420, height: 860 } });
  const { page, errors } = await openPage(context);
  await page.getByLabel('Email').waitFor({ timeout: 90_000 });
  await logIn(page, 'agent2@niaga.test');
  await sections(page).waitFor({ timeout: 60_000 });

  // Days offline: a customer added on the device while, at the server, the session ends (the
  // password was changed from elsewhere): the device's tokens are refused as expired ones are.
  await context.setOffline(true);
  await sections(page).getByRole('button', { name: 'Customers' }).click();
  await page.getByRole('button', { name: 'Add customer' }).click();
  await page.getByLabel('Shop name').fill('Toko Sesi Habis');
  await page.getByLabel('Street address').fill('Jl. Pemuda 2');
  await page.getByLabel('City', { exact: true }).fill('Surabaya');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Toko Sesi Habis' }).waitFor();
  const customerID = decodeURIComponent(new URL(page.url()).hash.split('/').at(-1)!);
  const newPassword = 'a-new-password-for-agent2';
  expect((await asAdmin(`/api/v1/auth/users/${user!.id}`, { method: 'PATCH', body: { password: newPassword } })).status).toBe(200);

  // Back online: the bar asks for a login; the customer is still there, waiting to be sent.
  await context.setOffline(false);
  const relogin = page.getByRole('button', { name: 'Session ended: log in' });
  await relogin.waitFor({ timeout: 30_000 });
  expect(await page.getByTestId('pending').textContent()).toMatch(/^2 changes waiting to send/); // the customer and its address
  expect(await page.getByRole('heading', { name: 'Toko Sesi Habis' }).isVisible()).toBe(true);
  await saveScreenshot(page, 'agent-session-ended');
  await relogin.click();
  await page.getByText(/Your session ended/).waitFor();
  await logIn(page, 'agent2@niaga.test', newPassword);
  await expect.poll(() => page.getByTestId('pending').textContent(), { timeout: 30_000 }).toContain('All changes sent');
  expect(await query('select name from customers.customers where id = $1', [customerID])).toEqual([{ name: 'Toko Sesi Habis' }]);

  // An admin revokes this device. The next request (here: after a catalogue change pokes the
  // device) is refused, and the app deletes what it synced.
  const sessions = (await (await asAdmin(`/api/v1/auth/sessions?userId=${user!.id}`)).json()) as { id: string; revokedAt: string | null }[];
  const live = sessions.filter((session) => session.revokedAt === null);
  expect(live).toHaveLength(1);
  expect((await asAdmin(`/api/v1/auth/sessions/${live[0]!.id}/revoke`, { method: 'POST' })).status).toBe(204);
  await query("update catalog.products set name = name || ' ' where id = (select id from catalog.products where active order by sku limit 1)");
  await page.getByRole('heading', { name: /no longer has access/ }).waitFor({ timeout: 45_000 });
  await saveScreenshot(page, 'agent-device-revoked');
  await page.getByRole('button', { name: 'Log in again' }).click();
  // The device is clean: someone else may log in on it (refused while it held agent2's data) and
  // sees only their own territory's customers.
  await page.getByLabel('Email').waitFor({ timeout: 30_000 });
  await logIn(page, 'agent3@niaga.test');
  await sections(page).waitFor({ timeout: 60_000 });
  await sections(page).getByRole('button', { name: 'Customers' }).click();
  await page.getByRole('region', { name: 'Customers' }).getByRole('listitem').first().waitFor();
  expect(await page.getByRole('region', { name: 'Customers' }).textContent()).not.toContain('Toko Sesi Habis');

  expect(errors).toEqual([]);
  await context.close();
}, 180_000);
