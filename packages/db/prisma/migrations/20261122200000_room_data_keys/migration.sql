-- Per-room data keys for encrypting classified payloads (PHI, PII, CONFIDENTIAL). A data key is
-- stored only wrapped (AES-256-GCM) under the master key named by master_key_id; the newest
-- version of a room encrypts new events, older versions stay to decrypt events already in Kafka.
-- CreateTable
CREATE TABLE "room_data_key" (
    "id" TEXT NOT NULL,
    "room_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "master_key_id" TEXT NOT NULL,
    "wrapped_key" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "room_data_key_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "room_data_key_room_id_version_key" ON "room_data_key"("room_id", "version");

-- AddForeignKey
ALTER TABLE "room_data_key" ADD CONSTRAINT "room_data_key_room_id_fkey" FOREIGN KEY ("room_id") REFERENCES "room"("id") ON DELETE CASCADE ON UPDATE CASCADE;
