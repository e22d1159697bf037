import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  type Change,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { aliasesTo, type RecordSnapshot } from '../shared/records';
import { attempt } from './errors';
import { oneObject } from './inputs';
import { pollUntil, type PollOptions } from './polling';

export interface HostedZoneSummary {
  id: string;
  name: string;
  privateZone: boolean;
}

/** Route 53 names are absolute: "example.com." and "example.com" are the same zone. */
export function absoluteDnsName(name: string): string {
  return name.endsWith('.') ? name.toLowerCase() : `${name.toLowerCase()}.`;
}

export interface AliasRecordInput {
  zoneId: string;
  name: string;
  /** The load balancer's DNS name and its canonical hosted zone id. */
  targetDnsName: string;
  targetZoneId: string;
}

/** The record types that send a host's clients somewhere: what a production host must not lose unasked. */
const addressTypes = ['A', 'AAAA', 'CNAME'];

function aliasRecord(input: AliasRecordInput): ResourceRecordSet {
  return {
    Name: absoluteDnsName(input.name),
    Type: 'A',
    AliasTarget: { DNSName: input.targetDnsName, HostedZoneId: input.targetZoneId, EvaluateTargetHealth: false },
  };
}

export function createRoute53Activities(route53: Route53Client) {
  /** Every A, AAAA and CNAME record set with exactly this name (weighted or latency sets are several). */
  async function recordsAt(zoneId: string, name: string): Promise<RecordSnapshot[]> {
    const wanted = absoluteDnsName(name);
    const out = await attempt(`read the records of ${wanted}`, () =>
      route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: wanted, MaxItems: 20 })),
    );
    return (out.ResourceRecordSets ?? []).filter(
      (r) => r.Name?.toLowerCase() === wanted && addressTypes.includes(r.Type ?? ''),
    ) as RecordSnapshot[];
  }

  /** One atomic change batch; returns its change id (PENDING until every name server has it). */
  async function change(zoneId: string, what: string, changes: Change[]): Promise<string> {
    const out = await attempt(what, () =>
      route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: { Comment: 'Switchyard', Changes: changes },
        }),
      ),
    );
    return out.ChangeInfo?.Id ?? '';
  }

  async function findARecord(zoneId: string, name: string) {
    const wanted = absoluteDnsName(name);
    const out = await attempt(`read the ${wanted} record`, () =>
      route53.send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          StartRecordName: wanted,
          StartRecordType: 'A',
          MaxItems: 1,
        }),
      ),
    );
    return out.ResourceRecordSets?.find((r) => r.Name?.toLowerCase() === wanted && r.Type === 'A');
  }

  return {
    /** The hosted zone with exactly this name, or undefined. */
    async findHostedZone(input: { name: string }): Promise<HostedZoneSummary | undefined> {
      const { name } = oneObject(input, 'name');
      const wanted = absoluteDnsName(name);
      const out = await attempt(`look up Route 53 hosted zone ${wanted}`, () =>
        route53.send(new ListHostedZonesByNameCommand({ DNSName: wanted, MaxItems: 1 })),
      );
      const zone = out.HostedZones?.find((z) => z.Name?.toLowerCase() === wanted);
      if (!zone?.Id) return undefined;
      return {
        id: zone.Id.replace(/^\/hostedzone\//, ''),
        name: wanted,
        privateZone: zone.Config?.PrivateZone ?? false,
      };
    },

    /** UPSERT of an A alias to the load balancer (idempotent by nature); returns the change id. */
    async upsertAliasRecord(input: AliasRecordInput): Promise<string> {
      return change(input.zoneId, `point ${input.name} at ${input.targetDnsName}`, [
        { Action: 'UPSERT', ResourceRecordSet: aliasRecord(input) },
      ]);
    },

    /** The A, AAAA and CNAME record sets at this name, exactly as Route 53 has them. */
    recordsAt: (input: { zoneId: string; name: string }) => recordsAt(input.zoneId, input.name),

    /**
     * Replaces the records a spec allowed Switchyard to overwrite with the alias to the load balancer, in
     * one batch (a CNAME cannot sit beside an A record, so they go in the change that brings the alias).
     * Idempotent: records already replaced are not deleted twice.
     */
    async replaceWithAlias(input: AliasRecordInput & { replacing: RecordSnapshot[] }): Promise<string> {
      const now = await recordsAt(input.zoneId, input.name);
      const stillThere = input.replacing.filter(
        (r) => now.some((n) => sameRecordSet(n, r)) && !aliasesTo(r, input.targetDnsName),
      );
      const deletes: Change[] = stillThere.map((r) => ({
        Action: 'DELETE',
        ResourceRecordSet: r as ResourceRecordSet,
      }));
      // The A record set deleted in this batch is created anew in it (DELETE then CREATE, as Route 53 takes a change).
      const alias: Change = {
        Action: stillThere.some((r) => r.Type === 'A' && !r.SetIdentifier) ? 'CREATE' : 'UPSERT',
        ResourceRecordSet: aliasRecord(input),
      };
      return change(
        input.zoneId,
        `replace ${input.name} (${stillThere.map((r) => r.Type).join(', ') || 'nothing left'}) with an alias to ${input.targetDnsName}`,
        [...deletes, alias],
      );
    },

    /**
     * Puts back the records `replaceWithAlias` replaced, in one batch that also removes the alias: the
     * undo of an overwrite. Idempotent: records already back are not created twice.
     */
    async restoreRecords(input: {
      zoneId: string;
      name: string;
      targetDnsName: string;
      records: RecordSnapshot[];
    }): Promise<void> {
      const now = await recordsAt(input.zoneId, input.name);
      const ours = now.filter(
        (n) => aliasesTo(n, input.targetDnsName) && !input.records.some((r) => sameRecordSet(n, r)),
      );
      const missing = input.records.filter((r) => !now.some((n) => sameRecordSet(n, r)));
      if (ours.length === 0 && missing.length === 0) return;
      await change(input.zoneId, `restore the records of ${input.name}`, [
        ...ours.map((r): Change => ({ Action: 'DELETE', ResourceRecordSet: r as ResourceRecordSet })),
        ...missing.map((r): Change => ({ Action: 'CREATE', ResourceRecordSet: r as ResourceRecordSet })),
      ]);
    },

    /**
     * Heartbeats until the change is INSYNC: every Route 53 name server answers with it. Until then a
     * resolver may still get NXDOMAIN or the old answer (GetChange).
     */
    async waitForDnsChange(input: { changeId: string } & PollOptions): Promise<void> {
      await pollUntil(input, `Route 53 change ${input.changeId} to be INSYNC`, async () => {
        const out = await attempt(`get Route 53 change ${input.changeId}`, () =>
          route53.send(new GetChangeCommand({ Id: input.changeId })),
        );
        const status = out.ChangeInfo?.Status ?? 'unknown';
        return { done: status === 'INSYNC', summary: `change ${input.changeId} ${status}`, value: undefined };
      });
    },

    /** Deletes the A record with this name, exactly as it stands; none is fine. */
    async deleteRecord(input: { zoneId: string; name: string }): Promise<void> {
      const record = await findARecord(input.zoneId, input.name);
      if (!record) return;
      await attempt(`delete the ${input.name} record`, () =>
        route53.send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: input.zoneId,
            ChangeBatch: { Changes: [{ Action: 'DELETE', ResourceRecordSet: record }] },
          }),
        ),
      );
    },

    /** Whether an A record with this name exists (the production record is created once, by the first deployment). */
    async recordExists(input: { zoneId: string; name: string }): Promise<boolean> {
      return (await findARecord(input.zoneId, input.name)) !== undefined;
    },
  };
}

/** The same record set: name, type and (for weighted, latency... sets) set identifier. */
function sameRecordSet(a: RecordSnapshot, b: RecordSnapshot): boolean {
  return (
    a.Name?.toLowerCase() === b.Name?.toLowerCase() &&
    a.Type === b.Type &&
    (a.SetIdentifier ?? '') === (b.SetIdentifier ?? '')
  );
}
