-- Dead letters per subscription (decision 0026). The sink indexes every record of the
-- dead-letter topic here (never its value: the payload stays in Kafka, sealed as stored).
-- A dead letter leaves the list only through a claim: one row per dead letter, whose primary
-- key is the guard that lets a redrive or a purge take it once, however many calls race.
-- Every table is append-only, like the rest of the log.
CREATE TABLE dead_letters (
  topic            text        NOT NULL,
  kpartition       integer     NOT NULL,
  koffset          bigint      NOT NULL,
  dead_lettered_at timestamptz NOT NULL,
  subscription_id  text        NOT NULL,
  room_id          text        NOT NULL,
  mode             text        NOT NULL, -- push or pull
  event_id         uuid        NOT NULL,
  event_type       text        NOT NULL,
  publisher        text        NOT NULL,
  published_at     timestamptz NOT NULL,
  classification   text        NOT NULL,
  reason           text        NOT NULL, -- why it was given up: rejected, expired, attempts, …
  detail           text,                 -- the last error: HTTP 400, timeout, …
  attempts         integer,
  http_status      integer,
  source_topic     text        NOT NULL,
  source_partition integer     NOT NULL,
  source_offset    bigint      NOT NULL,
  logged_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, kpartition, koffset)
);
CREATE INDEX dead_letters_subscription_time ON dead_letters (subscription_id, dead_lettered_at DESC, kpartition DESC, koffset DESC);

-- Who did what to a subscription's dead letters: one row per redrive or purge (dry runs change
-- nothing and are not recorded), with its filter and counts. The audit trail of these actions.
CREATE TABLE dead_letter_operations (
  id              text        PRIMARY KEY,
  subscription_id text        NOT NULL,
  action          text        NOT NULL, -- redrive or purge
  actor           text        NOT NULL,
  actor_role      text        NOT NULL,
  request_id      text        NOT NULL,
  filter          jsonb       NOT NULL,
  rate_per_sec    double precision,
  matched         integer     NOT NULL,
  claimed         integer     NOT NULL,
  failed          integer     NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dead_letter_operations_subscription ON dead_letter_operations (subscription_id, created_at DESC);

CREATE TABLE dead_letter_claims (
  topic        text        NOT NULL,
  kpartition   integer     NOT NULL,
  koffset      bigint      NOT NULL,
  operation_id text        NOT NULL,
  action       text        NOT NULL, -- redrive or purge
  outcome      text        NOT NULL, -- queued (handed to the redrive topic), purged, or why it could not be redriven
  claimed_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, kpartition, koffset)
);
CREATE INDEX dead_letter_claims_operation ON dead_letter_claims (operation_id);

-- Dead letters a redrive could not hand on (event type deleted, payload no longer decryptable,
-- record gone from Kafka): reported with the redrive, left unclaimed so a later one may retry.
CREATE TABLE dead_letter_failures (
  operation_id text    NOT NULL,
  topic        text    NOT NULL,
  kpartition   integer NOT NULL,
  koffset      bigint  NOT NULL,
  reason       text    NOT NULL,
  PRIMARY KEY (operation_id, topic, kpartition, koffset)
);

CREATE TRIGGER dead_letters_append_only BEFORE UPDATE OR DELETE ON dead_letters FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER dead_letter_operations_append_only BEFORE UPDATE OR DELETE ON dead_letter_operations FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER dead_letter_claims_append_only BEFORE UPDATE OR DELETE ON dead_letter_claims FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER dead_letter_failures_append_only BEFORE UPDATE OR DELETE ON dead_letter_failures FOR EACH ROW EXECUTE FUNCTION refuse_change();
GRANT SELECT, INSERT ON dead_letters, dead_letter_operations, dead_letter_claims, dead_letter_failures TO roomcast_log;
