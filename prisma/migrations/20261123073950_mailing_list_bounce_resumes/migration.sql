-- AlterEnum
ALTER TYPE "AuditEventType" ADD VALUE 'MAILING_LIST_MEMBER_RESUMED';

-- AlterTable
ALTER TABLE "MailingList" ADD COLUMN     "bounceResumes" JSONB NOT NULL DEFAULT '[]';
