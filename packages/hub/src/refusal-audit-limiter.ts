// Refusals before authentication are written to the audit log, and anyone who can reach the port can
// cause them. Each connection audits at most one refusal (it is closed right after); this caps how many
// connections from one address may write one per minute, so a flood fills the logs, not the database.
export class RefusalAuditLimiter {
  private readonly windows = new Map<string, { startedAt: number; count: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True if a refusal from this address may be audited now. */
  allow(ip: string): boolean {
    const now = this.now();
    if (this.windows.size > 10_000) this.prune(now);
    const window = this.windows.get(ip);
    if (!window || now - window.startedAt >= 60_000) {
      this.windows.set(ip, { startedAt: now, count: 1 });
      return this.perMinute > 0;
    }
    window.count += 1;
    return window.count <= this.perMinute;
  }

  private prune(now: number): void {
    for (const [ip, window] of this.windows) if (now - window.startedAt >= 60_000) this.windows.delete(ip);
  }
}
