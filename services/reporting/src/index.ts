export * from './config';
export * from './domain/reports';
export * from './events';
export * from './resolvers';
export * from './service';
