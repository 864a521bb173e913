export * from './domain/attributions';
export * from './resolvers';
export * from './service';
