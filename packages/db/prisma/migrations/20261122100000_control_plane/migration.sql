-- Control plane: application approval, key labels, room options, schema versions, subscription
-- delivery settings and secret rotation, subscriber grants, endpoint allowlist, instance
-- configuration and the append-only audit log.

-- AlterEnum
ALTER TYPE "SubscriptionStatus" ADD VALUE 'DISABLED';

-- CreateEnum
CREATE TYPE "ApplicationStatus" AS ENUM ('PENDING', 'APPROVED', 'REJECTED');
CREATE TYPE "AuditOutcome" AS ENUM ('SUCCESS', 'FAILURE');

-- AlterTable
ALTER TABLE "application" ADD COLUMN "name" TEXT,
    ADD COLUMN "status" "ApplicationStatus" NOT NULL DEFAULT 'PENDING';
ALTER TABLE "api_key" ADD COLUMN "label" TEXT;
ALTER TABLE "room" ADD COLUMN "retention_ms" BIGINT,
    ADD COLUMN "auto_approve" BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN "description" TEXT,
    ADD COLUMN "approved_at" TIMESTAMPTZ(3);
ALTER TABLE "event_type" ADD COLUMN "schema_version" INTEGER NOT NULL DEFAULT 1,
    ADD COLUMN "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
ALTER TABLE "subscription" ADD COLUMN "previous_signing_secret" TEXT,
    ADD COLUMN "previous_secret_expires_at" TIMESTAMPTZ(3),
    ADD COLUMN "ttl_seconds" INTEGER NOT NULL DEFAULT 3600,
    ADD COLUMN "max_attempts" INTEGER NOT NULL DEFAULT 50,
    ADD COLUMN "initial_delay_ms" INTEGER NOT NULL DEFAULT 1000,
    ADD COLUMN "max_delay_ms" INTEGER NOT NULL DEFAULT 300000,
    ADD COLUMN "backoff_multiplier" DOUBLE PRECISION NOT NULL DEFAULT 2,
    ADD COLUMN "timeout_ms" INTEGER NOT NULL DEFAULT 10000,
    ADD COLUMN "max_in_flight" INTEGER NOT NULL DEFAULT 16,
    ADD COLUMN "rate_limit_per_sec" DOUBLE PRECISION,
    ADD COLUMN "status_reason" TEXT,
    ADD COLUMN "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    ADD COLUMN "approved_at" TIMESTAMPTZ(3);

-- Applications that existed before approval was introduced were created by a global admin.
UPDATE "application" SET "status" = 'APPROVED';

-- CreateTable
CREATE TABLE "subscriber_grant" (
    "id" TEXT NOT NULL,
    "room_id" TEXT NOT NULL,
    "application_id" TEXT NOT NULL,
    "event_type_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "subscriber_grant_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "endpoint_allowlist" (
    "id" TEXT NOT NULL,
    "pattern" TEXT NOT NULL,
    "reason" TEXT,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "endpoint_allowlist_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "instance_config" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "domain" TEXT NOT NULL,
    "instance" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "instance_config_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "audit_log" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT NOT NULL,
    "actor_role" TEXT NOT NULL,
    "member" TEXT,
    "action" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "outcome" "AuditOutcome" NOT NULL,
    "code" TEXT,
    "request_id" TEXT NOT NULL,
    "detail" JSONB,
    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "subscriber_grant_application_id_event_type_id_key" ON "subscriber_grant"("application_id", "event_type_id");
CREATE UNIQUE INDEX "endpoint_allowlist_pattern_key" ON "endpoint_allowlist"("pattern");
CREATE INDEX "audit_log_at_idx" ON "audit_log"("at");
CREATE INDEX "audit_log_member_at_idx" ON "audit_log"("member", "at");
CREATE INDEX "audit_log_action_at_idx" ON "audit_log"("action", "at");

-- AddForeignKey
ALTER TABLE "subscriber_grant" ADD CONSTRAINT "subscriber_grant_room_id_fkey" FOREIGN KEY ("room_id") REFERENCES "room"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "subscriber_grant" ADD CONSTRAINT "subscriber_grant_application_id_fkey" FOREIGN KEY ("application_id") REFERENCES "application"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "subscriber_grant" ADD CONSTRAINT "subscriber_grant_event_type_id_fkey" FOREIGN KEY ("event_type_id") REFERENCES "event_type"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- The audit log is append-only: UPDATE, DELETE and TRUNCATE are refused for every role.
CREATE FUNCTION "audit_log_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER "audit_log_no_update" BEFORE UPDATE OR DELETE ON "audit_log" FOR EACH ROW EXECUTE FUNCTION "audit_log_append_only"();
CREATE TRIGGER "audit_log_no_truncate" BEFORE TRUNCATE ON "audit_log" FOR EACH STATEMENT EXECUTE FUNCTION "audit_log_append_only"();
