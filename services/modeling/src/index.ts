export * from './domain/registry';
export * from './resolvers';
export * from './service';
