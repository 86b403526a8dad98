-- CreateEnum
CREATE TYPE "PlanTier" AS ENUM ('free', 'pay_per_call', 'subscription', 'enterprise');

-- CreateEnum
CREATE TYPE "QuotaPeriod" AS ENUM ('month', 'day');

-- CreateEnum
CREATE TYPE "ConsumerStatus" AS ENUM ('active', 'suspended');

-- CreateEnum
CREATE TYPE "SubscriptionStatus" AS ENUM ('trialing', 'active', 'past_due', 'canceled', 'suspended');

-- CreateTable
CREATE TABLE "apis" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "path_prefix" TEXT NOT NULL,
    "upstream_url" TEXT NOT NULL,
    "strip_prefix" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "apis_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "routes" (
    "id" TEXT NOT NULL,
    "api_id" TEXT NOT NULL,
    "method" TEXT NOT NULL,
    "path_template" TEXT NOT NULL,
    "cost_weight" INTEGER NOT NULL DEFAULT 1,

    CONSTRAINT "routes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "plans" (
    "id" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "tier" "PlanTier" NOT NULL DEFAULT 'subscription',
    "version" INTEGER NOT NULL DEFAULT 1,
    "quota_limit" INTEGER NOT NULL,
    "quota_period" "QuotaPeriod" NOT NULL DEFAULT 'month',
    "rate_per_second" INTEGER,
    "rate_burst" INTEGER,
    "concurrency" INTEGER,
    "allowed_endpoints" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "count_4xx" BOOLEAN NOT NULL DEFAULT true,
    "count_5xx" BOOLEAN NOT NULL DEFAULT false,
    "alert_thresholds" INTEGER[] DEFAULT ARRAY[80, 95, 100]::INTEGER[],
    "prices" JSONB NOT NULL DEFAULT '[]',
    "currency" TEXT NOT NULL DEFAULT 'usd',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "plans_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "consumer_groups" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "plan_id" TEXT NOT NULL,

    CONSTRAINT "consumer_groups_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "consumers" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "status" "ConsumerStatus" NOT NULL DEFAULT 'active',
    "suspended_reason" TEXT,
    "time_zone" TEXT NOT NULL DEFAULT 'UTC',
    "group_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "consumers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" TEXT NOT NULL,
    "consumer_id" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "display_prefix" TEXT NOT NULL,
    "name" TEXT NOT NULL DEFAULT 'default',
    "scopes" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "expires_at" TIMESTAMP(3),
    "revoked_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "subscriptions" (
    "id" TEXT NOT NULL,
    "consumer_id" TEXT NOT NULL,
    "plan_id" TEXT NOT NULL,
    "plan_version" INTEGER NOT NULL,
    "status" "SubscriptionStatus" NOT NULL DEFAULT 'active',
    "period_anchor" TIMESTAMP(3) NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "canceled_at" TIMESTAMP(3),
    "stripe_customer_id" TEXT,
    "stripe_subscription_id" TEXT,

    CONSTRAINT "subscriptions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "settings" (
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "settings_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE UNIQUE INDEX "apis_path_prefix_key" ON "apis"("path_prefix");

-- CreateIndex
CREATE UNIQUE INDEX "routes_api_id_method_path_template_key" ON "routes"("api_id", "method", "path_template");

-- CreateIndex
CREATE UNIQUE INDEX "plans_slug_key" ON "plans"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "consumer_groups_plan_id_key" ON "consumer_groups"("plan_id");

-- CreateIndex
CREATE INDEX "consumers_email_idx" ON "consumers"("email");

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_hash_key" ON "api_keys"("hash");

-- CreateIndex
CREATE INDEX "api_keys_consumer_id_idx" ON "api_keys"("consumer_id");

-- CreateIndex
CREATE INDEX "subscriptions_consumer_id_status_idx" ON "subscriptions"("consumer_id", "status");

-- AddForeignKey
ALTER TABLE "routes" ADD CONSTRAINT "routes_api_id_fkey" FOREIGN KEY ("api_id") REFERENCES "apis"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "consumer_groups" ADD CONSTRAINT "consumer_groups_plan_id_fkey" FOREIGN KEY ("plan_id") REFERENCES "plans"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "consumers" ADD CONSTRAINT "consumers_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "consumer_groups"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_consumer_id_fkey" FOREIGN KEY ("consumer_id") REFERENCES "consumers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_consumer_id_fkey" FOREIGN KEY ("consumer_id") REFERENCES "consumers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_plan_id_fkey" FOREIGN KEY ("plan_id") REFERENCES "plans"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
