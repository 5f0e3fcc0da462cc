// Config changes leave the hub here, and only here. Notified server ids collect in one set; one run at a
// time builds the configs of all of them at once (./agent-config: a few set-based queries, what servers
// share computed once), encodes each distinct frame once, and sends in turns of a few hundred sockets,
// yielding to the event loop between turns so heartbeats and acks keep flowing during a fleet-wide push.
// Because runs never overlap, a push can never overtake an earlier one to the same agent.
import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { Db } from "@mailwarden/db";
import { encodeFrame } from "@mailwarden/protocol";
import { buildAgentConfigs } from "./agent-config";
import type { DbWork } from "./db-work";

/** The side of an agent's connection the fan-out talks to. */
export interface ConfigTarget {
  /** The server's customer (known from its hello). */
  readonly tenant: string | null;
  /** True when the agent is in session and does not hold (and was not sent) `revision`. */
  needsConfig(revision: number): boolean;
  /** Sends an encoded hub.config.apply frame for `revision`. */
  sendConfig(revision: number, frame: Buffer): void;
  /** The server was revoked or deleted: close with the code the agent acts on. */
  closeUnserved(status: "revoked" | "gone"): void;
}

export interface ConfigFanOutOptions {
  prisma: Db;
  work: DbWork;
  logger: Logger;
  /** The connection currently serving each server id in this process. */
  targetOf(serverId: string): ConfigTarget | undefined;
  /** Sockets written per event-loop turn (default 250). */
  sendsPerTurn?: number;
  /** Wait before building again after the database failed (default 2 s). */
  retryMs?: number;
}

export class ConfigFanOut {
  private readonly dirty = new Set<string>();
  private running: Promise<void> | null = null;
  private isClosed = false;

  constructor(private readonly options: ConfigFanOutOptions) {}

  /** Queues these servers' configs to be (re)built and pushed where the agent needs it. */
  request(serverIds: Iterable<string>): void {
    if (this.isClosed) return;
    for (const id of serverIds) this.dirty.add(id);
    if (this.dirty.size > 0 && !this.running) {
      this.running = this.run().finally(() => {
        this.running = null;
        if (this.dirty.size > 0) this.request([]);
      });
    }
  }

  /** Stops taking work; resolves when the current run is done. */
  async close(): Promise<void> {
    this.isClosed = true;
    this.dirty.clear();
    await this.running;
  }

  private async run(): Promise<void> {
    const { logger, targetOf } = this.options;
    const sendsPerTurn = this.options.sendsPerTurn ?? 250;
    while (this.dirty.size > 0 && !this.isClosed) {
      const ids = [...this.dirty].filter((id) => targetOf(id));
      this.dirty.clear();
      if (ids.length === 0) continue;
      const startedAt = performance.now();
      let built: Awaited<ReturnType<typeof buildAgentConfigs>>;
      try {
        const tenants = ids.flatMap((id) => targetOf(id)?.tenant ?? []);
        built = await this.options.work.run("build agent configs", () =>
          buildAgentConfigs(this.options.prisma, ids, tenants),
        );
      } catch (error) {
        // The agents keep serving under their last good config; the change is tried again, not dropped.
        logger.error({ err: error, servers: ids.length }, "could not build agents' configs; retrying");
        for (const id of ids) this.dirty.add(id);
        await sleep(this.options.retryMs ?? 2000, undefined, { ref: false });
        continue;
      }
      const builtMs = performance.now() - startedAt;
      const frames = new Map<string, Buffer>();
      let sent = 0;
      for (const id of ids) {
        const result = built.get(id);
        const target = targetOf(id);
        if (!result || !target) continue;
        if ("status" in result) {
          if (result.status === "invalid") {
            logger.error({ agentId: id, reason: result.reason }, "could not build the agent's config");
          } else target.closeUnserved("gone");
          continue;
        }
        if (result.standing !== "enrolled") {
          target.closeUnserved(result.standing === "revoked" ? "revoked" : "gone");
          continue;
        }
        if (!target.needsConfig(result.revision)) continue;
        const key = `${result.sharedKey}@${result.revision}`;
        let frame = frames.get(key);
        if (!frame) {
          frame = Buffer.from(
            encodeFrame({ type: "hub.config.apply", revision: result.revision, config: result.config }),
          );
          frames.set(key, frame);
        }
        target.sendConfig(result.revision, frame);
        if (++sent % sendsPerTurn === 0) await nextTurn();
      }
      logger.info(
        { servers: ids.length, sent, frames: frames.size, builtMs: Math.round(builtMs) },
        "config pushed",
      );
    }
  }
}
