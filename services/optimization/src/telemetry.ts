import { startTelemetry } from '@mmm/platform';

// Imported first by main so the tracer provider exists before anything else runs.
export const telemetry = startTelemetry('optimization');
