// The worker's IAM policy (examples/iam/worker-policy.json) is generated from the AWS commands the code
// imports: adding a command without regenerating it (node scripts/worker-policy.js --write) fails here.
import fs from 'node:fs';

import { commandActions, policyFile, workerPolicy } from '../../scripts/worker-policy';

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
      ]),
    );
    expect(commandActions()).not.toContain('ec2:DescribeVpcs');
  });
});
