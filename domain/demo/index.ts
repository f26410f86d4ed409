export { DemoDatabaseNotEmptyError, isDatabaseEmpty, seedDemoCompany, type DemoSummary, type SeedDemoOptions } from './seed-demo-company.ts';
export { demoLogins, type DemoLogin, type DemoRole } from './demo-users.ts';
export { demoScales, type DemoScale, type DemoScaleName } from './demo-scale.ts';
