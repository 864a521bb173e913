import { startTelemetry } from '@mmm/platform';

// Imported first by main.ts: the tracer and propagator must exist before any other module loads.
export const telemetry = startTelemetry('ingestion');
