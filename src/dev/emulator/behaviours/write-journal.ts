// The account's write journal: every call that changed something (AWS answered it 2xx and it is not a
// read), in the order AWS answered, each as its operation and the resource it changed, named as a person
// reads it (a target group by name, a listener rule by its host, a record by its name). What
// `switchyard plan` says a deployment will change is held against it (test/e2e/plan.test.ts).
import { parseXml, type XmlElement } from '../xml';

export interface JournalEntry {
  /** "ECS.CreateService", "ELBv2.ModifyRule"… */
  operation: string;
  /** The resource it changed: "web-prod-1a2b3c4d", "host web.example.com"… */
  subject: string;
  /** For a listener rule's forward: its target groups and weights ("web-prod-1a2b3c4d=90, …"). */
  detail?: string;
}

/** Reads, which change nothing: Describe*, List*, Get*, and the dry checks. */
export function isWrite(action: string): boolean {
  return !/^(Describe|List|Get|Test|Simulate)/.test(action);
}

/** ARN to the name a person reads: a target group's name, a role's, a service's, a revision's family:revision. */
function shortName(arnOrName: string): string {
  const tg = /:targetgroup\/([^/]+)\//.exec(arnOrName);
  if (tg) return tg[1];
  const td = /:task-definition\/(.+)$/.exec(arnOrName);
  if (td) return td[1];
  const named = /:(?:role|service)\/(?:[^/]+\/)?([^/]+)$/.exec(arnOrName);
  return named ? named[1] : arnOrName;
}

function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}

function members(el: XmlElement | undefined): XmlElement[] {
  return el?.children.filter((c) => c.name === 'member') ?? [];
}

export class WriteJournal {
  readonly entries: JournalEntry[] = [];
  /** Rule ARN → the host its host-header condition names, learned from the rules AWS described or created. */
  private readonly hostOfRule = new Map<string, string>();

  clear(): void {
    this.entries.length = 0;
  }

  /** Called with each call AWS answered 2xx: reads teach rule hosts, writes are journaled. */
  answered(
    call: { operation: string; action: string; protocol: string; labels: Record<string, string> },
    request: string,
    response: string,
  ): void {
    if (call.operation === 'ELBv2.DescribeRules' || call.operation === 'ELBv2.CreateRule') this.learnRules(response);
    if (!isWrite(call.action)) return;
    const entry = this.describe(call, request);
    if (entry) this.entries.push(entry);
  }

  private learnRules(response: string): void {
    try {
      const root = parseXml(response);
      const result = child(root, `${root.name.replace(/Response$/, '')}Result`);
      for (const rule of members(child(result, 'Rules'))) {
        const arn = child(rule, 'RuleArn')?.text;
        const host = members(child(rule, 'Conditions'))
          .map(
            (c) =>
              members(child(child(c, 'HostHeaderConfig'), 'Values'))[0]?.text ?? members(child(c, 'Values'))[0]?.text,
          )
          .find((h) => h);
        if (arn && host) this.hostOfRule.set(arn, host);
      }
    } catch {
      // Not a rule listing this journal can read: its rules keep their ARNs.
    }
  }

  private rule(arn: string | null): string {
    return arn ? `host ${this.hostOfRule.get(arn) ?? arn}` : 'rule';
  }

  private describe(
    call: { operation: string; protocol: string; labels: Record<string, string> },
    request: string,
  ): JournalEntry | undefined {
    const { operation } = call;
    if (call.protocol === 'query') {
      const p = new URLSearchParams(request);
      const forward = () =>
        [...p.entries()]
          .filter(([k]) => /^Actions\.member\.1\.ForwardConfig\.TargetGroups\.member\.\d+\.TargetGroupArn$/.test(k))
          .map(([k, arn]) => `${shortName(arn)}=${p.get(k.replace(/TargetGroupArn$/, 'Weight')) ?? '1'}`)
          .join(', ') ||
        (p.get('Actions.member.1.TargetGroupArn')
          ? `${shortName(p.get('Actions.member.1.TargetGroupArn')!)}=1`
          : undefined);
      switch (operation) {
        case 'ELBv2.CreateRule': {
          const host = [...p.entries()].find(([k]) =>
            /Conditions\.member\.\d+\.(HostHeaderConfig\.)?Values\.member\.1$/.test(k),
          )?.[1];
          return { operation, subject: `host ${host ?? '?'}`, detail: `priority ${p.get('Priority')}; ${forward()}` };
        }
        case 'ELBv2.CreateListener': {
          return { operation, subject: `port ${p.get('Port')}` };
        }
        case 'ELBv2.ModifyRule':
          return { operation, subject: this.rule(p.get('RuleArn')), detail: forward() };
        case 'ELBv2.DeleteRule':
          return { operation, subject: this.rule(p.get('RuleArn')) };
        case 'ELBv2.SetRulePriorities':
          return {
            operation,
            subject: [...p.entries()]
              .filter(([k]) => k.endsWith('.RuleArn'))
              .map(([, arn]) => this.rule(arn))
              .join(', '),
          };
        case 'ELBv2.AddTags':
        case 'ELBv2.RemoveTags':
          return { operation, subject: shortName(p.get('ResourceArns.member.1') ?? '?') };
        default: {
          const named =
            p.get('Name') ?? p.get('RoleName') ?? p.get('TargetGroupArn') ?? p.get('ListenerArn') ?? p.get('PolicyArn');
          return { operation, subject: shortName(named ?? '?') };
        }
      }
    }
    if (call.protocol === 'rest-xml') {
      if (operation !== 'Route53.ChangeResourceRecordSets')
        return { operation, subject: Object.values(call.labels).join('/') };
      const batch = child(child(parseXml(request), 'ChangeBatch'), 'Changes');
      const changes = (batch?.children ?? []).map((c) => {
        const set = child(c, 'ResourceRecordSet');
        return `${child(c, 'Action')?.text} ${child(set, 'Type')?.text} ${child(set, 'Name')?.text.replace(/\.$/, '')}`;
      });
      return { operation, subject: changes.join('; ') };
    }
    const body = JSON.parse(request || '{}') as Record<string, unknown>;
    const named = ['serviceName', 'service', 'family', 'taskDefinition', 'ResourceId', 'resourceArn', 'RoleName']
      .map((k) => body[k])
      .find((v): v is string => typeof v === 'string');
    return { operation, subject: shortName(named ?? '?') };
  }
}
