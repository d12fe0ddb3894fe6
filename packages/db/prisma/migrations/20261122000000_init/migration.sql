-- CreateEnum
CREATE TYPE "MemberStatus" AS ENUM ('PENDING', 'APPROVED', 'REJECTED');
CREATE TYPE "ApiKeyRole" AS ENUM ('GLOBAL_ADMIN', 'MEMBER_ADMIN', 'APPLICATION');
CREATE TYPE "RoomStatus" AS ENUM ('PENDING', 'APPROVED');
CREATE TYPE "Classification" AS ENUM ('PUBLIC', 'INTERNAL', 'CONFIDENTIAL', 'PHI', 'PII');
CREATE TYPE "Priority" AS ENUM ('LOW', 'NORMAL', 'HIGH', 'CRITICAL');
CREATE TYPE "MessageType" AS ENUM ('EVENT', 'REQUEST', 'RESPONSE', 'NOTIFICATION');
CREATE TYPE "DeliveryMode" AS ENUM ('PUSH', 'PULL', 'STREAM');
CREATE TYPE "SubscriptionStatus" AS ENUM ('PENDING', 'ACTIVE', 'PAUSED');

-- CreateTable
CREATE TABLE "member" (
    "id" TEXT NOT NULL,
    "instance" TEXT NOT NULL,
    "member_class" TEXT NOT NULL,
    "member_code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "status" "MemberStatus" NOT NULL DEFAULT 'PENDING',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "member_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "application" (
    "id" TEXT NOT NULL,
    "member_id" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "client_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "application_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "api_key" (
    "id" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "role" "ApiKeyRole" NOT NULL,
    "member_id" TEXT,
    "application_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),
    "last_used_at" TIMESTAMPTZ(3),
    CONSTRAINT "api_key_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "room" (
    "id" TEXT NOT NULL,
    "member_id" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "status" "RoomStatus" NOT NULL DEFAULT 'PENDING',
    "partitions" INTEGER NOT NULL DEFAULT 3,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "room_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "event_type" (
    "id" TEXT NOT NULL,
    "room_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "schema_id" INTEGER NOT NULL,
    "key_pointer" TEXT,
    "classification" "Classification" NOT NULL DEFAULT 'INTERNAL',
    "priority" "Priority" NOT NULL DEFAULT 'NORMAL',
    "message_type" "MessageType" NOT NULL DEFAULT 'EVENT',
    "description" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "event_type_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "publisher_contract" (
    "id" TEXT NOT NULL,
    "room_id" TEXT NOT NULL,
    "application_id" TEXT NOT NULL,
    "event_type_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),
    CONSTRAINT "publisher_contract_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "subscription" (
    "id" TEXT NOT NULL,
    "room_id" TEXT NOT NULL,
    "event_type_id" TEXT NOT NULL,
    "application_id" TEXT NOT NULL,
    "mode" "DeliveryMode" NOT NULL DEFAULT 'PUSH',
    "status" "SubscriptionStatus" NOT NULL DEFAULT 'PENDING',
    "push_url" TEXT,
    "signing_secret" TEXT NOT NULL,
    "fifo" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "subscription_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "routing_generation" (
    "id" SERIAL NOT NULL,
    "reason" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "routing_generation_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "member_instance_member_class_member_code_key" ON "member"("instance", "member_class", "member_code");
CREATE UNIQUE INDEX "application_client_id_key" ON "application"("client_id");
CREATE UNIQUE INDEX "application_member_id_code_key" ON "application"("member_id", "code");
CREATE UNIQUE INDEX "api_key_hash_key" ON "api_key"("hash");
CREATE UNIQUE INDEX "room_member_id_code_key" ON "room"("member_id", "code");
CREATE UNIQUE INDEX "event_type_room_id_name_key" ON "event_type"("room_id", "name");
CREATE UNIQUE INDEX "publisher_contract_application_id_event_type_id_key" ON "publisher_contract"("application_id", "event_type_id");
CREATE UNIQUE INDEX "subscription_application_id_event_type_id_key" ON "subscription"("application_id", "event_type_id");

-- AddForeignKey
ALTER TABLE "application" ADD CONSTRAINT "application_member_id_fkey" FOREIGN KEY ("member_id") REFERENCES "member"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "api_key" ADD CONSTRAINT "api_key_member_id_fkey" FOREIGN KEY ("member_id") REFERENCES "member"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "api_key" ADD CONSTRAINT "api_key_application_id_fkey" FOREIGN KEY ("application_id") REFERENCES "application"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "room" ADD CONSTRAINT "room_member_id_fkey" FOREIGN KEY ("member_id") REFERENCES "member"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "event_type" ADD CONSTRAINT "event_type_room_id_fkey" FOREIGN KEY ("room_id") REFERENCES "room"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "publisher_contract" ADD CONSTRAINT "publisher_contract_room_id_fkey" FOREIGN KEY ("room_id") REFERENCES "room"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "publisher_contract" ADD CONSTRAINT "publisher_contract_application_id_fkey" FOREIGN KEY ("application_id") REFERENCES "application"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "publisher_contract" ADD CONSTRAINT "publisher_contract_event_type_id_fkey" FOREIGN KEY ("event_type_id") REFERENCES "event_type"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "subscription" ADD CONSTRAINT "subscription_room_id_fkey" FOREIGN KEY ("room_id") REFERENCES "room"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "subscription" ADD CONSTRAINT "subscription_event_type_id_fkey" FOREIGN KEY ("event_type_id") REFERENCES "event_type"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "subscription" ADD CONSTRAINT "subscription_application_id_fkey" FOREIGN KEY ("application_id") REFERENCES "application"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
