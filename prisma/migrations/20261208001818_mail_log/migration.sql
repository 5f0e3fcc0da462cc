-- AlterTable
ALTER TABLE "ConsoleSettings" ADD COLUMN     "logRetentionDays" INTEGER NOT NULL DEFAULT 30;

-- The mail log (issue 13): one row per record an agent ships, partitioned by day on the record's time so
-- retention drops whole partitions. Not modelled in schema.prisma (Prisma cannot declare partitioning):
-- packages/db/src/mail-log/ owns it with SQL, and the schema engine is told to leave it alone.
-- Partitions ("MailLogRecord_YYYYMMDD") are created by the ingest for the days it receives.
CREATE TABLE "MailLogRecord" (
    "serverId" TEXT NOT NULL,
    "seq" BIGINT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "tenantId" TEXT NOT NULL,
    -- The domain the record concerns, when it is one of the server's customer's, or null for a server-level record
    "domainId" TEXT,
    "type" TEXT NOT NULL,
    -- accepted | rejected | deferred | bounced | delivered, or null (outcomeOf in packages/protocol).
    "outcome" TEXT,
    "direction" TEXT,
    -- Lower-cased addresses, so a search by address needs no function index.
    "sender" TEXT,
    "recipients" TEXT[] NOT NULL DEFAULT '{}',
    "clientIp" TEXT,
    "rule" TEXT,
    "queueId" TEXT,
    "messageId" TEXT,
    "session" TEXT,
    -- The record as the agent sent it (validated by mailLogRecordSchema).
    "record" JSONB NOT NULL,
    "receivedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP
) PARTITION BY RANGE ("at");

-- Idempotent ingest: a record sent twice has the same server, sequence and time, so the same partition.
CREATE UNIQUE INDEX "MailLogRecord_serverId_seq_at_key" ON "MailLogRecord" ("serverId", "seq", "at");
CREATE INDEX "MailLogRecord_tenantId_at_idx" ON "MailLogRecord" ("tenantId", "at" DESC);
CREATE INDEX "MailLogRecord_domainId_at_idx" ON "MailLogRecord" ("domainId", "at" DESC);
CREATE INDEX "MailLogRecord_serverId_at_idx" ON "MailLogRecord" ("serverId", "at" DESC);
CREATE INDEX "MailLogRecord_recipients_idx" ON "MailLogRecord" USING GIN ("recipients");
CREATE INDEX "MailLogRecord_sender_at_idx" ON "MailLogRecord" ("sender", "at" DESC);
CREATE INDEX "MailLogRecord_clientIp_at_idx" ON "MailLogRecord" ("clientIp", "at" DESC);
CREATE INDEX "MailLogRecord_queueId_idx" ON "MailLogRecord" ("queueId");
CREATE INDEX "MailLogRecord_messageId_idx" ON "MailLogRecord" ("messageId");
