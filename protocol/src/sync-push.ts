/**
 * `POST /api/v1/sync/push`: the Replicache push format (pushVersion 1), as the official
 * `replicache` client and our own client send it. See ../../../shared/protocols/replicache.md §1.
 */
import { Type, type Static } from 'typebox';

/** Schema versions of mutator arguments this server runs ('' is Replicache's default). */
export const supportedSchemaVersions: readonly string[] = ['', '1'];
export const MAX_MUTATIONS_PER_PUSH = 1000;

/**
 * A client's or client group's id: printable ASCII without spaces (Replicache and @niaga/sync make
 * them from hex digits and dashes). Text Postgres cannot store (NUL) or would store changed (a lone
 * surrogate becomes U+FFFD, so two ids would name one client) is refused with the request.
 */
export const ClientIdentifier = Type.String({ minLength: 1, maxLength: 64, pattern: '^[!-~]+$', description: 'Printable ASCII without spaces, 1-64 characters' });

export const PushMutation = Type.Object(
  {
    clientID: ClientIdentifier,
    id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Per-client mutation id: 1, 2, 3, … without gaps' }),
    name: Type.String({ minLength: 1, maxLength: 64 }),
    args: Type.Unknown(),
    timestamp: Type.Number({ description: "The device's performance.now() when it ran the mutation; informational" }),
  },
  { additionalProperties: false },
);
export type PushMutation = Static<typeof PushMutation>;

export const PushRequest = Type.Object(
  {
    pushVersion: Type.Integer(),
    clientGroupID: ClientIdentifier,
    profileID: Type.Optional(Type.String({ maxLength: 64 })),
    schemaVersion: Type.Optional(Type.String({ maxLength: 32 })),
    mutations: Type.Array(PushMutation, { maxItems: MAX_MUTATIONS_PER_PUSH }),
  },
  { additionalProperties: false },
);
export type PushRequest = Static<typeof PushRequest>;

/**
 * 200 body. Replicache acts on `error` (VersionNotSupported) and ignores the rest; our client reads
 * `lastMutationIDs` (the last id processed per client after this push).
 */
export const PushResponse = Type.Object({
  error: Type.Optional(Type.Literal('VersionNotSupported')),
  versionType: Type.Optional(Type.Union([Type.Literal('push'), Type.Literal('schema')])),
  lastMutationIDs: Type.Optional(Type.Record(Type.String(), Type.Integer())),
});
export type PushResponse = Static<typeof PushResponse>;
