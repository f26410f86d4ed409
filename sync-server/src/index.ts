export { bootPlatform, type Platform } from './boot.ts';
export { buildServer, type ServerDeps } from './build-server.ts';
export { ConfigError, loadConfig, type Config } from './config.ts';
