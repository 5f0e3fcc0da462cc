// What a mail-log record says, in the words of a hosting admin: one sentence per record ("Refused RCPT to
// bob@x.com: the sender's SPF check failed (rule spf)"), the rule that decided in plain words, and the
// policy setting behind that rule with where to change it. Shared by the Logs page, the trace, the
// domain's "Recent mail" card and the CSV export, so all four say the same thing.
import { settings, type PolicyKey } from "@mailwarden/policy";
import type { MailLogRecord } from "@mailwarden/protocol";

interface RuleInfo {
  /** Why it refused, as the end of "Refused …: <why>". */
  why: string;
  /** The policy setting that decides it, when one does. */
  setting?: PolicyKey;
}

// Rule ids as the agent's rules name themselves (agent/src/smtp/rules, ../hostile, ../../ids).
const rules: Record<string, RuleInfo> = {
  spf: { why: "the sender's SPF check failed", setting: "spfCheck" },
  dmarc: {
    why: "the sender's domain asks (DMARC) to refuse mail that fails its checks",
    setting: "dmarcCompliance",
  },
  relay: { why: "this server relays to other domains only for signed-in users", setting: "relay" },
  "require-smtp-auth": {
    why: "mail from this domain must be sent by a signed-in user",
    setting: "requireSmtpAuth",
  },
  "auth-match": { why: "the sender address is not the signed-in user's", setting: "requireAuthMatch" },
  "smtp-auth-local-deliveries": {
    why: "mail between local mailboxes must be sent by a signed-in user",
    setting: "smtpAuthForLocalDeliveries",
  },
  "auth-only-over-tls": { why: "signing in is allowed only over TLS", setting: "authOnlyOverTls" },
  "local-recipient": { why: "there is no such mailbox", setting: "catchAllMailbox" },
  default: { why: "there is no such mailbox or address" },
  "mailing-list": { why: "this sender may not post to the mailing list", setting: "mailingListPosting" },
  "one-policy-per-transaction": {
    why: "recipients under different policies must be sent in separate messages (the sender retries)",
  },
  "server-role": { why: "this server does not take mail for that domain in its role", setting: "serverRole" },
  "outbound-throttle": { why: "the sender reached their sending limit", setting: "outboundThrottle" },
  "uri-blocklist": { why: "the message links to a blocklisted site", setting: "uriBlocklist" },
  "rdns-ehlo": {
    why: "the sending server's reverse DNS or greeting name does not check out",
    setting: "rdnsCheck",
  },
  "connect.dnsbl": { why: "the sending IP is on a DNS blocklist", setting: "dnsBlocklists" },
  "connect.ip-blacklist": { why: "the sending IP is on the IP blacklist", setting: "ipBlacklist" },
  "connect.max-clients": { why: "the server had too many connections at once", setting: "connectionLimits" },
  "connect.max-clients-per-address": {
    why: "too many connections at once from this IP",
    setting: "connectionLimits",
  },
  "connect.rate-per-address": {
    why: "too many new connections per minute from this IP",
    setting: "connectionLimits",
  },
  "connect.early-talker": { why: "the client spoke before the server's greeting" },
  "ids.brute-force": { why: "too many failed sign-ins (password brute force)", setting: "abuseBruteForce" },
  "ids.harvesting": {
    why: "too many unknown recipients (address harvesting)",
    setting: "abuseHarvesting",
  },
  "ids.dos": { why: "too many connections (denial of service)", setting: "abuseDenialOfService" },
  "ids.internal-spammer": {
    why: "the user sent too much mail in a short time (internal spammer)",
    setting: "abuseInternalSpammer",
  },
  "data.message-size": { why: "the message is larger than the server accepts" },
  "data.bare-line-ending": {
    why: "the message has bare line endings (a smuggling attempt or a broken client)",
  },
  "data.line-length": { why: "the message has a line longer than SMTP allows" },
  "data.nul-byte": { why: "the message contains NUL bytes" },
  "command.line-length": { why: "the client sent a command longer than SMTP allows" },
  "command.control-chars": { why: "the client sent control characters in a command" },
  "auth.base64": { why: "the client's sign-in data was not valid base64" },
  "smtp-auth": { why: "wrong user name or password" },
  "pop3-auth": { why: "wrong user name or password" },
  "dkim-sign": { why: "the message could not be DKIM-signed", setting: "dkimSigning" },
  "authentication-results": { why: "the message's SPF, DKIM and DMARC could not be checked" },
};

/** The rule's entry; a phase prefix ("rcpt.spf") is tolerated. */
export function ruleInfo(rule: string): RuleInfo | null {
  return rules[rule] ?? rules[rule.replace(/^(connect|helo|mail|rcpt|data|auth)\./, "")] ?? null;
}

/** "the sender's SPF check failed (rule spf)", or the rule id alone for a rule the console does not know. */
export function ruleWords(rule: string): string {
  const info = ruleInfo(rule);
  return info ? `${info.why} (rule ${rule})` : `rule ${rule}`;
}

/** The policy setting behind a rule, with its label, for a link into the policy editor. */
export function ruleSetting(rule: string | null | undefined): { key: PolicyKey; label: string } | null {
  const key = rule ? ruleInfo(rule)?.setting : undefined;
  return key ? { key, label: settings[key].label } : null;
}

/**
 * Where a setting is changed for the record's domain or server, best level first: the domain's policy tab
 * (the catch-all has its own card), else the server's, else none (a domain admin cannot open servers).
 */
export function settingHref(
  key: PolicyKey,
  at: { domainId: string | null; serverId: string },
  canOpenServer: boolean,
): string | null {
  const levels = settings[key].levels;
  if (key === "catchAllMailbox" && at.domainId) return `/domains/${at.domainId}?tab=addresses`;
  if (key === "serverRole") return canOpenServer ? `/servers/${at.serverId}` : null;
  if (at.domainId && levels.includes("domain")) return `/domains/${at.domainId}?tab=policy#setting-${key}`;
  if (levels.includes("server") && canOpenServer) return `/servers/${at.serverId}?tab=policy#setting-${key}`;
  return null;
}

const listOf = (addresses: readonly string[]) =>
  addresses.length <= 3
    ? addresses.join(", ")
    : `${addresses.slice(0, 3).join(", ")} and ${addresses.length - 3} more`;

const size = (bytes: number) =>
  bytes < 1024
    ? `${bytes} bytes`
    : bytes < 1024 * 1024
      ? `${Math.round(bytes / 1024)} KB`
      : `${(bytes / 1048576).toFixed(1)} MB`;

/** Why a refusal happened: the rule in words, or the reply when there is no rule. */
function because(record: { rule?: string; reply?: string; code?: number }): string {
  if (record.rule) return ruleWords(record.rule);
  return record.reply ? `the server answered ${record.reply}` : "refused";
}

/** One sentence saying what happened. */
export function describeRecord(record: MailLogRecord): string {
  switch (record.type) {
    case "connection.opened":
      return `Connection from ${record.client}${record.clientName ? ` (${record.clientName})` : ""} on ${record.listener}`;
    case "connection.refused":
      return `Refused a connection from ${record.client}: ${because(record)}`;
    case "tls.established":
      return `TLS started with ${record.client}: ${record.version}, ${record.cipher}`;
    case "auth.succeeded":
      return `${record.user} signed in (${record.mechanism}) from ${record.client}`;
    case "auth.failed":
      return `Refused sign-in as ${record.user || "an unknown user"} from ${record.client}: ${because(record)}`;
    case "mail.from":
      return record.outcome === "accepted"
        ? `Accepted sender ${record.from || "<> (a bounce)"}`
        : `Refused sender ${record.from || "<>"}: ${because(record)}`;
    case "rcpt.to":
      return record.outcome === "accepted"
        ? `Accepted RCPT to ${record.to} from ${record.from || "<>"}`
        : `Refused RCPT to ${record.to}: ${because(record)}`;
    case "message.accepted":
      return `Accepted a message from ${record.from || "<>"} to ${listOf(record.to)} (${size(record.size)}, SPF ${record.spf}, DKIM ${record.dkim}, DMARC ${record.dmarc})${record.folder === "junk" ? ", filed as junk" : ""}`;
    case "message.refused":
      return `Refused a message from ${record.from || "<>"} to ${listOf(record.to)}: ${because(record)}`;
    case "delivery": {
      const where =
        record.host === "maildir"
          ? "the mailbox"
          : record.host === "administrator"
            ? "by an admin"
            : record.host;
      if (record.outcome === "delivered") return `Delivered to ${record.to} (${where})`;
      if (record.outcome === "deferred")
        return `Delivery to ${record.to} put off (attempt ${record.attempt}, ${where}): ${record.reply}`;
      return `Bounced: delivery to ${record.to} failed (${where}): ${record.reply}`;
    }
    case "dsn.sent":
      return record.action === "failed"
        ? `Sent a failure notice to ${record.to || "<>"}`
        : `Sent a delay notice to ${record.to || "<>"}`;
    case "autoreply.sent":
      return `Sent an auto-reply from ${record.from} to ${record.to}`;
    case "abuse.blocked": {
      const what = record.kind === "ip" ? `IP ${record.subject}` : `sending of ${record.subject}`;
      const verb =
        record.action === "suspend" ? "Suspended" : record.action === "delay" ? "Slowed down" : "Blocked";
      return `${verb} ${what}: ${record.reason} (${ruleWords(record.rule)})`;
    }
    case "abuse.lifted":
      return `Lifted the block of ${record.kind === "ip" ? `IP ${record.subject}` : record.subject} (${record.by === "console" ? "by an admin" : "its time ran out"})`;
    case "policy.applied":
      return "Applied a new configuration from the console";
    case "gap":
      return `${record.toSeq - record.fromSeq + 1} log records lost (${record.reason === "spool-full" ? "the agent's log spool was full" : "the agent could not write its log spool"})`;
  }
}

/** The badge's words for an outcome. */
export const outcomeLabels: Record<string, string> = {
  accepted: "Accepted",
  rejected: "Refused",
  deferred: "Deferred",
  bounced: "Bounced",
  delivered: "Delivered",
};

export function outcomeTone(outcome: string | null): "green" | "red" | "amber" | "slate" | "blue" {
  switch (outcome) {
    case "delivered":
      return "green";
    case "accepted":
      return "blue";
    case "rejected":
    case "bounced":
      return "red";
    case "deferred":
      return "amber";
    default:
      return "slate";
  }
}

/** The record's sender and recipients, for search results and the export. */
export function addressesOf(record: MailLogRecord): { from: string | null; to: string[] } {
  const fields = record as { from?: unknown; to?: unknown };
  const to = Array.isArray(fields.to)
    ? (fields.to as string[])
    : typeof fields.to === "string"
      ? [fields.to]
      : [];
  return { from: typeof fields.from === "string" ? fields.from : null, to };
}
