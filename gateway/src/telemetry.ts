import { startTelemetry } from '@mmm/platform';

// Imported first by main so the tracer provider exists before any request is served.
export const telemetry = startTelemetry('gateway');
