-- AlterTable
ALTER TABLE "BatchTrace" ADD COLUMN "classWeights" TEXT;
ALTER TABLE "BatchTrace" ADD COLUMN "sensitivity" TEXT;
