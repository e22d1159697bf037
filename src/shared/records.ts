// Route 53 record sets as the workflow reasons about them (plain data; safe for workflow code).

/** A record set as Route 53 lists it: the fields Switchyard reads (the rest is carried as it is). */
export interface RecordSnapshot {
  Name?: string;
  Type?: string;
  SetIdentifier?: string;
  TTL?: number;
  AliasTarget?: { DNSName?: string; HostedZoneId?: string; EvaluateTargetHealth?: boolean };
  ResourceRecords?: { Value?: string }[];
}

/** Whether the record is an alias to this load balancer (Route 53 may keep it as dualstack.<name>.). */
export function aliasesTo(record: RecordSnapshot, dnsName: string): boolean {
  const bare = (name: string) =>
    name
      .toLowerCase()
      .replace(/\.$/, '')
      .replace(/^dualstack\./, '');
  return record.AliasTarget?.DNSName !== undefined && bare(record.AliasTarget.DNSName) === bare(dnsName);
}

/** "CNAME old-web.example.net, A 192.0.2.10": what a record set points at, for messages. */
export function describeRecords(records: RecordSnapshot[]): string {
  return records
    .map(
      (r) =>
        `${r.Type} ${r.AliasTarget?.DNSName ? `alias ${r.AliasTarget.DNSName}` : (r.ResourceRecords ?? []).map((v) => v.Value).join(' ')}${r.SetIdentifier ? ` (set ${r.SetIdentifier})` : ''}`,
    )
    .join(', ');
}
