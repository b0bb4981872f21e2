/**
 * How long leaf certificates live and when they are renewed. Leaves live a year and are
 * re-issued once fewer than 90 days remain, checked at start and then once a day while
 * running: k3s renews only at (re)start, which is why its users meet expired certificates
 * after a year without a restart (k3s later widened its window to 120 days for users who
 * restart quarterly; a daily check needs no such margin).
 *
 * TSK_TEST_CERT_LIFETIME_SECONDS=N (tests only) makes leaves live N seconds, renewed in their
 * second half and checked every tenth of their life, so a test can watch renewal happen
 * instead of waiting a year. CAs are not affected: they are never renewed automatically.
 */
import crypto from 'node:crypto';

export const TEST_LIFETIME_ENV = 'TSK_TEST_CERT_LIFETIME_SECONDS';

const DAY_MS = 86_400_000;

export interface CertPolicy {
  /** Validity of every leaf certificate issued (serving and client). */
  leafValidityMs: number;
  /** A leaf with less than this left is re-issued. */
  renewWithinMs: number;
  /** How often a running process checks its leaves. */
  checkIntervalMs: number;
}

export const DEFAULT_CERT_POLICY: CertPolicy = { leafValidityMs: 365 * DAY_MS, renewWithinMs: 90 * DAY_MS, checkIntervalMs: DAY_MS };

/** The policy in force: the default, or the short-lived test one when the env var is set. */
export function certPolicy(env: NodeJS.ProcessEnv = process.env): CertPolicy {
  const raw = env[TEST_LIFETIME_ENV];
  if (raw === undefined || raw === '') return DEFAULT_CERT_POLICY;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 10) throw new Error(`${TEST_LIFETIME_ENV} must be a whole number of seconds, at least 10; got "${raw}"`);
  const ms = seconds * 1000;
  return { leafValidityMs: ms, renewWithinMs: ms / 2, checkIntervalMs: ms / 10 };
}

/** Milliseconds until the certificate's notAfter. */
export function msLeft(certPem: string, now: Date): number {
  return Date.parse(new crypto.X509Certificate(certPem).validTo) - now.getTime();
}

/** Whether a leaf is due for renewal under `policy`. */
export function isDue(certPem: string, now: Date, policy: CertPolicy = certPolicy()): boolean {
  return msLeft(certPem, now) < policy.renewWithinMs;
}
