/**
 * A where clause after binding: every column resolved and typed, every literal and parameter read
 * into the value it is compared as, every comparison tagged with the domain it runs in. Both the
 * SQL compiler and the in-memory evaluator walk this same tree, which is what keeps the snapshot
 * query and the live filter in agreement.
 */
import type { ComparisonOperator } from './ast.ts';
import type { LikeElement } from './like.ts';
import type { FilterableType } from './pg-type.ts';
import type { Domain, Value } from './value.ts';

export interface BoundColumn {
  readonly kind: 'column';
  readonly name: string;
  readonly type: FilterableType;
  /** Cast applied to the column before comparing (int4 -> numeric, bpchar -> text, …); null for none. */
  readonly cast: FilterableType | null;
}

export interface BoundValue {
  readonly kind: 'value';
  readonly value: Value;
  /** Canonical text sent as the query parameter; Postgres reads it as exactly `value`. */
  readonly sqlText: string;
  readonly sqlType: FilterableType;
}

export type BoundNode =
  | { readonly kind: 'constant'; readonly value: boolean | null }
  /** A bool column used as a condition on its own (`WHERE active`). */
  | { readonly kind: 'boolColumn'; readonly column: BoundColumn }
  | { readonly kind: 'and' | 'or'; readonly args: readonly BoundNode[] }
  | { readonly kind: 'not'; readonly arg: BoundNode }
  | {
      readonly kind: 'compare';
      readonly op: ComparisonOperator;
      readonly domain: Domain;
      readonly left: BoundColumn;
      readonly right: BoundColumn | BoundValue;
    }
  | {
      readonly kind: 'in';
      readonly negated: boolean;
      readonly domain: Domain;
      readonly column: BoundColumn;
      /** null for a NULL literal in the list. */
      readonly items: readonly (BoundValue | null)[];
    }
  | {
      readonly kind: 'like';
      readonly negated: boolean;
      readonly caseInsensitive: boolean;
      readonly column: BoundColumn;
      readonly pattern: string;
      readonly elements: readonly LikeElement[];
    }
  | { readonly kind: 'isNull'; readonly negated: boolean; readonly column: BoundColumn }
  /** `x IS [NOT] TRUE | FALSE | UNKNOWN` (truth null = UNKNOWN); also `(predicate) IS [NOT] NULL`. */
  | { readonly kind: 'isTruth'; readonly negated: boolean; readonly truth: boolean | null; readonly arg: BoundNode };

export interface BoundWhere {
  readonly root: BoundNode;
  /** Every column the clause reads, sorted; a change that touches none of them cannot flip the result. */
  readonly columns: readonly string[];
}
