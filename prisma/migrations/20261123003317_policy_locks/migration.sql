-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "AuditEventType" ADD VALUE 'POLICY_LOCKED';
ALTER TYPE "AuditEventType" ADD VALUE 'POLICY_UNLOCKED';

-- CreateTable
CREATE TABLE "PolicyLock" (
    "key" TEXT NOT NULL,
    "lockedById" TEXT,
    "lockedByLabel" TEXT NOT NULL,
    "lockedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PolicyLock_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "PolicyLock_lockedById_idx" ON "PolicyLock"("lockedById");

-- AddForeignKey
ALTER TABLE "PolicyLock" ADD CONSTRAINT "PolicyLock_lockedById_fkey" FOREIGN KEY ("lockedById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
