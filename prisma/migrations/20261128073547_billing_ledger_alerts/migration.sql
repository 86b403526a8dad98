-- CreateEnum
CREATE TYPE "PastDuePolicy" AS ENUM ('downgrade', 'suspend');

-- AlterTable
ALTER TABLE "plans" ADD COLUMN     "grace_period_days" INTEGER NOT NULL DEFAULT 3,
ADD COLUMN     "past_due_policy" "PastDuePolicy" NOT NULL DEFAULT 'downgrade';

-- AlterTable
ALTER TABLE "subscriptions" ADD COLUMN     "downgraded_from_plan_id" TEXT,
ADD COLUMN     "spend_cap_minor" INTEGER;

-- CreateTable
CREATE TABLE "stripe_objects" (
    "kind" TEXT NOT NULL,
    "local_id" TEXT NOT NULL,
    "stripe_id" TEXT NOT NULL,
    "fingerprint" TEXT,
    "synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stripe_objects_pkey" PRIMARY KEY ("kind","local_id")
);

-- CreateTable
CREATE TABLE "usage_ledger" (
    "id" TEXT NOT NULL,
    "subscription_id" TEXT NOT NULL,
    "meter_id" TEXT NOT NULL,
    "period_start" TIMESTAMP(3) NOT NULL,
    "period_end" TIMESTAMP(3) NOT NULL,
    "metered" BIGINT NOT NULL DEFAULT 0,
    "reported" BIGINT NOT NULL DEFAULT 0,
    "acknowledged" BIGINT NOT NULL DEFAULT 0,
    "closed_at" TIMESTAMP(3),
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "usage_ledger_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "usage_pushes" (
    "identifier" TEXT NOT NULL,
    "ledger_id" TEXT NOT NULL,
    "quantity" BIGINT NOT NULL,
    "cumulative" BIGINT NOT NULL,
    "kind" TEXT NOT NULL DEFAULT 'usage',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "acknowledged_at" TIMESTAMP(3),

    CONSTRAINT "usage_pushes_pkey" PRIMARY KEY ("identifier")
);

-- CreateTable
CREATE TABLE "alerts" (
    "id" TEXT NOT NULL,
    "subscription_id" TEXT NOT NULL,
    "consumer_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "period_start" TIMESTAMP(3) NOT NULL,
    "threshold" INTEGER NOT NULL DEFAULT 0,
    "used_units" INTEGER,
    "limit_units" INTEGER,
    "source" TEXT NOT NULL,
    "emailed_at" TIMESTAMP(3),
    "dismissed_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "alerts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_deliveries" (
    "id" TEXT NOT NULL,
    "consumer_id" TEXT NOT NULL,
    "alert_id" TEXT,
    "event_type" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "response_status" INTEGER,
    "error" TEXT,
    "last_attempt_at" TIMESTAMP(3),
    "delivered_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "stripe_objects_stripe_id_idx" ON "stripe_objects"("stripe_id");

-- CreateIndex
CREATE UNIQUE INDEX "usage_ledger_subscription_id_meter_id_period_start_key" ON "usage_ledger"("subscription_id", "meter_id", "period_start");

-- CreateIndex
CREATE INDEX "usage_pushes_ledger_id_idx" ON "usage_pushes"("ledger_id");

-- CreateIndex
CREATE INDEX "alerts_consumer_id_created_at_idx" ON "alerts"("consumer_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "alerts_subscription_id_period_start_kind_threshold_key" ON "alerts"("subscription_id", "period_start", "kind", "threshold");

-- CreateIndex
CREATE INDEX "webhook_deliveries_consumer_id_created_at_idx" ON "webhook_deliveries"("consumer_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_deliveries_alert_id_url_key" ON "webhook_deliveries"("alert_id", "url");

-- AddForeignKey
ALTER TABLE "usage_pushes" ADD CONSTRAINT "usage_pushes_ledger_id_fkey" FOREIGN KEY ("ledger_id") REFERENCES "usage_ledger"("id") ON DELETE CASCADE ON UPDATE CASCADE;
