export { agentsPlugin } from './plugin.ts';
export { findTerritory, type TerritoryRef } from './territory-lookup.ts';
