export * from './fitted-model';
export * from './bootstrap';
export * from './fit-media-mix';
export * from './uncertainty';
