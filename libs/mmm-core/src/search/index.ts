export * from './random';
export * from './nsga2';
export * from './nsga2-search';
export * from './evaluator';
