// Every activity takes one input object. Seven took a bare value until issue 13 (a name, an ARN, a list);
// activities that deployments in flight scheduled then carry that value as their argument, so each of
// those accepts both shapes for one release. Remove with the release after 0.2.
export function oneObject<T extends object>(input: T, key: keyof T): T {
  return typeof input === 'object' && input !== null && !Array.isArray(input) ? input : ({ [key]: input } as T);
}
