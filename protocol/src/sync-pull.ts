/**
 * `POST /api/v1/sync/pull`: the Replicache pull format (pullVersion 1), for apps built on the
 * official `replicache` client, and `GET /api/v1/sync/poke`, the Server-Sent Events stream that
 * tells such a client to pull. See ../../../shared/protocols/replicache.md §2–3.
 */
import { Type, type Static } from 'typebox';
import { ClientIdentifier } from './sync-push.ts';

/** Longest cookie `order` accepted back (ours are 20 digits, plus a prefix kept from a foreign cookie). */
export const MAX_COOKIE_ORDER_LENGTH = 1024;

const CookieOrder = Type.Union([Type.String({ maxLength: MAX_COOKIE_ORDER_LENGTH }), Type.Number()]);

/**
 * What Replicache sends back: null on a client group's first pull, else the cookie of the last
 * response it applied (possibly another client group's, when a new group forks from an old one).
 */
export const PullRequestCookie = Type.Union([
  Type.Null(),
  CookieOrder,
  Type.Object({ order: CookieOrder }, { additionalProperties: true }),
]);
export type PullRequestCookie = Static<typeof PullRequestCookie>;

export const PullRequest = Type.Object(
  {
    pullVersion: Type.Integer(),
    clientGroupID: ClientIdentifier,
    cookie: PullRequestCookie,
    profileID: Type.Optional(Type.String({ maxLength: 64 })),
    schemaVersion: Type.Optional(Type.String({ maxLength: 32 })),
  },
  { additionalProperties: false },
);
export type PullRequest = Static<typeof PullRequest>;

/**
 * The cookie this server answers with. Replicache orders cookies by `order` (as strings here:
 * the log position, zero-padded to 20 digits, after a prefix kept from an older cookie when the
 * log is behind it); the other fields only mean something to the server.
 */
export const PullCookie = Type.Object({
  order: Type.String({ description: 'Log position, zero-padded; strictly increasing for every change' }),
  log: Type.String({ description: 'Which change log the position is in' }),
  snapshot: Type.String({ description: 'The transactions the last full view already contained (xmin:xmax:xip)' }),
});
export type PullCookie = Static<typeof PullCookie>;

export const PatchOperation = Type.Union([
  Type.Object({ op: Type.Literal('put'), key: Type.String(), value: Type.Unknown() }),
  Type.Object({ op: Type.Literal('del'), key: Type.String() }),
  Type.Object({ op: Type.Literal('clear') }),
]);
export type PatchOperation = Static<typeof PatchOperation>;

export const PullResponseOK = Type.Object({
  cookie: PullCookie,
  lastMutationIDChanges: Type.Record(Type.String(), Type.Integer(), { description: 'Clients of this group whose last mutation id changed' }),
  patch: Type.Array(PatchOperation, { description: 'Keys are <schema.table>/<id>; values are rows' }),
});
export type PullResponseOK = Static<typeof PullResponseOK>;

/** 200 bodies Replicache acts on instead of a patch: it then asks the app to update itself. */
export const PullVersionNotSupported = Type.Object({
  error: Type.Literal('VersionNotSupported'),
  versionType: Type.Union([Type.Literal('pull'), Type.Literal('schema')]),
});
export type PullVersionNotSupported = Static<typeof PullVersionNotSupported>;

export const PullResponse = Type.Union([PullResponseOK, PullVersionNotSupported]);
export type PullResponse = Static<typeof PullResponse>;

/**
 * Set (to `1`) on a pull response that stopped early (a long backlog is sent in parts): pull
 * again at once. Replicache itself ignores it.
 */
export const pullMoreHeader = 'niaga-pull-more';

/** The poke stream's event names: `poke` (pull now) and `ready` (connected; pull to catch up). */
export const PokeEvent = { poke: 'poke', ready: 'ready' } as const;

/** Query parameter carrying the access token for clients that cannot set headers (EventSource). */
export const pokeTokenParam = 'access_token';

/**
 * Shape query parameter (Niaga's, beside Electric's): hold a `live=true` request at most this many
 * milliseconds (0: answer at once). The client library sends live requests only after a poke said
 * there is news, so it asks not to be held: each held request would keep one of the browser's six
 * HTTP/1.1 connections busy.
 */
export const liveHoldParam = 'niaga_live_hold_ms';
