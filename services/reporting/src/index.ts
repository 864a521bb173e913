export * from './domain/reports';
export * from './resolvers';
export * from './service';
