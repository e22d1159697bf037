// The fields a described revision carries that RegisterTaskDefinition does not take, from the ECS API
// model itself: a rolling update registers the running revision again without them, and the conformance
// layer refuses any unknown member, so a field missing from the list would fail every such update.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { readToolPaths } from '../../src/dev/tools';
import { describedOnlyTaskDefinitionFields } from '../../src/shared/deployment';

interface Shape {
  members?: Record<string, unknown>;
}

it('describedOnlyTaskDefinitionFields are exactly the TaskDefinition members RegisterTaskDefinition lacks', () => {
  const dir = path.join(readToolPaths().awsModels, 'ecs');
  const [version] = fs.readdirSync(dir);
  const model = JSON.parse(
    zlib.gunzipSync(fs.readFileSync(path.join(dir, version, 'service-2.json.gz'))).toString(),
  ) as {
    shapes: Record<string, Shape>;
  };
  const described = Object.keys(model.shapes.TaskDefinition.members ?? {});
  const taken = new Set(Object.keys(model.shapes.RegisterTaskDefinitionRequest.members ?? {}));
  expect([...describedOnlyTaskDefinitionFields].sort()).toEqual(described.filter((m) => !taken.has(m)).sort());
});
