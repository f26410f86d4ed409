/** Test support for other packages' tests (the client library's): servers over PGlite or Postgres. */
export { capturedPglite, shapeOf, startShapeServer, type ShapeServer } from './shape-server.ts';
export { startPgShapeBackend, type PgShapeBackend, type PgShapeBackendOptions } from './pg-shape-backend.ts';
export { compactChangeLog } from '../shapes/compaction.ts';
export { hashPassword } from '@niaga/domain/auth';
