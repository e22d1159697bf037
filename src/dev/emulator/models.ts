// Requests checked against the AWS API models, the way the services check them before they act:
// botocore's service-2.json models (pinned in tools/requirements.txt, installed into the venv by
// scripts/setup.js) are what the AWS SDKs are generated from. Each protocol's request is read back into
// the operation's input structure (JSON: the body; query: `Action` and the flattened parameters; REST-XML:
// the URI, query string and XML body), then checked: required members, types, numeric ranges, lengths,
// patterns, enums and members the model does not know.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { parseXml, type XmlElement } from './xml';

export type ModelService =
  | 'ECS'
  | 'ECR'
  | 'ELBv2'
  | 'IAM'
  | 'Route53'
  | 'CloudWatch'
  | 'ApplicationAutoScaling'
  | 'CodeDeploy';
export type ConstraintKind = 'required' | 'type' | 'range' | 'length' | 'pattern' | 'enum' | 'unknown';

export interface ModelViolation {
  kind: ConstraintKind;
  /** Where in the input, as AWS names it: `loadBalancers.1.containerPort`. */
  at: string;
  /** AWS's wording: "Value 'x' at 'y' failed to satisfy constraint: Member must ...". */
  message: string;
}

interface Shape {
  type: string;
  members?: Record<string, MemberRef>;
  required?: string[];
  member?: MemberRef;
  key?: MemberRef;
  value?: MemberRef;
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  flattened?: boolean;
  union?: boolean;
  document?: boolean;
}

interface MemberRef {
  shape: string;
  location?: 'uri' | 'querystring' | 'header' | 'headers' | 'statusCode';
  locationName?: string;
  flattened?: boolean;
}

interface Operation {
  name: string;
  http?: { method: string; requestUri: string };
  input?: { shape: string; locationName?: string };
}

interface RawModel {
  metadata: { protocol: string };
  operations: Record<string, Operation>;
  shapes: Record<string, Shape>;
}

/** botocore's directory and version of each service Switchyard calls. */
const modelFiles: Record<ModelService, string> = {
  ECS: 'ecs/2014-11-13',
  ECR: 'ecr/2015-09-21',
  ELBv2: 'elbv2/2015-12-01',
  IAM: 'iam/2010-05-08',
  Route53: 'route53/2013-04-01',
  CloudWatch: 'cloudwatch/2010-08-01',
  ApplicationAutoScaling: 'application-autoscaling/2016-02-06',
  CodeDeploy: 'codedeploy/2014-10-06',
};

export class ServiceModel {
  private readonly patterns = new Map<string, RegExp | null>();
  private readonly routes: { method: string; regex: RegExp; names: string[]; operation: Operation }[];

  constructor(
    readonly service: ModelService,
    private readonly raw: RawModel,
  ) {
    this.routes = Object.values(raw.operations)
      .filter((op) => op.http)
      .map((op) => {
        const names: string[] = [];
        const [pathPart] = op.http!.requestUri.split('?');
        const source = pathPart
          .replace(/\/$/, '')
          .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
          .replace(/\{([^}]+?)(\+?)\}/g, (_, name: string, greedy: string) => {
            names.push(name);
            return greedy ? '(.+)' : '([^/]+)';
          });
        return { method: op.http!.method, regex: new RegExp(`^${source}/?$`), names, operation: op };
      })
      // The most specific template first: more literal characters.
      .sort(
        (a, b) => b.regex.source.replace(/\([^)]*\)/g, '').length - a.regex.source.replace(/\([^)]*\)/g, '').length,
      );
  }

  has(operation: string): boolean {
    return operation in this.raw.operations;
  }

  /** A REST operation by its method and path: its name and the URI's labels. */
  route(method: string, urlPath: string): { operation: string; labels: Record<string, string> } | undefined {
    for (const r of this.routes) {
      if (r.method !== method) continue;
      const match = r.regex.exec(urlPath);
      if (match)
        return {
          operation: r.operation.name,
          labels: Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(match[i + 1])])),
        };
    }
    return undefined;
  }

  /** JSON protocols: the body is the input structure, by member name. */
  checkJson(operation: string, body: string): ModelViolation[] {
    const shape = this.inputShape(operation);
    let input: unknown;
    try {
      input = body ? JSON.parse(body) : {};
    } catch {
      return [{ kind: 'type', at: '', message: 'Start of structure or map found where not expected.' }];
    }
    return shape ? this.check(shape, input, '') : [];
  }

  /** Query protocols: `Name.member.N`, `Name.entry.N.key`, `Parent.Child`, by member (or location) name. */
  checkQuery(operation: string, body: string): ModelViolation[] {
    const shape = this.inputShape(operation);
    if (!shape) return [];
    const params = new Map(new URLSearchParams(body));
    params.delete('Action');
    params.delete('Version');
    const input = this.fromQuery(shape, params, '');
    const violations = [...params.keys()].map((key) => unknownMember(key));
    return [...violations, ...this.check(shape, input, '')];
  }

  /** REST-XML: labels from the path, members from the query string, headers and the XML body. */
  checkRestXml(
    operation: string,
    labels: Record<string, string>,
    query: URLSearchParams,
    headers: Record<string, string | string[] | undefined>,
    body: string,
  ): ModelViolation[] {
    const shapeName = this.raw.operations[operation]?.input?.shape;
    if (!shapeName) return [];
    const shape = this.shape(shapeName);
    let root: XmlElement | undefined;
    try {
      root = body.trim() ? parseXml(body) : undefined;
    } catch (err) {
      return [{ kind: 'type', at: '', message: `The XML you provided was not well-formed: ${(err as Error).message}` }];
    }
    const input: Record<string, unknown> = {};
    const violations: ModelViolation[] = [];
    const bodyChildren = new Map<string, XmlElement[]>();
    for (const child of root?.children ?? [])
      bodyChildren.set(child.name, [...(bodyChildren.get(child.name) ?? []), child]);
    for (const [name, ref] of Object.entries(shape.members ?? {})) {
      const wire = ref.locationName ?? name;
      if (ref.location === 'uri') {
        if (wire in labels) input[name] = this.scalar(this.shape(ref.shape), labels[wire]);
      } else if (ref.location === 'querystring') {
        const values = query.getAll(wire);
        const member = this.shape(ref.shape);
        if (values.length)
          input[name] =
            member.type === 'list'
              ? values.map((v) => this.scalar(this.shape(member.member!.shape), v))
              : this.scalar(member, values[0]);
      } else if (ref.location === 'header') {
        const value = headers[wire.toLowerCase()];
        if (typeof value === 'string') input[name] = this.scalar(this.shape(ref.shape), value);
      } else {
        const found = bodyChildren.get(wire);
        if (found) {
          input[name] = this.fromXml(this.shape(ref.shape), found[0]);
          bodyChildren.delete(wire);
        }
      }
    }
    for (const key of bodyChildren.keys()) violations.push(unknownMember(key));
    const known = new Set(
      Object.entries(shape.members ?? {})
        .filter(([, r]) => r.location === 'querystring')
        .map(([n, r]) => r.locationName ?? n),
    );
    for (const key of new Set(query.keys())) if (!known.has(key)) violations.push(unknownMember(key));
    return [...violations, ...this.check(shapeName, input, '')];
  }

  private inputShape(operation: string): string | undefined {
    return this.raw.operations[operation]?.input?.shape;
  }

  private shape(name: string): Shape {
    const shape = this.raw.shapes[name];
    if (!shape) throw new Error(`${this.service} model has no shape ${name}`);
    return shape;
  }

  private fromQuery(shapeName: string, params: Map<string, string>, prefix: string): unknown {
    const shape = this.shape(shapeName);
    const take = (key: string) => {
      const value = params.get(key);
      params.delete(key);
      return value;
    };
    if (shape.type === 'structure') {
      const out: Record<string, unknown> = {};
      for (const [name, ref] of Object.entries(shape.members ?? {})) {
        const key = `${prefix}${ref.locationName ?? name}`;
        if (![...params.keys()].some((k) => k === key || k.startsWith(`${key}.`))) continue;
        out[name] = this.fromQueryMember(ref, params, key, take);
      }
      return out;
    }
    return this.scalar(shape, take(prefix.replace(/\.$/, '')));
  }

  private fromQueryMember(
    ref: MemberRef,
    params: Map<string, string>,
    key: string,
    take: (k: string) => string | undefined,
  ): unknown {
    const shape = this.shape(ref.shape);
    if (shape.type === 'structure') return this.fromQuery(ref.shape, params, `${key}.`);
    if (shape.type === 'list') {
      // An empty list is sent as `Name=` (the key with no value).
      if (params.get(key) === '') {
        take(key);
        return [];
      }
      const base = shape.flattened || ref.flattened ? key : `${key}.${shape.member!.locationName ?? 'member'}`;
      const out: unknown[] = [];
      for (let i = 1; [...params.keys()].some((k) => k === `${base}.${i}` || k.startsWith(`${base}.${i}.`)); i++) {
        out.push(this.fromQueryMember(shape.member!, params, `${base}.${i}`, take));
      }
      return out;
    }
    if (shape.type === 'map') {
      const out: Record<string, unknown> = {};
      const base = shape.flattened ? key : `${key}.entry`;
      for (let i = 1; params.has(`${base}.${i}.${shape.key!.locationName ?? 'key'}`); i++) {
        const k = take(`${base}.${i}.${shape.key!.locationName ?? 'key'}`)!;
        out[k] = this.fromQueryMember(
          shape.value!,
          params,
          `${base}.${i}.${shape.value!.locationName ?? 'value'}`,
          take,
        );
      }
      return out;
    }
    return this.scalar(shape, take(key));
  }

  private fromXml(shape: Shape, element: XmlElement): unknown {
    if (shape.type === 'structure') {
      const out: Record<string, unknown> = {};
      for (const child of element.children) {
        const entry = Object.entries(shape.members ?? {}).find(([n, r]) => (r.locationName ?? n) === child.name);
        if (!entry) out[`${unknownMark}${child.name}`] = true;
        else out[entry[0]] = this.fromXml(this.shape(entry[1].shape), child);
      }
      return out;
    }
    if (shape.type === 'list') {
      const name = shape.member!.locationName ?? 'member';
      return element.children.map((c) =>
        c.name === name ? this.fromXml(this.shape(shape.member!.shape), c) : { [`${unknownMark}${c.name}`]: true },
      );
    }
    return this.scalar(shape, element.text);
  }

  /** A wire string as the member's type: numbers and booleans parsed, anything unparsable kept as is. */
  private scalar(shape: Shape, value: string | undefined): unknown {
    if (value === undefined) return undefined;
    if ((shape.type === 'integer' || shape.type === 'long') && /^-?\d+$/.test(value)) return Number(value);
    if ((shape.type === 'double' || shape.type === 'float') && value.trim() !== '' && Number.isFinite(Number(value)))
      return Number(value);
    if (shape.type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
    return value;
  }

  private check(shapeName: string, value: unknown, at: string): ModelViolation[] {
    const shape = this.shape(shapeName);
    const fail = (kind: ConstraintKind, constraint: string): ModelViolation[] => [
      { kind, at, message: `Value ${shown(value)} at '${at}' failed to satisfy constraint: Member must ${constraint}` },
    ];
    if (value === undefined || value === null) return [];
    switch (shape.type) {
      case 'structure': {
        if (typeof value !== 'object' || Array.isArray(value)) return fail('type', 'be a structure');
        if (shape.document) return [];
        const record = value as Record<string, unknown>;
        const out: ModelViolation[] = [];
        for (const name of shape.required ?? []) {
          if (record[name] === undefined || record[name] === null)
            out.push({
              kind: 'required',
              at: join(at, name),
              message: `Value null at '${join(at, name)}' failed to satisfy constraint: Member must not be null`,
            });
        }
        for (const [name, member] of Object.entries(record)) {
          const ref = shape.members?.[name];
          if (!ref)
            out.push(unknownMember(join(at, name.startsWith(unknownMark) ? name.slice(unknownMark.length) : name)));
          else out.push(...this.check(ref.shape, member, join(at, name)));
        }
        return out;
      }
      case 'list': {
        if (!Array.isArray(value)) return fail('type', 'be a list');
        const out = lengthCheck(shape, value.length, fail);
        value.forEach((item, i) =>
          out.push(...this.check(shape.member!.shape, item, join(at, String(i + 1), 'member'))),
        );
        return out;
      }
      case 'map': {
        if (typeof value !== 'object' || Array.isArray(value)) return fail('type', 'be a map');
        const entries = Object.entries(value as Record<string, unknown>);
        const out = lengthCheck(shape, entries.length, fail);
        for (const [k, v] of entries)
          out.push(
            ...this.check(shape.key!.shape, k, join(at, 'key')),
            ...this.check(shape.value!.shape, v, join(at, k)),
          );
        return out;
      }
      case 'string': {
        if (typeof value !== 'string') return fail('type', 'be a string');
        if (shape.enum && !shape.enum.includes(value))
          return fail('enum', `satisfy enum value set: [${shape.enum.join(', ')}]`);
        const out = lengthCheck(shape, [...value].length, fail);
        const pattern = shape.pattern === undefined ? null : this.pattern(shape.pattern);
        if (pattern && !pattern.test(value))
          out.push(...fail('pattern', `satisfy regular expression pattern: ${shape.pattern}`));
        return out;
      }
      case 'integer':
      case 'long':
      case 'double':
      case 'float': {
        const integral = shape.type === 'integer' || shape.type === 'long';
        if (typeof value !== 'number' || (integral && !Number.isInteger(value)))
          return fail('type', `be of type ${shape.type}`);
        if (shape.min !== undefined && value < shape.min)
          return fail('range', `have value greater than or equal to ${shape.min}`);
        if (shape.max !== undefined && value > shape.max)
          return fail('range', `have value less than or equal to ${shape.max}`);
        return [];
      }
      case 'boolean':
        return typeof value === 'boolean' ? [] : fail('type', 'be of type boolean');
      case 'timestamp':
        return typeof value === 'number' || (typeof value === 'string' && !Number.isNaN(Date.parse(value)))
          ? []
          : fail('type', 'be a timestamp');
      case 'blob':
        return typeof value === 'string' ? [] : fail('type', 'be a blob');
      default:
        return [];
    }
  }

  /**
   * The model's patterns are Java regular expressions, and AWS matches them against the whole value
   * (IAM refuses the role name "my role" for `[\w+=,.@-]+`). The few JavaScript cannot compile are not
   * checked.
   */
  private pattern(source: string): RegExp | null {
    if (!this.patterns.has(source)) {
      let compiled: RegExp | null = null;
      for (const flags of ['u', '']) {
        try {
          compiled = new RegExp(`^(?:${javaPosixClasses(source)})$`, flags);
          break;
        } catch {
          compiled = null;
        }
      }
      this.patterns.set(source, compiled);
    }
    return this.patterns.get(source)!;
  }
}

/**
 * Java's POSIX classes (US-ASCII only, java.util.regex.Pattern), which JavaScript has no name for:
 * Application Auto Scaling's names are `\p{Print}+`, Route 53's ids `\p{ASCII}+`. Unicode's
 * properties (`\p{L}`) are JavaScript's too, under the u flag.
 */
const posixClasses: Record<string, string> = {
  Print: '\\x20-\\x7E',
  Graph: '\\x21-\\x7E',
  ASCII: '\\x00-\\x7F',
  Alnum: 'A-Za-z0-9',
  Alpha: 'A-Za-z',
  Digit: '0-9',
};

function javaPosixClasses(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const posix = /^\\p\{(\w+)\}/.exec(source.slice(i));
    if (posix && posixClasses[posix[1]] !== undefined) {
      out += inClass ? posixClasses[posix[1]] : `[${posixClasses[posix[1]]}]`;
      i += posix[0].length - 1;
      continue;
    }
    if (source[i] === '\\') {
      out += source.slice(i, i + 2);
      i += 1;
      continue;
    }
    if (source[i] === '[') inClass = true;
    if (source[i] === ']') inClass = false;
    out += source[i];
  }
  return out;
}

/** Marks an XML element the model has no member for (no member name starts with it). */
const unknownMark = '!unknown:';

function lengthCheck(
  shape: Shape,
  length: number,
  fail: (kind: ConstraintKind, constraint: string) => ModelViolation[],
): ModelViolation[] {
  if (shape.min !== undefined && length < shape.min)
    return fail('length', `have length greater than or equal to ${shape.min}`);
  if (shape.max !== undefined && length > shape.max)
    return fail('length', `have length less than or equal to ${shape.max}`);
  return [];
}

function unknownMember(at: string): ModelViolation {
  return { kind: 'unknown', at, message: `Unknown member '${at}': the API model of this operation has no such member` };
}

function join(...parts: string[]): string {
  return parts.filter(Boolean).join('.');
}

function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `'${text.length > 80 ? `${text.slice(0, 77)}...` : text}'`;
}

/** The seven models, read once from botocore's data directory. */
export function loadModels(dataDir: string): Record<ModelService, ServiceModel> {
  const entries = (Object.entries(modelFiles) as [ModelService, string][]).map(([service, dir]) => {
    const file = path.join(dataDir, dir, 'service-2.json.gz');
    if (!fs.existsSync(file)) throw new Error(`the ${service} API model is missing: ${file} (run npm run setup)`);
    const raw = JSON.parse(zlib.gunzipSync(fs.readFileSync(file)).toString('utf8')) as RawModel;
    return [service, new ServiceModel(service, raw)] as const;
  });
  return Object.fromEntries(entries) as Record<ModelService, ServiceModel>;
}
