export { agentsPlugin } from './plugin.ts';
