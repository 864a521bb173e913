export * from './allocate';
export * from './curves';
export * from './errors';
export * from './evaluate';
export * from './scenario';
export type { AllocationMethod } from './solve';
