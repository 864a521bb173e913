export * from './model';
export * from './predict';
export * from './serialize';
export * from './draws';
