import { demoLogins } from '@niaga/domain/demo';
import { bootPlatform } from './boot.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';

function banner(config: Config, url: string): string {
  const lines = [
    '',
    `  Niaga is running at ${url}`,
    `  Agent app:      ${url}/agent/`,
    `  Warehouse app:  ${url}/warehouse/`,
    `  API docs:       ${url}/api/v1/docs`,
    `  Database:       ${config.databaseUrl ? 'Postgres (DATABASE_URL)' : `embedded PGlite in ${config.dataDir}`}`,
  ];
  if (config.demo) {
    lines.push('', `  Demo logins (password: ${config.demoPassword}):`);
    for (const login of demoLogins) lines.push(`    ${login.email.padEnd(22)} ${login.description}`);
    lines.push('', `  Try: curl -s ${url}/api/v1/auth/login -H 'content-type: application/json' \\`);
    lines.push(`         -d '{"email":"admin@niaga.test","password":"${config.demoPassword}"}'`);
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const started = Date.now();
  const platform = await bootPlatform(config, { onProgress: (message) => process.stdout.write(`${message}\n`) });
  await platform.app.listen({ port: config.port, host: config.host });
  const address = platform.app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  process.stdout.write(banner(config, `http://localhost:${port}`));
  process.stdout.write(`  Ready in ${((Date.now() - started) / 1000).toFixed(1)} s. Ctrl+C stops.\n\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: shutting down\n`);
    platform.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`Niaga failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
