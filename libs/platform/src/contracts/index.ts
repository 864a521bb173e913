export * from './datasets';
export * from './models';
export * from './journeys';
