// Messages a deployment accepts, each both ways under one name:
// - as an Update (what the CLI sends): a message that makes no sense in the current phase is rejected
//   by its validator, with why, and leaves no trace in the history; an accepted one answers once what it
//   asked for has happened (the gate opened, production read back on the previous deployment);
// - as a Signal: stored durably even while no worker runs, and sendable with a plain
//   `temporal workflow signal`; one that makes no sense is recorded as ignored.
import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ActorMessage, DeploymentStatus, MessageAnswer } from '../shared/deployment';
import type { ReleaseGo, ReleaseReport } from '../shared/release';

export const messageNames = [
  'testsPassed',
  'testsFailed',
  'approve',
  'rollback',
  'pause',
  'resume',
  'promote',
] as const;
/** testsPassed, approve, rollback... (pause, resume and promote steer progressive traffic). */
export type MessageName = (typeof messageNames)[number];

export const signals = Object.fromEntries(messageNames.map((n) => [n, defineSignal<[ActorMessage?]>(n)])) as {
  [N in MessageName]: SignalDefinition<[ActorMessage?]>;
};
export const updates = Object.fromEntries(
  messageNames.map((n) => [n, defineUpdate<MessageAnswer, [ActorMessage]>(n)]),
) as { [N in MessageName]: MessageUpdate };
/** An update takes the message too (`temporal workflow update execute` may send none: taken as {}). */
export type MessageUpdate = UpdateDefinition<MessageAnswer, [ActorMessage]>;

export const testsPassedSignal = signals.testsPassed;
export const testsFailedSignal = signals.testsFailed;
export const approveSignal = signals.approve;
export const rollbackSignal = signals.rollback;
/** Progressive traffic: hold at the current weight, go on, or skip the remaining steps to 100%. */
export const pauseSignal = signals.pause;
export const resumeSignal = signals.resume;
export const promoteSignal = signals.promote;
export const statusQuery = defineQuery<DeploymentStatus>('status');

/** A release to one of its services: the points it may now go past (src/shared/release.ts). */
export const releaseGoSignal = defineSignal<[ReleaseGo]>('releaseGo');
/** A service of a release to the release: a point it has reached. */
export const releaseReportSignal = defineSignal<[ReleaseReport]>('releaseReport');
