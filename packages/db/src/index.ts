// Public surface of @mailwarden/db: the Prisma client and its types, and the small helpers every writer
// shares (tokens, audit events, config-change and agent-command signals, policy revisions, the mail log's
// storage and retention). Start-up (embedded PostgreSQL or DATABASE_URL, migrations) is
// "@mailwarden/db/start", kept out of what Next.js bundles; test helpers are "@mailwarden/db/testing".
export * from "./generated/prisma/enums";
export { Prisma, PrismaClient } from "./generated/prisma/client";
export type {
  AgentCommand,
  AgentCredential,
  AuditEvent,
  Domain,
  EnrollmentToken,
  Mailbox,
  Membership,
  MembershipDomain,
  PasswordCredential,
  PolicyLock,
  PolicyRevision,
  RecoveryCode,
  Server,
  SetupToken,
  Tenant,
  TotpSecret,
  User,
} from "./generated/prisma/client";
export { createPrismaClient, type Db, type Tx } from "./client";
export { generateToken, hashToken, safeEqualHex } from "./tokens";
export { writeAudit, writeAudits, type AuditEntry } from "./audit";
export {
  configChangeHandler,
  configChannel,
  listenConfigChanges,
  markConfigChanged,
  type ConfigChangeListenerOptions,
  type ConfigChangeScope,
} from "./config-changes";
export {
  agentCommandHandler,
  commandChannel,
  issueAgentCommand,
  listenAgentCommands,
  type NewAgentCommand,
} from "./agent-commands";
export {
  listenChannels,
  type ChannelHandler,
  type ChannelListener,
  type ChannelListenerOptions,
} from "./listen";
export { bounceResumesOf, type BounceResume } from "./mailing-list-resumes";
export {
  loadFleetPolicyLayers,
  loadPolicyLayers,
  loadPolicyLocks,
  type FleetPolicyLayers,
  savePolicyOverrides,
  setPolicyLock,
  type PolicyTarget,
  type SavePolicyOverridesInput,
} from "./policy-store";
export { storeMailLogBatch, type MailLogBatch, type StoreMailLogOptions } from "./mail-log/ingest";
export {
  DEFAULT_LOG_RETENTION_DAYS,
  dropExpiredMailLogPartitions,
  logRetentionDays,
  mailLogKeepFrom,
  type MailLogRetentionOptions,
  type MailLogRetentionResult,
} from "./mail-log/retention";
export {
  createUpcomingMailLogPartitions,
  listMailLogPartitions,
  partitionNameOf,
  type MailLogPartition,
} from "./mail-log/partitions";
