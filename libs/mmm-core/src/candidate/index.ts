export * from './layout';
export * from './context';
export * from './evaluator';
