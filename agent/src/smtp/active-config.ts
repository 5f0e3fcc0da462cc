// The config every SMTP decision reads: one immutable, pre-indexed snapshot. Applying a new config
// builds a new snapshot and swaps a single reference, so a session in flight never sees half of one
// config and half of another.
import { defaultPolicy, type MailingListPosting, type Policy } from "@mailwarden/policy";
import { agentConfigSchema, type AgentConfig, type MailboxSendingLimits } from "@mailwarden/protocol";

export interface LocalMailbox {
  /** Lower-cased local part, also the folder name under the domain. */
  localPart: string;
  address: string;
  passwordHash: string;
  /** Row 7: the vacation reply, or null. */
  autoReply: { subject: string; body: string; intervalHours: number } | null;
  /** Row 20: what this mailbox may send — the stricter of its own limits and its domain's. */
  sendingLimits: { messagesPerHour: number; messagesPerDay: number };
}

/** Row 22: a list address; who may post is checked at RCPT (./rules/mailing-list). */
export interface LocalMailingList {
  /** Lower-cased local part. */
  localPart: string;
  address: string;
  name: string;
  /** The list's own setting, or the domain's `mailingListPosting` when it has none. */
  posting: MailingListPosting;
  /** Lower-cased addresses that receive the list's mail (and may post under `members`). */
  members: ReadonlySet<string>;
  /** Lower-cased addresses that may post under `moderators` (and under `members`). */
  moderators: ReadonlySet<string>;
  /** Envelope sender of the copies sent to members, so bounces never reach the poster. */
  bounceAddress: string;
  /** Lower-cased member → when an admin resumed them after a bounce pause (epoch ms; ../lists). */
  resumes: ReadonlyMap<string, number>;
}

export interface LocalDomain {
  /** Lower-cased domain name, also the folder name under <stateDir>/mail. */
  name: string;
  policy: Policy;
  mailboxes: ReadonlyMap<string, LocalMailbox>;
  /** Lower-cased local part → target addresses (expanded at queue time, see ./recipients). */
  aliases: ReadonlyMap<string, readonly string[]>;
  /** Lower-cased local part → list (row 22). */
  mailingLists: ReadonlyMap<string, LocalMailingList>;
}

export interface ActiveConfig {
  /** null until the hub has pushed a config (locked-down defaults, no domains). */
  revision: number | null;
  server: Policy;
  domains: ReadonlyMap<string, LocalDomain>;
  raw: AgentConfig;
}

export type CompileResult = { ok: true; active: ActiveConfig } | { ok: false; errors: string[] };

// Names become folder names under the state directory: refuse anything that could escape it.
const domainNamePattern = /^(?!-)[a-z0-9-]{1,63}(?:\.(?!-)[a-z0-9-]{1,63})*$/;
const unsafeLocalPart = /[/\\\u0000-\u001f\u007f@\s]/;

/** Validates a pushed config (schema and the agent's own safety checks) and indexes it. */
export function compileConfig(revision: number | null, input: unknown): CompileResult {
  const parsed = agentConfigSchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues
        .slice(0, 50)
        .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`),
    };
  }
  const raw = parsed.data;
  const errors: string[] = [];
  const domains = new Map<string, LocalDomain>();
  raw.domains.forEach((domain, index) => {
    const name = domain.name.toLowerCase();
    if (!domainNamePattern.test(name))
      errors.push(`domains.${index}.name: "${domain.name}" is not a domain name`);
    if (domains.has(name)) errors.push(`domains.${index}.name: "${domain.name}" is listed twice`);
    const mailboxes = new Map<string, LocalMailbox>();
    domain.mailboxes.forEach((mailbox, mailboxIndex) => {
      const localPart = mailbox.localPart.toLowerCase();
      const where = `domains.${index}.mailboxes.${mailboxIndex}.localPart`;
      if (unsafeLocalPart.test(localPart) || localPart === "." || localPart === "..") {
        errors.push(`${where}: "${mailbox.localPart}" is not a usable local part`);
      }
      if (mailboxes.has(localPart)) errors.push(`${where}: "${mailbox.localPart}" is listed twice`);
      mailboxes.set(localPart, {
        localPart,
        address: `${localPart}@${name}`,
        passwordHash: mailbox.passwordHash,
        autoReply: mailbox.autoReply,
        sendingLimits: stricterLimits(domain.policy, mailbox.sendingLimits),
      });
    });
    const aliases = new Map<string, readonly string[]>();
    domain.aliases.forEach((alias, aliasIndex) => {
      const localPart = alias.localPart.toLowerCase();
      const where = `domains.${index}.aliases.${aliasIndex}`;
      if (aliases.has(localPart)) errors.push(`${where}.localPart: "${alias.localPart}" is listed twice`);
      alias.targets.forEach((target, targetIndex) => {
        if (!/^[^@\s]+@[^@\s]+$/.test(target))
          errors.push(`${where}.targets.${targetIndex}: "${target}" is not an address`);
      });
      aliases.set(localPart, alias.targets);
    });
    const mailingLists = new Map<string, LocalMailingList>();
    domain.mailingLists.forEach((list, listIndex) => {
      const localPart = list.localPart.toLowerCase();
      const where = `domains.${index}.mailingLists.${listIndex}`;
      if (unsafeLocalPart.test(localPart))
        errors.push(`${where}.localPart: "${list.localPart}" is not usable`);
      // a mailbox or alias of the same name wins (./recipients); the console never lets both exist
      if (mailingLists.has(localPart)) errors.push(`${where}.localPart: "${list.localPart}" is listed twice`);
      [...list.members, ...list.moderators].forEach((address) => {
        if (!/^[^@\s]+@[^@\s]+$/.test(address)) errors.push(`${where}: "${address}" is not an address`);
      });
      mailingLists.set(localPart, {
        localPart,
        address: `${localPart}@${name}`,
        name: list.name,
        posting: list.posting ?? domain.policy.mailingListPosting,
        members: new Set(list.members.map((address) => address.toLowerCase())),
        moderators: new Set(list.moderators.map((address) => address.toLowerCase())),
        bounceAddress: `${localPart}-bounces@${name}`,
        resumes: new Map(
          list.resumes.map((resume) => [resume.address.toLowerCase(), Date.parse(resume.at) || 0]),
        ),
      });
    });
    domains.set(name, { name, policy: domain.policy, mailboxes, aliases, mailingLists });
  });
  if (errors.length > 0) return { ok: false, errors: errors.slice(0, 50) };
  return { ok: true, active: deepFreeze({ revision, server: raw.server, domains, raw }) };
}

// The console only accepts mailbox limits below the domain's, but the domain may tighten later: the
// lower value always wins, whichever side set it.
function stricterLimits(policy: Policy, own: MailboxSendingLimits): LocalMailbox["sendingLimits"] {
  const domain = policy.outboundThrottle;
  return {
    messagesPerHour: Math.min(domain.mailboxMessagesPerHour, own.messagesPerHour ?? Infinity),
    messagesPerDay: Math.min(domain.mailboxMessagesPerDay, own.messagesPerDay ?? Infinity),
  };
}

/** What a fresh agent enforces before the hub ever spoke: POLICY.md defaults, no local domains. */
export function lockedDownConfig(): ActiveConfig {
  const compiled = compileConfig(null, { server: defaultPolicy, domains: [] });
  if (!compiled.ok) throw new Error(`default policy does not validate: ${compiled.errors.join("; ")}`);
  return compiled.active;
}

export function findDomain(config: ActiveConfig, domain: string): LocalDomain | undefined {
  return config.domains.get(domain.toLowerCase());
}

/** The policy of a logged-in user's domain; the server's if that domain is gone from the config. */
export function userPolicy(config: ActiveConfig, user: string): Policy {
  return findDomain(config, splitAddress(user).domain)?.policy ?? config.server;
}

/** The mailing list at `address`, if it is one (row 22). */
export function findMailingList(config: ActiveConfig, address: string): LocalMailingList | undefined {
  const { localPart, domain } = splitAddress(address);
  return findDomain(config, domain)?.mailingLists.get(localPart.toLowerCase());
}

/** The list whose bounce address (<list>-bounces, the envelope sender of its copies) is `address`. */
export function findListByBounceAddress(config: ActiveConfig, address: string): LocalMailingList | undefined {
  const { localPart, domain } = splitAddress(address);
  const local = findDomain(config, domain);
  return local && listOfBounceAddress(local, localPart);
}

/** The list of `domain` whose bounce address has this local part (<list>-bounces). */
export function listOfBounceAddress(domain: LocalDomain, localPart: string): LocalMailingList | undefined {
  const listPart = /^(.+)-bounces$/i.exec(localPart)?.[1];
  return listPart === undefined ? undefined : domain.mailingLists.get(listPart.toLowerCase());
}

export function findMailbox(config: ActiveConfig, address: string): LocalMailbox | undefined {
  const { localPart, domain } = splitAddress(address);
  return findDomain(config, domain)?.mailboxes.get(localPart.toLowerCase());
}

/** "a@b" → {localPart: "a", domain: "b"}; the domain is lower-cased, "" when there is none. */
export function splitAddress(address: string): { localPart: string; domain: string } {
  const at = address.lastIndexOf("@");
  if (at < 0) return { localPart: address, domain: "" };
  return { localPart: address.slice(0, at), domain: address.slice(at + 1).toLowerCase() };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    if (value instanceof Map) {
      for (const entry of value.values()) deepFreeze(entry);
    } else {
      for (const entry of Object.values(value)) deepFreeze(entry);
    }
  }
  return value;
}
