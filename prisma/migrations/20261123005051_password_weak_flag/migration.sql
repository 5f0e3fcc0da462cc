-- AlterTable
ALTER TABLE "PasswordCredential" ADD COLUMN     "weakProblems" TEXT[] DEFAULT ARRAY[]::TEXT[];
