// Production traffic in a release, by its mode. lockstep: every service takes step i of the shared plan
// only once all have verified step i - 1 (their weights read back, their bakes passed). ordered: each
// service goes live (100%, its bake passed) before the next one starts. Either way a pause holds the
// release before its next step or turn, and the release waits for every service to pass its drain.
import { condition } from '@temporalio/workflow';
import type { PlanStep } from '../../shared/traffic';
import { formatDuration } from '../../shared/duration';
import type { ReleaseChild, ReleaseContext } from './context';
import { tell, tellAll } from './services';

export async function shiftTraffic(ctx: ReleaseContext): Promise<void> {
  const { tracker, input } = ctx;
  tracker.enter(
    'activating',
    input.mode === 'lockstep'
      ? `switching every service together (${input.plan?.name}, ${input.plan?.steps.length} step(s))`
      : `switching the services one after another: ${ctx.children.map((c) => c.label).join(', ')}`,
  );
  if (input.mode === 'lockstep') await lockstep(ctx);
  else await ordered(ctx);
}

async function lockstep(ctx: ReleaseContext): Promise<void> {
  const steps = ctx.input.plan?.steps ?? [];
  const done = (c: ReleaseChild, index: number) => c.reached.has('full') || c.stepsDone > index;
  for (const [index, step] of steps.entries()) {
    await holdWhilePaused(ctx);
    if (ctx.promoted) break;
    const label = `step ${index + 1} of ${steps.length} (${describeStep(step)})`;
    ctx.tracker.waiting(`${label} on every service`, `every service to verify ${label}`);
    await tellAll(ctx, { throughStep: index });
    await condition(() => ctx.children.every((c) => done(c, index)));
    ctx.tracker.note(`${label} verified on every service`);
  }
  ctx.tracker.waiting('every service at 100%', 'every service to read production back at 100%');
  await condition(() => ctx.children.every((c) => c.reached.has('full')));
  ctx.tracker.enter('baking', 'every service at 100%: each bakes', 'every service to pass its bake at 100%');
  await condition(() => ctx.children.every((c) => c.reached.has('live')));
  await allDrained(ctx);
}

async function ordered(ctx: ReleaseContext): Promise<void> {
  for (const child of ctx.children) {
    await holdWhilePaused(ctx);
    ctx.tracker.waiting(`${child.label}: its turn`, `${child.label} to be live (100%, its bake passed)`);
    // Once the release is promoted, each service takes its turn promoted too.
    await tell(child, { activate: true, ...(ctx.promoted ? { promoted: true } : {}) });
    await condition(() => child.reached.has('live'));
    ctx.tracker.note(`${child.label} is live`);
  }
  await allDrained(ctx);
}

async function allDrained(ctx: ReleaseContext): Promise<void> {
  ctx.tracker.enter(
    'draining',
    'every service at 100%: letting connections to the previous deployments drain',
    'every service to pass its drain; rollback is instant until then',
  );
  await condition(() => ctx.children.every((c) => c.reached.has('drained')));
  ctx.tracker.note('every service has drained');
}

async function holdWhilePaused(ctx: ReleaseContext): Promise<void> {
  if (!ctx.paused) return;
  ctx.tracker.waiting('paused', 'resume or promote');
  await condition(() => !ctx.paused);
}

function describeStep(step: PlanStep): string {
  if (step.kind === 'setWeight') return `${step.percent}%`;
  if (step.kind === 'bake') return `bake ${formatDuration(step.bake.durationMs)}`;
  return step.kind;
}
