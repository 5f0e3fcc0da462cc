-- AlterTable
ALTER TABLE "Server" ADD COLUMN     "connectionId" TEXT;
