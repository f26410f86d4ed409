/**
 * The page side of a browser test (bundled into the page: no Node APIs). A page entry defines the
 * functions its test calls through TestPage.call (see browser.ts).
 */

/** The global the page's functions hang on. */
export const pageGlobal = '__niagaTestPage';

export type PageFunctions = Readonly<Record<string, (...args: never[]) => unknown>>;

/** Makes `functions` callable from the test; arguments and results cross as structured clones. */
export function definePage(functions: PageFunctions): void {
  (globalThis as Record<string, unknown>)[pageGlobal] = functions;
}
