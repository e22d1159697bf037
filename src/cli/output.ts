// Printing is separate from the commands, which return data.
import type { PreflightReport } from '../shared/preflight';

export function formatPreflight(report: PreflightReport): string {
  const width = Math.max(...report.checks.map((c) => `${c.resource} ${c.name}`.length));
  const lines = report.checks.map(
    (c) => `${c.ok ? 'ok     ' : 'MISSING'}  ${`${c.resource} ${c.name}`.padEnd(width)}  ${c.detail}`,
  );
  const missing = report.checks.filter((c) => !c.ok).length;
  lines.push(report.ok ? 'preflight passed' : `preflight failed: ${missing} of ${report.checks.length} checks missing`);
  return lines.join('\n');
}

export function workflowUrl(uiUrl: string, namespace: string, workflowId: string): string {
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
