// A rehearsal: the account's shape (read only) recreated in a private embedded stack (its own Temporal
// dev server, moto behind the conformance layer, a worker with the real workflow code), the deployment run
// there to its end with the gates answered as asked, and a report of what happened and what the
// conformance layer refused, before production is touched. The stack is stopped and its state removed
// however it ends.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { destroyAwsClients, type AwsClients } from '../../aws/clients';
import { emulatorCredentials } from '../demo';
import { EmulatorControl } from '../emulator/control';
import { awsDelaysMs, conformanceFromEnv, type ViolationRecord } from '../emulator/behaviours/conformance';
import { freePort } from '../processes';
import { createAccountClients } from '../seed';
import { startDevStack } from '../stack';
import type { DeploymentResult, DeploymentSpec } from '../../shared/deployment';
import { createWorker } from '../../worker';
import { recreateShape } from './recreate';
import { guardReadOnly, readAccountShape, ShapeProblem } from './shape';

export interface RehearsalOptions {
  /** The tests gate's verdict. */
  tests: 'passed' | 'failed';
  /** Approve each approval gate (else the deployment waits until the gate's timeout). */
  approve: boolean;
  progress: (line: string) => void;
}

export interface RehearsalReport {
  service: string;
  environment: string;
  image: string;
  /** How the rehearsed deployment ended, or why it could not start. */
  outcome: Pick<DeploymentResult, 'phase' | 'reason'> | { phase: 'refused'; reason: string };
  steps: string[];
  /** Calls to the real account: reads only (a guard refuses anything else before it is sent). */
  account: { reads: number; writes: 0 };
  recreated: string[];
  notRehearsed: string[];
  /** What the conformance layer refused or saw fail at launch: what AWS would have done. */
  conformance: { refused: number; failedTaskLaunches: number; recent: ViolationRecord[] };
}

export async function rehearse(
  spec: DeploymentSpec,
  account: AwsClients,
  opts: RehearsalOptions,
): Promise<RehearsalReport> {
  const guard = guardReadOnly(account);
  const base = { service: spec.service, environment: spec.environment, image: spec.image };
  const none = { refused: 0, failedTaskLaunches: 0, recent: [] };
  opts.progress('reading the account (read only)');
  let shape;
  try {
    shape = await readAccountShape(account, spec);
  } catch (err) {
    if (!(err instanceof ShapeProblem)) throw err;
    return {
      ...base,
      outcome: { phase: 'refused', reason: err.message },
      steps: [],
      account: { reads: guard.reads(), writes: 0 },
      recreated: [],
      notRehearsed: [],
      conformance: none,
    };
  }

  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-rehearsal-'));
  // The proxy takes any port (0); the dev server needs one named.
  const stack = await startDevStack({
    temporalPort: await freePort(),
    uiPort: 0,
    headless: true,
    awsPort: 0,
    namespace: 'default',
    taskQueue: 'switchyard-rehearsal',
    stateDir,
    seedDemo: false,
    progress: opts.progress,
  });
  const emulator = createAccountClients({ ...stack.config.aws, credentials: emulatorCredentials });
  let parts: Awaited<ReturnType<typeof createWorker>> | undefined;
  let running: Promise<void> | undefined;
  try {
    opts.progress('recreating the account in the emulator');
    const iamPropagationMs = awsDelaysMs.iamPropagation * (conformanceFromEnv().timeScale ?? 1) + 500;
    const recreated = await recreateShape(emulator, shape, iamPropagationMs);
    const control = new EmulatorControl(stack.config.aws.endpoint!);
    const before = await control.conformance();
    parts = await createWorker(stack.config, { credentials: emulatorCredentials });
    running = parts.worker.run();

    const image = shape.image;
    opts.progress(`rehearsing the deployment of ${image}`);
    const startedAt = new Date().toISOString();
    const { handle } = await stack.client.start({ ...spec, image }, 'switchyard rehearse');
    const steps: string[] = [];
    const answered = new Set<string>();
    const result = await stack.client.follow(handle, (status, newSteps) => {
      for (const step of newSteps) {
        steps.push(`${step.phase}: ${step.note}`);
        opts.progress(`  ${step.phase}: ${step.note}`);
      }
      // Each gate once per arrival: a plan's approval steps are gates of their own.
      const gate = `${status.phase}#${status.history.length}`;
      if (answered.has(gate)) return;
      if (status.phase === 'awaiting_tests') {
        answered.add(gate);
        const command = opts.tests === 'passed' ? 'tests-passed' : 'tests-failed';
        void stack.client
          .send(handle, command, { by: 'switchyard rehearse', reason: 'rehearsal' })
          .catch(() => undefined);
      } else if (status.phase === 'awaiting_approval' && opts.approve) {
        answered.add(gate);
        void stack.client.send(handle, 'approve', { by: 'switchyard rehearse' }).catch(() => undefined);
      }
    });
    const after = await control.conformance();
    return {
      ...base,
      image,
      outcome: { phase: result.phase, ...(result.reason ? { reason: result.reason } : {}) },
      steps,
      account: { reads: guard.reads(), writes: 0 },
      recreated,
      notRehearsed: shape.notRehearsed,
      conformance: {
        refused: after.violations - before.violations,
        failedTaskLaunches: after.failedTaskLaunches - before.failedTaskLaunches,
        recent: [...after.recent, ...after.recentFailedTaskLaunches].filter((v) => v.at >= startedAt),
      },
    };
  } finally {
    if (parts) {
      parts.worker.shutdown();
      await running?.catch(() => undefined);
      await parts.connection.close();
      destroyAwsClients(parts.clients);
    }
    destroyAwsClients(emulator);
    await stack.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}
