/**
 * Enough of vitest, inside a page, for suites written with it (the store contract) to run in a
 * real browser: the browser test bundles the suite with `vitest` aliased to this module.
 * describe/test and the hooks collect cases as vitest would; runCases() runs them one at a time,
 * in order, with their hooks, and reports each. `expect` is vitest's own (@vitest/expect over chai).
 *
 * Not here: vi.fn/spyOn/mocks, fake timers, snapshots, concurrent tests, test context. A suite that
 * imports any of them fails to bundle, naming it.
 */
import { ASYMMETRIC_MATCHERS_OBJECT, chai, GLOBAL_EXPECT, JestAsymmetricMatchers, JestChaiExpect, JestExtend, setState, type ExpectStatic } from '@vitest/expect';

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

export const expect = ((value: unknown, message?: string) => chai.expect(value, message)) as ExpectStatic;
Object.assign(expect, chai.expect);
Object.assign(expect, (globalThis as Record<symbol, unknown>)[ASYMMETRIC_MATCHERS_OBJECT]);
setState({ assertionCalls: 0, isExpectingAssertions: false, isExpectingAssertionsError: null, expectedAssertionsNumber: null, expectedAssertionsNumberErrorGen: null }, expect);
Object.defineProperty(globalThis, GLOBAL_EXPECT, { value: expect, writable: true, configurable: true });

type Work = () => unknown;
type Timeout = number | { readonly timeout?: number } | undefined;

interface Case {
  readonly kind: 'case';
  readonly name: string;
  readonly fn: Work | undefined;
  readonly timeoutMs: number;
  readonly skip: boolean;
}

interface Suite {
  readonly kind: 'suite';
  readonly name: string;
  readonly skip: boolean;
  readonly children: (Suite | Case)[];
  readonly beforeAll: Work[];
  readonly afterAll: Work[];
  readonly beforeEach: Work[];
  readonly afterEach: Work[];
}

/** vitest's defaults in this repository (vitest.config.ts). */
const testTimeoutMs = 30_000;
const hookTimeoutMs = 60_000;

const newSuite = (name: string, skip: boolean): Suite => ({ kind: 'suite', name, skip, children: [], beforeAll: [], afterAll: [], beforeEach: [], afterEach: [] });
const root = newSuite('', false);
let current = root;

const timeoutOf = (option: Timeout): number => (typeof option === 'number' ? option : (option?.timeout ?? testTimeoutMs));

function collect(name: string, fn: () => void, skip: boolean): void {
  const suite = newSuite(name, skip || current.skip);
  current.children.push(suite);
  const parent = current;
  current = suite;
  try {
    fn();
  } finally {
    current = parent;
  }
}

export const describe = Object.assign((name: string, fn: () => void) => collect(name, fn, false), {
  skip: (name: string, fn: () => void) => collect(name, fn, true),
});

const addCase = (name: string, fn: Work | undefined, option: Timeout, skip: boolean) => {
  current.children.push({ kind: 'case', name, fn, timeoutMs: timeoutOf(option), skip: skip || current.skip || !fn });
};

export const test = Object.assign((name: string, fn?: Work, option?: Timeout) => addCase(name, fn, option, false), {
  skip: (name: string, fn?: Work, option?: Timeout) => addCase(name, fn, option, true),
  todo: (name: string) => addCase(name, undefined, undefined, true),
});
export const it = test;

export const beforeAll = (fn: Work): void => void current.beforeAll.push(fn);
export const afterAll = (fn: Work): void => void current.afterAll.push(fn);
export const beforeEach = (fn: Work): void => void current.beforeEach.push(fn);
export const afterEach = (fn: Work): void => void current.afterEach.push(fn);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const vi = {
  /** Calls `callback` until it stops throwing (vitest's defaults: 1 s, every 50 ms); then returns what it returned. */
  async waitFor<T>(callback: () => T | Promise<T>, options: number | { readonly timeout?: number; readonly interval?: number } = {}): Promise<T> {
    const { timeout = 1000, interval = 50 } = typeof options === 'number' ? { timeout: options } : options;
    const deadline = Date.now() + timeout;
    for (;;) {
      try {
        return await callback();
      } catch (error) {
        if (Date.now() >= deadline) throw error;
      }
      await sleep(interval);
    }
  },
};

export interface CaseResult {
  /** The suites' names and the test's, joined by ` > ` as vitest prints them. */
  readonly name: string;
  readonly status: 'passed' | 'failed' | 'skipped';
  readonly error?: string;
  readonly durationMs: number;
}

async function within(work: Work, timeoutMs: number, what: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      Promise.resolve().then(work),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const assertion = error as Error & { showDiff?: boolean; actual?: unknown; expected?: unknown };
  const diff = assertion.showDiff ? `\n  expected: ${preview(assertion.expected)}\n  actual:   ${preview(assertion.actual)}` : '';
  const cause = error.cause === undefined ? '' : `\n  cause: ${describeError(error.cause)}`;
  return `${error.name}: ${error.message}${diff}${cause}`;
}

function preview(value: unknown): string {
  try {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
  } catch {
    return String(value);
  }
}

/** The names of the cases collected so far. */
export function caseNames(): string[] {
  return caseNamesOf(root, []);
}

/** Runs the collected cases whose suite path starts with `suiteName` (all without one), in order, and reports each. */
export async function runCases(suiteName?: string): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  const suites = suiteName === undefined ? [root] : root.children.filter((child): child is Suite => child.kind === 'suite' && child.name === suiteName);
  if (suites.length === 0) throw new Error(`No suite named ${suiteName}; there are: ${root.children.map((child) => child.name).join(', ')}`);
  for (const suite of suites) await runSuite(suite, suite === root ? [] : [suite.name], [], results);
  return results;
}

async function runSuite(suite: Suite, path: readonly string[], enclosing: readonly Suite[], results: CaseResult[]): Promise<void> {
  const chain = [...enclosing, suite];
  const label = path.join(' > ') || 'the suite';
  let setupFailure: string | undefined;
  if (!suite.skip) {
    for (const hook of suite.beforeAll) {
      try {
        await within(hook, hookTimeoutMs, `beforeAll of ${label}`);
      } catch (error) {
        setupFailure = `beforeAll failed: ${describeError(error)}`;
        break;
      }
    }
  }
  for (const child of suite.children) {
    const childPath = [...path, child.name];
    if (child.kind === 'suite') {
      if (setupFailure) for (const name of caseNamesOf(child, childPath)) results.push({ name, status: 'failed', error: setupFailure, durationMs: 0 });
      else await runSuite(child, childPath, chain, results);
      continue;
    }
    const name = childPath.join(' > ');
    if (child.skip || !child.fn) {
      results.push({ name, status: 'skipped', durationMs: 0 });
      continue;
    }
    if (setupFailure) {
      results.push({ name, status: 'failed', error: setupFailure, durationMs: 0 });
      continue;
    }
    results.push(await runCase(child, name, chain));
  }
  if (!suite.skip) {
    for (const hook of [...suite.afterAll].reverse()) {
      try {
        await within(hook, hookTimeoutMs, `afterAll of ${label}`);
      } catch (error) {
        results.push({ name: `${label} (afterAll)`, status: 'failed', error: describeError(error), durationMs: 0 });
      }
    }
  }
}

async function runCase(testCase: Case, name: string, chain: readonly Suite[]): Promise<CaseResult> {
  const started = performance.now();
  const errors: string[] = [];
  let ranBefore = true;
  for (const suite of chain) {
    for (const hook of suite.beforeEach) {
      if (!ranBefore) break;
      try {
        await within(hook, hookTimeoutMs, `beforeEach of ${name}`);
      } catch (error) {
        errors.push(`beforeEach failed: ${describeError(error)}`);
        ranBefore = false;
      }
    }
  }
  if (ranBefore) {
    try {
      await within(testCase.fn!, testCase.timeoutMs, name);
    } catch (error) {
      errors.push(describeError(error));
    }
  }
  // Innermost first and last registered first, as vitest runs them.
  for (const suite of [...chain].reverse()) {
    for (const hook of [...suite.afterEach].reverse()) {
      try {
        await within(hook, hookTimeoutMs, `afterEach of ${name}`);
      } catch (error) {
        errors.push(`afterEach failed: ${describeError(error)}`);
      }
    }
  }
  const durationMs = Math.round(performance.now() - started);
  return errors.length ? { name, status: 'failed', error: errors.join('\n'), durationMs } : { name, status: 'passed', durationMs };
}

function caseNamesOf(suite: Suite, path: readonly string[]): string[] {
  return suite.children.flatMap((child) => (child.kind === 'case' ? [[...path, child.name].join(' > ')] : caseNamesOf(child, [...path, child.name])));
}
