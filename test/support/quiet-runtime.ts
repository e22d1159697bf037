// Keep test output readable: SDK and core logs at ERROR (SWITCHYARD_TEST_LOG_LEVEL=WARN to debug) (the time-skipping server is older than core
// expects and core warns about it on every worker start).
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';

try {
  Runtime.install({
    logger: new DefaultLogger((process.env.SWITCHYARD_TEST_LOG_LEVEL as 'WARN') ?? 'ERROR'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
  });
} catch {
  // Already installed in this module registry.
}
