// The agent's own settings file (default /etc/mailwarden/agent.json): where state lives, which ports to
// listen on, which certificate to use. This is local, host-level configuration written by the install
// script — not the policy, which only ever comes from the hub (see ../state/applied-config.ts).
import { readFile } from "node:fs/promises";
import os from "node:os";
import { z } from "zod";

const portSchema = z.number().int().min(0).max(65535);

function listenerSchema(defaultPort: number) {
  return z
    .object({ port: portSchema.default(defaultPort), host: z.string().min(1).default("0.0.0.0") })
    .strict()
    .default({ port: defaultPort, host: "0.0.0.0" });
}

export const agentSettingsSchema = z
  .object({
    /** Credential, applied config, certificates, queue and mailboxes live here. */
    stateDir: z.string().min(1),
    /**
     * Name in the SMTP greeting, EHLO reply, Received headers, the self-signed certificate and the
     * authserv-id of Authentication-Results (mailauth's strict mode refuses one that is not a token).
     */
    hostname: z
      .string()
      .min(1)
      .max(253)
      .regex(/^[A-Za-z0-9_.-]+$/, "a host name: letters, digits, dots, hyphens")
      .optional(),
    /** Text after the hostname in the 220 greeting. */
    banner: z.string().max(200).optional(),
    listeners: z
      .object({
        inbound: listenerSchema(25),
        submission: listenerSchema(587),
        submissionTls: listenerSchema(465),
        /** POP3 with STLS; login only after STLS while policy row 13 is on. */
        pop3: listenerSchema(110),
        /** POP3 over implicit TLS. */
        pop3s: listenerSchema(995),
      })
      .strict()
      .default({
        inbound: { port: 25, host: "0.0.0.0" },
        submission: { port: 587, host: "0.0.0.0" },
        submissionTls: { port: 465, host: "0.0.0.0" },
        pop3: { port: 110, host: "0.0.0.0" },
        pop3s: { port: 995, host: "0.0.0.0" },
      }),
    pop3: z
      .object({
        /** A POP3 session idle this long is closed without applying its deletions (RFC 1939 §3). */
        idleTimeoutMs: z.number().int().min(1000).default(600_000),
      })
      .strict()
      .default({ idleTimeoutMs: 600_000 }),
    /** DNS servers for every lookup ("127.0.0.1:5353", "[::1]:53"); default: the host's resolv.conf. */
    dnsServers: z.array(z.string().min(1).max(64)).max(8).optional(),
    /**
     * How long one DNS lookup waits for its answer, its one retry included (default 2500 ms,
     * DNS_LOOKUP_TIMEOUT_MS). Lookups for a message's SPF/DKIM/DMARC also end at that message's
     * authentication deadline, whatever this says.
     */
    dnsTimeoutMs: z.number().int().min(50).max(30_000).optional(),
    /** Worker threads verifying SPF/DKIM/DMARC/ARC (default: cores - 1, 1 to 4; 0 = the main thread). */
    authThreads: z.number().int().min(0).max(16).optional(),
    /** How long a DNS answer is reused (default 60 s; 0 = ask every time). */
    dnsCacheSeconds: z.number().int().min(0).max(3600).optional(),
    /** A real certificate; without it a self-signed one is generated into <stateDir>/tls/. */
    tls: z
      .object({ certFile: z.string().min(1), keyFile: z.string().min(1) })
      .strict()
      .optional(),
    heartbeat: z
      .object({
        /** Send a posture snapshot every N heartbeats. */
        postureEvery: z.number().int().min(1).max(1000).default(4),
      })
      .strict()
      .default({ postureEvery: 4 }),
    reconnect: z
      .object({
        initialDelayMs: z.number().int().min(1).default(1000),
        maxDelayMs: z.number().int().min(1).default(30_000),
      })
      .strict()
      .default({ initialDelayMs: 1000, maxDelayMs: 30_000 }),
    /**
     * Most bytes the mail log spool (<stateDir>/mail-log) may hold while the hub is out of reach; when
     * full, the oldest records go and a gap record says which were lost. Default 256 MiB.
     */
    mailLogSpoolBytes: z
      .number()
      .int("a whole number of bytes")
      .min(1024 * 1024, "at least 1 MiB (1048576 bytes)")
      .max(1024 ** 4, "at most 1 TiB")
      .default(256 * 1024 * 1024),
    /** How long open SMTP sessions may take to finish on shutdown before they get a 421. */
    shutdownGraceMs: z.number().int().min(0).default(10_000),
    /** The queue's delivery worker (src/delivery). */
    delivery: z
      .object({
        /** Port of remote MX hosts: 25, except in tests that run a fake MX on loopback. */
        remotePort: portSchema.default(25),
        /** The queue is looked at at least this often, even when nothing seems due. */
        queueRunIntervalMs: z.number().int().min(10).max(3_600_000).default(60_000),
        /** Queue entries worked on in parallel, per lane (local-only; with remote recipients). */
        concurrency: z.number().int().min(1).max(512).default(32),
        connectTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
        socketTimeoutMs: z.number().int().min(100).max(3_600_000).default(300_000),
        /** Verify remote certificates on STARTTLS (off: opportunistic TLS, as most MTAs do). */
        verifyTls: z.boolean().default(false),
        /** Tests only: replaces the policy's retry schedule (row 24), in minutes, fractions allowed. */
        retryScheduleOverrideMinutes: z.array(z.number().positive().max(10080)).min(1).max(20).optional(),
      })
      .strict()
      .default({
        remotePort: 25,
        queueRunIntervalMs: 60_000,
        concurrency: 32,
        connectTimeoutMs: 30_000,
        socketTimeoutMs: 300_000,
        verifyTls: false,
      }),
    /** Limits against hostile SMTP clients, per listener (see src/smtp/hostile/limits.ts). */
    smtp: z
      .object({
        /** No complete command line (or DATA slower than 500 bytes/s) for this long: 421, closed. */
        idleTimeoutMs: z.number().int().min(100).default(60_000),
        /** Inbound only: pause before the greeting; talking earlier gets 421 (0 = no pause). */
        greetingDelayMs: z.number().int().min(0).max(30_000).default(100),
        /** Inbound only: an address that waited politely is greeted at once for this long (0 = never). */
        greetingMemoryHours: z
          .number()
          .min(0)
          .max(24 * 30)
          .default(24),
        /**
         * Moved to the policy (row 15, connectionLimits) and ignored here; still accepted so that a
         * settings file written for an older agent does not stop an upgraded one. Logged at start.
         */
        maxClients: z.number().optional(),
        maxClientsPerAddress: z.number().optional(),
      })
      .strict()
      .default({
        idleTimeoutMs: 60_000,
        greetingDelayMs: 100,
        greetingMemoryHours: 24,
      }),
  })
  .strict();

export type AgentSettingsInput = z.input<typeof agentSettingsSchema>;
export type AgentSettings = z.output<typeof agentSettingsSchema> & { hostname: string };

export class SettingsError extends Error {
  override name = "SettingsError";
}

/** Validates settings already in memory; the message names the first bad field. */
export function parseAgentSettings(input: unknown, source = "agent settings"): AgentSettings {
  const parsed = agentSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const field = issue.path.join(".") || "(root)";
      return `  ${field}: ${issue.message}`;
    });
    throw new SettingsError(`${source} is invalid:\n${lines.join("\n")}`);
  }
  return { ...parsed.data, hostname: parsed.data.hostname ?? os.hostname() };
}

export async function loadAgentSettings(file: string): Promise<AgentSettings> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SettingsError(
      code === "ENOENT"
        ? `config file ${file} does not exist (pass --config <path>)`
        : `cannot read config file ${file}: ${(error as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SettingsError(`config file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  return parseAgentSettings(json, `config file ${file}`);
}
