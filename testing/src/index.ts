export { createTestDatabase, type TestDatabase } from './test-database.ts';
export { EngineMissingError, freePort, startNats, startPostgres, startRedis, waitForPort, type EngineHandle } from './engines.ts';
export { withDatabase } from './database-url.ts';
export { chromiumPath, launchChromium, saveScreenshot, startBrowser, whenTestFails, type BrowserHarness, type BrowserOptions, type TestPage } from './browser.ts';
