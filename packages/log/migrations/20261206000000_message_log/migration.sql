-- The message log (decision 0020): every event received and every delivery attempt, append-only,
-- partitioned by day, chained per Kafka partition and signed at checkpoints. Applied by the
-- migrator (the schema's owner) with search_path set to the log schema; the sink and the log
-- API connect as `roomcast_log`, which may read and append and nothing else.

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'roomcast_log') THEN
    CREATE ROLE roomcast_log NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
  END IF;
END $$;

-- One row per record of a room topic (or its urgent lane): who sent what, when, where it sits
-- in Kafka, and digests of its key and payload. Never the payload itself.
CREATE TABLE events (
  logged_at      timestamptz NOT NULL, -- the Kafka record timestamp: when the broker took the event
  topic          text        NOT NULL,
  kpartition     integer     NOT NULL,
  koffset        bigint      NOT NULL,
  event_id       uuid        NOT NULL,
  room_id        text        NOT NULL,
  event_type     text        NOT NULL,
  publisher      text        NOT NULL,
  published_at   timestamptz NOT NULL, -- rc-time: when the ingress accepted it
  urgent         boolean     NOT NULL,
  key_sha256     bytea,
  payload_sha256 bytea       NOT NULL,
  size           integer     NOT NULL,
  classification text        NOT NULL,
  priority       text        NOT NULL,
  schema_id      integer     NOT NULL,
  traceparent    text,
  prev_hash      bytea       NOT NULL,
  entry_hash     bytea       NOT NULL,
  PRIMARY KEY (topic, kpartition, koffset, logged_at)
) PARTITION BY RANGE (logged_at);
CREATE INDEX events_event_id ON events (event_id);
CREATE INDEX events_room_time ON events (room_id, logged_at DESC, event_id DESC);
CREATE INDEX events_publisher_time ON events (publisher, logged_at DESC, event_id DESC);
-- A room's event type or classification: without these, a filter that matches none of a busy
-- room's newest rows walks all of them before the first match.
CREATE INDEX events_room_type_time ON events (room_id, event_type, logged_at DESC, event_id DESC);
CREATE INDEX events_room_class_time ON events (room_id, classification, logged_at DESC, event_id DESC);
CREATE TABLE events_default PARTITION OF events DEFAULT;

-- One row per record of the delivery-log topic: an attempt or a transition of one event for one
-- subscription (push, pull or stream). Never the payload, a secret or an endpoint.
CREATE TABLE deliveries (
  logged_at       timestamptz NOT NULL,
  topic           text        NOT NULL,
  kpartition      integer     NOT NULL,
  koffset         bigint      NOT NULL,
  event_id        uuid        NOT NULL,
  room_id         text        NOT NULL,
  event_type      text        NOT NULL,
  subscription_id text        NOT NULL,
  subscriber      text        NOT NULL,
  mode            text        NOT NULL,
  attempt         integer     NOT NULL,
  outcome         text        NOT NULL, -- delivered, retry, failed, cancelled, dead-lettered; pull: leased, acked, nacked, lease-expired
  state           text        NOT NULL, -- the GovStack state after it: QUEUED, SENT, DELIVERED, ERRORED, FAILED, CANCELLED
  http_status     integer,
  error_class     text,
  duration_us     bigint,
  next_attempt_at timestamptz,
  occurred_at     timestamptz NOT NULL,
  published_at    timestamptz,
  prev_hash       bytea       NOT NULL,
  entry_hash      bytea       NOT NULL,
  PRIMARY KEY (topic, kpartition, koffset, logged_at)
) PARTITION BY RANGE (logged_at);
CREATE INDEX deliveries_event ON deliveries (event_id);
CREATE INDEX deliveries_subscription_time ON deliveries (subscription_id, logged_at DESC, koffset DESC);
CREATE INDEX deliveries_room_time ON deliveries (room_id, logged_at DESC, koffset DESC);
CREATE TABLE deliveries_default PARTITION OF deliveries DEFAULT;

-- Signed checkpoints: the chain head of one stream (topic/partition) at one offset.
CREATE TABLE checkpoints (
  stream     text        NOT NULL,
  koffset    bigint      NOT NULL,
  entry_hash bytea       NOT NULL,
  signed_at  timestamptz NOT NULL,
  key_id     text        NOT NULL,
  signature  bytea       NOT NULL,
  PRIMARY KEY (stream, koffset)
);

-- Archives written before a day's partition is dropped (rows and SHA-256 of the archive file).
CREATE TABLE archives (
  table_name  text        NOT NULL,
  day         date        NOT NULL,
  rows        bigint      NOT NULL,
  sha256      text        NOT NULL,
  file        text        NOT NULL,
  archived_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (table_name, day)
);

-- The sink's bookkeeping, not evidence: per stream, the last offset written and the chain head
-- (verify never trusts this table; it recomputes the chain from the rows).
CREATE TABLE heads (
  stream             text        PRIMARY KEY,
  koffset            bigint      NOT NULL, -- last offset read (rows or not)
  row_koffset        bigint      NOT NULL, -- offset of the last row, whose hash is entry_hash
  entry_hash         bytea       NOT NULL,
  since_checkpoint   integer     NOT NULL DEFAULT 0,
  checkpoint_at      timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the message log is append-only: % on % refused', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER deliveries_append_only BEFORE UPDATE OR DELETE ON deliveries FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON checkpoints FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER archives_append_only BEFORE UPDATE OR DELETE ON archives FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Day partitions from p_from for p_days days, for both log tables (run by the sink as the
-- owner, so the writer role needs no CREATE). A day whose rows already sit in the default
-- partition (a clock far off) is left there.
CREATE FUNCTION ensure_partitions(p_from date, p_days integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  d date;
  t text;
  made integer := 0;
BEGIN
  FOREACH t IN ARRAY ARRAY['events', 'deliveries'] LOOP
    FOR i IN 0 .. GREATEST(p_days, 1) - 1 LOOP
      d := p_from + i;
      IF to_regclass(format('%I', t || '_' || to_char(d, 'YYYYMMDD'))) IS NULL THEN
        BEGIN
          EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', t || '_' || to_char(d, 'YYYYMMDD'), t, d::timestamptz, (d + 1)::timestamptz);
          made := made + 1;
        EXCEPTION WHEN check_violation THEN
          RAISE NOTICE 'partition %_% not created: the default partition holds rows of that day', t, d;
        END;
      END IF;
    END LOOP;
  END LOOP;
  RETURN made;
END $$;

-- Drops one day's partition, only once an archive of exactly its rows is recorded.
CREATE FUNCTION drop_day(p_table text, p_day date) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  part text := p_table || '_' || to_char(p_day, 'YYYYMMDD');
  archived bigint;
  present bigint;
BEGIN
  IF p_table NOT IN ('events', 'deliveries') THEN RAISE EXCEPTION 'not a log table: %', p_table; END IF;
  IF to_regclass(format('%I', part)) IS NULL THEN RETURN 0; END IF;
  SELECT rows INTO archived FROM archives WHERE table_name = p_table AND day = p_day;
  IF archived IS NULL THEN RAISE EXCEPTION 'partition % has no archive', part; END IF;
  EXECUTE format('SELECT count(*) FROM %I', part) INTO present;
  IF present <> archived THEN RAISE EXCEPTION 'partition % holds % rows, its archive %', part, present, archived; END IF;
  EXECUTE format('DROP TABLE %I', part);
  RETURN present;
END $$;

REVOKE ALL ON FUNCTION ensure_partitions(date, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION drop_day(text, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ensure_partitions(date, integer) TO roomcast_log;
GRANT EXECUTE ON FUNCTION drop_day(text, date) TO roomcast_log;
DO $$ BEGIN EXECUTE format('GRANT USAGE ON SCHEMA %I TO roomcast_log', current_schema()); END $$;
GRANT SELECT, INSERT ON events, deliveries, checkpoints, archives TO roomcast_log;
GRANT SELECT, INSERT, UPDATE ON heads TO roomcast_log;
SELECT ensure_partitions(current_date - 1, 4);
