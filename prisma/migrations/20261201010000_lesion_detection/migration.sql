-- AlterTable
ALTER TABLE "CaseMetric" ADD COLUMN "lesions" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "CaseMetric" ADD COLUMN "lesionsFound" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "CaseMetric" ADD COLUMN "falsePositiveComponents" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "CaseMetric" ADD COLUMN "detectionSensitivity" REAL;
ALTER TABLE "CaseMetric" ADD COLUMN "detectionF1" REAL;
