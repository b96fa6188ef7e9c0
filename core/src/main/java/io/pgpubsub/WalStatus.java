package io.pgpubsub;

/**
 * The logical replication slot of a WAL-transport listener, as PostgreSQL reports it now.
 *
 * @param slot the slot's name
 * @param exists false when the slot is not there (not created yet, or dropped)
 * @param active true while a process streams from it
 * @param leader true when this listener is the process that streams from it
 * @param confirmedFlushLsn the position up to which every change has been applied and confirmed (null without slot)
 * @param retainedBytes WAL that PostgreSQL keeps for this slot ({@code pg_current_wal_insert_lsn() - restart_lsn}):
 *     a stopped or slow consumer makes it grow; bound it with {@code max_slot_wal_keep_size}
 * @param lagBytes WAL written since the last confirmed change ({@code pg_current_wal_insert_lsn() - confirmed_flush_lsn})
 * @param walStatus PostgreSQL's {@code wal_status}: reserved, extended, unreserved, or lost (lost: the slot was
 *     invalidated, see docs/wal-transport.md for the resynchronisation)
 * @param error why this listener stopped reading (a dropped or invalidated slot), or null
 */
public record WalStatus(
    String slot,
    boolean exists,
    boolean active,
    boolean leader,
    String confirmedFlushLsn,
    long retainedBytes,
    long lagBytes,
    String walStatus,
    String error) {}
