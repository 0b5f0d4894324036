import type pg from 'pg';
import { RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { translate } from './db.js';

/** Counters in the shared database, so a limit holds however requests spread over instances. */
class SharedCounter extends RateLimiterPostgres {
  // A database outage must answer 503 like every other store call, not 500.
  override async consume(key: string | number, points?: number, options?: { [key: string]: unknown }): Promise<RateLimiterRes> {
    try {
      return await super.consume(key, points, options);
    } catch (e) {
      throw e instanceof RateLimiterRes ? e : translate(e);
    }
  }
}

export function sharedRateLimiter(pool: pg.Pool, bucket: string, settings: { points: number; seconds: number }): RateLimiterAbstract {
  return new SharedCounter({
    storeClient: pool, storeType: 'pool', tableName: 'rate_limits', tableCreated: true,
    keyPrefix: bucket, points: settings.points, duration: settings.seconds,
  });
}
