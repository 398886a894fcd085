/**
 * A token bucket per tenant: `ratePerSecond` tokens refill each second up to `burst`. A request
 * that would overdraw it is refused with how long to wait (for Retry-After).
 */
export class TenantRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes `cost` tokens; returns 0 when allowed, else the seconds to wait before retrying. */
  take(tenant: string, cost: number): number {
    if (this.ratePerSecond <= 0) return 0;
    const now = this.now();
    let bucket = this.buckets.get(tenant);
    if (!bucket) {
      bucket = { tokens: this.burst, atMs: now };
      this.buckets.set(tenant, bucket);
    }
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.atMs) / 1000) * this.ratePerSecond);
    bucket.atMs = now;
    // A single request larger than the burst is let through when the bucket is full, or it could never pass.
    if (bucket.tokens >= cost || bucket.tokens >= this.burst) {
      bucket.tokens -= cost;
      return 0;
    }
    return Math.max(1, Math.ceil((cost - bucket.tokens) / this.ratePerSecond));
  }
}
