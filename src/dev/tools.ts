// Where the locally installed real parts are: written by scripts/setup.js into .switchyard/tools.json.
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../shared/errors';

export interface ToolPaths {
  python: string;
  temporal: string;
  temporalTestServer: string;
  /** botocore's data directory: the AWS API models (service-2.json.gz) the conformance layer checks against. */
  awsModels: string;
  /** actionlint, built by Go (the workflow-file lint in npm test); null when setup found no Go toolchain. */
  actionlint?: string | null;
}

/** The project's .switchyard folder (venv, tool manifest, dev state); SWITCHYARD_HOME moves it. */
export function switchyardHome(env: NodeJS.ProcessEnv = process.env): string {
  // src/dev and dist/dev are both two levels below the project root.
  return env.SWITCHYARD_HOME ? path.resolve(env.SWITCHYARD_HOME) : path.resolve(__dirname, '..', '..', '.switchyard');
}

export function readToolPaths(env: NodeJS.ProcessEnv = process.env): ToolPaths {
  const manifest = path.join(switchyardHome(env), 'tools.json');
  let parsed: Partial<ToolPaths>;
  try {
    parsed = JSON.parse(fs.readFileSync(manifest, 'utf8'));
  } catch {
    throw new UserError(
      `the local Temporal and AWS emulator are not installed (${manifest} is missing). Run \`npm run setup\`.`,
    );
  }
  for (const key of ['python', 'temporal', 'temporalTestServer', 'awsModels'] as const) {
    const file = parsed[key];
    if (!file || !fs.existsSync(file)) {
      throw new UserError(
        `${key} is missing (${file ?? 'not recorded'}). Run \`npm run setup\` to reinstall the local tools.`,
      );
    }
  }
  return parsed as ToolPaths;
}
