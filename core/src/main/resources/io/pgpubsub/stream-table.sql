-- pgpubsub streams (idempotent; PostgreSQL 13 or later: xid8). {{schema}} is replaced by the configured schema.
-- An event's position is (xid, id): the writer's top-level transaction id and an identity value. Readers only
-- read rows whose xid is below their snapshot's xmin (every transaction that could still add a row before them
-- has ended), in (xid, id) order. See docs/streams.md and io.pgpubsub.internal.StreamRepository.
CREATE TABLE IF NOT EXISTS {{schema}}.pgpubsub_stream_event (
    stream     text        NOT NULL,
    xid        xid8        NOT NULL DEFAULT pg_current_xact_id(),
    id         bigint      GENERATED ALWAYS AS IDENTITY,
    payload    jsonb       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (stream, xid, id)
);
-- one row per stream that retention has pruned: everything at or below (pruned_xid, pruned_id) is gone
CREATE TABLE IF NOT EXISTS {{schema}}.pgpubsub_stream (
    stream     text        PRIMARY KEY,
    pruned_xid xid8        NOT NULL,
    pruned_id  bigint      NOT NULL,
    pruned_at  timestamptz NOT NULL
);
-- named consumers: the position each one has processed up to, written in the transaction of its callback
CREATE TABLE IF NOT EXISTS {{schema}}.pgpubsub_stream_consumer (
    consumer   text        NOT NULL,
    stream     text        NOT NULL,
    xid        xid8        NOT NULL,
    id         bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, stream)
);
-- the capture trigger: TG_ARGV[0] is the stream, TG_ARGV[1] the NOTIFY name ('' for none)
CREATE OR REPLACE FUNCTION {{schema}}.pgpubsub_stream_capture() RETURNS trigger LANGUAGE plpgsql AS $pgpubsub$
BEGIN
  INSERT INTO {{schema}}.pgpubsub_stream_event (stream, payload) VALUES (TG_ARGV[0], jsonb_build_object(
      'op', TG_OP, 'table', TG_TABLE_NAME,
      'old', CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END,
      'new', CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END,
      'context', coalesce(nullif(current_setting('pgpubsub.notification_context', true), '')::jsonb, '{}'::jsonb)));
  IF TG_ARGV[1] <> '' THEN
    PERFORM pg_notify(TG_ARGV[1], '');
  END IF;
  RETURN NULL;
END
$pgpubsub$;
