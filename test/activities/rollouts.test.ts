// Rolling-update activities against moto behind the behaviour proxy, which runs ECS rollouts as AWS does
// (new PRIMARY beside the old ACTIVE, running counts that ramp, COMPLETED or FAILED by circuit breaker).
import { CreateServiceCommand, DeregisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import type { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { demoAccount } from '../../src/dev/demo';
import { deploymentTags } from '../../src/shared/naming';
import { setAwsScenario, useSeededMoto } from '../support/servers';
import { fargate } from '../support/fargate';
import { waitUntilListed } from '../../src/dev/emulator/ec2-capacity';
import { pinnedImage } from '../../src/shared/images';
import { moveTag, pushImage } from '../support/ecr';

const cluster = demoAccount.cluster;
const service = 'api-prod';
const run = <T>(fn: () => Promise<T>): Promise<T> =>
  new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(fn) as Promise<T>;

describe('rolling-update activities on moto', () => {
  const moto = useSeededMoto();

  async function register(image: string, deploymentId: string): Promise<string> {
    return moto.aws.registerTaskDefinition({
      family: service,
      taskDefinition: { ...fargate, containerDefinitions: [{ name: 'api', image: 'x', memory: 128 }] },
      containerName: 'api',
      image,
      taskRoleArn: 'arn:aws:iam::123456789012:role/task',
      executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
      tags: deploymentTags({ service: 'api', environment: 'prod' }, deploymentId),
      deploymentId,
    });
  }

  /** A steady service running revision 1 (api:1). */
  async function runningService(): Promise<string> {
    const v1 = await register('api:1', 'aaaaaaa1');
    const awsvpcConfiguration = {
      subnets: (await moto.aws.findLoadBalancer({ loadBalancer: demoAccount.loadBalancer }))!.subnetIds,
      securityGroups: [],
      assignPublicIp: 'DISABLED' as const,
    };
    await moto.clients.ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: service,
        taskDefinition: v1,
        desiredCount: 4,
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration },
      }),
    );
    await waitUntilListed(moto.clients, cluster, service);
    return v1;
  }

  const wait = (taskDefinitionArn: string, deadlineMs = 10_000) =>
    run(() =>
      moto.aws.waitForRollout({
        cluster,
        name: service,
        taskDefinitionArn,
        deadline: Date.now() + deadlineMs,
        intervalMs: 1_000,
      }),
    );

  it('a rollout shows the new PRIMARY beside the old ACTIVE with ramping counts, then completes alone', async () => {
    const v1 = await runningService();
    expect(await moto.aws.describeRollout({ cluster, name: service })).toMatchObject({
      taskDefinition: v1,
      deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED' }],
    });
    const v2 = await register('api:2', 'bbbbbbb2');
    await moto.aws.updateServiceRevision({ cluster, name: service, taskDefinitionArn: v2 });
    const during = await moto.aws.describeRollout({ cluster, name: service });
    expect(during?.deployments).toEqual([
      {
        id: expect.any(String),
        status: 'PRIMARY',
        taskDefinition: v2,
        rolloutState: 'IN_PROGRESS',
        running: 1,
        desired: 4,
      },
      {
        id: expect.any(String),
        status: 'ACTIVE',
        taskDefinition: v1,
        rolloutState: 'COMPLETED',
        running: 3,
        desired: 4,
      },
    ]);
    const done = await wait(v2);
    expect(done.deployments).toEqual([
      {
        id: expect.any(String),
        status: 'PRIMARY',
        taskDefinition: v2,
        rolloutState: 'COMPLETED',
        running: 4,
        desired: 4,
      },
    ]);
  });

  it('updating to the revision already rolling out starts no second rollout', async () => {
    await setAwsScenario({ rolloutDescribes: 6 });
    await runningService();
    const v2 = await register('api:2', 'bbbbbbb2');
    await moto.aws.updateServiceRevision({ cluster, name: service, taskDefinitionArn: v2 });
    await moto.aws.describeRollout({ cluster, name: service });
    await moto.aws.updateServiceRevision({ cluster, name: service, taskDefinitionArn: v2 });
    // Still the same rollout, three describes in (each update describes the service first): 2 of 4.
    expect((await moto.aws.describeRollout({ cluster, name: service }))?.deployments[0]).toMatchObject({
      running: 2,
      rolloutState: 'IN_PROGRESS',
    });
  });

  it('a circuit-breaker failure ends the wait at once with ECS reason and event', async () => {
    await setAwsScenario({ failingImages: '^api:bad$' });
    await runningService();
    const bad = await register('api:bad', 'bbbbbbb2');
    await moto.aws.updateServiceRevision({ cluster, name: service, taskDefinitionArn: bad });
    const started = Date.now();
    const err = (await wait(bad, 60_000).catch((e: unknown) => e)) as ApplicationFailure;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(err).toMatchObject({ type: 'WaitFailed', nonRetryable: true });
    expect(err.message).toContain('ECS deployment circuit breaker: tasks failed to start.');
    expect(err.message).toMatch(
      /\(service api-prod\) \(deployment ecs-svc\/\d+\) deployment failed: tasks failed to start\./,
    );
  });

  it('a rollout that never completes fails at the deadline, saying where it was', async () => {
    await setAwsScenario({ stuckImages: 'slow' });
    await runningService();
    const slow = await register('api:slow', 'bbbbbbb2');
    await moto.aws.updateServiceRevision({ cluster, name: service, taskDefinitionArn: slow });
    const err = (await wait(slow, 2_500).catch((e: unknown) => e)) as ApplicationFailure;
    expect(err).toMatchObject({ type: 'DeadlineExceeded' });
    expect(err.message).toMatch(/PRIMARY 0\/4 IN_PROGRESS; ACTIVE 4\/4 COMPLETED$/);
  });

  it('records the known-good revision on the service, and tells registered from deregistered revisions', async () => {
    const v1 = await runningService();
    const state = await moto.aws.describeRollout({ cluster, name: service });
    expect(state?.knownGood).toBeUndefined();
    await moto.aws.recordKnownGood({ serviceArn: state!.arn, taskDefinitionArn: v1 });
    expect((await moto.aws.describeRollout({ cluster, name: service }))?.knownGood).toBe(v1);
    expect(await moto.aws.taskDefinitionStatus({ taskDefinition: v1 })).toBe('ACTIVE');
    await moto.clients.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: v1 }));
    expect(await moto.aws.taskDefinitionStatus({ taskDefinition: v1 })).toBe('INACTIVE');
    expect(
      await moto.aws.taskDefinitionStatus({
        taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/nope:9',
      }),
    ).toBeUndefined();
  });
  describe('a pinned image is judged by the tags its digest had in ECR when the revision was registered', () => {
    const registry = '123456789012.dkr.ecr.us-east-1.amazonaws.com';

    it.each([
      ['<repository>:<tag>', '^api:bad$'],
      ['<registry>/<repository>:<tag>', `^${registry.replace(/\./g, '\\.')}/api:bad$`],
    ])('a scenario pattern over %s fails the rollout of api@sha256:…', async (_, failingImages) => {
      await setAwsScenario({ failingImages });
      await runningService();
      const bad = await pushImage(moto.clients, 'api', 'bad');
      const revision = await register(pinnedImage(bad.image, bad.digest), 'bbbbbbb2');
      await moto.aws.updateServiceRevision({ cluster, name: service, taskDefinitionArn: revision });
      expect(await wait(revision, 60_000).catch((e: unknown) => e)).toMatchObject({ type: 'WaitFailed' });
    });

    it('a digest with other tags only rolls out, and the tag moving after registration changes nothing', async () => {
      await setAwsScenario({ failingImages: '^api:bad$' });
      await runningService();
      const good = await pushImage(moto.clients, 'api', '2.0');
      const bad = await pushImage(moto.clients, 'api', 'bad');
      const goodRevision = await register(pinnedImage(good.image, good.digest), 'bbbbbbb2');
      const badRevision = await register(pinnedImage(bad.image, bad.digest), 'ccccccc3');
      // Registered while tagged bad: still that image's content, whatever the tag names now.
      await moveTag(moto.clients, 'api', 'bad');
      await moto.aws.updateServiceRevision({ cluster, name: service, taskDefinitionArn: goodRevision });
      expect((await wait(goodRevision)).deployments).toEqual([
        {
          id: expect.any(String),
          status: 'PRIMARY',
          taskDefinition: goodRevision,
          rolloutState: 'COMPLETED',
          running: 4,
          desired: 4,
        },
      ]);
      await moto.aws.updateServiceRevision({ cluster, name: service, taskDefinitionArn: badRevision });
      expect(await wait(badRevision, 60_000).catch((e: unknown) => e)).toMatchObject({ type: 'WaitFailed' });
    });
  });
});
