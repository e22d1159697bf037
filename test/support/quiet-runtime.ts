// Keep test output readable: SDK and core logs at ERROR (the time-skipping server is older than core
// expects and core warns about it on every worker start).
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';

try {
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
  });
} catch {
  // Already installed in this module registry.
}
