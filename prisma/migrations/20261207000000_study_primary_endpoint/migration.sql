-- AlterTable
ALTER TABLE "RunStudy" ADD COLUMN "primaryEndpoint" TEXT;
