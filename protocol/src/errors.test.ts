import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { errorCatalogue } from './errors.ts';

test('docs/errors.md lists exactly the codes of the catalogue, with the same status and advice', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| `(\w+)` \| (\d{3}) \| (.+) \|$/gm)].map(([, code, status, action]) => ({ code, status: Number(status), action }));
  const catalogue = Object.entries(errorCatalogue).map(([code, entry]) => ({ code, status: entry.status, action: entry.action }));
  expect(rows).toEqual(catalogue);
});
