-- pgpubsub notification table (idempotent). {{schema}} is replaced by the configured schema (default public).
CREATE TABLE IF NOT EXISTS {{schema}}.pgpubsub_notification (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel         text        NOT NULL,
    payload         jsonb       NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    last_error      text,
    dead_at         timestamptz
);
-- "oldest ready rows of these channels"
CREATE INDEX IF NOT EXISTS pgpubsub_notification_ready
    ON {{schema}}.pgpubsub_notification (channel, id) WHERE dead_at IS NULL;
CREATE INDEX IF NOT EXISTS pgpubsub_notification_dead
    ON {{schema}}.pgpubsub_notification (channel, id) WHERE dead_at IS NOT NULL;
-- ordered channels: the key of each notification (null on other channels). Added to tables created before it,
-- and only then: ALTER TABLE takes an exclusive lock even when the column is there.
DO $pgpubsub$
BEGIN
  PERFORM order_key FROM {{schema}}.pgpubsub_notification LIMIT 0;
EXCEPTION WHEN undefined_column THEN
  ALTER TABLE {{schema}}.pgpubsub_notification ADD COLUMN order_key text;
END
$pgpubsub$;
-- "the head of each key of these ordered channels" (rows of other channels have no key and are not indexed)
CREATE INDEX IF NOT EXISTS pgpubsub_notification_ordered
    ON {{schema}}.pgpubsub_notification (channel, order_key, id) WHERE order_key IS NOT NULL;
-- broadcast events too large for a NOTIFY payload travel as a reference to a copy kept here for a while
CREATE TABLE IF NOT EXISTS {{schema}}.pgpubsub_broadcast (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel    text        NOT NULL,
    payload    jsonb       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS pgpubsub_broadcast_created ON {{schema}}.pgpubsub_broadcast (created_at);
-- one row per listener process and channel, refreshed every 10 s: what 'pgpubsub status' shows as listeners and rate
CREATE TABLE IF NOT EXISTS {{schema}}.pgpubsub_listener_stats (
    listener        text             NOT NULL,
    channel         text             NOT NULL,
    processed       bigint           NOT NULL,
    rate_per_second double precision NOT NULL,
    heartbeat_at    timestamptz      NOT NULL,
    PRIMARY KEY (listener, channel)
);
-- what each listener processed per channel every 10 s and the channel's lag then, for the last hour: the
-- dashboard's throughput and lag charts (each listener deletes its own rows older than an hour)
CREATE TABLE IF NOT EXISTS {{schema}}.pgpubsub_stats_history (
    listener        text             NOT NULL,
    channel         text             NOT NULL,
    at              timestamptz      NOT NULL,
    seconds         double precision NOT NULL,
    processed       bigint           NOT NULL,
    rate_per_second double precision NOT NULL,
    lag_seconds     double precision,
    PRIMARY KEY (listener, channel, at)
);
-- what the heartbeat tells about the listener's process (added to tables created before, and only then): when
-- the process started, its configured workers, how many were busy at the heartbeat, the library version
DO $pgpubsub$
BEGIN
  PERFORM process_started_at FROM {{schema}}.pgpubsub_listener_stats LIMIT 0;
EXCEPTION WHEN undefined_column THEN
  ALTER TABLE {{schema}}.pgpubsub_listener_stats
      ADD COLUMN IF NOT EXISTS process_started_at timestamptz,
      ADD COLUMN IF NOT EXISTS workers integer,
      ADD COLUMN IF NOT EXISTS busy_workers integer,
      ADD COLUMN IF NOT EXISTS version text;
END
$pgpubsub$;
-- the last failed attempts of each notification (at most 10: older ones are deleted as new ones come), written
-- only when a callback fails; rows of notifications that are gone (processed, purged) are deleted by the
-- listeners' heartbeat
CREATE TABLE IF NOT EXISTS {{schema}}.pgpubsub_attempt (
    notification_id bigint      NOT NULL,
    at              timestamptz NOT NULL,
    attempt         integer     NOT NULL,
    error           text        NOT NULL,
    listener        text
);
CREATE INDEX IF NOT EXISTS pgpubsub_attempt_notification
    ON {{schema}}.pgpubsub_attempt (notification_id, at);
-- channels whose claiming is paused (ChannelControl.pause, the dashboard): every listener leaves them alone
CREATE TABLE IF NOT EXISTS {{schema}}.pgpubsub_channel_pause (
    channel   text        PRIMARY KEY,
    paused_by text,
    paused_at timestamptz NOT NULL DEFAULT now()
);
