-- AlterTable
ALTER TABLE "IngestRun" ADD COLUMN "host" TEXT;
ALTER TABLE "IngestRun" ADD COLUMN "pid" INTEGER;
