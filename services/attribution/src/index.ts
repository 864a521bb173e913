export * from './config';
export * from './domain/attributions';
export * from './domain/errors';
export * from './domain/mmm-column';
export * from './domain/run';
export * from './events';
export * from './resolvers';
export * from './service';
