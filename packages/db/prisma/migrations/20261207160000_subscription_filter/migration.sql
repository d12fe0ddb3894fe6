-- Content filters of subscriptions (decision 0028): the filter as the subscriber registered it,
-- validated and bounded (4 KiB) by the control plane; NULL delivers every event of the type.
-- AlterTable
ALTER TABLE "subscription" ADD COLUMN "filter" JSONB;
