export * from './config';
export * from './domain/attributions';
export * from './events';
export * from './resolvers';
export * from './service';
