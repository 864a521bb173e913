export * from './types';
export * from './issues';
export * from './prepare';
export * from './identity';
export * from './stats';
export * from './aggregate';
export * from './catalog';
export * from './synthetic';
