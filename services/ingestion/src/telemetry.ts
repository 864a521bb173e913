import { startTelemetry } from '@mmm/platform';
import { SERVICE_NAME } from './config';

// Imported first by main.ts: the tracer and propagator must exist before any other module loads.
export const telemetry = startTelemetry(SERVICE_NAME);
