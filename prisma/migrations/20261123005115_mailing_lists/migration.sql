-- CreateEnum
CREATE TYPE "MailingListPosting" AS ENUM ('MEMBERS', 'MODERATORS', 'ANYONE');

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "AuditEventType" ADD VALUE 'MAILING_LIST_CREATED';
ALTER TYPE "AuditEventType" ADD VALUE 'MAILING_LIST_UPDATED';
ALTER TYPE "AuditEventType" ADD VALUE 'MAILING_LIST_DELETED';

-- CreateTable
CREATE TABLE "MailingList" (
    "id" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "domainId" TEXT NOT NULL,
    "localPart" TEXT NOT NULL,
    "name" TEXT NOT NULL DEFAULT '',
    "posting" "MailingListPosting",
    "members" TEXT[],
    "moderators" TEXT[],
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "MailingList_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "MailingList_tenantId_idx" ON "MailingList"("tenantId");

-- CreateIndex
CREATE UNIQUE INDEX "MailingList_domainId_localPart_key" ON "MailingList"("domainId", "localPart");

-- AddForeignKey
ALTER TABLE "MailingList" ADD CONSTRAINT "MailingList_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MailingList" ADD CONSTRAINT "MailingList_domainId_fkey" FOREIGN KEY ("domainId") REFERENCES "Domain"("id") ON DELETE CASCADE ON UPDATE CASCADE;
