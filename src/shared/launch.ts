// How a task definition runs, read from the task definition itself (as ECS reads it): Fargate needs the
// awsvpc network mode and task-level cpu and memory in a supported size; on EC2 the network mode is the
// task definition's (bridge when unset, as ECS defaults it on Linux). Load balancers reach awsvpc tasks
// by IP and bridge or host tasks by instance, so the target group's type follows.
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#network_mode
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html (loadBalancers)
import type { TaskDefinitionSpec } from './deployment';

export type NetworkMode = 'awsvpc' | 'bridge' | 'host';

/** One capacity provider of a strategy, as CreateService takes it. */
export interface CapacityProviderItem {
  capacityProvider: string;
  weight: number;
  base?: number;
}

export interface Launch {
  launchType: 'FARGATE' | 'EC2';
  networkMode: NetworkMode;
  targetType: 'ip' | 'instance';
  /**
   * When set, the service runs on these capacity providers and CreateService gets no launchType: "If a
   * capacityProviderStrategy is specified, the launchType parameter must be omitted" (CreateService).
   */
  capacityProviderStrategy?: CapacityProviderItem[];
}

/** Fargate's own capacity providers; any other is an Auto Scaling group's (EC2). */
export const fargateProviders = ['FARGATE', 'FARGATE_SPOT'];

export function launchOf(
  taskDefinition: TaskDefinitionSpec,
  capacityProviderStrategy?: CapacityProviderItem[],
): Launch {
  const fargate = capacityProviderStrategy?.length
    ? capacityProviderStrategy.every((p) => fargateProviders.includes(p.capacityProvider))
    : compatibilities(taskDefinition).includes('FARGATE');
  const networkMode = (taskDefinition.networkMode as NetworkMode | undefined) ?? (fargate ? 'awsvpc' : 'bridge');
  const launch: Launch = {
    launchType: fargate ? 'FARGATE' : 'EC2',
    networkMode,
    targetType: networkMode === 'awsvpc' ? 'ip' : 'instance',
  };
  return capacityProviderStrategy?.length ? { ...launch, capacityProviderStrategy } : launch;
}

/**
 * What ECS would refuse in a capacity provider strategy for this task definition: Fargate's providers and
 * Auto Scaling group providers cannot be mixed, and each kind needs a task definition it can run.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-capacity-providers.html
 */
export function capacityProblems(taskDefinition: TaskDefinitionSpec, strategy: CapacityProviderItem[]): string[] {
  const onFargate = strategy.filter((p) => fargateProviders.includes(p.capacityProvider));
  if (onFargate.length === 0) {
    return compatibilities(taskDefinition).length && !compatibilities(taskDefinition).includes('EC2')
      ? [
          "capacityProviderStrategy: Auto Scaling group capacity providers run EC2 tasks, and the task definition's requiresCompatibilities has no EC2",
        ]
      : [];
  }
  if (onFargate.length < strategy.length) {
    return [
      'capacityProviderStrategy: a strategy takes either FARGATE/FARGATE_SPOT or Auto Scaling group capacity providers, not both',
    ];
  }
  return compatibilities(taskDefinition).includes('FARGATE')
    ? []
    : [
        'capacityProviderStrategy: FARGATE and FARGATE_SPOT need a task definition with requiresCompatibilities ["FARGATE"] (and the Fargate sizes that go with it)',
      ];
}

/** What ECS would refuse in the task definition (RegisterTaskDefinition, CreateService), as spec messages. */
export function launchProblems(taskDefinition: TaskDefinitionSpec): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const mode = taskDefinition.networkMode;
  if (mode !== undefined && mode !== 'awsvpc' && mode !== 'bridge' && mode !== 'host') {
    problems.push({
      path: 'networkMode',
      message: `expected awsvpc, bridge or host (a load balancer cannot reach tasks in network mode ${JSON.stringify(mode)})`,
    });
  }
  if (!compatibilities(taskDefinition).includes('FARGATE')) return problems;
  if (mode !== undefined && mode !== 'awsvpc')
    problems.push({
      path: 'networkMode',
      message: `Fargate only supports network mode awsvpc (got ${JSON.stringify(mode)})`,
    });
  const cpu = Number(taskDefinition.cpu);
  const memory = Number(taskDefinition.memory);
  const sizes = fargateMemoryFor(cpu);
  if (taskDefinition.cpu === undefined || taskDefinition.memory === undefined) {
    problems.push({
      path: 'cpu',
      message: 'Fargate needs task-level cpu and memory (for example cpu "256", memory "512")',
    });
  } else if (!sizes.length) {
    problems.push({
      path: 'cpu',
      message: `Fargate offers cpu 256, 512, 1024, 2048, 4096, 8192 or 16384 (got ${JSON.stringify(taskDefinition.cpu)})`,
    });
  } else if (!sizes.includes(memory)) {
    problems.push({
      path: 'memory',
      message: `Fargate offers memory ${sizes[0]}-${sizes[sizes.length - 1]} MiB (${sizes.length} sizes) with cpu ${cpu} (got ${JSON.stringify(taskDefinition.memory)})`,
    });
  }
  return problems;
}

/**
 * The memory sizes (MiB) Fargate offers for a task cpu (Linux).
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
 */
export function fargateMemoryFor(cpu: number): number[] {
  const range = (from: number, to: number, step: number) =>
    Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
  const sizes: Record<number, number[]> = {
    256: [512, 1024, 2048],
    512: range(1024, 4096, 1024),
    1024: range(2048, 8192, 1024),
    2048: range(4096, 16384, 1024),
    4096: range(8192, 30720, 1024),
    8192: range(16384, 61440, 4096),
    16384: range(32768, 122880, 8192),
  };
  return sizes[cpu] ?? [];
}

function compatibilities(taskDefinition: TaskDefinitionSpec): string[] {
  const value = taskDefinition.requiresCompatibilities;
  return Array.isArray(value) ? value.map(String) : [];
}
