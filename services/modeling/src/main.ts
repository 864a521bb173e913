import { telemetry } from './telemetry';
import { runService } from '@mmm/platform';
import { readConfig } from './config';
import { modelingService } from './service';

runService(modelingService, { telemetry, config: readConfig() });
