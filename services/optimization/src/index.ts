export * from './config';
export * from './domain/scenarios';
export * from './events';
export * from './resolvers';
export * from './service';
