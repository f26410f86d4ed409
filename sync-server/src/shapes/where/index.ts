/**
 * Where-clause engine for shape requests: parse the client's `where` text, bind it to a table's
 * column types and `params[n]`, then compile it to SQL for the snapshot and evaluate the same
 * bound tree on logged row changes. See SPEC.md.
 */
export type { PgType, ColumnTypes } from './pg-type.ts';
export type { WhereAst } from './ast.ts';
export type { BoundWhere } from './bound.ts';
export type { CompiledWhere } from './compile-sql.ts';
export type { Row } from './evaluate.ts';
export { WhereError } from './where-error.ts';
export { PgValueError } from './pg-value-error.ts';
export { parseWhere } from './parser.ts';
export { bindWhere } from './bind.ts';
export { compileWhere, textParam } from './compile-sql.ts';
export { evaluateWhere } from './evaluate.ts';
export { printWhere } from './print-where.ts';
