// The posture snapshot sent to the hub: what this server actually does right now (listeners, TLS,
// certificate, queue, memory, revision, DKIM public keys), which the dashboard scores and shows. Built
// from live state, never from what the config says should be true.
import {
  postureSchema,
  type AbuseBlockReport,
  type ListBounceReport,
  type Posture,
} from "@mailwarden/protocol";
import type { ListenerPosture } from "../smtp/mail-server";
import type { Pop3ListenerPosture } from "../pop3/pop3-server";
import type { DkimPublicKey } from "../dkim/dkim-keys";
import type { CertificateFacts } from "../smtp/tls";
import type { WeakPassword } from "./weak-passwords";

export interface PostureInputs {
  agentVersion: string;
  hostname: string;
  listeners: (ListenerPosture | Pop3ListenerPosture)[];
  tlsVersions: string[];
  certificate: CertificateFacts;
  queueSize: number;
  appliedRevision: number | null;
  startedAt: number;
  /** Keys this agent signs with (row 11): the dashboard shows each as the DNS record to publish. */
  dkim?: DkimPublicKey[];
  /** Row 14: mailboxes whose last login used a password the policy in force refuses. */
  weakPasswords?: WeakPassword[];
  /** Row 21: the abuse blocks in force. */
  abuseBlocks?: AbuseBlockReport[];
  /** Row 22: list members with bounces, paused or not yet. */
  listBounces?: ListBounceReport[];
}

export function buildPosture(inputs: PostureInputs): Posture {
  const memory = process.memoryUsage();
  return postureSchema.parse({
    agentVersion: inputs.agentVersion,
    hostname: inputs.hostname,
    listeners: inputs.listeners,
    tlsVersions: inputs.tlsVersions,
    certificate: inputs.certificate,
    queueSize: inputs.queueSize,
    memory: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed },
    appliedRevision: inputs.appliedRevision,
    uptimeSeconds: Math.round((Date.now() - inputs.startedAt) / 1000),
    dkim: inputs.dkim ?? [],
    weakPasswords: inputs.weakPasswords ?? [],
    abuseBlocks: inputs.abuseBlocks ?? [],
    listBounces: inputs.listBounces ?? [],
  });
}
