import { telemetry } from './telemetry';
import { runService } from '@mmm/platform';
import { readConfig } from './config';
import { modelingService } from './service';

const config = readConfig();
runService(modelingService(config.MODELING_ROLE), { telemetry, config });
