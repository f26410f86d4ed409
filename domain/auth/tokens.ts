import { AccessClaims } from '@niaga/protocol';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { Value } from 'typebox/value';
import { DomainError } from '../shared/errors.ts';

export interface TokenService {
  readonly accessTtlSeconds: number;
  sign(claims: AccessClaims): Promise<{ token: string; expiresAt: Date }>;
  verify(token: string): Promise<AccessClaims>;
}

const issuer = 'niaga';
/** Verified tokens remembered (oldest forgotten first). */
const maxVerified = 10_000;
const audience = 'niaga-api';

/** Short-lived HS256 access tokens carrying the role and scope claims. */
export function createTokenService(secret: string, accessTtlSeconds: number): TokenService {
  // Imported once: handing jose the raw bytes would re-import the key on every sign and verify.
  const verified = new Map<string, { claims: AccessClaims; expiresAtMs: number }>();
  const keyPromise = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  return {
    accessTtlSeconds,
    async sign(claims) {
      const expiresAt = new Date(Date.now() + accessTtlSeconds * 1000);
      const { sub, ...rest } = claims;
      const token = await new SignJWT(rest)
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(sub)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
        .sign(await keyPromise);
      return { token, expiresAt };
    },
    async verify(token) {
      // A live client presents the same token on every long-poll: verified once, until it expires.
      const known = verified.get(token);
      if (known && known.expiresAtMs > Date.now()) return known.claims;
      verified.delete(token);
      try {
        const { payload } = await jwtVerify(token, await keyPromise, { issuer, audience, algorithms: ['HS256'] });
        const claims = {
          sub: payload.sub,
          role: payload.role,
          sid: payload.sid,
          warehouse_id: payload.warehouse_id ?? null,
          territory_id: payload.territory_id ?? null,
          agent_id: payload.agent_id ?? null,
          customer_id: payload.customer_id ?? null,
        };
        if (!Value.Check(AccessClaims, claims)) throw new DomainError('UNAUTHENTICATED', 'The access token lacks required claims');
        if (verified.size >= maxVerified) verified.delete(verified.keys().next().value!);
        verified.set(token, { claims: Object.freeze(claims), expiresAtMs: (payload.exp ?? 0) * 1000 });
        return claims;
      } catch (error) {
        if (error instanceof DomainError) throw error;
        if (error instanceof joseErrors.JWTExpired) {
          throw new DomainError('TOKEN_EXPIRED', 'The access token expired; refresh it with POST /api/v1/auth/refresh');
        }
        throw new DomainError('UNAUTHENTICATED', 'The access token is invalid', undefined, { cause: error });
      }
    },
  };
}
