-- CreateEnum
CREATE TYPE "AgentCommandStatus" AS ENUM ('PENDING', 'SENT', 'DONE', 'FAILED', 'EXPIRED');

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "AuditEventType" ADD VALUE 'QUEUE_RETRIED';
ALTER TYPE "AuditEventType" ADD VALUE 'QUEUE_RETRIES_RESET';
ALTER TYPE "AuditEventType" ADD VALUE 'QUEUE_MESSAGE_DELETED';
ALTER TYPE "AuditEventType" ADD VALUE 'QUEUE_MESSAGE_BOUNCED';

-- CreateTable
CREATE TABLE "AgentCommand" (
    "id" TEXT NOT NULL,
    "serverId" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "status" "AgentCommandStatus" NOT NULL DEFAULT 'PENDING',
    "result" JSONB,
    "error" TEXT,
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMP(3),
    "completedAt" TIMESTAMP(3),

    CONSTRAINT "AgentCommand_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AgentCommand_serverId_status_idx" ON "AgentCommand"("serverId", "status");

-- CreateIndex
CREATE INDEX "AgentCommand_createdById_idx" ON "AgentCommand"("createdById");

-- CreateIndex
CREATE INDEX "AgentCommand_status_createdAt_idx" ON "AgentCommand"("status", "createdAt");

-- AddForeignKey
ALTER TABLE "AgentCommand" ADD CONSTRAINT "AgentCommand_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "Server"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AgentCommand" ADD CONSTRAINT "AgentCommand_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
