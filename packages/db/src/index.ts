// Public surface of @mailwarden/db: the Prisma client and its types, start-up (embedded PostgreSQL or
// DATABASE_URL) with migrations, and the small helpers every writer shares (tokens, audit events,
// config-change signals, policy revisions). Test helpers live in "@mailwarden/db/testing".
export * from "./generated/prisma/enums";
export { Prisma, PrismaClient } from "./generated/prisma/client";
export type {
  AgentCredential,
  AuditEvent,
  Domain,
  EnrollmentToken,
  Mailbox,
  Membership,
  MembershipDomain,
  PasswordCredential,
  PolicyRevision,
  RecoveryCode,
  Server,
  SetupToken,
  Tenant,
  TotpSecret,
  User,
} from "./generated/prisma/client";
export { createPrismaClient, type Db, type Tx } from "./client";
export {
  startDatabase,
  defaultEmbeddedPort,
  type StartDatabaseOptions,
  type StartedDatabase,
} from "./start-database";
export { applyMigrations, MigrationError } from "./migrations/apply";
export { generateToken, hashToken, safeEqualHex } from "./tokens";
export { writeAudit, type AuditEntry } from "./audit";
export {
  configChannel,
  listenConfigChanges,
  markConfigChanged,
  type ConfigChangeListenerOptions,
  type ConfigChangeScope,
} from "./config-changes";
export {
  loadPolicyLayers,
  savePolicyOverrides,
  type PolicyTarget,
  type SavePolicyOverridesInput,
} from "./policy-store";
