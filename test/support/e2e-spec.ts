// What the e2e tests deploy: a blue/green spec on the demo account (its cluster, load balancer, listener
// and zone) with a small Fargate task definition, hosts named after the service, and short drain and IAM
// waits. Each test overrides what it is about.
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { demoAccount } from '../../src/dev/demo';
import { iamPropagationMs } from './servers';

export const fargateTaskDefinition = {
  requiresCompatibilities: ['FARGATE'],
  networkMode: 'awsvpc',
  cpu: '256',
  memory: '512',
  containerDefinitions: [{ name: 'web', image: 'nginx:1', memory: 512, portMappings: [{ containerPort: 80 }] }],
};

export function blueGreenSpec(service: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    service,
    environment: 'prod',
    cluster: demoAccount.cluster,
    taskDefinition: fargateTaskDefinition,
    container: { name: 'web', port: 80 },
    desiredCount: 1,
    loadBalancer: { name: demoAccount.loadBalancer, listenerPort: 80 },
    hosts: { production: `${service}.switchyard.test`, stage: `stage.${service}.switchyard.test` },
    hostedZone: demoAccount.hostedZone,
    drain: '1s',
    iamPropagation: `${iamPropagationMs}ms`,
    // Images by tag outside ECR: not pinned (test/e2e/ecs-deploy.test.ts tests pinning).
    pinImageDigest: false,
    ...overrides,
  };
}

/** Writes the spec as YAML into `dir`; its path. */
export function writeSpec(dir: string, spec: Record<string, unknown>, name = 'spec.yaml'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, stringify(spec));
  return file;
}
