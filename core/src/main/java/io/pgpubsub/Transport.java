package io.pgpubsub;

/**
 * How notifications travel from the writers' triggers to the listeners. See docs/wal-transport.md for when to
 * choose which.
 */
public enum Transport {
  /**
   * The default, on any PostgreSQL (managed ones included): the trigger stores a row in the notification table
   * and NOTIFY wakes the listeners, which claim rows with {@code FOR UPDATE SKIP LOCKED} and delete them.
   */
  TABLE,
  /**
   * Opt-in, needs {@code wal_level = logical} and the REPLICATION right: the trigger calls {@code
   * pg_logical_emit_message}, so a change costs only its WAL record; one process (elected with an advisory lock)
   * reads a logical replication slot that the listener creates and names, and the callbacks' transactions store
   * the applied position, so that their database effects happen exactly once.
   */
  WAL
}
