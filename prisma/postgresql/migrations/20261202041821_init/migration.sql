-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "Dataset" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "classMap" TEXT,
    "classSpecs" TEXT,

    CONSTRAINT "Dataset_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Patient" (
    "id" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "patientId" TEXT NOT NULL,

    CONSTRAINT "Patient_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Study" (
    "id" TEXT NOT NULL,
    "patientRef" TEXT NOT NULL,
    "studyInstanceUid" TEXT NOT NULL,
    "studyDate" TEXT,
    "description" TEXT,

    CONSTRAINT "Study_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Series" (
    "id" TEXT NOT NULL,
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
    "spacingX" DOUBLE PRECISION NOT NULL,
    "spacingY" DOUBLE PRECISION NOT NULL,
    "spacingZ" DOUBLE PRECISION NOT NULL,
    "geometry" TEXT NOT NULL,
    "dtype" TEXT NOT NULL,
    "volumePath" TEXT NOT NULL,
    "warnings" TEXT NOT NULL,
    "huMin" DOUBLE PRECISION NOT NULL,
    "huMax" DOUBLE PRECISION NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Series_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Instance" (
    "id" TEXT NOT NULL,
    "seriesRef" TEXT NOT NULL,
    "sopInstanceUid" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "sliceIndex" INTEGER NOT NULL,
    "frames" INTEGER NOT NULL,

    CONSTRAINT "Instance_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SourceFile" (
    "id" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "size" DOUBLE PRECISION NOT NULL,
    "mtimeMs" DOUBLE PRECISION NOT NULL,
    "status" TEXT NOT NULL,
    "header" TEXT,
    "reason" TEXT,

    CONSTRAINT "SourceFile_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LabelMap" (
    "id" TEXT NOT NULL,
    "seriesRef" TEXT NOT NULL,
    "sourcePath" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "volumePath" TEXT NOT NULL,
    "voxelCounts" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "LabelMap_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "IngestRun" (
    "id" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),
    "status" TEXT NOT NULL,
    "summary" TEXT,
    "host" TEXT,
    "pid" INTEGER,

    CONSTRAINT "IngestRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "IngestIssue" (
    "id" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "ingestRunId" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "reason" TEXT NOT NULL,

    CONSTRAINT "IngestIssue_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Run" (
    "id" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "name" TEXT,
    "status" TEXT NOT NULL,
    "config" TEXT NOT NULL,
    "strategy" TEXT NOT NULL,
    "seed" INTEGER NOT NULL,
    "split" TEXT,
    "plan" TEXT,
    "backend" TEXT,
    "versions" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "durationMs" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "epochsDone" INTEGER NOT NULL DEFAULT 0,
    "totalEpochs" INTEGER NOT NULL,
    "bestEpoch" INTEGER,
    "bestDice" DOUBLE PRECISION,
    "testSummary" TEXT,
    "pid" INTEGER,
    "host" TEXT,
    "heartbeatAt" TIMESTAMP(3),
    "tags" TEXT NOT NULL DEFAULT '[]',
    "notes" TEXT,
    "operatingPoint" TEXT,
    "studyId" TEXT,
    "studyArm" TEXT,

    CONSTRAINT "Run_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RunEpoch" (
    "id" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "epoch" INTEGER NOT NULL,
    "learningRate" DOUBLE PRECISION NOT NULL,
    "loss" DOUBLE PRECISION NOT NULL,
    "terms" TEXT NOT NULL,
    "weights" TEXT NOT NULL,
    "valDice" DOUBLE PRECISION,
    "valMetrics" TEXT NOT NULL,
    "durationMs" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RunEpoch_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BatchTrace" (
    "id" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "step" INTEGER NOT NULL,
    "epoch" INTEGER NOT NULL,
    "learningRate" DOUBLE PRECISION NOT NULL,
    "loss" DOUBLE PRECISION NOT NULL,
    "terms" TEXT NOT NULL,
    "weights" TEXT NOT NULL,
    "classWeights" TEXT,
    "sensitivity" TEXT,

    CONSTRAINT "BatchTrace_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CaseMetric" (
    "id" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "split" TEXT NOT NULL,
    "seriesInstanceUid" TEXT NOT NULL,
    "patientId" TEXT NOT NULL,
    "classIndex" INTEGER NOT NULL,
    "className" TEXT NOT NULL,
    "dice" DOUBLE PRECISION NOT NULL,
    "iou" DOUBLE PRECISION NOT NULL,
    "sensitivity" DOUBLE PRECISION,
    "specificity" DOUBLE PRECISION,
    "precision" DOUBLE PRECISION,
    "hd95" DOUBLE PRECISION,
    "assd" DOUBLE PRECISION,
    "groundTruthVoxels" INTEGER NOT NULL,
    "predictedVoxels" INTEGER NOT NULL,
    "lesions" INTEGER NOT NULL DEFAULT 0,
    "lesionsFound" INTEGER NOT NULL DEFAULT 0,
    "falsePositiveComponents" INTEGER NOT NULL DEFAULT 0,
    "detectionSensitivity" DOUBLE PRECISION,
    "detectionF1" DOUBLE PRECISION,

    CONSTRAINT "CaseMetric_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Artifact" (
    "id" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "bytes" INTEGER NOT NULL,
    "epoch" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Artifact_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Job" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "runId" TEXT,
    "status" TEXT NOT NULL,
    "payload" TEXT NOT NULL DEFAULT '{}',
    "workerId" TEXT,
    "cancelRequested" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "error" TEXT,
    "result" TEXT,

    CONSTRAINT "Job_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RunStudy" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "baseConfig" TEXT NOT NULL,
    "arms" TEXT NOT NULL,
    "seeds" INTEGER NOT NULL,
    "referenceArm" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RunStudy_pkey" PRIMARY KEY ("id")
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

-- CreateIndex
CREATE INDEX "Run_datasetId_idx" ON "Run"("datasetId");

-- CreateIndex
CREATE INDEX "Run_status_idx" ON "Run"("status");

-- CreateIndex
CREATE INDEX "Run_createdAt_idx" ON "Run"("createdAt");

-- CreateIndex
CREATE INDEX "Run_studyId_idx" ON "Run"("studyId");

-- CreateIndex
CREATE UNIQUE INDEX "RunEpoch_runId_epoch_key" ON "RunEpoch"("runId", "epoch");

-- CreateIndex
CREATE UNIQUE INDEX "BatchTrace_runId_step_key" ON "BatchTrace"("runId", "step");

-- CreateIndex
CREATE INDEX "CaseMetric_runId_split_idx" ON "CaseMetric"("runId", "split");

-- CreateIndex
CREATE UNIQUE INDEX "Artifact_runId_kind_name_key" ON "Artifact"("runId", "kind", "name");

-- CreateIndex
CREATE INDEX "Job_status_createdAt_idx" ON "Job"("status", "createdAt");

-- CreateIndex
CREATE INDEX "Job_runId_idx" ON "Job"("runId");

-- CreateIndex
CREATE INDEX "RunStudy_datasetId_idx" ON "RunStudy"("datasetId");

-- AddForeignKey
ALTER TABLE "Patient" ADD CONSTRAINT "Patient_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Study" ADD CONSTRAINT "Study_patientRef_fkey" FOREIGN KEY ("patientRef") REFERENCES "Patient"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Series" ADD CONSTRAINT "Series_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Series" ADD CONSTRAINT "Series_studyRef_fkey" FOREIGN KEY ("studyRef") REFERENCES "Study"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Instance" ADD CONSTRAINT "Instance_seriesRef_fkey" FOREIGN KEY ("seriesRef") REFERENCES "Series"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SourceFile" ADD CONSTRAINT "SourceFile_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LabelMap" ADD CONSTRAINT "LabelMap_seriesRef_fkey" FOREIGN KEY ("seriesRef") REFERENCES "Series"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "IngestRun" ADD CONSTRAINT "IngestRun_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "IngestIssue" ADD CONSTRAINT "IngestIssue_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "IngestIssue" ADD CONSTRAINT "IngestIssue_ingestRunId_fkey" FOREIGN KEY ("ingestRunId") REFERENCES "IngestRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Run" ADD CONSTRAINT "Run_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RunEpoch" ADD CONSTRAINT "RunEpoch_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BatchTrace" ADD CONSTRAINT "BatchTrace_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CaseMetric" ADD CONSTRAINT "CaseMetric_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Artifact" ADD CONSTRAINT "Artifact_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Job" ADD CONSTRAINT "Job_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RunStudy" ADD CONSTRAINT "RunStudy_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

