// moto as one local HTTP endpoint for ECS, ELBv2, Route 53, CloudWatch, IAM and EC2.
import { startProcess, waitUntilReady, httpOk, type ManagedProcess } from '../processes';

export interface MotoServerOptions {
  python: string;
  port: number;
  logFile: string;
}

export interface MotoServer {
  process: ManagedProcess;
  endpoint: string;
}

export async function startMotoServer(opts: MotoServerOptions): Promise<MotoServer> {
  const proc = startProcess('moto', opts.python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(opts.port)], {
    logFile: opts.logFile,
    // AWS-managed policies (AmazonECSTaskExecutionRolePolicy) exist in every AWS account; moto loads them on request.
    env: { MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' },
  });
  const endpoint = `http://127.0.0.1:${opts.port}`;
  try {
    await waitUntilReady(proc, `moto answered on ${endpoint}`, () => httpOk(`${endpoint}/moto-api/`));
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { process: proc, endpoint };
}

/** Clears every emulated resource (used between tests). */
export async function resetMoto(endpoint: string): Promise<void> {
  const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status}`);
}
