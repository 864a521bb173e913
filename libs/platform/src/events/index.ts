export * from './catalog';
export * from './trace';
export * from './publish';
export * from './consume';
export * from './audit';
