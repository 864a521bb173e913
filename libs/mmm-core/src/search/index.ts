export * from './random';
export * from './nsga2';
export * from './nsga2-search';
export * from './evaluator';
export * from './objectives';
export * from './media-mix-search';
export * from './posterior';
