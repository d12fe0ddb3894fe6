-- Injective room topic names: a new room stores the topic it was given; rooms created before
-- keep NULL and their legacy name (segments joined with '.'), so their topics keep working.
-- AlterTable
ALTER TABLE "room" ADD COLUMN "topic" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "room_topic_key" ON "room"("topic");
