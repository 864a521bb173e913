export * from './config';
export * from './domain/registry';
export * from './events';
export * from './resolvers';
export * from './service';
