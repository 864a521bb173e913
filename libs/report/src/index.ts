export * from './inputs';
export * from './data';
export * from './format';
export * from './tables';
export * from './charts/svg';
export * from './charts/charts';
export * from './html';
export * from './pdf';
