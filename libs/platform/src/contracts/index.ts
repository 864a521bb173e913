export * from './datasets';
export * from './models';
