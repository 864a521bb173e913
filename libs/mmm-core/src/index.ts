export * from './transforms';
export * from './design';
export * from './ridge';
export * from './metrics';
export * from './candidate';
export * from './synthetic';
