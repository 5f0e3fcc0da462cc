-- AlterTable
ALTER TABLE "Mailbox" ADD COLUMN     "throttleMessagesPerDay" INTEGER,
ADD COLUMN     "throttleMessagesPerHour" INTEGER;
