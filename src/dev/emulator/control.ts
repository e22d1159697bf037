// The emulator's control routes (served by the proxy under controlPath, ./server.ts), typed: what tests,
// benchmarks and the dev stack use to set a scenario, clear the proxy and read its counts from another
// process. moto's own reset (its /moto-api) is resetMoto in ./moto.ts.
import type { ConformanceStats } from './behaviours/conformance';
import type { JournalEntry } from './behaviours/write-journal';
import { controlPath, type BehaviourScenarioJson, type ProxyStats } from './server';

export class EmulatorControl {
  /** endpoint: the proxy's (what AWS_ENDPOINT_URL names), e.g. http://127.0.0.1:5000. */
  constructor(readonly endpoint: string) {}

  /** GET /stats: calls by operation, faults by kind, the conformance layer's refusals. */
  async stats(): Promise<ProxyStats> {
    return (await this.send('GET', '/stats')).json() as Promise<ProxyStats>;
  }

  /** GET /conformance: what the conformance layer refused so far (reset does not clear it). */
  async conformance(): Promise<ConformanceStats> {
    return (await this.send('GET', '/conformance')).json() as Promise<ConformanceStats>;
  }

  /** GET /journal: every call that changed the account since the last reset, in the order AWS answered. */
  async journal(): Promise<JournalEntry[]> {
    return (await this.send('GET', '/journal')).json() as Promise<JournalEntry[]>;
  }

  /** POST /reset: the benign scenario, counts cleared, what the proxy learned forgotten (moto's resources stay). */
  async reset(): Promise<void> {
    await this.send('POST', '/reset');
  }

  /** POST /scenario: makes the emulated AWS misbehave (until the next scenario or reset). */
  async setScenario(scenario: BehaviourScenarioJson): Promise<void> {
    await this.send('POST', '/scenario', JSON.stringify(scenario));
  }

  private async send(method: 'GET' | 'POST', route: string, body?: string): Promise<Response> {
    const url = `${this.endpoint}${controlPath}${route}`;
    const res = await fetch(url, { method, body });
    if (!res.ok) throw new Error(`${method} ${url}: HTTP ${res.status}`);
    return res;
  }
}
