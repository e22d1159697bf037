// Printing is separate from the commands, which return data (src/cli/command.ts).
import { isReleaseStatus, type ReleaseStatus } from '../shared/release';
import type { DeploymentReport } from '../client/inspect';
import { describeStuck } from '../client/stuck';
import type { TemporalConfig } from '../config';
import type { Cli, Reply } from './command';
import type { OutputFormat } from './options';
import type { DeploymentResult, DeploymentStatus } from '../shared/deployment';
import type { RecoveryReport } from '../shared/recovery';
import { newDeploymentId, type DeploymentPlan } from '../shared/plan';
import type { PreflightReport } from '../shared/preflight';

/** What main.ts prints of a command's reply: its data as JSON (-o json, jsonl) or as text; undefined for nothing. */
export function formatReply<T>(reply: Reply<T>): string | undefined {
  if (reply.format === 'json') return JSON.stringify(reply.data, null, 2);
  if (reply.format === 'jsonl') return JSON.stringify(reply.data);
  return reply.text?.(reply.data);
}

/**
 * A followed deployment's new steps: text on stderr (stdout keeps the result for CI), or with -o jsonl
 * one JSON line each on stdout, before the result's.
 */
export function printSteps(
  cli: Pick<Cli, 'print' | 'progress'>,
  format: OutputFormat | undefined,
  deploymentId: string,
  steps: DeploymentStatus['history'],
): void {
  if (format === 'jsonl') for (const step of steps) cli.print(JSON.stringify({ deploymentId, ...step }));
  else if (steps.length) cli.progress(formatSteps(steps));
}

export function formatInit(
  r: { added: string[]; present: string[] },
  temporal: Pick<TemporalConfig, 'address' | 'namespace'>,
): string | undefined {
  const where = `${temporal.address} namespace ${temporal.namespace}`;
  const lines = [];
  if (r.added.length) lines.push(`registered search attributes on ${where}: ${r.added.join(', ')}`);
  if (r.present.length) lines.push(`already registered on ${where}: ${r.present.join(', ')}`);
  return lines.length ? lines.join('\n') : undefined;
}

export function formatPreflight(report: PreflightReport): string {
  const width = Math.max(...report.checks.map((c) => `${c.resource} ${c.name}`.length));
  const lines = report.checks.map(
    (c) => `${c.ok ? 'ok     ' : 'MISSING'}  ${`${c.resource} ${c.name}`.padEnd(width)}  ${c.detail}`,
  );
  const missing = report.checks.filter((c) => !c.ok).length;
  lines.push(report.ok ? 'preflight passed' : `preflight failed: ${missing} of ${report.checks.length} checks missing`);
  return lines.join('\n');
}

/**
 * The workflow's page in the web UI; with a run id, that run's history (a deployment's id is reused by
 * the next deployment of its service, and the bare id shows the latest run).
 */
export function workflowUrl(uiUrl: string, namespace: string, workflowId: string, runId?: string): string {
  const page = `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${page}/${encodeURIComponent(runId)}/history` : page;
}

export function formatSteps(steps: DeploymentStatus['history']): string {
  return steps.map((s) => `${s.at.slice(11, 19)}  ${s.phase.padEnd(17)}  ${s.note}`).join('\n');
}

/** The image as given, and the digest it was pinned to when it was (retries and rollbacks start that). */
function imageLine(s: Pick<DeploymentStatus, 'image' | 'pinnedImage'>): string {
  const digest = s.pinnedImage?.match(/@(sha256:[0-9a-f]+)$/)?.[1];
  return digest && s.pinnedImage !== s.image ? `${s.image} (pinned to ${digest})` : s.image;
}

export function formatStatus(s: DeploymentReport): string {
  const lines = [
    ...(s.stuck ? [`STUCK        ${describeStuck(s.deploymentId, s.stuck)}`] : []),
    `deployment   ${s.deploymentId} (${s.service}/${s.environment})`,
    `image        ${imageLine(s)}`,
    `phase        ${s.phase}${s.waitingFor ? ` — waiting for ${s.waitingFor}` : ''}`,
    `workflow     ${s.workflowStatus}`,
    `started      ${s.startedAt} by ${s.requestedBy}`,
    `updated      ${s.updatedAt}`,
  ];
  if (s.previous) lines.push(`previous     ${s.previous.deploymentId}`);
  if (s.traffic) lines.push(`traffic      ${formatTraffic(s.traffic)}`);
  if (s.knownGoodTaskDefinition) lines.push(`known good   ${s.knownGoodTaskDefinition}`);
  if (s.approvals?.length)
    lines.push(`approved by  ${s.approvals.map((a) => `${a.by ?? 'nobody (timeout)'} (${a.gate})`).join(', ')}`);
  else if (s.approvedBy) lines.push(`approved by  ${s.approvedBy}`);
  if (s.reason) lines.push(`reason       ${s.reason}`);
  if (s.leftovers.length) lines.push(`left behind  ${s.leftovers.join(', ')}`);
  if (s.notifications) {
    const { sent, failed } = s.notifications;
    const dead = failed.map((f) => `${f.webhook} (${f.event}: ${f.error})`);
    lines.push(`notified     ${sent} sent${dead.length ? `; not delivered: ${dead.join('; ')}` : ''}`);
  }
  for (const [key, value] of Object.entries(s.resources)) if (value) lines.push(`${key.padEnd(12)} ${value}`);
  if (isReleaseStatus(s)) lines.push('', formatReleaseServices(s, s.services ?? []));
  if (s.history.length) lines.push('', formatSteps(s.history));
  return lines.join('\n');
}

/** A release's services, one line each: as each deployment reports itself, else as the release last heard. */
function formatReleaseServices(r: ReleaseStatus, own: DeploymentStatus[]): string {
  const rows = r.release.services.map((s) => {
    const self = own.find((o) => o.deploymentId === s.deploymentId);
    const percent = self?.traffic?.percent ?? s.percent;
    return {
      service: `${s.service}/${s.environment}`,
      deployment: s.deploymentId,
      phase: self?.phase ?? s.phase,
      traffic: percent === undefined ? '-' : `${percent}%`,
      waiting: self?.waitingFor ?? s.reason ?? '',
    };
  });
  return `release      ${r.release.name} (${r.release.mode}, ${rows.length} services)\n${formatTable(rows)}`;
}

/**
 * The live view of `status --watch` on a terminal, redrawn as it changes: phase and what it waits for,
 * the plan's step, production's weights, the latest analysis round, the last step.
 */
export function formatLive(s: DeploymentStatus): string {
  const lines = [
    `${s.service}/${s.environment}  deployment ${s.deploymentId}  image ${imageLine(s)}`,
    `phase      ${s.phase}`,
    `waiting    ${s.waitingFor ?? '-'}`,
  ];
  const t = s.traffic;
  if (t) {
    lines.push(
      `step       ${Math.min(t.step + 1, t.steps)} of ${t.steps} (${t.plan})${t.paused ? ', PAUSED' : ''}${t.promoted ? ', promoted' : ''}`,
    );
    const previous = s.previous?.deploymentId ?? 'previous';
    lines.push(
      `weights    ${t.percent}% ${s.deploymentId}${t.percent < 100 && s.previous ? ` · ${100 - t.percent}% ${previous}` : ''}`,
    );
    const round = t.lastAnalysis;
    lines.push(
      `analysis   ${round ? `${round.at.slice(11, 19)} ${round.failures.length ? `FAILED: ${round.failures.join('; ')}` : `ok (${round.observations.join('; ')})`}` : 'no round yet'}` +
        (t.failedAnalyses.length ? `; ${t.failedAnalyses.length} failed round(s)` : ''),
    );
    if (t.restoreMs !== undefined)
      lines.push(`restored   production back on ${previous} ${t.restoreMs} ms after the rollback request`);
  }
  if (s.approvals?.length)
    lines.push(`approved   ${s.approvals.map((a) => `${a.by ?? 'timeout'} (${a.gate})`).join(', ')}`);
  if (s.reason) lines.push(`reason     ${s.reason}`);
  const last = s.history.at(-1);
  if (last) lines.push(`last step  ${last.at.slice(11, 19)} ${last.note}`);
  return lines.join('\n');
}

/** `switchyard plan`: what is live, then each change by phase, numbered, with why. */
export function formatPlan(p: DeploymentPlan): string {
  const lines = [`plan: ${p.service}/${p.environment} to ${p.image}`, `live now: ${p.live}`];
  if (p.refused) return [...lines, `refused: ${p.refused} (no change would be made)`].join('\n');
  let phase = '';
  for (const [i, c] of p.changes.entries()) {
    if (c.phase !== phase) lines.push(`${(phase = c.phase)}:`);
    lines.push(
      `  ${String(i + 1).padStart(2)}. ${c.operation} ${c.subject}${c.detail ? ` (${c.detail})` : ''}: ${c.why}`,
    );
  }
  for (const what of p.notPreviewed) lines.push(`not previewed: ${what}`);
  lines.push(`${p.changes.length} change(s); ${newDeploymentId} stands for the id the deployment gets when it starts`);
  return lines.join('\n');
}

export function formatRecovery(r: RecoveryReport): string {
  const production = {
    restored: `production is back on ${r.live}`,
    kept: `production stays on ${r.live}`,
    left: 'production was left as it was',
    none: 'nothing was live in production',
  }[r.production];
  const lines = [`recovered deployment ${r.deploymentId}: ${production}`, ...r.actions.map((a) => `  ${a}`)];
  if (r.leftovers.length) lines.push(`left for you to look at: ${r.leftovers.join('; ')}`);
  return lines.join('\n');
}

export function formatTraffic(t: NonNullable<DeploymentStatus['traffic']>): string {
  const parts = [`${t.percent}% on this deployment`, `${t.plan}, step ${Math.min(t.step + 1, t.steps)} of ${t.steps}`];
  if (t.paused) parts.push('PAUSED');
  if (t.promoted) parts.push('promoted');
  if (t.failedAnalyses.length) parts.push(`${t.failedAnalyses.length} failed analysis round(s)`);
  if (t.restoreMs !== undefined) parts.push(`production restored in ${t.restoreMs} ms`);
  return parts.join(', ');
}

export function formatResult(r: DeploymentResult): string {
  const base = `deployment ${r.deploymentId}: ${r.phase}${r.reason ? ` (${r.reason})` : ''}`;
  return r.leftovers.length ? `${base}; left behind: ${r.leftovers.join(', ')}` : base;
}

export function formatTable(rows: Record<string, string>[]): string {
  if (rows.length === 0) return '(none)';
  const keys = Object.keys(rows[0]);
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => r[k].length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(keys), ...rows.map((r) => line(keys.map((k) => r[k])))].join('\n');
}
