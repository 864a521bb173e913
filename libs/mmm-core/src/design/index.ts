export * from './dates';
export * from './design';
export * from './dataset-table';
