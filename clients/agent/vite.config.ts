import { fieldAppConfig } from '@niaga/app-kit/vite';

export default fieldAppConfig({
  name: 'agent',
  title: 'Niaga Agent',
  shortName: 'Agent',
  description: 'Route, customers, catalogue and order entry for sales agents, offline.',
  themeColor: '#0f766e',
  root: import.meta.dirname,
});
