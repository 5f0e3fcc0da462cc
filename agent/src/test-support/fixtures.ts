// Shared test fixtures: throw-away state directories, cheap argon2id hashes, config documents as the
// hub would push them, and an agent started on loopback with ephemeral ports.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import argon2 from "argon2";
import { defaultPolicy, type Policy } from "@mailwarden/policy";
import { agentListenerNames, type AgentConfig, type MailboxSendingLimits } from "@mailwarden/protocol";
import { startAgent, type RunningAgent } from "../agent";
import { silentLogger } from "../log";
import { emptyTestZone } from "./dns-zone";
import type { AgentSettingsInput } from "../settings/agent-settings";

export async function tempDir(prefix = "mw-agent-"): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Real argon2id, with low cost so tests stay fast. */
export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id, memoryCost: 4096, timeCost: 2, parallelism: 1 });
}

export interface DomainSpec {
  name: string;
  policy?: Partial<Policy>;
  mailboxes?: Record<string, string>; // localPart → password hash
  aliases?: Record<string, string[]>; // localPart → targets
  autoReplies?: Record<string, { subject: string; body: string; intervalHours: number }>; // by localPart
  mailingLists?: AgentConfig["domains"][number]["mailingLists"];
  sendingLimits?: Record<string, Partial<MailboxSendingLimits>>; // by localPart
}

export function agentConfig(domains: DomainSpec[], server: Partial<Policy> = {}): AgentConfig {
  return {
    server: { ...defaultPolicy, ...server },
    listeners: [...agentListenerNames],
    domains: domains.map((domain) => ({
      name: domain.name,
      policy: { ...defaultPolicy, ...domain.policy },
      mailboxes: Object.entries(domain.mailboxes ?? {}).map(([localPart, passwordHash]) => ({
        localPart,
        passwordHash,
        autoReply: domain.autoReplies?.[localPart] ?? null,
        sendingLimits: { messagesPerHour: null, messagesPerDay: null, ...domain.sendingLimits?.[localPart] },
      })),
      aliases: Object.entries(domain.aliases ?? {}).map(([localPart, targets]) => ({ localPart, targets })),
      mailingLists: domain.mailingLists ?? [],
    })),
  };
}

export function loopbackSettings(
  stateDir: string,
  extra: Partial<AgentSettingsInput> = {},
): AgentSettingsInput {
  return {
    stateDir,
    hostname: "mx.agent.test",
    listeners: {
      inbound: { port: 0, host: "127.0.0.1" },
      submission: { port: 0, host: "127.0.0.1" },
      submissionTls: { port: 0, host: "127.0.0.1" },
      pop3: { port: 0, host: "127.0.0.1" },
      pop3s: { port: 0, host: "127.0.0.1" },
    },
    shutdownGraceMs: 500,
    ...extra,
  };
}

export async function startTestAgent(
  stateDir: string,
  extra: Partial<AgentSettingsInput> = {},
  connectToHub = false,
): Promise<RunningAgent> {
  // Inbound mail is SPF/DKIM/DMARC-checked: without a zone of its own a test resolves against an empty
  // one on loopback, never the host's DNS.
  const dnsServers = extra.dnsServers ?? [(await emptyTestZone()).address];
  return startAgent({
    config: loopbackSettings(stateDir, { dnsServers, ...extra }),
    logger: silentLogger(),
    connectToHub,
  });
}

/** Polls until `check` returns a truthy value, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 5000,
  what = "condition",
): Promise<Exclude<T, undefined | null | false>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, undefined | null | false>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
