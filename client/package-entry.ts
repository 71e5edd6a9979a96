// `import … from 'charterflow'`: what a backend uses to run charter requests (the package's main
// entry, dist/client/package-entry.js). Only the client library and what it needs: nothing of the
// worker, the emulator or the test harness (test/unit/package-entry.test.ts walks the imports).
export * from './index.ts';
export { ConfigError, loadConfig, type Config } from '../platform/config.ts';
export {
  WORKFLOW_ID_PREFIX,
  TRIP_PHASES,
  TERMINAL_PHASES,
  AIRCRAFT_CATEGORIES,
  CANCEL_REASONS,
  workflowIdFor,
} from '../workflows/contract.ts';
export type {
  AircraftCategory,
  DeepLinks,
  LiftSnapshot,
  LiftStatus,
  PhaseChange,
  QuoteSnapshot,
  ResetPolicy,
  RfqSnapshot,
  TripLeg,
  TripTiming,
} from '../workflows/contract.ts';
