export * from './config';
export * from './context';
export * from './errors';
export * from './gateway';
export * from './metrics';
export * from './subgraph-source';
export * from './supergraph';
