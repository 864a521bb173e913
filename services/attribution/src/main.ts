import { telemetry } from './telemetry';
import { runService } from '@mmm/platform';
import { readConfig } from './config';
import { attributionService } from './service';

runService(attributionService, { telemetry, config: readConfig() });
