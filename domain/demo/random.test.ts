import { expect, test } from 'vitest';
import { Random } from './random.ts';

const draw = (random: Random, n: number) => Array.from({ length: n }, () => random.uint32());

test('the same seed and stream give the same sequence', () => {
  expect(draw(new Random(42, 'catalog'), 50)).toEqual(draw(new Random(42, 'catalog'), 50));
});

test('another seed or another stream gives another sequence', () => {
  const base = draw(new Random(42, 'catalog'), 20);
  expect(draw(new Random(43, 'catalog'), 20)).not.toEqual(base);
  expect(draw(new Random(42, 'orders'), 20)).not.toEqual(base);
});

test('uuids have the version 4 layout and do not repeat', () => {
  const random = new Random(1, 'ids');
  const ids = Array.from({ length: 10_000 }, () => random.uuid());
  for (const id of ids.slice(0, 200)) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(new Set(ids).size).toBe(ids.length);
});

test('int stays within its bounds and reaches both ends', () => {
  const random = new Random(5, 'ints');
  const values = new Set(Array.from({ length: 2_000 }, () => random.int(3, 7)));
  expect([...values].sort()).toEqual([3, 4, 5, 6, 7]);
});

test('sample returns distinct items, whether few from many or all of them', () => {
  const random = new Random(9, 'sample');
  const many = Array.from({ length: 1_000 }, (_, index) => index);
  const few = random.sample(many, 5);
  expect(new Set(few).size).toBe(5);
  expect(random.sample([1, 2, 3], 10).sort()).toEqual([1, 2, 3]);
});
