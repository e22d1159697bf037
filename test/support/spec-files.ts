// Spec files written to a temporary folder for loadSpec tests, and the problems loadSpec reports.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadSpec, SpecError } from '../../src/spec/load';
import type { AnySpec } from '../../src/shared/deployment';
import { fargate } from './fargate';

/** A minimal valid blue/green spec. */
export const validSpec = {
  service: 'web',
  environment: 'prod',
  cluster: 'main',
  taskDefinition: { ...fargate, containerDefinitions: [{ name: 'web', image: 'nginx:1' }] },
  container: { name: 'web', port: 80 },
  desiredCount: 2,
  loadBalancer: { name: 'edge' },
  hosts: { production: 'web.example.com', stage: 'stage.web.example.com' },
  hostedZone: 'example.com',
  // Docker Hub's nginx: not in ECR, so not pinnable (test/unit/image-pinning.test.ts tests pinning).
  pinImageDigest: false,
};

/** A folder for one test file's specs: created by `open()` (in beforeAll), removed by `close()`. */
export class SpecFiles {
  dir = '';
  private counter = 0;

  open(): void {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-spec-'));
  }

  close(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  write(doc: unknown, ext = 'yaml'): string {
    const file = path.join(this.dir, `spec-${++this.counter}.${ext}`);
    fs.writeFileSync(file, typeof doc === 'string' ? doc : ext === 'json' ? JSON.stringify(doc) : stringify(doc));
    return file;
  }

  /** The document as loadSpec loads it. */
  load(doc: unknown, ext = 'yaml'): AnySpec {
    return loadSpec(this.write(doc, ext));
  }

  /** What loadSpec says is wrong with the document (none: it loads), the folder shown as <dir>. */
  problemsOf(doc: unknown, ext = 'yaml'): string[] {
    try {
      loadSpec(this.write(doc, ext));
    } catch (err) {
      const problems = err instanceof SpecError ? err.problems : [(err as Error).message];
      return problems.map((p) => p.replace(this.dir, '<dir>'));
    }
    return [];
  }
}
