import { telemetry } from './telemetry';
import { runService } from '@mmm/platform';
import { readConfig } from './config';
import { optimizationService } from './service';

runService(optimizationService, { telemetry, config: readConfig() });
