import { ListHostedZonesByNameCommand, type Route53Client } from '@aws-sdk/client-route-53';
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

export function createRoute53Activities(route53: Route53Client) {
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
  };
}
