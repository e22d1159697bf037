// How people steer a CodeDeploy-mode deployment: the status query, the gates' messages (tests passed or
// failed, approve) and rollback, each honoured only where it makes sense. CodeDeploy shifts production by
// its deployment config: pause, resume and promote are refused, saying so.
import { setHandler } from '@temporalio/workflow';
import { isTerminal, type Phase } from '../../shared/deployment';
import { acceptMessage } from '../common/accept';
import { acceptGateMessages } from '../common/gates';
import { acceptRollbacks } from '../common/rollback-request';
import { statusQuery, type MessageName } from '../messages';
import { statusView, type CodeDeployContext } from './context';

/** Phases a rollback is honoured in: until CodeDeploy removes the original task set. */
const rollbackable: Phase[] = ['staging', 'awaiting_tests', 'awaiting_approval', 'activating', 'baking'];

export function installSteering(ctx: CodeDeployContext): void {
  const { tracker, steering, status } = ctx;
  setHandler(statusQuery, () => statusView(ctx));
  acceptGateMessages(ctx);
  acceptRollbacks(tracker, ctx.main, rollbackable, steering.rollback, () => {
    if (ctx.restored)
      return { note: 'production is back on the original task set (read back)', restoreMs: ctx.restored.restoreMs };
    if (isTerminal(tracker.phase)) return { note: `${tracker.phase}: ${status.reason ?? ''}` };
    return undefined;
  });
  const steps: [MessageName, string][] = [
    ['pause', 'pause'],
    ['resume', 'resume'],
    ['promote', 'promote'],
  ];
  for (const [name, label] of steps) {
    acceptMessage(tracker, name, {
      label,
      refusal: () =>
        `CodeDeploy shifts production by deployment config ${ctx.traffic?.plan ?? 'of the deployment group'}; Switchyard cannot ${label} it`,
      apply: () => label,
    });
  }
}
