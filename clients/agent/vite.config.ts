import { fieldAppConfig } from '@niaga/app-kit/vite';
import { emptyDatabasePlugin } from './empty-database-plugin.ts';

const config = fieldAppConfig({
  name: 'agent',
  title: 'Niaga Agent',
  shortName: 'Agent',
  description: 'Route, customers, catalogue and order entry for sales agents, offline.',
  themeColor: '#0f766e',
  root: import.meta.dirname,
});

export default { ...config, plugins: [...(config.plugins ?? []), emptyDatabasePlugin()] };
