// Keep test output readable: SDK and core logs at ERROR (SWITCHYARD_TEST_LOG_LEVEL=WARN to debug) (the time-skipping server is older than core
// expects and core warns about it on every worker start).
// Pinned SDK versions: its notice about releases after January 2027 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';

try {
  Runtime.install({
    logger: new DefaultLogger((process.env.SWITCHYARD_TEST_LOG_LEVEL as 'WARN') ?? 'ERROR'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
  });
} catch {
  // Already installed in this module registry.
}
