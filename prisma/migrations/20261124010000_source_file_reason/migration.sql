-- Rejected files keep their reason, so reruns report them without parsing again.
ALTER TABLE "SourceFile" ADD COLUMN "reason" TEXT;
