// Brute-force limits of the console's sign-in (OWASP ASVS V2.2), kept in Postgres through
// rate-limiter-flexible so every console process shares them. Failures count per account AND source
// address: after a few, that pair waits, longer after each further failure — so a stranger guessing
// from their address never locks the owner out of their own. An address that fails against many
// accounts is stopped as a whole. Counters are keyed by the e-mail as typed, whether or not an account
// exists, so an unknown account behaves exactly like a known one.
import { RateLimiterPrisma, type RateLimiterRes } from "rate-limiter-flexible";
import type { Db } from "@mailwarden/db";

/** Failures of one account from one address before each further one makes the pair wait. */
export const FREE_FAILURES = 5;
/** The first wait; it doubles with each further failure, up to MAX_WAIT_SECONDS. */
export const FIRST_WAIT_SECONDS = 60;
export const MAX_WAIT_SECONDS = 60 * 60;
/** Failures from one address, across all accounts, in an hour before it is stopped for an hour. */
export const ADDRESS_FAILURES_PER_HOUR = 100;

interface Limiters {
  /** Consecutive failures per account+address (forgotten a day after the last one, or at a success). */
  pairFailures: RateLimiterPrisma;
  /** The wait a pair is under (a block of this limiter). */
  pairWait: RateLimiterPrisma;
  addressFailures: RateLimiterPrisma;
}

const byClient = new WeakMap<Db, Limiters>();

function limiters(prisma: Db): Limiters {
  let found = byClient.get(prisma);
  if (!found) {
    const common = { storeClient: prisma, tableName: "rateLimit" };
    found = {
      pairFailures: new RateLimiterPrisma({
        ...common,
        keyPrefix: "signin-fail",
        points: 1_000_000,
        duration: 24 * 3600,
      }),
      pairWait: new RateLimiterPrisma({ ...common, keyPrefix: "signin-wait", points: 1, duration: 1 }),
      addressFailures: new RateLimiterPrisma({
        ...common,
        keyPrefix: "signin-address",
        points: ADDRESS_FAILURES_PER_HOUR,
        duration: 3600,
      }),
    };
    byClient.set(prisma, found);
  }
  return found;
}

const pairKey = (email: string, address: string) => `${email}|${address}`;

function waitingMs(res: RateLimiterRes | null, points: number): number {
  return res && res.consumedPoints > points ? res.msBeforeNext : 0;
}

/** How long this account+address must wait before trying again (0: it may try now). */
export async function signInWaitMs(prisma: Db, email: string, address: string): Promise<number> {
  const { pairWait, addressFailures } = limiters(prisma);
  const [pair, whole] = await Promise.all([
    pairWait.get(pairKey(email, address)),
    addressFailures.get(address),
  ]);
  const addressWait = whole && whole.consumedPoints >= ADDRESS_FAILURES_PER_HOUR ? whole.msBeforeNext : 0;
  return Math.max(waitingMs(pair, 1), addressWait);
}

/** The wait after the n-th consecutive failure of a pair (0 while n is within FREE_FAILURES). */
export function waitAfterFailures(n: number): number {
  if (n < FREE_FAILURES) return 0;
  return Math.min(FIRST_WAIT_SECONDS * 2 ** (n - FREE_FAILURES), MAX_WAIT_SECONDS);
}

/** Counts a failed attempt; returns the wait it starts, in seconds (0: none). */
export async function recordSignInFailure(prisma: Db, email: string, address: string): Promise<number> {
  const { pairFailures, pairWait, addressFailures } = limiters(prisma);
  const key = pairKey(email, address);
  const [failures] = await Promise.all([pairFailures.penalty(key), addressFailures.penalty(address)]);
  const wait = waitAfterFailures(failures.consumedPoints);
  if (wait > 0) await pairWait.block(key, wait);
  return wait;
}

/** A success forgets the pair's failures (the address's hourly count stays). */
export async function clearSignInFailures(prisma: Db, email: string, address: string): Promise<void> {
  const { pairFailures, pairWait } = limiters(prisma);
  const key = pairKey(email, address);
  await Promise.all([pairFailures.delete(key), pairWait.delete(key)]);
}

/** "1 minute", "4 minutes", "1 hour". */
export function describeWait(ms: number): string {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  if (minutes >= 60 && minutes % 60 === 0) return minutes === 60 ? "1 hour" : `${minutes / 60} hours`;
  return minutes === 1 ? "1 minute" : `${minutes} minutes`;
}
