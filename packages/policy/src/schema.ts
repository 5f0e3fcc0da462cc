// The lockdown policy document (../../shared/POLICY.md) as zod schemas. Every layer — the dashboard's
// forms, the tRPC inputs, the hub and the agent — validates against these, so a setting means the same
// thing everywhere. Rows not yet editable keep their secure default here until their issue lands.
import { z } from "zod";
import {
  connectionLimitsSchema,
  ipBlacklistEntrySchema,
  ipWhitelistEntrySchema,
  rdnsCheckModes,
} from "./connection-schema";
import {
  abuseBruteForceSchema,
  abuseDenialOfServiceSchema,
  abuseHarvestingSchema,
  abuseInternalSpammerSchema,
  abuseLoginGraceSchema,
} from "./abuse-detection";

export const relayModes = ["nobody", "authenticated-or-whitelist", "local-networks"] as const;
export const tlsVersions = ["TLSv1.2", "TLSv1.3"] as const;
/** Row 12 — `strong`: forward-secret AEAD suites only; `compatible` adds ECDHE with CBC for old clients. */
export const tlsCipherPolicies = ["strong", "compatible"] as const;
export const spfGateModes = ["require-spf-pass", "disabled", "enabled"] as const;
export const spfCheckModes = ["reject-fail", "tag", "off"] as const;
export const dmarcModes = ["honor-policy", "tag", "off"] as const;
export const serverRoles = [
  "primary",
  "backup-mx",
  "incoming-gateway",
  "outgoing-gateway",
  "primary-with-smarthost",
] as const;
export type ServerRoleName = (typeof serverRoles)[number];

/** Roles that hand mail to `relayHost`: backup-mx (its primary), incoming-gateway, smarthost. */
export const rolesWithRelayHost: readonly ServerRoleName[] = [
  "backup-mx",
  "incoming-gateway",
  "primary-with-smarthost",
];

const hostLabel = "(?!-)[a-z0-9-]{1,63}(?<!-)";
const hostName = new RegExp(`^${hostLabel}(?:\\.${hostLabel})*$`, "i");
/** "mx1.example.com", "10.0.0.5" or "[2001:db8::1]", optionally ":port". */
export const relayHostSchema = z
  .string()
  .max(260)
  .refine((value) => parseRelayHost(value) !== null, "must be a host name or IP, optionally :port");

/** Splits "host[:port]" ("[v6]:port" for IPv6); null when either part is invalid. */
export function parseRelayHost(value: string): { host: string; port: number | null } | null {
  const match = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/i.exec(value);
  if (!match) return null;
  const host = match[1] ?? match[2]!;
  if (match[1] === undefined && !hostName.test(host)) return null;
  if (match[1] !== undefined && !/^[0-9a-f:.]*:[0-9a-f:.]*$/i.test(host)) return null;
  const port = match[3] === undefined ? null : Number(match[3]);
  if (port !== null && (port < 1 || port > 65535)) return null;
  return { host, port };
}

/**
 * Row 25 — what the server does with mail. One flat shape rather than a union per role, so a form can
 * keep what was typed while the role changes; the refinement ties the fields to the role.
 */
export const serverRoleSchema = z
  .object({
    role: z.enum(serverRoles),
    /** backup-mx: the primary; incoming-gateway: where local mail goes; smarthost: where remote mail goes. */
    relayHost: relayHostSchema.nullable(),
    /** backup-mx only: the domains accepted from anyone and forwarded to the primary. */
    backupDomains: z
      .array(
        z
          .string()
          .max(253)
          .regex(/^(?!-)[a-z0-9-]{1,63}(?<!-)(?:\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/, "must be a domain name"),
      )
      .max(200),
  })
  .superRefine((value, context) => {
    const needsHost = rolesWithRelayHost.includes(value.role);
    if (needsHost !== (value.relayHost !== null)) {
      context.addIssue({
        code: "custom",
        path: ["relayHost"],
        message: needsHost ? `${value.role} needs a relay host` : `${value.role} takes no relay host`,
      });
    }
    const isBackup = value.role === "backup-mx";
    if (isBackup !== value.backupDomains.length > 0) {
      context.addIssue({
        code: "custom",
        path: ["backupDomains"],
        message: isBackup ? "backup-mx needs at least one domain" : `${value.role} takes no backup domains`,
      });
    }
  });
export type ServerRole = z.infer<typeof serverRoleSchema>;

export const passwordPolicySchema = z.object({
  minLength: z.number().int().min(8).max(128),
  minClasses: z.number().int().min(1).max(4),
  forbidUserOrDomainName: z.boolean(),
  forbidCommon: z.boolean(),
});
export type PasswordPolicy = z.infer<typeof passwordPolicySchema>;

/** Row 3 — how the sender addresses of an authenticated user's mail must match the login. */
export const authMatchModes = ["address", "domain", "off"] as const;

/** Row 20 — what a client gets once a sending limit is reached: 4xx (retry later) or 5xx. */
export const throttleActions = ["delay", "reject"] as const;

/**
 * Row 20 — outbound limits of authenticated submission, counted in sliding windows per mailbox and per
 * domain. Every limit is at least 1: there is no "unlimited", only a high number. Flat numbers so the
 * policy editor can render them. recipientsPerMessage stops at 100: the SMTP guard caps a transaction
 * there anyway (RFC 5321's minimum).
 */
export const outboundThrottleSchema = z.object({
  action: z.enum(throttleActions),
  mailboxMessagesPerHour: z.number().int().min(1).max(1_000_000),
  mailboxMessagesPerDay: z.number().int().min(1).max(1_000_000),
  domainMessagesPerHour: z.number().int().min(1).max(1_000_000),
  domainMessagesPerDay: z.number().int().min(1).max(1_000_000),
  recipientsPerMessage: z.number().int().min(1).max(100),
});
export type OutboundThrottle = z.infer<typeof outboundThrottleSchema>;

/** Row 18 — URI blocklists: a listed domain in the body tags the message, rejects it, or nothing. */
export const uriBlocklistModes = ["tag", "reject", "off"] as const;
const dnsZoneName = z
  .string()
  .max(253)
  .regex(/^(?!-)[a-z0-9-]{1,63}(?<!-)(?:\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/, "must be a DNS zone name");

/** Row 23 — how much the agent records of SMTP sessions and of deliveries. */
export const logLevels = ["detailed", "normal", "off"] as const;
export type LogLevel = (typeof logLevels)[number];

/** Row 22 — who may post to a mailing list: its members, only its moderators, or anyone. */
export const mailingListPostingModes = ["members", "moderators", "anyone"] as const;
export type MailingListPosting = (typeof mailingListPostingModes)[number];

/** The full, resolved policy: every key present. */
export const policySchema = z.object({
  /** Row 1 — who may relay to remote domains. */
  relay: z.enum(relayModes),
  /** Row 2 — senders of a domain must authenticate (530 otherwise). */
  requireSmtpAuth: z.boolean(),
  /** Row 3 — MAIL FROM and header From checked against the authenticated user (553 otherwise). */
  requireAuthMatch: z.enum(authMatchModes),
  /** Row 4 — a local sender writing to a local recipient must authenticate, even where row 2 is off. */
  smtpAuthForLocalDeliveries: z.boolean(),
  /** Row 12 — lowest TLS version offered on every listener. */
  tlsMinVersion: z.enum(tlsVersions),
  /** Row 12 — the cipher suites offered on every listener (never RSA key exchange, never renegotiation). */
  tlsCiphers: z.enum(tlsCipherPolicies),
  /** Row 13 — AUTH neither advertised nor accepted before TLS. */
  authOnlyOverTls: z.boolean(),
  /** Row 14 — password rules for mailboxes and console users. */
  passwordPolicy: passwordPolicySchema,
  /** Row 5 — local part of the mailbox that receives mail for unknown addresses; null = refuse (550). */
  catchAllMailbox: z
    .string()
    .regex(
      /^[a-z0-9](?:[a-z0-9._+-]{0,62}[a-z0-9])?$/,
      "must be a mailbox name: the part before @, in lower case",
    )
    .nullable(),
  /** Row 6 — when a failed delivery produces a bounce (DSN) to the sender. */
  bounces: z.enum(spfGateModes),
  /** Row 7 — when vacation/auto-replies may be sent. */
  autoResponders: z.enum(spfGateModes),
  /** Row 8 — SPF at MAIL FROM/DATA: fail → 550, or only a header. */
  spfCheck: z.enum(spfCheckModes),
  /** Row 9 — DMARC: p=reject → 550, p=quarantine → Junk folder. */
  dmarcCompliance: z.enum(dmarcModes),
  /** Row 10 — DKIM verification and ARC on inbound mail. */
  dkimVerify: z.boolean(),
  /** Row 11 — sign outbound mail of the domain with a key generated on the agent. */
  dkimSigning: z.boolean(),
  /** Row 20 — sending limits per mailbox and per domain, and what happens past them. */
  outboundThrottle: outboundThrottleSchema,
  /** Row 18 — domains of URLs in inbound mail checked against URI blocklists. */
  uriBlocklist: z.enum(uriBlocklistModes),
  /** Row 18 — the URI blocklist zones asked, in order. */
  uriBlocklistZones: z.array(dnsZoneName).max(10),
  /** Row 22 — who may post to a mailing list that does not say otherwise (550 5.7.1 for the rest). */
  mailingListPosting: z.enum(mailingListPostingModes),
  /** Row 22 — how many mailing lists one domain may have. */
  maxMailingListsPerDomain: z.number().int().min(0).max(1000),
  /** Row 23 — what the agent records of SMTP sessions. */
  smtpLogLevel: z.enum(logLevels),
  /** Row 23 — what the agent records of deliveries. */
  deliveryLogLevel: z.enum(logLevels),
  /** Row 15 — connection caps per listener; past them a client gets 421 instead of the greeting. */
  connectionLimits: connectionLimitsSchema,
  /** Row 16 — forward-confirmed reverse DNS of the client and its EHLO name, on the inbound listener. */
  rdnsCheck: z.enum(rdnsCheckModes),
  /** Row 17 — the client address is looked up in DNS blocklists at connect (554 naming the list). */
  dnsBlocklists: z.boolean(),
  /** Row 17 — the DNS blocklist zones asked. */
  dnsBlocklistZones: z.array(dnsZoneName).max(10),
  /** Row 19 — addresses and networks refused with 554 at connect. */
  ipBlacklist: z.array(ipBlacklistEntrySchema).max(1000),
  /** Row 19 — addresses and networks that skip the checks each entry names (never AUTH). */
  ipWhitelist: z.array(ipWhitelistEntrySchema).max(1000),
  /** Row 21 — many connections from one address in a short time: the address is blocked. */
  abuseDenialOfService: abuseDenialOfServiceSchema,
  /** Row 21 — many unknown recipients from one address (address harvesting): the address is blocked. */
  abuseHarvesting: abuseHarvestingSchema,
  /** Row 21 — many failed logins (SMTP AUTH, POP3) from one address: the address is blocked. */
  abuseBruteForce: abuseBruteForceSchema,
  /** Row 21 — many messages from one logged-in user: their queued mail is held and sending suspended. */
  abuseInternalSpammer: abuseInternalSpammerSchema,
  /** Row 21 — an address with a recent successful login is delayed before it is blocked. */
  abuseLoginGrace: abuseLoginGraceSchema,
  /** Row 24 — minutes between delivery attempts; after the last one the message bounces (row 6). */
  retryScheduleMinutes: z.array(z.number().int().min(1).max(10080)).min(1).max(20),
  /** Row 25 — primary, backup MX, gateway or smarthost: where accepted mail is routed. */
  serverRole: serverRoleSchema,
});
export type Policy = z.infer<typeof policySchema>;
export type PolicyKey = keyof Policy;

/** What one level sets; keys absent here are inherited from the level above. */
export const policyOverridesSchema = policySchema.partial().strict();
export type PolicyOverrides = z.infer<typeof policyOverridesSchema>;
