export { authGuard, verifyAccessToken, type AuthGuardOptions } from './guard.ts';
export { RevokedSessions } from './revoked-sessions.ts';
export type { RevocationReason } from './session-store.ts';
export { authPlugin, type AuthPluginOptions } from './plugin.ts';
export { createAuthService, type AuthService } from './auth-service.ts';
export { hashPassword, verifyPassword } from './passwords.ts';
export { createTokenService, type TokenService } from './tokens.ts';
