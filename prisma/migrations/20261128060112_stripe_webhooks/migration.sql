-- Stripe links are new or were never written before this migration, so the unique indexes meet no duplicates.
-- AlterTable
ALTER TABLE "consumers" ADD COLUMN     "stripe_customer_id" TEXT;

-- AlterTable
ALTER TABLE "subscriptions" ADD COLUMN     "past_due_since" TIMESTAMP(3),
ADD COLUMN     "stripe_event_at" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "stripe_events" (
    "id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "created" TIMESTAMP(3) NOT NULL,
    "received_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processed_at" TIMESTAMP(3),
    "outcome" TEXT,
    "subscription_id" TEXT,

    CONSTRAINT "stripe_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "stripe_events_created_idx" ON "stripe_events"("created");

-- CreateIndex
CREATE UNIQUE INDEX "consumers_stripe_customer_id_key" ON "consumers"("stripe_customer_id");

-- CreateIndex
CREATE UNIQUE INDEX "subscriptions_stripe_subscription_id_key" ON "subscriptions"("stripe_subscription_id");
