-- Environmental monitoring: samples of every Roomcast process, kept for a retention period.
-- CreateTable
CREATE TABLE "environment_sample" (
    "id" BIGSERIAL NOT NULL,
    "process_id" TEXT NOT NULL,
    "roles" TEXT[],
    "host" TEXT NOT NULL,
    "sampled_at" TIMESTAMPTZ(3) NOT NULL,
    "sample" JSONB NOT NULL,

    CONSTRAINT "environment_sample_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "environment_sample_process_id_sampled_at_key" ON "environment_sample"("process_id", "sampled_at");

-- CreateIndex
CREATE INDEX "environment_sample_sampled_at_idx" ON "environment_sample"("sampled_at");
