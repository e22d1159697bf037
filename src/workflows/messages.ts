// Messages a deployment accepts. Signals (not updates) so CI and people can send them with a plain
// `temporal workflow signal` too, and so they are stored durably even while no worker runs.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ActorMessage, DeploymentStatus } from '../shared/deployment';

export const testsPassedSignal = defineSignal<[ActorMessage?]>('testsPassed');
export const testsFailedSignal = defineSignal<[ActorMessage?]>('testsFailed');
export const approveSignal = defineSignal<[ActorMessage?]>('approve');
export const rollbackSignal = defineSignal<[ActorMessage?]>('rollback');
/** Progressive traffic: hold at the current weight, go on, or skip the remaining steps to 100%. */
export const pauseSignal = defineSignal<[ActorMessage?]>('pause');
export const resumeSignal = defineSignal<[ActorMessage?]>('resume');
export const promoteSignal = defineSignal<[ActorMessage?]>('promote');
export const statusQuery = defineQuery<DeploymentStatus>('status');
