import {
  ChangeResourceRecordSetsCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { attempt } from './errors';

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

export function createRoute53Activities(route53: Route53Client) {
  async function findARecord(zoneId: string, name: string) {
    const wanted = absoluteDnsName(name);
    const out = await attempt(`read the ${wanted} record`, () =>
      route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: wanted, StartRecordType: 'A', MaxItems: 1 })),
    );
    return out.ResourceRecordSets?.find((r) => r.Name?.toLowerCase() === wanted && r.Type === 'A');
  }

  return {
    /** The hosted zone with exactly this name, or undefined. */
    async findHostedZone(name: string): Promise<HostedZoneSummary | undefined> {
      const wanted = absoluteDnsName(name);
      const out = await attempt(`look up Route 53 hosted zone ${wanted}`, () =>
        route53.send(new ListHostedZonesByNameCommand({ DNSName: wanted, MaxItems: 1 })),
      );
      const zone = out.HostedZones?.find((z) => z.Name?.toLowerCase() === wanted);
      if (!zone?.Id) return undefined;
      return { id: zone.Id.replace(/^\/hostedzone\//, ''), name: wanted, privateZone: zone.Config?.PrivateZone ?? false };
    },

    /** UPSERT of an A alias to the load balancer (idempotent by nature). */
    async upsertAliasRecord(input: AliasRecordInput): Promise<void> {
      await attempt(`point ${input.name} at ${input.targetDnsName}`, () =>
        route53.send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: input.zoneId,
            ChangeBatch: {
              Comment: 'Switchyard',
              Changes: [
                {
                  Action: 'UPSERT',
                  ResourceRecordSet: {
                    Name: absoluteDnsName(input.name),
                    Type: 'A',
                    AliasTarget: { DNSName: input.targetDnsName, HostedZoneId: input.targetZoneId, EvaluateTargetHealth: false },
                  },
                },
              ],
            },
          }),
        ),
      );
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
