// planBlueGreen over account states the e2e plan test does not set up: production's record (none, an
// alias, records elsewhere, left alone), rule priorities that cannot be had. (What a deployment writes
// for the states it does set up is test/e2e/plan.test.ts's, against the write journal.)
import type { DeploymentSpec } from '../../src/shared/deployment';
import { newDeploymentId, planBlueGreen, type LiveState } from '../../src/shared/plan';
import { spec } from '../support/workflow-harness';

const firstDeployment: LiveState = {
  listenerExists: true,
  stageRule: { priority: 4, exists: false },
  productionRulePriority: { priority: 5, exists: false },
  missingRoles: [],
  productionRecord: 'none',
};
const records = (s: DeploymentSpec, live: Partial<LiveState>) =>
  planBlueGreen(s, { ...firstDeployment, ...live }).changes.filter(
    (c) => c.operation === 'Route53.ChangeResourceRecordSets' && c.subject.endsWith(` ${s.hosts.production}`),
  );

describe('planBlueGreen', () => {
  it('production’s record: created when missing, left when an alias already, replaced when allowed', () => {
    expect(records(spec, {}).map((c) => c.subject)).toEqual(['UPSERT A web.example.com']);
    expect(records(spec, { productionRecord: 'alias' })).toEqual([]);
    const elsewhere = { productionRecord: { elsewhere: 'CNAME old.example.net', types: ['CNAME'] } };
    expect(planBlueGreen(spec, { ...firstDeployment, ...elsewhere })).toMatchObject({
      changes: [],
      refused: expect.stringContaining('web.example.com points elsewhere (CNAME old.example.net)'),
    });
    const overwrite = { ...spec, hosts: { ...spec.hosts, overwriteProductionRecord: true } };
    expect(records(overwrite, elsewhere).map((c) => c.subject)).toEqual([
      'DELETE CNAME web.example.com; UPSERT A web.example.com',
    ]);
  });

  it('a record the spec leaves alone (hosts.productionRecord: leave) is neither written nor a reason to refuse', () => {
    const leave = { ...spec, hosts: { ...spec.hosts, productionRecord: 'leave' as const } };
    const elsewhere = { productionRecord: { elsewhere: 'A 192.0.2.1', types: ['A'] } };
    expect(records(leave, {})).toEqual([]);
    const plan = planBlueGreen(leave, { ...firstDeployment, ...elsewhere });
    expect(plan.refused).toBeUndefined();
    expect(plan.changes.map((c) => c.operation)).toContain('ECS.CreateService');
  });

  it('a rule that can get no priority refuses the deployment before any change, saying why', () => {
    const problem = 'no rule priority is left after 50000: pin productionRule.priority to a free one';
    expect(planBlueGreen(spec, { ...firstDeployment, productionRulePriority: { problem } })).toEqual({
      changes: [],
      refused: problem,
      notPreviewed: [],
    });
  });

  it('a stage rule left from before is modified in place, at its priority', () => {
    const plan = planBlueGreen(spec, { ...firstDeployment, stageRule: { priority: 2, exists: true } });
    expect(plan.changes.find((c) => c.subject === 'host stage.web.example.com')).toMatchObject({
      operation: 'ELBv2.ModifyRule',
      detail: `web-prod-${newDeploymentId}=100`,
    });
  });
});
