export * from './datasets';
export * from './models';
export * from './journeys';
export * from './scenarios';
