import { telemetry } from './telemetry';
import { runService } from '@mmm/platform';
import { readConfig } from './config';
import { reportingService } from './service';

runService(reportingService, { telemetry, config: readConfig() });
