// The worker's IAM policy (examples/iam/worker-policy.json) is generated from the AWS commands the code
// imports: adding a command without regenerating it (node scripts/worker-policy.js --write) fails here.
import fs from 'node:fs';

import { commandActions, policyFile, resourceTypes, workerPolicy } from '../../scripts/worker-policy';
import { secretReadsPolicy } from '../../src/shared/secrets';
import { resourceNames } from '../../src/shared/naming';
import { decide, decideAsRole, type Policy, type Request } from '../../src/dev/emulator/iam-policy';

describe('worker IAM policy', () => {
  it('is the one generated from the code', () => {
    expect(JSON.parse(fs.readFileSync(policyFile, 'utf8'))).toEqual(workerPolicy());
  });

  it('covers the commands the activities send, and what AWS checks with them', () => {
    expect(commandActions()).toEqual(
      expect.arrayContaining([
        'ecs:UpdateService',
        'elasticloadbalancing:ModifyRule',
        'route53:ChangeResourceRecordSets',
        'cloudwatch:DescribeAlarms',
        'iam:PassRole',
        'ecs:TagResource',
        'codedeploy:CreateDeployment',
        'codedeploy:StopDeployment',
        'codedeploy:GetApplicationRevision',
      ]),
    );
    expect(commandActions()).not.toContain('ec2:DescribeVpcs');
  });
});

// An account as a team would describe it to the generator (node scripts/worker-policy.js --params FILE).
const account = '123456789012';
const region = 'eu-west-1';
const params = {
  account,
  region,
  clusters: ['shop'],
  namePrefixes: ['shop-'],
  services: ['orders'],
  families: ['orders'],
  loadBalancers: ['shop-alb'],
  hostedZones: ['Z0123456789ABCDEFGHIJ'],
  repositories: ['shop/*'],
  passRoles: [`arn:aws:iam::${account}:role/orders-task`],
  codeDeployApplications: ['shop-web'],
  codeDeployGroups: ['shop-web-prod'],
  codeDeployConfigs: ['CodeDeployDefault.ECS*'],
};
const scoped = workerPolicy(params) as Policy;
const unscoped = JSON.parse(fs.readFileSync(policyFile, 'utf8')) as Policy;

// What a deployment of shop-web/prod asks AWS for, with ARNs in AWS's formats and Switchyard's names.
const id = 'k3v9x2qa';
const names = resourceNames({ service: 'shop-web', environment: 'prod' }, id);
const arn = (service: string, resource: string, where = `${region}:${account}`) =>
  `arn:aws:${service}:${where}:${resource}`;
const lb = 'app/shop-alb/50dc6c495c0c9188';
const listener = `listener/${lb}/f2f7dc8efc522ab2`;
const rule = `listener-rule/${lb}/f2f7dc8efc522ab2/9683b2d02a6cabee`;
const targetGroup = arn('elasticloadbalancing', `targetgroup/${names.targetGroup}/73e2d6bc24d8a067`);
const boundary = `arn:aws:iam::${account}:policy/switchyard/task-role-boundary`;
const taskRole = `arn:aws:iam::${account}:role/switchyard/${names.taskRole}`;
const executionRole = `arn:aws:iam::${account}:role/switchyard/${names.executionRole}`;
const service = (cluster: string, name: string) => arn('ecs', `service/${cluster}/${name}`);
const tagged = { 'aws:RequestTag/switchyard:deployment': id };
const hasTag = { 'aws:ResourceTag/switchyard:deployment': id };
const within = { 'iam:PermissionsBoundary': boundary };
const toEcs = { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' };

// The task role a team's running revision names: passed only when the policy lists it (passRoles).
const teamRole: Request = {
  action: 'iam:PassRole',
  resource: `arn:aws:iam::${account}:role/orders-task`,
  context: toEcs,
};

const deployment: Request[] = [
  { action: 'ecs:DescribeClusters', resource: arn('ecs', 'cluster/shop') },
  { action: 'ecs:RegisterTaskDefinition', resource: arn('ecs', `task-definition/${names.family}:7`) },
  {
    action: 'ecs:TagResource',
    resource: arn('ecs', `task-definition/${names.family}:7`),
    context: { 'ecs:CreateAction': 'RegisterTaskDefinition' },
  },
  { action: 'ecs:CreateService', resource: service('shop', names.ecsService) },
  {
    action: 'ecs:TagResource',
    resource: service('shop', names.ecsService),
    context: { 'ecs:CreateAction': 'CreateService' },
  },
  { action: 'ecs:DescribeServices', resource: service('shop', names.ecsService) },
  { action: 'ecs:UpdateService', resource: service('shop', names.ecsService) },
  { action: 'ecs:DeleteService', resource: service('shop', names.ecsService) },
  { action: 'ecs:DeregisterTaskDefinition', resource: '*' },
  { action: 'ecs:ListServices', resource: '*' },
  // A rolling update of a service the team made, from its running revision, with the roles it names.
  { action: 'ecs:UpdateService', resource: service('shop', 'orders') },
  { action: 'ecs:TagResource', resource: service('shop', 'orders') },
  { action: 'ecs:RegisterTaskDefinition', resource: arn('ecs', 'task-definition/orders:42') },
  { action: 'elasticloadbalancing:DescribeRules', resource: '*' },
  { action: 'elasticloadbalancing:CreateTargetGroup', resource: targetGroup, context: tagged },
  {
    action: 'elasticloadbalancing:AddTags',
    resource: targetGroup,
    context: { ...tagged, 'elasticloadbalancing:CreateAction': 'CreateTargetGroup' },
  },
  { action: 'elasticloadbalancing:ModifyTargetGroupAttributes', resource: targetGroup, context: hasTag },
  { action: 'elasticloadbalancing:DeleteTargetGroup', resource: targetGroup, context: hasTag },
  { action: 'elasticloadbalancing:CreateListener', resource: arn('elasticloadbalancing', `loadbalancer/${lb}`) },
  { action: 'elasticloadbalancing:CreateRule', resource: arn('elasticloadbalancing', listener) },
  {
    action: 'elasticloadbalancing:AddTags',
    resource: arn('elasticloadbalancing', rule),
    context: { 'elasticloadbalancing:CreateAction': 'CreateRule' },
  },
  // The production rule, adopted or Switchyard's: not necessarily tagged by Switchyard.
  { action: 'elasticloadbalancing:ModifyRule', resource: arn('elasticloadbalancing', rule) },
  { action: 'elasticloadbalancing:DeleteRule', resource: arn('elasticloadbalancing', rule) },
  { action: 'route53:ListHostedZonesByName', resource: '*' },
  { action: 'route53:ChangeResourceRecordSets', resource: 'arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ' },
  { action: 'route53:ListResourceRecordSets', resource: 'arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ' },
  { action: 'route53:GetChange', resource: 'arn:aws:route53:::change/C2682N5HXP0BZ4' },
  { action: 'cloudwatch:DescribeAlarms', resource: arn('cloudwatch', 'alarm:shop-web-5xx') },
  { action: 'ecr:DescribeImages', resource: arn('ecr', 'repository/shop/web', `us-east-1:${account}`) },
  {
    action: 'application-autoscaling:RegisterScalableTarget',
    resource: arn('application-autoscaling', 'scalable-target/0ec9eb5aef5a4b1c8c'),
    context: { 'application-autoscaling:service-namespace': 'ecs' },
  },
  { action: 'iam:GetRole', resource: taskRole },
  { action: 'iam:CreateRole', resource: taskRole, context: within },
  { action: 'iam:TagRole', resource: taskRole },
  { action: 'iam:CreateRole', resource: executionRole, context: within },
  {
    action: 'iam:AttachRolePolicy',
    resource: executionRole,
    context: { ...within, 'iam:PolicyARN': 'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy' },
  },
  { action: 'iam:PutRolePolicy', resource: executionRole, context: within },
  { action: 'iam:DeleteRolePolicy', resource: executionRole, context: within },
  { action: 'iam:PassRole', resource: taskRole, context: toEcs },
  { action: 'iam:PassRole', resource: executionRole, context: toEcs },
];

// What a compromised worker would try, to gain more than it deploys with.
const escalations: [string, Request][] = [
  ['a role without the boundary', { action: 'iam:CreateRole', resource: taskRole }],
  [
    'a role bounded by a wider policy',
    {
      action: 'iam:CreateRole',
      resource: taskRole,
      context: { 'iam:PermissionsBoundary': 'arn:aws:iam::aws:policy/AdministratorAccess' },
    },
  ],
  [
    'a role outside /switchyard/',
    { action: 'iam:CreateRole', resource: `arn:aws:iam::${account}:role/admin`, context: within },
  ],
  [
    'an inline policy on a role without the boundary',
    { action: 'iam:PutRolePolicy', resource: `arn:aws:iam::${account}:role/switchyard/switchyard-other-prod-task` },
  ],
  [
    'an inline policy on its own role',
    { action: 'iam:PutRolePolicy', resource: `arn:aws:iam::${account}:role/switchyard-worker`, context: within },
  ],
  [
    'AdministratorAccess on a bounded role',
    {
      action: 'iam:AttachRolePolicy',
      resource: executionRole,
      context: { ...within, 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' },
    },
  ],
  ['removing a boundary', { action: 'iam:DeleteRolePermissionsBoundary', resource: executionRole, context: within }],
  ['replacing a boundary', { action: 'iam:PutRolePermissionsBoundary', resource: executionRole, context: within }],
  ['widening the boundary policy', { action: 'iam:CreatePolicyVersion', resource: boundary }],
  ['making the widened version the default', { action: 'iam:SetDefaultPolicyVersion', resource: boundary }],
  [
    'passing a task role to EC2',
    { action: 'iam:PassRole', resource: taskRole, context: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
  ],
  [
    'passing any other role to ECS',
    { action: 'iam:PassRole', resource: `arn:aws:iam::${account}:role/admin`, context: toEcs },
  ],
  ['a user of its own', { action: 'iam:CreateUser', resource: `arn:aws:iam::${account}:user/backdoor` }],
  ['an access key', { action: 'iam:CreateAccessKey', resource: `arn:aws:iam::${account}:user/admin` }],
  ['tagging an existing target group', { action: 'elasticloadbalancing:AddTags', resource: targetGroup }],
];

describe('the worker policy allows a deployment', () => {
  it.each([
    ['scoped to the account', scoped],
    ['as committed (unscoped)', unscoped],
  ])('%s: every call a deployment makes', (_label, policy) => {
    const refused = deployment.filter((request) => decide([policy], request) !== 'allowed');
    expect(refused).toEqual([]);
  });

  it("passes a team's own task roles only when the policy names them (passRoles)", () => {
    expect(decide([scoped], teamRole)).toBe('allowed');
    expect(decide([unscoped], teamRole)).toBe('not allowed');
  });
});

describe('no escalation path', () => {
  it.each(escalations)('refuses %s', (_label, request) => {
    expect(decide([unscoped], request)).not.toBe('allowed');
    expect(decide([scoped], request)).not.toBe('allowed');
  });

  it('a role the worker creates can do no more than the boundary, whatever inline policy it is given', () => {
    const secret = `arn:aws:secretsmanager:${region}:${account}:secret:shop/db-AbCdEf`;
    const granted = secretReadsPolicy([secret]) as unknown as Policy;
    const rolePolicies = (inline: Policy) => [inline];
    const bounded = JSON.parse(fs.readFileSync('examples/iam/task-role-boundary.json', 'utf8')) as Policy;
    const read = (resource: string): Request => ({ action: 'secretsmanager:GetSecretValue', resource });
    // What the worker grants: exactly the referenced secret.
    expect(decideAsRole(rolePolicies(granted), bounded, read(secret))).toBe('allowed');
    expect(decideAsRole(rolePolicies(granted), bounded, read(`${secret.slice(0, -7)}-other-XyZ123`))).toBe(
      'not allowed',
    );
    // A widened role (everything inline) is still capped by the boundary.
    const everything: Policy = { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
    for (const action of ['iam:CreateUser', 'iam:PutRolePolicy', 's3:GetObject', 'ec2:RunInstances', 'sts:AssumeRole'])
      expect(decideAsRole(rolePolicies(everything), bounded, { action, resource: '*' })).toBe('not allowed');
    // Decrypting is bounded to Secrets Manager's and SSM's own use of the key.
    const decrypt = (via?: string): Request => ({
      action: 'kms:Decrypt',
      resource: arn('kms', 'key/1234abcd-12ab-34cd-56ef-1234567890ab'),
      context: { 'kms:ViaService': via },
    });
    expect(decideAsRole(rolePolicies(everything), bounded, decrypt())).toBe('not allowed');
    expect(decideAsRole(rolePolicies(everything), bounded, decrypt(`secretsmanager.${region}.amazonaws.com`))).toBe(
      'allowed',
    );
  });
});

describe('scoped to what the account names', () => {
  const outside: [string, Request][] = [
    ['a service in another cluster', { action: 'ecs:UpdateService', resource: service('billing', names.ecsService) }],
    [
      'a service of another team',
      { action: 'ecs:DeleteService', resource: service('shop', 'billing-api-prod-k3v9x2qa') },
    ],
    ['another family', { action: 'ecs:RegisterTaskDefinition', resource: arn('ecs', 'task-definition/billing:3') }],
    [
      "another team's target group",
      {
        action: 'elasticloadbalancing:DeleteTargetGroup',
        resource: arn('elasticloadbalancing', 'targetgroup/billing-api-prod-k3v9x2qa/73e2d6bc24d8a067'),
        context: hasTag,
      },
    ],
    [
      'a target group Switchyard did not create',
      { action: 'elasticloadbalancing:DeleteTargetGroup', resource: targetGroup },
    ],
    ['an untagged target group', { action: 'elasticloadbalancing:CreateTargetGroup', resource: targetGroup }],
    [
      "another load balancer's rule",
      {
        action: 'elasticloadbalancing:ModifyRule',
        resource: arn('elasticloadbalancing', rule.replace('shop-alb', 'billing-alb')),
      },
    ],
    [
      'another hosted zone',
      { action: 'route53:ChangeResourceRecordSets', resource: 'arn:aws:route53:::hostedzone/ZOTHER' },
    ],
    [
      'another account',
      { action: 'ecs:UpdateService', resource: service('shop', names.ecsService).replace(account, '210987654321') },
    ],
    ['another repository', { action: 'ecr:DescribeImages', resource: arn('ecr', 'repository/billing/api') }],
    [
      'scaling another service namespace',
      {
        action: 'application-autoscaling:RegisterScalableTarget',
        resource: '*',
        context: { 'application-autoscaling:service-namespace': 'dynamodb' },
      },
    ],
  ];
  it.each(outside)('refuses %s', (_label, request) => {
    expect(decide([scoped], request)).toBe('not allowed');
  });

  it("creates CodeDeploy deployments in the groups it names, not in another application's", () => {
    const create = (group: string): Request => ({
      action: 'codedeploy:CreateDeployment',
      resource: arn('codedeploy', `deploymentgroup:${group}`),
    });
    expect(decide([scoped], create('shop-web/shop-web-prod'))).toBe('allowed');
    expect(decide([unscoped], create('shop-web/shop-web-prod'))).toBe('allowed');
    expect(decide([scoped], create('billing-api/shop-web-prod'))).toBe('not allowed');
    // What CreateDeployment checks with it: the deployment config, and the revision on the application.
    expect(
      decide([scoped], {
        action: 'codedeploy:GetDeploymentConfig',
        resource: arn('codedeploy', 'deploymentconfig:CodeDeployDefault.ECSCanary10Percent5Minutes'),
      }),
    ).toBe('allowed');
    for (const action of ['codedeploy:GetApplicationRevision', 'codedeploy:RegisterApplicationRevision']) {
      expect(decide([scoped], { action, resource: arn('codedeploy', 'application:shop-web') })).toBe('allowed');
      expect(decide([scoped], { action, resource: arn('codedeploy', 'application:billing-api') })).toBe('not allowed');
    }
  });

  it('refuses parameters it does not know, and pass roles that are not role ARNs', () => {
    expect(() => workerPolicy({ cluster: 'shop' } as never)).toThrow(
      /unknown parameter\(s\) cluster: expected partition, account/,
    );
    expect(() => workerPolicy({ passRoles: ['orders-task'] })).toThrow(/passRoles: orders-task is not a role ARN/);
    expect(() => workerPolicy({ clusters: 'shop' } as never)).toThrow(/clusters: expected a list of strings/);
    expect(() =>
      workerPolicy({ codeDeployApplications: [`arn:aws:codedeploy:${region}:${account}:application:shop-web`] }),
    ).toThrow(/codeDeployApplications: arn:aws:codedeploy:\S+ is not a name/);
  });
});

describe('what stays "*"', () => {
  // Each action granted on every resource, and why: the Service Authorization Reference lists no resource
  // type for it (its page below), or the resource's ARN holds an id AWS makes up (scalable targets).
  const scalableTargets =
    'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsapplicationautoscaling.html';
  const expected: Record<string, string> = {
    'application-autoscaling:DescribeScalableTargets': scalableTargets,
    'application-autoscaling:DescribeScalingPolicies': scalableTargets,
    'application-autoscaling:DescribeScheduledActions': scalableTargets,
    'application-autoscaling:RegisterScalableTarget': `${scalableTargets} (scalable-target/<id>: limited to ecs by application-autoscaling:service-namespace)`,
    'application-autoscaling:PutScalingPolicy': `${scalableTargets} (scalable-target/<id>: limited to ecs by application-autoscaling:service-namespace)`,
    'application-autoscaling:DeregisterScalableTarget': `${scalableTargets} (scalable-target/<id>: limited to ecs by application-autoscaling:service-namespace)`,
    'codedeploy:ContinueDeployment':
      'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodedeploy.html',
    'codedeploy:GetDeploymentTarget':
      'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodedeploy.html',
    'codedeploy:StopDeployment':
      'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodedeploy.html',
    'ecs:DeregisterTaskDefinition':
      'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html',
    'ecs:DescribeTaskDefinition':
      'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html',
    'ecs:ListClusters':
      'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html',
    'ecs:ListServices':
      'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html',
    'ecs:ListTaskDefinitions':
      'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html',
    'elasticloadbalancing:DescribeListeners':
      'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html',
    'elasticloadbalancing:DescribeLoadBalancers':
      'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html',
    'elasticloadbalancing:DescribeRules':
      'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html',
    'elasticloadbalancing:DescribeTags':
      'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html',
    'elasticloadbalancing:DescribeTargetGroups':
      'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html',
    'elasticloadbalancing:DescribeTargetHealth':
      'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html',
    'route53:ListHostedZonesByName':
      'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonroute53.html',
    // A Deny on every resource is no grant.
    'iam:DeleteRolePermissionsBoundary': 'Deny',
    'iam:PutRolePermissionsBoundary': 'Deny',
  };

  it('is exactly the list above, each with its page', () => {
    const star = scoped.Statement.filter(
      (s) => s.Resource === '*' || (Array.isArray(s.Resource) && s.Resource.includes('*')),
    );
    const found = Object.fromEntries(
      star.flatMap((s) =>
        [s.Action].flat().map((action) => {
          const entry = resourceTypes[action];
          if (s.Effect === 'Deny') return [action, 'Deny'];
          const reason = entry.resourceTypes.length
            ? ` (scalable-target/<id>: limited to ecs by application-autoscaling:service-namespace)`
            : '';
          return [action, `${entry.page}${reason}`];
        }),
      ),
    );
    expect(found).toEqual(expected);
  });

  it('an action AWS can scope is scoped, to the resource type AWS gives', () => {
    for (const statement of scoped.Statement.filter((s) => s.Effect === 'Allow' && s.Resource !== '*'))
      for (const action of [statement.Action].flat()) {
        const types = resourceTypes[action]?.resourceTypes ?? [];
        if (action.startsWith('iam:')) continue; // roles and policies: checked by the escalation tests above
        for (const resource of [statement.Resource].flat())
          expect({
            action,
            resource,
            ok: types.some((t) => resource.split(':')[5]?.startsWith(t.arn.split(':')[5].split('$')[0])),
          }).toEqual({ action, resource, ok: true });
      }
  });
});
