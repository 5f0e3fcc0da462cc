-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "AuditEventType" ADD VALUE 'ALIAS_CREATED';
ALTER TYPE "AuditEventType" ADD VALUE 'ALIAS_DELETED';
ALTER TYPE "AuditEventType" ADD VALUE 'AUTO_REPLY_CHANGED';

-- AlterTable
ALTER TABLE "Mailbox" ADD COLUMN     "autoReplyBody" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "autoReplyEnabled" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "autoReplyIntervalHours" INTEGER NOT NULL DEFAULT 24,
ADD COLUMN     "autoReplySubject" TEXT NOT NULL DEFAULT '';

-- CreateTable
CREATE TABLE "Alias" (
    "id" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "domainId" TEXT NOT NULL,
    "localPart" TEXT NOT NULL,
    "targets" TEXT[],
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Alias_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Alias_tenantId_idx" ON "Alias"("tenantId");

-- CreateIndex
CREATE UNIQUE INDEX "Alias_domainId_localPart_key" ON "Alias"("domainId", "localPart");

-- AddForeignKey
ALTER TABLE "Alias" ADD CONSTRAINT "Alias_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Alias" ADD CONSTRAINT "Alias_domainId_fkey" FOREIGN KEY ("domainId") REFERENCES "Domain"("id") ON DELETE CASCADE ON UPDATE CASCADE;
