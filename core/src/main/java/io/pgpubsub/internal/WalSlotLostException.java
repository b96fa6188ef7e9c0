package io.pgpubsub.internal;

/** The listener's replication slot was dropped or invalidated: changes may be missing, so it stops reading. */
public final class WalSlotLostException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  WalSlotLostException(String slot, String what) {
    super(
        "replication slot '" + slot + "' of the WAL transport " + what + ": changes committed since its last"
            + " confirmed position may be missing, so the listener stops reading instead of skipping them."
            + " Resynchronise (docs/wal-transport.md): reconcile what changed from the tables themselves, then"
            + " WalTransport.resetSlot(connection, schema, \"" + slot + "\") and start again (a new slot begins at"
            + " the current end of the WAL)");
  }
}
