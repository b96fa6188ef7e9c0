package io.pgpubsub.hibernate;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.ChannelStatus;
import io.pgpubsub.ChannelStatusReader;
import io.pgpubsub.DeadLetter;
import io.pgpubsub.DeadLetters;
import io.pgpubsub.Listener;
import io.pgpubsub.RetryPolicy;
import io.pgpubsub.internal.SchemaNames;
import io.pgpubsub.testing.JavaSources;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.lang.reflect.Field;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.hibernate.SessionFactory;
import org.hibernate.cfg.Configuration;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The notification tables in a schema whose name needs quotes ({@code My-Schema}; one with a double quote, a
 * non-ASCII letter and a space): an entity compiled with {@code -Apgpubsub.schema=<name>}, installed by the
 * boot, written through Hibernate; the listener calls back, status and dead letters read the tables, and a
 * second boot in validate mode finds everything current.
 */
@PostgresTest
@Timeout(180)
public class SchemaQuotingTest { // public: the listener compiled in the test records into EVENTS

  /** What the compiled listener saw: "saved:<label>" (the listener class is loaded by a child loader). */
  public static final LinkedBlockingQueue<String> EVENTS = new LinkedBlockingQueue<>();

  private static final String ENTITY =
      """
      package app.quoted;

      import io.pgpubsub.TriggerChannel;
      import jakarta.persistence.Entity;
      import jakarta.persistence.Id;
      import jakarta.persistence.Table;

      @Entity
      @Table(name = "parcel")
      @TriggerChannel
      public class Parcel {
        @Id public Long id;
        public String label;
      }
      """;

  private static final String LISTENERS =
      """
      package app.quoted;

      import io.pgpubsub.PostSaveListener;

      public class ParcelListeners {
        @PostSaveListener
        public void saved(Parcel old, Parcel current) {
          if ("poison".equals(current.label)) {
            throw new IllegalStateException("poisoned parcel " + current.id);
          }
          io.pgpubsub.hibernate.SchemaQuotingTest.EVENTS.add("saved:" + current.label);
        }
      }
      """;

  @ParameterizedTest
  @ValueSource(strings = {"My-Schema", "Sch\"éma x"})
  void installsListensReadsAndValidatesInASchemaThatNeedsQuotes(String schema, @TempDir Path dir)
      throws Exception {
    EVENTS.clear();
    try (TestDatabase db = io.pgpubsub.testing.PostgresServer.get().createDatabase("schema_quoting")) {
      db.execute("CREATE SCHEMA " + SchemaNames.quote(schema));
      Path classes =
          JavaSources.compile(
              dir,
              Map.of("app.quoted.Parcel", ENTITY, "app.quoted.ParcelListeners", LISTENERS),
              "-Apgpubsub.schema=" + schema,
              "-Apgpubsub.naming=snake_case");
      String script = Files.readString(classes.resolve("META-INF/pgpubsub.sql"));
      assertThat(script)
          .contains("CREATE TABLE IF NOT EXISTS " + SchemaNames.quote(schema) + ".pgpubsub_notification")
          .contains("INSERT INTO " + SchemaNames.quote(schema) + ".pgpubsub_notification");

      ClassLoader previous = Thread.currentThread().getContextClassLoader();
      try (URLClassLoader app = new URLClassLoader(new URL[] {classes.toUri().toURL()}, previous)) {
        Thread.currentThread().setContextClassLoader(app);
        Class<?> parcel = app.loadClass("app.quoted.Parcel");

        // first boot: installs the notification tables in the schema and the trigger
        Configuration create = TestHibernate.configuration(db, parcel);
        create.setProperty(PubSubSettings.SCHEMA, schema);
        create.setProperty(PubSubSettings.SCHEMA_MANAGEMENT, "create");
        try (SessionFactory sf = create.buildSessionFactory()) {
          assertThat(tableExists(db, schema, "pgpubsub_notification")).isTrue();
          assertThat(tableExists(db, "public", "pgpubsub_notification")).isFalse();

          try (Listener listener =
              HibernatePubSub.listener(sf)
                  .name("quoting")
                  .pollInterval(Duration.ofMillis(200))
                  .retryPolicy(RetryPolicy.noRetries())
                  .build()
                  .start()) {
            assertThat(listener.schema()).isEqualTo(schema);
            persist(sf, parcel, 1L, "first");
            assertThat(EVENTS.poll(30, TimeUnit.SECONDS)).isEqualTo("saved:first");

            persist(sf, parcel, 2L, "poison");
            listener.awaitIdle(Duration.ofSeconds(30));

            DeadLetters dead = DeadLetters.of(db.dataSource(), schema);
            List<DeadLetter> letters = dead.list("parcel", 10);
            assertThat(letters).hasSize(1);
            assertThat(letters.get(0).lastError()).contains("poisoned parcel 2");
            assertThat(listener.deadLetters().count("parcel")).isEqualTo(1);

            List<ChannelStatus> status = ChannelStatusReader.of(db.dataSource(), schema).read(List.of("parcel"));
            assertThat(status).singleElement().satisfies(s -> {
              assertThat(s.channel()).isEqualTo("parcel");
              assertThat(s.dead()).isEqualTo(1);
              assertThat(s.pending()).isZero();
            });

            // retry (wakes the listeners of this schema's NOTIFY name), fails again, dead again; then purge
            assertThat(dead.retryAll("parcel")).isEqualTo(1);
            listener.awaitIdle(Duration.ofSeconds(30));
            assertThat(dead.count("parcel")).isEqualTo(1);
            assertThat(dead.list("parcel", 10).get(0).deadAt()).as("died again").isAfter(letters.get(0).deadAt());
            assertThat(dead.purgeAll("parcel")).isEqualTo(1);
            assertThat(ChannelStatusReader.of(db.dataSource(), schema).read(List.of("parcel")))
                .singleElement()
                .satisfies(s -> assertThat(s.dead()).isZero());

            persist(sf, parcel, 3L, "third");
            assertThat(EVENTS.poll(30, TimeUnit.SECONDS)).isEqualTo("saved:third");
          }
        }

        // second boot: validate mode reads the catalog and finds the tables and the trigger current
        Configuration validate = TestHibernate.configuration(db, parcel);
        validate.setProperty(org.hibernate.cfg.AvailableSettings.HBM2DDL_AUTO, "validate");
        validate.setProperty(PubSubSettings.SCHEMA, schema);
        validate.setProperty(PubSubSettings.SCHEMA_MANAGEMENT, "validate");
        try (SessionFactory sf = validate.buildSessionFactory();
            Listener listener = HibernatePubSub.listener(sf).name("quoting-2").build().start()) {
          persist(sf, parcel, 4L, "after validate");
          assertThat(EVENTS.poll(30, TimeUnit.SECONDS)).isEqualTo("saved:after validate");
        }
      } finally {
        Thread.currentThread().setContextClassLoader(previous);
      }
    }
  }

  private static void persist(SessionFactory sf, Class<?> type, long id, String label) {
    sf.inTransaction(
        s -> {
          try {
            Object p = type.getConstructor().newInstance();
            field(type, "id").set(p, id);
            field(type, "label").set(p, label);
            s.persist(p);
          } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
          }
        });
  }

  private static Field field(Class<?> type, String name) throws NoSuchFieldException {
    return type.getField(name);
  }

  private static boolean tableExists(TestDatabase db, String schema, String table) throws Exception {
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = ? AND tablename = ?")) {
      ps.setString(1, schema);
      ps.setString(2, table);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1) == 1;
      }
    }
  }
}
