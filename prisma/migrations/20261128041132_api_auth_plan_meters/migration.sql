-- New columns are all nullable or defaulted, so the unique indexes cannot meet duplicates.
-- CreateEnum
CREATE TYPE "CountersUnavailablePolicy" AS ENUM ('reject', 'local_limit');

-- AlterTable
ALTER TABLE "apis" ADD COLUMN     "ingest_token_hash" TEXT,
ADD COLUMN     "jwt" JSONB,
ADD COLUMN     "key_in_query" TEXT;

-- AlterTable
ALTER TABLE "consumers" ADD COLUMN     "external_id" TEXT;

-- AlterTable
ALTER TABLE "plans" ADD COLUMN     "counters_unavailable" "CountersUnavailablePolicy" NOT NULL DEFAULT 'reject',
ADD COLUMN     "meters" JSONB NOT NULL DEFAULT '[]';

-- CreateIndex
CREATE UNIQUE INDEX "apis_ingest_token_hash_key" ON "apis"("ingest_token_hash");

-- CreateIndex
CREATE UNIQUE INDEX "consumers_external_id_key" ON "consumers"("external_id");
