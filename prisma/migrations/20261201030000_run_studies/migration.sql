-- AlterTable
ALTER TABLE "Run" ADD COLUMN "studyId" TEXT;
ALTER TABLE "Run" ADD COLUMN "studyArm" TEXT;

-- CreateTable
CREATE TABLE "RunStudy" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "baseConfig" TEXT NOT NULL,
    "arms" TEXT NOT NULL,
    "seeds" INTEGER NOT NULL,
    "referenceArm" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "RunStudy_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "RunStudy_datasetId_idx" ON "RunStudy"("datasetId");

-- CreateIndex
CREATE INDEX "Run_studyId_idx" ON "Run"("studyId");
