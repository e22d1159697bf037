// `npm run demo`: the example spec through the whole lifecycle on the embedded stack — v1, then v2 —
// with the tests and approval gates passed automatically, printing each step and where to look.
import path from 'node:path';
import type { SwitchyardClient } from '../client/switchyard-client';
import { formatResult, formatSteps, workflowUrl } from '../cli/output';
import { loadSpec } from '../spec/load';
import { demoImageRefs } from './demo';

export const demoSpecPath = path.resolve(__dirname, '..', '..', 'examples', 'demo', 'spec.yaml');

export async function runDemoDeployments(
  client: SwitchyardClient,
  uiUrl: string,
  print: (line: string) => void,
): Promise<void> {
  const { namespace } = client.config;
  for (const image of demoImageRefs) {
    const spec = loadSpec(demoSpecPath, { image });
    const { deploymentId, handle } = await client.start(spec, 'demo');
    print(`\ndemo: deploying ${spec.service}/${spec.environment} ${image} as ${deploymentId}`);
    print(`demo: watch it at ${workflowUrl(uiUrl, namespace, handle.workflowId, handle.runId)}`);
    const answered = new Set<string>();
    const result = await client.follow(handle, (status, steps) => {
      print(formatSteps(steps));
      const answer =
        status.phase === 'awaiting_tests'
          ? 'tests-passed'
          : status.phase === 'awaiting_approval'
            ? 'approve'
            : undefined;
      if (answer && !answered.has(answer)) {
        answered.add(answer);
        print(`demo: sending ${answer} (as CI or a person would: switchyard ${answer} ${deploymentId})`);
        void client.send(handle, answer, { by: 'demo' });
      }
    });
    print(`demo: ${formatResult(result)}`);
  }
  print(`\ndemo: done. All deployments: ${uiUrl}/namespaces/${namespace}/workflows`);
}
