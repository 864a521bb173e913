export * from './config';
export * from './domain';
export * from './events';
export * from './resolvers';
export * from './service';
