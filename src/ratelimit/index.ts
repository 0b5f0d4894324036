import { createHash } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateBucket, RateDecision, RateLimiter } from '../domain/ports.js';

export interface RateLimitSettings {
  points: number;
  seconds: number;
}

export type RateLimitConfig = Record<RateBucket, RateLimitSettings>;

/**
 * Fixed-window counters from rate-limiter-flexible. Keys are hashed: an email address or token
 * never sits in a limiter's memory or table as it is.
 */
export function createRateLimiter(config: RateLimitConfig, make: (bucket: RateBucket, s: RateLimitSettings) => RateLimiterAbstract = memory): RateLimiter {
  const limiters = new Map<RateBucket, RateLimiterAbstract>();
  for (const bucket of Object.keys(config) as RateBucket[]) limiters.set(bucket, make(bucket, config[bucket]));
  return {
    async consume(bucket: RateBucket, key: string): Promise<RateDecision> {
      const limiter = limiters.get(bucket)!;
      try {
        await limiter.consume(createHash('sha256').update(key).digest('base64url'));
        return { allowed: true };
      } catch (e) {
        if (e instanceof RateLimiterRes) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(e.msBeforeNext / 1000)) };
        throw e;
      }
    },
  };
}

function memory(bucket: RateBucket, s: RateLimitSettings): RateLimiterAbstract {
  return new RateLimiterMemory({ keyPrefix: bucket, points: s.points, duration: s.seconds });
}
