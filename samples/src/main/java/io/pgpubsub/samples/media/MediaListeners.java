package io.pgpubsub.samples.media;

import io.pgpubsub.Delivery;
import io.pgpubsub.PostDeleteListener;
import io.pgpubsub.PostInsertListener;
import io.pgpubsub.PostUpdateListener;
import io.pgpubsub.samples.media.Media.Status;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.hibernate.Session;

/**
 * The media callbacks. One instance per listener process (the demo's listener factory passes the process
 * name), so the demo can tell which process handled what.
 */
public class MediaListeners {

  /** What the callbacks saw, for the demo to print and check. */
  public static final class Journal {
    public final Queue<String> lines = new ConcurrentLinkedQueue<>();
    public final Map<String, AtomicInteger> scansBy = new ConcurrentHashMap<>();
    public final Queue<Map<String, Object>> contexts = new ConcurrentLinkedQueue<>();
    public final Queue<Media> deleted = new ConcurrentLinkedQueue<>();
    /** The attempt numbers flaky.bin's scans were called with. */
    public final java.util.Set<Integer> flakyAttempts = ConcurrentHashMap.newKeySet();
  }

  private final String scanner;
  private final Journal journal;

  public MediaListeners(String scanner, Journal journal) {
    this.scanner = scanner;
    this.journal = journal;
  }

  /**
   * The "virus scan". The stored row leaves out the file's bytes (excludeColumns), so the callback reads them
   * through its Session, which shares the transaction that removes the notification: the ScanResult and the
   * status change commit together with that removal, or not at all.
   */
  @PostInsertListener
  public void scan(Media media, Session session, Delivery delivery) {
    if (media.getFileName().startsWith("corrupt")) {
      throw new IllegalStateException("cannot scan " + media.getFileName() + ": archive is corrupt");
    }
    if (media.getFileName().startsWith("flaky")) {
      journal.flakyAttempts.add(delivery.attempt());
      if (delivery.attempt() < 3) {
        throw new IllegalStateException("scanner timed out (attempt " + delivery.attempt() + ")");
      }
    }
    Media stored = session.find(Media.class, media.getId());
    String bytes = new String(stored.getContent(), StandardCharsets.ISO_8859_1);
    Status verdict = bytes.contains("EICAR") ? Status.INFECTED : Status.CLEAN;
    stored.setStatus(verdict);
    session.persist(new ScanResult(media.getId(), verdict.name(), scanner));
    journal.scansBy.computeIfAbsent(scanner, k -> new AtomicInteger()).incrementAndGet();
    if (!delivery.context().isEmpty()) {
      journal.contexts.add(delivery.context());
    }
  }

  /** Runs for the status change the scan made (the change filter lets it through: status is watched). */
  @PostUpdateListener
  public void statusChanged(Media old, Media current) {
    journal.lines.add(current.getFileName() + ": " + old.getStatus() + " -> " + current.getStatus());
  }

  @PostDeleteListener
  public void deleted(Media old) {
    journal.deleted.add(old);
  }
}
