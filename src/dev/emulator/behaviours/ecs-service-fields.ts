// The ECS service fields moto 5.2.5 drops from CreateService (moto/ecs/responses.py reads only some of
// them; placement, execute command and the deployment configuration are lost, DescribeServices shows
// none) and the rules AWS holds them to that the API model cannot express. The model has the enums and
// types; the rest is CreateService's reference:
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html
import { broken, type Json, type RuleBreak } from './refusals';

/** What CreateService and UpdateService set that DescribeServices shows, as AWS keeps it. */
const keptFields = [
  'healthCheckGracePeriodSeconds',
  'capacityProviderStrategy',
  'placementConstraints',
  'placementStrategy',
  'serviceRegistries',
  'enableExecuteCommand',
  'deploymentConfiguration',
  'propagateTags',
] as const;

// DescribeServices of a service created without them: no placement, exec off, tags not propagated, and
// the rolling defaults (maximumPercent 200, minimumHealthyPercent 100, circuit breaker off; Deployment
// configuration, https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html).
const defaultDeployment = {
  deploymentCircuitBreaker: { enable: false, rollback: false },
  maximumPercent: 200,
  minimumHealthyPercent: 100,
};

/** What a CreateService request sets that moto may forget, with AWS's defaults for what it leaves out. */
export function keptOnCreate(req: Json): Json {
  const kept = given(req);
  const deployment = (req.deploymentConfiguration as Json | undefined) ?? {};
  return {
    placementConstraints: [],
    placementStrategy: [],
    enableExecuteCommand: false,
    propagateTags: 'NONE',
    ...kept,
    deploymentConfiguration: { ...defaultDeployment, ...deployment },
  };
}

/** What an UpdateService request changes of them: "parameters you don't specify stay unchanged". */
export function keptOnUpdate(before: Json, req: Json): Json {
  const changed = given(req);
  if (changed.deploymentConfiguration)
    changed.deploymentConfiguration = {
      ...((before.deploymentConfiguration as Json | undefined) ?? defaultDeployment),
      ...(changed.deploymentConfiguration as Json),
    };
  return { ...before, ...changed };
}

function given(req: Json): Json {
  return Object.fromEntries(keptFields.filter((k) => req[k] !== undefined).map((k) => [k, req[k]]));
}

/**
 * Placement, service registries and the circuit breaker, on CreateService and UpdateService; `onFargate`:
 * the service runs on Fargate (its launch type or every provider of its strategy).
 */
export function serviceFieldRules(req: Json, onFargate: boolean): RuleBreak | undefined {
  const constraints = (req.placementConstraints as Json[] | undefined) ?? [];
  const strategies = (req.placementStrategy as Json[] | undefined) ?? [];
  // "Placement constraints are not supported with FARGATE launch type." (the API's text, as
  // GetSimpl/cloudlift#138 and terraform-provider-aws#26337 quote it); task placement is EC2's
  // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-placement.html).
  if (onFargate && constraints.length)
    return broken(
      'ecs-placement-fargate',
      'InvalidParameterException',
      'Placement constraints are not supported with FARGATE launch type.',
    );
  if (onFargate && strategies.length)
    return broken(
      'ecs-placement-fargate',
      'InvalidParameterException',
      'Placement strategies are not supported with FARGATE launch type.',
    );
  // "You can specify up to 10 constraints for each task. This limit includes constraints in the task
  // definition and those specified at runtime." (CreateService, placementConstraints)
  if (constraints.length > 10)
    return broken(
      'ecs-placement-constraints-10',
      'InvalidParameterException',
      `You can specify up to 10 placement constraints; ${constraints.length} were given.`,
    );
  for (const c of constraints) {
    // "You can't specify an expression if the constraint type is distinctInstance." (PlacementConstraint);
    // memberOf is a cluster query, so it needs one.
    if (c.type === 'distinctInstance' && c.expression !== undefined)
      return broken(
        'ecs-placement-constraint',
        'InvalidParameterException',
        'A distinctInstance placement constraint cannot have an expression.',
      );
    if (c.type === 'memberOf' && !c.expression)
      return broken(
        'ecs-placement-constraint',
        'InvalidParameterException',
        'A memberOf placement constraint needs an expression.',
      );
  }
  // "You can specify a maximum of 5 strategy rules for each service." (CreateService, placementStrategy)
  if (strategies.length > 5)
    return broken(
      'ecs-placement-strategies-5',
      'InvalidParameterException',
      `You can specify a maximum of 5 placement strategy rules for each service; ${strategies.length} were given.`,
    );
  for (const s of strategies) {
    const why = strategyFieldProblem(String(s.type), s.field as string | undefined);
    if (why) return broken('ecs-placement-strategy', 'InvalidParameterException', why);
  }
  return serviceRegistryRules(req) ?? circuitBreakerRules(req);
}

/**
 * "For the spread placement strategy, valid values are instanceId (or host, which has the same effect),
 * or any platform or custom attribute ... such as attribute:ecs.availability-zone. For the binpack
 * placement strategy, valid values are cpu and memory. For the random placement strategy, this field is
 * not used." (PlacementStrategy, field)
 */
function strategyFieldProblem(type: string, field: string | undefined): string | undefined {
  if (type === 'random')
    return field === undefined ? undefined : 'The random placement strategy does not take a field.';
  if (type === 'binpack')
    return field === 'cpu' || field === 'memory'
      ? undefined
      : `The binpack placement strategy's field must be cpu or memory (got ${String(field)}).`;
  if (type === 'spread')
    return field === 'instanceId' || field === 'host' || /^attribute:.+/.test(field ?? '')
      ? undefined
      : `The spread placement strategy's field must be instanceId, host or attribute:<name> (got ${String(field)}).`;
  return undefined;
}

/**
 * serviceRegistries: "Each service may be associated with one service registry. Multiple service
 * registries for each service isn't supported." (CreateService); a registry takes a port or a container
 * name and port, not both, in the API's words (cloudposse/terraform-aws-ecs-web-app#208,
 * terraform-provider-aws#4373).
 */
function serviceRegistryRules(req: Json): RuleBreak | undefined {
  const registries = (req.serviceRegistries as Json[] | undefined) ?? [];
  if (registries.length > 1)
    return broken(
      'ecs-service-registries-1',
      'InvalidParameterException',
      'Each service may be associated with one service registry. Multiple service registries for each service are not supported.',
    );
  const r = registries[0];
  if (r && r.port !== undefined && (r.containerName !== undefined || r.containerPort !== undefined))
    return broken(
      'ecs-service-registry-port',
      'InvalidParameterException',
      "Specify a value for either 'port' or the 'containerName' and 'containerPort' combination, but not both. Remove one and retry.",
    );
  if (r && (r.containerName === undefined) !== (r.containerPort === undefined))
    return broken(
      'ecs-service-registry-port',
      'InvalidParameterException',
      "A service registry's containerName and containerPort go together: specify both or neither.",
    );
  return undefined;
}

/**
 * "The deployment circuit breaker can only be used for services using the rolling update (ECS)
 * deployment type." (DeploymentCircuitBreaker)
 */
function circuitBreakerRules(req: Json): RuleBreak | undefined {
  const breaker = (req.deploymentConfiguration as Json | undefined)?.deploymentCircuitBreaker as Json | undefined;
  const controller = (req.deploymentController as Json | undefined)?.type;
  if (breaker?.enable === true && controller !== undefined && controller !== 'ECS')
    return broken(
      'ecs-circuit-breaker-controller',
      'InvalidParameterException',
      'The deployment circuit breaker can only be used for services using the rolling update (ECS) deployment type.',
    );
  return undefined;
}
