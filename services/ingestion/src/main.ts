import { telemetry } from './telemetry';
import { runService } from '@mmm/platform';
import { readConfig } from './config';
import { ingestionService } from './service';

runService(ingestionService, { telemetry, config: readConfig() });
