export * from './domain';
export { startIngestion, SERVICE_NAME, DEFAULT_PORT } from './service';
export type { Ingestion, IngestionOptions } from './service';
export { PUBLISHED, CONSUMED, eventMessageId } from './events';
export { loadTypeDefs } from './schema';
