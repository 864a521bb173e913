export * from './cli';
export * from './args';
export * from './csv';
export * from './errors';
export * from './fit';
export * from './attribute';
export * from './allocate';
export * from './report';
