import { defineConfig } from 'vitest/config';

// Tests are discovered by suffix: x.test.ts (pure), x.pg.test.ts (Postgres), x.nats.test.ts,
// x.browser.test.ts (Chromium, driven from Node: see testing/src/browser.ts), …
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    globalSetup: ['./testing/src/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
