// API rate limits as AWS applies them: token buckets per account and Region, one per category of
// actions, with the published capacity (burst) and refill rate (sustained). A call that finds its bucket
// empty is refused with the protocol's throttling error; the SDK retries it with back-off, as against AWS.
// These are not the chaos runs' random faults: they fire only when a caller calls too fast.

interface Bucket {
  capacity: number;
  refillPerSecond: number;
}

/** A category: the operations that share one bucket, and the page that publishes it. */
interface Category extends Bucket {
  name: string;
  operations: RegExp;
}

// ECS: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html
// ELBv2: https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/elb-api-throttling.html (and an
//   account-level bucket of 40 / 10 per second shared by all ELB actions)
// Route 53: https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/throttling-api-requests.html (all
//   actions, account level: 50 / 10 per second; unlisted actions take the same per-action default)
// CloudWatch: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html
//   (DescribeAlarms 9 per second: modelled as a bucket of 9 refilled at 9 per second)
// IAM publishes no rate (https://repost.aws/knowledge-center/iam-sts-throttling-error): not throttled here.
const categories: Category[] = [
  { name: 'ECS cluster read', operations: /^ECS\.(DescribeClusters|ListClusters)$/, capacity: 50, refillPerSecond: 20 },
  {
    name: 'ECS cluster modify',
    operations: /^ECS\.(CreateCluster|DeleteCluster|PutClusterCapacityProviders|UpdateCluster|UpdateClusterSettings)$/,
    capacity: 20,
    refillPerSecond: 1,
  },
  {
    name: 'ECS task definition modify',
    operations: /^ECS\.(RegisterTaskDefinition|DeregisterTaskDefinition)$/,
    capacity: 20,
    refillPerSecond: 1,
  },
  {
    name: 'ECS task definition read',
    operations: /^ECS\.(DescribeTaskDefinition|ListTaskDefinitions|ListTaskDefinitionFamilies)$/,
    capacity: 50,
    refillPerSecond: 20,
  },
  { name: 'ECS tag modify', operations: /^ECS\.(TagResource|UntagResource)$/, capacity: 20, refillPerSecond: 10 },
  { name: 'ECS tag read', operations: /^ECS\.ListTagsForResource$/, capacity: 50, refillPerSecond: 20 },
  {
    name: 'ECS service modify',
    operations: /^ECS\.(CreateService|DeleteService|UpdateService)$/,
    capacity: 50,
    refillPerSecond: 5,
  },
  {
    name: 'ECS service read',
    operations: /^ECS\.(DescribeServices|ListServices)$/,
    capacity: 100,
    refillPerSecond: 20,
  },
  {
    name: 'ECS cluster resource read',
    operations: /^ECS\.(DescribeTasks|ListTasks|DescribeContainerInstances|ListContainerInstances|ListAttributes)$/,
    capacity: 100,
    refillPerSecond: 20,
  },
  {
    name: 'ELBv2 registration',
    operations: /^ELBv2\.(RegisterTargets|DeregisterTargets)$/,
    capacity: 20,
    refillPerSecond: 4,
  },
  { name: 'ELBv2 non-mutating', operations: /^ELBv2\.Describe/, capacity: 40, refillPerSecond: 10 },
  {
    name: 'ELBv2 resource-intensive',
    operations: /^ELBv2\.(CreateLoadBalancer|SetSubnets)$/,
    capacity: 10,
    refillPerSecond: 0.2,
  },
  { name: 'ELBv2 mutating', operations: /^ELBv2\./, capacity: 20, refillPerSecond: 3 },
  { name: 'Route 53 per action', operations: /^Route53\./, capacity: 50, refillPerSecond: 10 },
  { name: 'CloudWatch DescribeAlarms', operations: /^CloudWatch\.DescribeAlarms$/, capacity: 9, refillPerSecond: 9 },
];

/** Account-level buckets every call of the service also draws from. */
const accountBuckets: Category[] = [
  { name: 'ELB account', operations: /^ELBv2\./, capacity: 40, refillPerSecond: 10 },
  { name: 'Route 53 account', operations: /^Route53\./, capacity: 50, refillPerSecond: 10 },
];

class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    readonly bucket: Bucket,
    now: number,
  ) {
    this.tokens = bucket.capacity;
    this.at = now;
  }

  available(now: number): number {
    this.tokens = Math.min(this.bucket.capacity, this.tokens + ((now - this.at) / 1000) * this.bucket.refillPerSecond);
    this.at = now;
    return this.tokens;
  }

  take(): void {
    this.tokens -= 1;
  }
}

export class RateLimits {
  private buckets = new Map<string, TokenBucket>();
  /** Calls refused, by bucket. */
  readonly throttled: Record<string, number> = {};

  /** The bucket that refuses this call, or undefined when every bucket it draws from has a token (taken). */
  take(operation: string, now = Date.now()): string | undefined {
    const perAction = categories.find((c) => c.operations.test(operation));
    const draws = [perAction, ...accountBuckets.filter((c) => c.operations.test(operation))].filter(
      (c): c is Category => c !== undefined,
    );
    const buckets = draws.map((c) => ({ name: c.name, bucket: this.bucketOf(c, now) }));
    const empty = buckets.find((b) => b.bucket.available(now) < 1);
    if (empty) {
      this.throttled[empty.name] = (this.throttled[empty.name] ?? 0) + 1;
      return empty.name;
    }
    for (const b of buckets) b.bucket.take();
    return undefined;
  }

  reset(): void {
    this.buckets.clear();
  }

  private bucketOf(category: Category, now: number): TokenBucket {
    let bucket = this.buckets.get(category.name);
    if (!bucket) this.buckets.set(category.name, (bucket = new TokenBucket(category, now)));
    return bucket;
  }
}
