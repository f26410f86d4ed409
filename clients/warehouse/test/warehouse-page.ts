/** Driving the warehouse app in Chromium as a picker does: the scan field, the sections, the sync bar. */
import { demoPassword } from '@niaga/app-kit/test-support';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { vi } from 'vitest';

/** Waits until `check` passes (Playwright's own expect is not in playwright-core). */
export const until = (check: () => Promise<void>, timeout = 10_000) => vi.waitFor(check, { timeout, interval: 50 });
export const textOf = async (locator: Locator) => ((await locator.textContent()) ?? '').trim();

/**
 * Console errors and uncaught exceptions of every page of the context. While the test has the
 * network off, Chromium may log each request that could not go out (the sync client's polls and
 * pushes) as "net::ERR_INTERNET_DISCONNECTED": those, and only while offline, are expected.
 */
export function watchErrors(context: BrowserContext): { readonly unexpected: string[]; setOffline(offline: boolean): Promise<void> } {
  const unexpected: string[] = [];
  let offline = false;
  const watch = (page: Page) => {
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      if (offline && message.text().includes('net::ERR_INTERNET_DISCONNECTED')) return;
      unexpected.push(message.text());
    });
    page.on('pageerror', (error) => unexpected.push(`${error.name}: ${error.message}`));
  };
  context.on('page', watch);
  for (const page of context.pages()) watch(page);
  return {
    unexpected,
    async setOffline(value) {
      // Requests cut while going offline fail a moment later: they stay expected until back online.
      if (value) offline = true;
      await context.setOffline(value);
      if (!value) setTimeout(() => (offline = false), 1000);
    },
  };
}

export async function logIn(page: Page, origin: string, email: string): Promise<void> {
  await page.goto(`${origin}/warehouse/`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(demoPassword);
  await page.getByRole('button', { name: 'Log in' }).click();
  await sections(page).waitFor({ timeout: 60_000 });
}

export const sections = (page: Page) => page.getByRole('navigation', { name: 'Sections' });
export const tab = (page: Page, name: string) => sections(page).getByRole('button', { name });
export const scanField = (page: Page) => page.getByRole('textbox', { name: 'Scan item' });
export const pending = (page: Page) => page.getByTestId('pending');

/**
 * As a keyboard-wedge scanner does: keystrokes and Enter to whatever has the focus, which must be
 * the scan field (it keeps it, and takes keys typed while a button has it).
 */
export async function scan(page: Page, code: string): Promise<void> {
  await scanField(page).waitFor();
  await page.keyboard.type(code);
  await page.keyboard.press('Enter');
}
