-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_SourceFile" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "datasetId" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "size" REAL NOT NULL,
    "mtimeMs" REAL NOT NULL,
    "status" TEXT NOT NULL,
    "header" TEXT,
    "reason" TEXT,
    CONSTRAINT "SourceFile_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_SourceFile" ("datasetId", "header", "id", "mtimeMs", "path", "reason", "size", "status") SELECT "datasetId", "header", "id", "mtimeMs", "path", "reason", "size", "status" FROM "SourceFile";
DROP TABLE "SourceFile";
ALTER TABLE "new_SourceFile" RENAME TO "SourceFile";
CREATE UNIQUE INDEX "SourceFile_datasetId_path_key" ON "SourceFile"("datasetId", "path");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

