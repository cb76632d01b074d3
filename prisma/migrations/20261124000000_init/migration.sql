-- CreateTable
CREATE TABLE "Dataset" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "classMap" TEXT
);

-- CreateTable
CREATE TABLE "Patient" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "datasetId" TEXT NOT NULL,
    "patientId" TEXT NOT NULL,
    CONSTRAINT "Patient_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Study" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "patientRef" TEXT NOT NULL,
    "studyInstanceUid" TEXT NOT NULL,
    "studyDate" TEXT,
    "description" TEXT,
    CONSTRAINT "Study_patientRef_fkey" FOREIGN KEY ("patientRef") REFERENCES "Patient" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Series" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "datasetId" TEXT NOT NULL,
    "studyRef" TEXT NOT NULL,
    "seriesInstanceUid" TEXT NOT NULL,
    "modality" TEXT NOT NULL,
    "description" TEXT,
    "folder" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "columns" INTEGER NOT NULL,
    "rows" INTEGER NOT NULL,
    "slices" INTEGER NOT NULL,
    "spacingX" REAL NOT NULL,
    "spacingY" REAL NOT NULL,
    "spacingZ" REAL NOT NULL,
    "geometry" TEXT NOT NULL,
    "dtype" TEXT NOT NULL,
    "volumePath" TEXT NOT NULL,
    "warnings" TEXT NOT NULL,
    "huMin" REAL NOT NULL,
    "huMax" REAL NOT NULL,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Series_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Series_studyRef_fkey" FOREIGN KEY ("studyRef") REFERENCES "Study" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Instance" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "seriesRef" TEXT NOT NULL,
    "sopInstanceUid" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "sliceIndex" INTEGER NOT NULL,
    "frames" INTEGER NOT NULL,
    CONSTRAINT "Instance_seriesRef_fkey" FOREIGN KEY ("seriesRef") REFERENCES "Series" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "SourceFile" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "datasetId" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "mtimeMs" REAL NOT NULL,
    "status" TEXT NOT NULL,
    "header" TEXT,
    CONSTRAINT "SourceFile_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "LabelMap" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "seriesRef" TEXT NOT NULL,
    "sourcePath" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "volumePath" TEXT NOT NULL,
    "voxelCounts" TEXT NOT NULL,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "LabelMap_seriesRef_fkey" FOREIGN KEY ("seriesRef") REFERENCES "Series" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "IngestRun" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "datasetId" TEXT NOT NULL,
    "startedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" DATETIME,
    "status" TEXT NOT NULL,
    "summary" TEXT,
    CONSTRAINT "IngestRun_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "IngestIssue" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "datasetId" TEXT NOT NULL,
    "ingestRunId" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    CONSTRAINT "IngestIssue_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "IngestIssue_ingestRunId_fkey" FOREIGN KEY ("ingestRunId") REFERENCES "IngestRun" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "Dataset_name_key" ON "Dataset"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Patient_datasetId_patientId_key" ON "Patient"("datasetId", "patientId");

-- CreateIndex
CREATE UNIQUE INDEX "Study_patientRef_studyInstanceUid_key" ON "Study"("patientRef", "studyInstanceUid");

-- CreateIndex
CREATE INDEX "Series_studyRef_idx" ON "Series"("studyRef");

-- CreateIndex
CREATE UNIQUE INDEX "Series_datasetId_seriesInstanceUid_key" ON "Series"("datasetId", "seriesInstanceUid");

-- CreateIndex
CREATE INDEX "Instance_seriesRef_idx" ON "Instance"("seriesRef");

-- CreateIndex
CREATE INDEX "Instance_sopInstanceUid_idx" ON "Instance"("sopInstanceUid");

-- CreateIndex
CREATE UNIQUE INDEX "SourceFile_datasetId_path_key" ON "SourceFile"("datasetId", "path");

-- CreateIndex
CREATE UNIQUE INDEX "LabelMap_seriesRef_key" ON "LabelMap"("seriesRef");

-- CreateIndex
CREATE INDEX "IngestRun_datasetId_idx" ON "IngestRun"("datasetId");

-- CreateIndex
CREATE INDEX "IngestIssue_datasetId_idx" ON "IngestIssue"("datasetId");

-- CreateIndex
CREATE INDEX "IngestIssue_ingestRunId_idx" ON "IngestIssue"("ingestRunId");

