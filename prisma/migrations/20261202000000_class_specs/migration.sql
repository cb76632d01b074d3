-- AlterTable
ALTER TABLE "Dataset" ADD COLUMN "classSpecs" TEXT;
