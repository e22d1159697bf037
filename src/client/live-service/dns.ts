// The Route 53 side of a live service: the public zone its production host is in, and whether the host's
// record is this load balancer's alias (Switchyard can then manage it) or someone else's (left alone).
import {
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { reading, refuse } from './aws-call';

export interface LiveZone {
  id: string;
  name: string;
}

export type LiveRecord = { manage: true } | { manage: false; why: string };

const bare = (name: string) => name.toLowerCase().replace(/\.$/, '');

/** The longest public zone the host is in: a delegated subzone serves its names, not its parent. */
export async function findZone(route53: Route53Client, host: string): Promise<LiveZone> {
  const labels = host.split('.');
  for (let i = 0; i < labels.length - 1; i++) {
    const candidate = labels.slice(i).join('.');
    const out = await reading(`list hosted zones named ${candidate}`, () =>
      route53.send(new ListHostedZonesByNameCommand({ DNSName: candidate, MaxItems: 100 })),
    );
    const zone = (out.HostedZones ?? []).find((z) => bare(z.Name!) === candidate && !z.Config?.PrivateZone);
    if (zone) return { id: zone.Id!.replace(/^\/hostedzone\//, ''), name: candidate };
  }
  return refuse(
    `no public Route 53 hosted zone in this account contains ${host}`,
    "Switchyard routes the stage host through the production host's public zone: create it, or adopt the service from the account that has it",
  );
}

export async function readProductionRecord(
  route53: Route53Client,
  zone: LiveZone,
  host: string,
  loadBalancerDns: string,
): Promise<LiveRecord> {
  const out = await reading(`list the records of ${host} in zone ${zone.name}`, () =>
    route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone.id, StartRecordName: host, MaxItems: 20 })),
  );
  // Only the records that answer for the host's address (a TXT or MX record beside them is not routing).
  const records = (out.ResourceRecordSets ?? []).filter(
    (r) => bare(r.Name!) === host && ['A', 'AAAA', 'CNAME'].includes(r.Type!),
  );
  if (records.length === 0) return { manage: false, why: `${host} has no record in zone ${zone.name}` };
  const lb = bare(loadBalancerDns);
  const ours = (dns: string) => bare(dns).replace(/^dualstack\./, '') === lb;
  const other = records.find((r) => r.SetIdentifier || !r.AliasTarget || !ours(r.AliasTarget.DNSName!));
  if (!other) return { manage: true };
  const why = other.SetIdentifier
    ? `the ${other.Type} record of ${host} is one of a set (${other.SetIdentifier})`
    : other.AliasTarget
      ? `the ${other.Type} record of ${host} is an alias to ${bare(other.AliasTarget.DNSName!)}, not the load balancer`
      : `the ${other.Type} record of ${host} points at ${(other.ResourceRecords ?? []).map((r) => r.Value).join(', ')}, not an alias to the load balancer`;
  return { manage: false, why };
}
