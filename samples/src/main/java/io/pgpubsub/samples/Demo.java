package io.pgpubsub.samples;

import io.pgpubsub.DeadLetter;
import io.pgpubsub.Listener;
import io.pgpubsub.Notifier;
import io.pgpubsub.RetryPolicy;
import io.pgpubsub.hibernate.HibernatePubSub;
import io.pgpubsub.hibernate.PubSubSettings;
import io.pgpubsub.samples.blog.Author;
import io.pgpubsub.samples.blog.BlogListeners;
import io.pgpubsub.samples.blog.PostPublished;
import io.pgpubsub.samples.media.Media;
import io.pgpubsub.samples.media.MediaListeners;
import io.pgpubsub.samples.media.ScanResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.hibernate.SessionFactory;
import org.hibernate.jpa.HibernatePersistenceConfiguration;

/**
 * The demo: a small media library. Every step prints what it does and why, and checks what it claims: if a
 * claim does not hold (a notification processed twice, say), the demo stops with exit code 1.
 *
 * <p>Database: an embedded PostgreSQL; or, with {@code PGPUBSUB_JDBC_URL} or {@code --jdbc-url=...}, a database of
 * its own on that server (see {@link DemoDatabase}), created for the run and dropped at its end.
 */
public final class Demo {

  private static final Duration WAIT = Duration.ofSeconds(60);

  private final SessionFactory sessionFactory;
  private final MediaListeners.Journal journal = new MediaListeners.Journal();
  private final BlogListeners blogA = new BlogListeners();
  private final BlogListeners blogB = new BlogListeners();
  private int step;

  private Demo(SessionFactory sessionFactory) {
    this.sessionFactory = sessionFactory;
  }

  public static void main(String[] args) throws Exception {
    try {
      run(args);
    } catch (ClaimFailed e) {
      System.out.println();
      System.out.println("DEMO FAILED: " + e.getMessage());
      System.exit(1);
    }
  }

  /** Runs the whole demo; throws {@link ClaimFailed} when something it claims does not hold. */
  static void run(String[] args) throws Exception {
    System.setProperty("org.jboss.logging.provider", "slf4j"); // Hibernate's logs through SLF4J, like ours
    long started = System.nanoTime();
    try (DemoDatabase db = DemoDatabase.open(args)) {
      System.out.println("pgpubsub demo on " + db.describe());
      try (SessionFactory sf = boot(db.jdbcUrl())) {
        new Demo(sf).steps();
      }
    }
    System.out.printf("%ndemo finished in %.1f s: every claim above was checked%n", (System.nanoTime() - started) / 1e9);
  }

  static SessionFactory boot(String jdbcUrl) {
    return new HibernatePersistenceConfiguration("demo")
        .managedClasses(Media.class, ScanResult.class, Author.class)
        .jdbcUrl(jdbcUrl)
        // the demo's own tables; a real application uses its migrations
        .property("hibernate.hbm2ddl.auto", "create-drop")
        // pgpubsub: install the notification table and the generated triggers at boot (the default)
        .property(PubSubSettings.SCHEMA_MANAGEMENT, "create")
        .property("hibernate.show_sql", "false")
        .createEntityManagerFactory()
        .unwrap(SessionFactory.class);
  }

  private Listener startListener(String name, BlogListeners blog) {
    return HibernatePubSub.listener(sessionFactory)
        .name(name)
        .workers(2)
        .retryPolicy(RetryPolicy.exponential(3, Duration.ofMillis(50), Duration.ofMillis(200)))
        .listenerFactory(
            type -> {
              if (type == MediaListeners.class) {
                return new MediaListeners(name, journal);
              }
              if (type == BlogListeners.class) {
                return blog;
              }
              throw new IllegalArgumentException("unexpected listener class " + type);
            })
        .build()
        .start();
  }

  private void steps() throws Exception {
    say(
        "Booted Hibernate. The pgpubsub integration installed the notification table and, for each",
        "@TriggerChannel entity (Media: lockable; Author: broadcast), the trigger the annotation processor",
        "generated at compile time.");
    check(count("select count(*) from pg_trigger where tgname in ('pgpubsub_media', 'pgpubsub_author')") == 2,
        "both triggers are installed");

    // 1. recovery
    say("Upload 3 files while NO listener runs. The trigger stores each insert in pgpubsub_notification,",
        "inside the uploading transaction, so nothing is lost while listeners are down.");
    sessionFactory.inTransaction(s -> {
      s.persist(new Media("cat.png", bytes("a cat")));
      s.persist(new Media("report.pdf", bytes("quarterly numbers")));
      s.persist(new Media("invoice.exe", bytes("X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE")));
    });
    long stored = count("select count(*) from pgpubsub_notification where channel = 'media'");
    check(stored == 3, "3 notifications are stored, waiting (found " + stored + ")");
    System.out.println("   stored and waiting: " + stored);

    say("Start listener A. It recovers the stored backlog first: each file is 'scanned' by a @PostInsertListener",
        "that writes a ScanResult and the new status through its Hibernate Session, in the same transaction",
        "that deletes the notification.");
    try (Listener a = startListener("listener-A", blogA)) {
      await("the 3 uploads are scanned", () -> count("select count(*) from scan_result"), 3);
      check(verdict("invoice.exe").equals("INFECTED") && verdict("cat.png").equals("CLEAN"),
          "invoice.exe is INFECTED, cat.png is CLEAN");
      await("the 3 status changes reach the @PostUpdateListener", () -> journal.lines.size(), 3);
      journal.lines.forEach(l -> System.out.println("   @PostUpdateListener saw " + l));

      // 2. context
      say("A writer attaches a context (who did it, which request) to its transaction; the callback gets it.");
      sessionFactory.inTransaction(s -> {
        HibernatePubSub.setContext(s, Map.of("user", "alice", "request", "r-42"));
        s.persist(new Media("holiday.jpg", bytes("beach")));
      });
      await("holiday.jpg is scanned", () -> count("select count(*) from scan_result"), 4);
      Map<String, Object> ctx = journal.contexts.peek();
      check(ctx != null && "alice".equals(ctx.get("user")) && "r-42".equals(ctx.get("request")),
          "the callback received the writer's context " + ctx);
      System.out.println("   callback received context " + ctx);

      // 3. change filter and rollback
      say("Media's channel watches only status and file_name: an update of the download counter stores",
          "nothing. (Checked inside the writer's transaction, where its own stored rows are visible.)");
      Long catId = mediaId("cat.png");
      // count only this transaction's own changes of the cat: the running listener deletes others meanwhile
      String catRows = "select count(*) from pgpubsub_notification where channel = 'media'"
          + " and payload->'new'->>'id' = '" + catId + "' and payload->'new'->>'downloads' = '42'";
      sessionFactory.inTransaction(s -> {
        s.find(Media.class, catId).setDownloads(42);
        s.flush();
        check(countIn(s, catRows) == 0, "an update of an unwatched column stores no notification");
        s.find(Media.class, catId).setStatus(Media.Status.INFECTED);
        s.flush();
        check(countIn(s, catRows) == 1, "an update of a watched column stores one");
        System.out.println("   downloads=42: +0 notifications; status=INFECTED: +1 (in the open transaction)");
        s.getTransaction().setRollbackOnly();
      });
      check(count("select count(*) from pgpubsub_notification where payload->'new'->>'id' = '" + catId
              + "' and payload->'new'->>'status' = 'INFECTED'") == 0
              && journal.lines.stream().noneMatch(l -> l.startsWith("cat.png: CLEAN -> INFECTED")),
          "the rolled-back status change was never stored, so it can never be delivered");
      System.out.println("   ...and the transaction rolled back: nothing was stored, nothing delivered");

      // 4. delete
      say("Delete report.pdf: the @PostDeleteListener receives the old row as a Media entity.");
      sessionFactory.inTransaction(s -> s.remove(s.find(Media.class, mediaId("report.pdf"))));
      await("the delete is delivered", () -> journal.deleted.size(), 1);
      Media old = journal.deleted.peek();
      check(old.getFileName().equals("report.pdf") && old.getStatus() == Media.Status.CLEAN,
          "old row is report.pdf, CLEAN (" + old + ")");
      System.out.println("   @PostDeleteListener got " + old);

      // 5. broadcast
      say("Start listener B. Author is a broadcast channel: EVERY running listener gets every change",
          "(here: each keeps its own cache of author names).");
      try (Listener b = startListener("listener-B", blogB)) {
        Author[] author = new Author[1];
        sessionFactory.inTransaction(s -> {
          author[0] = new Author("Ada");
          s.persist(author[0]);
        });
        long id = author[0].getId();
        // broadcast events may run in parallel on a listener's workers (docs/guarantees.md): a cache
        // that simply puts what it gets must see the insert before the rename is sent, or it may keep "Ada"
        await("both listeners see the new author", () -> ("Ada".equals(blogA.authorNames.get(id)) ? 1 : 0)
            + ("Ada".equals(blogB.authorNames.get(id)) ? 1 : 0), 2);
        sessionFactory.inTransaction(s -> s.find(Author.class, author[0].getId()).setName("Ada Lovelace"));
        await("both listeners see the rename", () -> ("Ada Lovelace".equals(blogA.authorNames.get(id)) ? 1 : 0)
            + ("Ada Lovelace".equals(blogB.authorNames.get(id)) ? 1 : 0), 2);
        System.out.println("   A's cache: " + blogA.authorNames + ", B's cache: " + blogB.authorNames);

        // 6. plain channel
        say("A plain channel: the record PostPublished, sent with Notifier.notify inside the writer's",
            "transaction (no table, no trigger). Lockable, so exactly one of A and B handles it.");
        sessionFactory.inTransaction(s -> s.doWork(c -> {
          io.pgpubsub.NotificationContext.set(c, Map.of("user", "bob"));
          Notifier.notify(c, new PostPublished(7, "Hello, pgpubsub", Instant.parse("2026-11-23T12:00:00Z")));
        }));
        await("the announcement is handled", () -> blogA.announcements.size() + blogB.announcements.size(), 1);
        List<String> all = new java.util.ArrayList<>(blogA.announcements);
        all.addAll(blogB.announcements);
        check(all.size() == 1, "handled once, not by both");
        System.out.println("   " + all.get(0) + " (handled by " + (blogA.announcements.isEmpty() ? "B" : "A") + ")");

        // 7. two listeners share one channel
        say("A burst of 1,000 uploads in one transaction; A and B share the media channel. Each claims",
            "batches with FOR UPDATE SKIP LOCKED, so every file is scanned exactly once: scan_result's",
            "primary key is the media id, so a second scan would fail.");
        sessionFactory.inTransaction(s -> {
          for (int i = 0; i < 1000; i++) {
            s.persist(new Media("burst-" + i + ".txt", bytes("file " + i)));
            if (i % 100 == 99) {
              s.flush();
              s.clear();
            }
          }
        });
        await("1,000 burst files are scanned", () -> count("select count(*) from scan_result where media_id in"
            + " (select id from media where file_name like 'burst-%')"), 1000);
        long byA = count("select count(*) from scan_result where scanner = 'listener-A'");
        long byB = count("select count(*) from scan_result where scanner = 'listener-B'");
        int callbacks = journal.scansBy.values().stream().mapToInt(java.util.concurrent.atomic.AtomicInteger::get).sum();
        check(callbacks == count("select count(*) from scan_result"),
            "successful scan callbacks (" + callbacks + ") = scan results: nothing was processed twice");
        System.out.println("   scanned by A: " + byA + ", by B: " + byB + "; duplicates: 0");

        // 8. retries and dead letters
        say("Failures: flaky.bin fails twice then succeeds (retried with back-off); corrupt.bin always fails",
            "and is dead-lettered after 3 attempts, with its error kept for an operator. Others keep flowing.");
        sessionFactory.inTransaction(s -> {
          s.persist(new Media("flaky.bin", bytes("sometimes slow")));
          s.persist(new Media("corrupt.bin", bytes("garbage")));
          s.persist(new Media("after-the-failures.txt", bytes("fine")));
        });
        await("flaky.bin succeeds on its 3rd attempt", () -> count("select count(*) from scan_result where media_id = "
            + mediaId("flaky.bin")), 1);
        check(journal.flakyAttempts.equals(java.util.Set.of(1, 2, 3)),
            "flaky.bin was attempted 3 times " + new java.util.TreeSet<>(journal.flakyAttempts));
        await("after-the-failures.txt is scanned", () -> count("select count(*) from scan_result where media_id = "
            + mediaId("after-the-failures.txt")), 1);
        await("corrupt.bin is dead", () -> count("select count(*) from pgpubsub_notification where dead_at is not null"), 1);
        DeadLetter dead = a.deadLetters().list("media", 10).get(0);
        check(dead.attempts() == 3 && dead.lastError().contains("archive is corrupt"),
            "the dead letter keeps its attempts and error");
        System.out.println("   dead letter #" + dead.id() + " after " + dead.attempts() + " attempts: "
            + dead.lastError().lines().findFirst().orElse(""));
        check(a.deadLetters().purge(dead.id()), "purged");
        System.out.println("   an operator purged it (or retries it: DeadLetters.retry / 'pgpubsub dead retry')");
        await("the last status changes are processed too",
            () -> count("select count(*) from pgpubsub_notification") == 0 ? 1 : 0, 1);
      }
    }
    say("Both listeners stopped gracefully: in-flight callbacks finished, connections closed.");
    check(count("select count(*) from pgpubsub_notification") == 0, "nothing is left in the notification table");
  }

  // ---- helpers ----

  private void say(String... lines) {
    System.out.println();
    System.out.println(++step + ". " + lines[0]);
    for (int i = 1; i < lines.length; i++) {
      System.out.println("   " + lines[i]);
    }
  }

  static final class ClaimFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ClaimFailed(String message) {
      super(message);
    }
  }

  private static void check(boolean holds, String claim) {
    if (!holds) {
      throw new ClaimFailed(claim);
    }
    System.out.println("   ok: " + claim);
  }

  /** Waits for {@code value} to reach {@code expected}, showing progress when it takes more than 2 s. */
  private static void await(String what, LongSupplier value, long expected) {
    long start = System.nanoTime();
    long deadline = start + WAIT.toNanos();
    long nextReport = start + TimeUnit.SECONDS.toNanos(2);
    long v;
    while ((v = value.getAsLong()) < expected) {
      long now = System.nanoTime();
      if (now > deadline) {
        throw new ClaimFailed(what + ": only " + v + " of " + expected + " after " + WAIT.toSeconds() + " s");
      }
      if (now > nextReport) {
        System.out.printf("   ... %s: %d of %d%n", what, v, expected);
        nextReport = now + TimeUnit.SECONDS.toNanos(2);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
    if (v > expected) {
      throw new ClaimFailed(what + ": expected " + expected + " but got " + v);
    }
    System.out.printf("   ok: %s (%d ms)%n", what, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
  }

  private long count(String sql) {
    return sessionFactory.fromTransaction(s -> countIn(s, sql));
  }

  private static long countIn(org.hibernate.Session s, String sql) {
    return ((Number) s.createNativeQuery(sql, Long.class).getSingleResult()).longValue();
  }

  private Long mediaId(String fileName) {
    return sessionFactory.fromTransaction(s -> s.createSelectionQuery(
            "select id from Media where fileName = :f", Long.class).setParameter("f", fileName).getSingleResult());
  }

  private String verdict(String fileName) {
    return sessionFactory.fromTransaction(s -> s.find(ScanResult.class, mediaId(fileName)).getVerdict());
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }
}
