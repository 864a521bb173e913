export * from './fitted-model';
export * from './bootstrap';
