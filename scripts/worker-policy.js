#!/usr/bin/env node
// Generates the least-privilege IAM policy of the Switchyard worker from the AWS commands its code
// imports (src/activities/*.ts and src/worker.ts), plus the permissions AWS checks implicitly for some of
// them (tags on create, passing the task roles to ECS). `node scripts/worker-policy.js` prints it;
// `--write` updates examples/iam/worker-policy.json, which a test keeps in step with the code.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const prefixes = {
  '@aws-sdk/client-ecs': 'ecs',
  '@aws-sdk/client-elastic-load-balancing-v2': 'elasticloadbalancing',
  '@aws-sdk/client-route-53': 'route53',
  '@aws-sdk/client-cloudwatch': 'cloudwatch',
  '@aws-sdk/client-iam': 'iam',
  '@aws-sdk/client-application-auto-scaling': 'application-autoscaling',
  '@aws-sdk/client-ecr': 'ecr',
  '@aws-sdk/client-sts': 'sts',
  '@aws-sdk/client-codedeploy': 'codedeploy',
};
// Permissions AWS requires beyond the action itself (documented per API as "additional permissions").
const implied = {
  'ecs:CreateService': ['ecs:TagResource'],
  'ecs:RegisterTaskDefinition': ['ecs:TagResource', 'iam:PassRole'],
  'elasticloadbalancing:CreateTargetGroup': ['elasticloadbalancing:AddTags'],
  'elasticloadbalancing:CreateRule': ['elasticloadbalancing:AddTags'],
  'iam:CreateRole': ['iam:TagRole'],
  // Application Auto Scaling checks the caller may do what it then does for ECS services, and creates its
  // service-linked role on first use: https://docs.aws.amazon.com/autoscaling/application/userguide/security_iam_id-based-policy-examples.html
  'application-autoscaling:RegisterScalableTarget': [
    'ecs:DescribeServices',
    'ecs:UpdateService',
    'iam:CreateServiceLinkedRole',
  ],
  'application-autoscaling:PutScalingPolicy': ['cloudwatch:DescribeAlarms', 'cloudwatch:PutMetricAlarm'],
  'application-autoscaling:DeleteScalingPolicy': ['cloudwatch:DescribeAlarms', 'cloudwatch:DeleteAlarms'],
  'application-autoscaling:DeregisterScalableTarget': ['cloudwatch:DescribeAlarms', 'cloudwatch:DeleteAlarms'],
  // The deployment config, and Get- or RegisterApplicationRevision by revision type (both granted): footnote 1, https://docs.aws.amazon.com/codedeploy/latest/userguide/auth-and-access-control-permissions-reference.html
  'codedeploy:CreateDeployment': [
    'codedeploy:GetDeploymentConfig',
    'codedeploy:GetApplicationRevision',
    'codedeploy:RegisterApplicationRevision',
  ],
};
// The one service-linked role the worker may create: Application Auto Scaling's for ECS.
const scalingRole = 'ecs.application-autoscaling.amazonaws.com';

/** Every `XxxCommand` imported from an AWS SDK client in the worker's code, as IAM actions. */
function commandActions() {
  const files = [
    ...fs
      .readdirSync(path.join(root, 'src', 'activities'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => path.join(root, 'src', 'activities', f)),
    path.join(root, 'src', 'worker.ts'),
  ];
  const actions = new Set();
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    for (const [, names, pkg] of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'(@aws-sdk\/client-[a-z0-9-]+)'/g)) {
      const prefix = prefixes[pkg];
      if (!prefix)
        throw new Error(`${path.relative(root, file)} imports ${pkg}: add its IAM prefix to scripts/worker-policy.js`);
      for (const name of names.split(',').map((n) => n.trim())) {
        const command = /^([A-Z][A-Za-z0-9]+)Command$/.exec(name);
        if (command) actions.add(`${prefix}:${command[1]}`);
      }
    }
  }
  for (const action of [...actions]) for (const extra of implied[action] ?? []) actions.add(extra);
  return [...actions].sort();
}

// What AWS says each action can be scoped to (its resource types and their ARN formats).
const resourceTypes = require('./iam-resource-types.json');

// The only managed policy the worker attaches (to the execution roles it creates).
const attachable = ['arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy'];
// Actions that create or widen a role: only on Switchyard's path, only with its boundary.
const widening = ['iam:CreateRole', 'iam:PutRolePolicy', 'iam:AttachRolePolicy'];
// Every deployment's tag (src/shared/naming.ts, deploymentTags): on what Switchyard creates in ELB.
const deploymentTag = 'switchyard:deployment';

/**
 * What the policy is scoped to: `*` (any) unless given. Names, not ARNs: the generator builds the ARNs in
 * the formats the Service Authorization Reference gives (scripts/iam-resource-types.json).
 */
const defaults = {
  partition: 'aws',
  account: '*',
  region: '*',
  /** ECS clusters the specs name. */
  clusters: ['*'],
  /** How the specs' `<service>-<environment>` begin: the ECS services, target groups and task definition families Switchyard creates. */
  namePrefixes: [''],
  /** Existing ECS services Switchyard updates: rolling updates and adopted services. */
  services: [],
  /** Their task definition families (a rolling update registers the next revision of the running one). */
  families: [],
  /** Application Load Balancers the specs name. */
  loadBalancers: ['*'],
  /** Route 53 hosted zone ids. */
  hostedZones: ['*'],
  /** ECR repositories the images are in (any region and account: a registry names its own). */
  repositories: ['*'],
  /** Task and execution roles the specs (or the running revisions) name themselves, by ARN. */
  passRoles: [],
  /** CodeDeploy applications of the services CodeDeploy deploys (deployment controller CODE_DEPLOY). */
  codeDeployApplications: ['*'],
  /** Their deployment groups. */
  codeDeployGroups: ['*'],
  /** The deployment configs the groups or the specs name (CodeDeployDefault.ECSAllAtOnce unless named). */
  codeDeployConfigs: ['*'],
  /** The task roles' permissions boundary, by path and name (SWITCHYARD_ROLE_BOUNDARY names the same policy). */
  roleBoundary: 'switchyard/task-role-boundary',
};

const paramsSchema = Object.keys(defaults);

function checkedParams(given) {
  const unknown = Object.keys(given).filter((k) => !paramsSchema.includes(k));
  if (unknown.length)
    throw new Error(`unknown parameter(s) ${unknown.join(', ')}: expected ${paramsSchema.join(', ')}`);
  const params = { ...defaults, ...given };
  for (const [key, value] of Object.entries(params)) {
    const list = Array.isArray(defaults[key]);
    if (list ? !Array.isArray(value) || value.some((v) => typeof v !== 'string') : typeof value !== 'string')
      throw new Error(`${key}: expected ${list ? 'a list of strings' : 'a string'}, got ${JSON.stringify(value)}`);
  }
  for (const role of params.passRoles)
    if (!/^arn:aws[a-z-]*:iam::(\d{12}|\*):role\/\S+$/.test(role))
      throw new Error(`passRoles: ${role} is not a role ARN (arn:aws:iam::<account>:role/<name>)`);
  for (const key of ['codeDeployApplications', 'codeDeployGroups', 'codeDeployConfigs'])
    for (const name of params[key])
      if (/[:/]/.test(name)) throw new Error(`${key}: ${name} is not a name (no ':' or '/': the ARNs are built)`);
  return params;
}

/** The ARN of the action's resource type, its `${Name}`s filled in. */
function arnOf(action, type, params, names) {
  const entry = resourceTypes[action];
  const found = entry?.resourceTypes.find((r) => r.type === type);
  if (!found) throw new Error(`${action} has no resource type ${type} in scripts/iam-resource-types.json`);
  const values = { Partition: params.partition, Region: params.region, Account: params.account, ...names };
  return found.arn.replace(/\$\{(\w+)\}/g, (_, name) => {
    if (values[name] === undefined) throw new Error(`${action}: no value for \${${name}} in ${found.arn}`);
    return values[name];
  });
}

/** Every combination of the lists' values, as one object each. */
function combinations(lists) {
  return Object.entries(lists).reduce(
    (acc, [key, values]) => acc.flatMap((partial) => values.map((v) => ({ ...partial, [key]: v }))),
    [{}],
  );
}

const unique = (values) => [...new Set(values)];

/** The statements, unscoped actions aside: each action with the ARNs AWS lets it be scoped to. */
function scopedStatements(params, actions) {
  const has = (a) => actions.includes(a);
  const only = (list) => list.filter(has);
  const starts = params.namePrefixes.map((p) => `${p}*`);
  const arns = (action, type, lists) => unique(combinations(lists).map((names) => arnOf(action, type, params, names)));
  const services = (action) =>
    arns(action, 'service', { ClusterName: params.clusters, ServiceName: [...starts, ...params.services] });
  const families = (action) =>
    arns(action, 'task-definition', {
      TaskDefinitionFamilyName: [...starts, ...params.families],
      TaskDefinitionRevisionNumber: ['*'],
    });
  const lb = { LoadBalancerName: params.loadBalancers, LoadBalancerId: ['*'] };
  const ownTargetGroups = (action) => arns(action, 'targetgroup', { TargetGroupName: starts, TargetGroupId: ['*'] });
  const rules = (action) => arns(action, 'listener-rule/app', { ...lb, ListenerId: ['*'], ListenerRuleId: ['*'] });
  const zones = (action) => arns(action, 'hostedzone', { Id: params.hostedZones });
  const deploymentGroups = (action) =>
    arns(action, 'deploymentgroup', {
      ApplicationName: params.codeDeployApplications,
      DeploymentGroupName: params.codeDeployGroups,
    });
  const tagged = (key) => ({ Null: { [`${key}/${deploymentTag}`]: 'false' } });
  return [
    {
      Sid: 'EcsServices',
      Action: only(['ecs:CreateService', 'ecs:UpdateService', 'ecs:DeleteService', 'ecs:DescribeServices']),
      Resource: services('ecs:UpdateService'),
    },
    {
      Sid: 'EcsClusters',
      Action: only(['ecs:DescribeClusters']),
      Resource: arns('ecs:DescribeClusters', 'cluster', { ClusterName: params.clusters }),
    },
    {
      Sid: 'TaskDefinitionFamilies',
      Action: only(['ecs:RegisterTaskDefinition']),
      Resource: families('ecs:RegisterTaskDefinition'),
    },
    {
      // Tags on create (the deployment's) and the known-good tag of a rolling-updated service.
      Sid: 'EcsTags',
      Action: only(['ecs:TagResource']),
      Resource: [...services('ecs:TagResource'), ...families('ecs:TagResource')],
    },
    {
      Sid: 'CreateTaggedTargetGroups',
      Action: only(['elasticloadbalancing:CreateTargetGroup']),
      Resource: ownTargetGroups('elasticloadbalancing:CreateTargetGroup'),
      Condition: tagged('aws:RequestTag'),
    },
    {
      Sid: 'ChangeOwnTargetGroups',
      Action: only(['elasticloadbalancing:ModifyTargetGroupAttributes', 'elasticloadbalancing:DeleteTargetGroup']),
      Resource: ownTargetGroups('elasticloadbalancing:DeleteTargetGroup'),
      Condition: tagged('aws:ResourceTag'),
    },
    {
      // Only as part of the create that tags (https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/tagging-resources-during-creation.html).
      Sid: 'TagOnCreateOnly',
      Action: only(['elasticloadbalancing:AddTags']),
      Resource: [...ownTargetGroups('elasticloadbalancing:AddTags'), ...rules('elasticloadbalancing:AddTags')],
      Condition: { StringEquals: { 'elasticloadbalancing:CreateAction': ['CreateTargetGroup', 'CreateRule'] } },
    },
    {
      Sid: 'ListenersOfTheLoadBalancers',
      Action: only(['elasticloadbalancing:CreateListener']),
      Resource: arns('elasticloadbalancing:CreateListener', 'loadbalancer/app/', lb),
    },
    {
      Sid: 'RulesOfTheLoadBalancers',
      Action: only(['elasticloadbalancing:CreateRule']),
      Resource: arns('elasticloadbalancing:CreateRule', 'listener/app', { ...lb, ListenerId: ['*'] }),
    },
    {
      // The rules Switchyard creates and the production rules it adopts (not tagged by Switchyard).
      Sid: 'ChangeRulesOfTheLoadBalancers',
      Action: only(['elasticloadbalancing:ModifyRule', 'elasticloadbalancing:DeleteRule']),
      Resource: rules('elasticloadbalancing:ModifyRule'),
    },
    {
      Sid: 'HostedZones',
      Action: only(['route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets']),
      Resource: zones('route53:ChangeResourceRecordSets'),
    },
    {
      Sid: 'RecordChanges',
      Action: only(['route53:GetChange']),
      Resource: arns('route53:GetChange', 'change', { Id: ['*'] }),
    },
    {
      Sid: 'Alarms',
      Action: only(['cloudwatch:DescribeAlarms', 'cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms']),
      Resource: arns('cloudwatch:DescribeAlarms', 'alarm', { AlarmName: ['*'] }),
    },
    {
      Sid: 'ImageDigests',
      Action: only(['ecr:DescribeImages']),
      Resource: unique(
        params.repositories.map((name) =>
          arnOf('ecr:DescribeImages', 'repository', { ...params, region: '*', account: '*' }, { RepositoryName: name }),
        ),
      ),
    },
    {
      // A deployment is read by its group's ARN (GetDeployment, BatchGetDeployments).
      Sid: 'CodeDeployDeploymentGroups',
      Action: only([
        'codedeploy:GetDeploymentGroup',
        'codedeploy:ListDeployments',
        'codedeploy:BatchGetDeployments',
        'codedeploy:GetDeployment',
        'codedeploy:CreateDeployment',
      ]),
      Resource: deploymentGroups('codedeploy:CreateDeployment'),
    },
    {
      Sid: 'CodeDeployConfigs',
      Action: only(['codedeploy:GetDeploymentConfig']),
      Resource: arns('codedeploy:GetDeploymentConfig', 'deploymentconfig', {
        DeploymentConfigurationName: params.codeDeployConfigs,
      }),
    },
    {
      // What CreateDeployment checks on the application: either, by the revision's type (both granted).
      Sid: 'CodeDeployApplicationRevisions',
      Action: only(['codedeploy:GetApplicationRevision', 'codedeploy:RegisterApplicationRevision']),
      Resource: arns('codedeploy:GetApplicationRevision', 'application', {
        ApplicationName: params.codeDeployApplications,
      }),
    },
  ].map((statement) => ({ Sid: statement.Sid, Effect: 'Allow', ...statement }));
}

/**
 * Actions AWS lets no policy scope (no resource type in the Service Authorization Reference), and those
 * whose resource AWS names only once it exists: Application Auto Scaling's scalable targets
 * (`scalable-target/<id AWS generates>`), limited to ECS by a condition.
 */
function unscopedStatements(actions) {
  const scaling = [
    'application-autoscaling:RegisterScalableTarget',
    'application-autoscaling:PutScalingPolicy',
    'application-autoscaling:DeregisterScalableTarget',
  ];
  const none = actions.filter((a) => resourceTypes[a] && resourceTypes[a].resourceTypes.length === 0);
  return [
    { Sid: 'UnscopableByAws', Effect: 'Allow', Action: none, Resource: '*' },
    {
      Sid: 'EcsScalableTargets',
      Effect: 'Allow',
      Action: scaling.filter((a) => actions.includes(a)),
      Resource: '*',
      Condition: { StringEquals: { 'application-autoscaling:service-namespace': 'ecs' } },
    },
  ];
}

function workerPolicy(given = {}) {
  const params = checkedParams(given);
  const actions = commandActions().filter((a) => !a.startsWith('sts:'));
  const missing = actions.filter((a) => !a.startsWith('iam:') && !resourceTypes[a]);
  if (missing.length)
    throw new Error(`${missing.join(', ')}: add the resource types AWS gives to scripts/iam-resource-types.json`);
  const role = (name) => arnOf('iam:CreateRole', 'role', params, { RoleNameWithPath: name });
  // The task roles Switchyard creates (src/activities/iam.ts: /switchyard/switchyard-<service>-<env>-task|execution).
  const newRoles = role('switchyard/switchyard-*');
  // Roles made before they lived at /switchyard/: read and passed, never changed.
  const roles = [newRoles, role('switchyard-*')];
  // The task roles' permissions boundary (examples/iam/task-role-boundary.json), as the worker names it.
  const boundary = arnOf('iam:CreatePolicyVersion', 'policy', params, { PolicyNameWithPath: params.roleBoundary });
  const special = ['iam:PassRole', 'iam:CreateServiceLinkedRole', ...widening];
  const iam = actions.filter((a) => a.startsWith('iam:') && !special.includes(a));
  const reads = iam.filter((a) => /^iam:(Get|List)/.test(a));
  const changes = iam.filter((a) => !reads.includes(a));
  // A boundary in another account cannot be attached, so any account's name is as strict as this one's.
  const bounded = { StringLike: { 'iam:PermissionsBoundary': boundary } };
  const statements = [
    ...unscopedStatements(actions),
    ...scopedStatements(params, actions),
    // The task and execution roles Switchyard names (switchyard-<service>-<env>-task|execution).
    { Sid: 'ReadTaskRoles', Effect: 'Allow', Action: reads, Resource: roles },
    { Sid: 'ChangeOwnTaskRoles', Effect: 'Allow', Action: changes, Resource: [newRoles] },
    // Created, given inline policies or managed ones only within the boundary: no role the worker
    // makes or widens can do more than examples/iam/task-role-boundary.json allows.
    {
      Sid: 'CreateAndWidenOnlyWithinTheBoundary',
      Effect: 'Allow',
      Action: widening.filter((a) => a !== 'iam:AttachRolePolicy' && actions.includes(a)),
      Resource: [newRoles],
      Condition: bounded,
    },
    {
      Sid: 'AttachOnlyTheExecutionPolicy',
      Effect: 'Allow',
      Action: ['iam:AttachRolePolicy'],
      Resource: [newRoles],
      Condition: { ...bounded, ArnEquals: { 'iam:PolicyARN': attachable } },
    },
    {
      Sid: 'NoBoundaryChanges',
      Effect: 'Deny',
      Action: ['iam:DeleteRolePermissionsBoundary', 'iam:PutRolePermissionsBoundary'],
      Resource: '*',
    },
    {
      Sid: 'NoBoundaryPolicyEdits',
      Effect: 'Deny',
      Action: ['iam:CreatePolicyVersion', 'iam:DeletePolicy', 'iam:DeletePolicyVersion', 'iam:SetDefaultPolicyVersion'],
      Resource: [boundary],
    },
    {
      // Switchyard's roles and those the specs name (a rolling update re-registers the running revision's).
      Sid: 'PassTaskRolesToEcs',
      Effect: 'Allow',
      Action: ['iam:PassRole'],
      Resource: unique([...roles, ...params.passRoles]),
      Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    },
    ...(actions.includes('iam:CreateServiceLinkedRole')
      ? [
          {
            Sid: 'EcsAutoScalingServiceLinkedRole',
            Effect: 'Allow',
            Action: ['iam:CreateServiceLinkedRole'],
            Resource: role(`aws-service-role/${scalingRole}/AWSServiceRoleForApplicationAutoScaling_ECSService`),
            Condition: { StringLike: { 'iam:AWSServiceName': scalingRole } },
          },
        ]
      : []),
  ];
  return { Version: '2012-10-17', Statement: statements.filter((s) => s.Action.length > 0) };
}

module.exports = {
  commandActions,
  workerPolicy,
  resourceTypes,
  widening,
  policyFile: path.join(root, 'examples', 'iam', 'worker-policy.json'),
};

const usage = `usage: node scripts/worker-policy.js [--params FILE] [--write]
  prints the worker's IAM policy; --params FILE (JSON) scopes it to your account, clusters and names:
  ${paramsSchema.join(', ')}; --write updates examples/iam/worker-policy.json (unscoped)`;

if (require.main === module) {
  try {
    const args = process.argv.slice(2);
    const at = args.indexOf('--params');
    const unknown = args.filter((a, i) => !['--params', '--write'].includes(a) && !(at >= 0 && i === at + 1));
    if (unknown.length || (at >= 0 && !args[at + 1])) throw new Error(usage);
    if (at >= 0 && args.includes('--write')) throw new Error('--write writes the unscoped example; drop --params');
    const params = at >= 0 ? JSON.parse(fs.readFileSync(args[at + 1], 'utf8')) : {};
    const text = `${JSON.stringify(workerPolicy(params), null, 2)}\n`;
    if (args.includes('--write')) fs.writeFileSync(module.exports.policyFile, text);
    else process.stdout.write(text);
  } catch (err) {
    process.stderr.write(`worker-policy: ${err.message}\n`);
    process.exit(1);
  }
}
