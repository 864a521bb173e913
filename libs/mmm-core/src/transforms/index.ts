export * from './adstock';
export * from './saturation';
