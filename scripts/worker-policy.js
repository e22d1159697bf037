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

function workerPolicy() {
  const actions = commandActions();
  const special = ['iam:PassRole', 'iam:CreateServiceLinkedRole'];
  const iam = actions.filter((a) => a.startsWith('iam:') && !special.includes(a));
  const rest = actions.filter((a) => !a.startsWith('iam:'));
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'SwitchyardDeployments', Effect: 'Allow', Action: rest, Resource: '*' },
      // Only the task and execution roles Switchyard names (switchyard-<service>-<env>-task|execution).
      { Sid: 'SwitchyardTaskRoles', Effect: 'Allow', Action: iam, Resource: 'arn:aws:iam::*:role/switchyard-*' },
      {
        Sid: 'PassTaskRolesToEcs',
        Effect: 'Allow',
        Action: ['iam:PassRole'],
        Resource: 'arn:aws:iam::*:role/switchyard-*',
        Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      },
      ...(actions.includes('iam:CreateServiceLinkedRole')
        ? [
            {
              Sid: 'EcsAutoScalingServiceLinkedRole',
              Effect: 'Allow',
              Action: ['iam:CreateServiceLinkedRole'],
              Resource: `arn:aws:iam::*:role/aws-service-role/${scalingRole}/AWSServiceRoleForApplicationAutoScaling_ECSService`,
              Condition: { StringLike: { 'iam:AWSServiceName': scalingRole } },
            },
          ]
        : []),
    ],
  };
}

module.exports = { commandActions, workerPolicy, policyFile: path.join(root, 'examples', 'iam', 'worker-policy.json') };

if (require.main === module) {
  const text = `${JSON.stringify(workerPolicy(), null, 2)}\n`;
  if (process.argv.includes('--write')) fs.writeFileSync(module.exports.policyFile, text);
  else process.stdout.write(text);
}
