export * from './dates';
export * from './design';
