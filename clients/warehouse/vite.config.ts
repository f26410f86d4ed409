import { fieldAppConfig } from '@niaga/app-kit/vite';

export default fieldAppConfig({
  name: 'warehouse',
  title: 'Niaga Warehouse',
  shortName: 'Warehouse',
  description: 'Pick lists, stock counts and transfers for warehouse pickers, with a scanner, offline.',
  themeColor: '#1e3a8a',
  root: import.meta.dirname,
});
