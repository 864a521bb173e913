export * from './domain/scenarios';
export * from './resolvers';
export * from './service';
