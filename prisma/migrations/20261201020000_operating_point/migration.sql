-- AlterTable
ALTER TABLE "Run" ADD COLUMN "operatingPoint" TEXT;
