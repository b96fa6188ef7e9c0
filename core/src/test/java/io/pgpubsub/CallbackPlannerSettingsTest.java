package io.pgpubsub;

import static io.pgpubsub.Fixtures.plain;
import static io.pgpubsub.Fixtures.plainListener;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The worker pins the claim's plan with transaction-local planner settings and undoes them in the same round
 * trip (Sql#claimBatch): a callback's own queries, in that transaction, must be planned with the settings the
 * session has, and its work must still be undone alone when it fails (the batch savepoint).
 */
@PostgresTest
@Timeout(60)
class CallbackPlannerSettingsTest {

  public record Ping(long n) {}

  @Test
  void callbacksRunWithTheSessionsPlannerSettingsAndTheirOwnSavepoint(TestDatabase db) throws Exception {
    Fixtures.install(db);
    db.execute("create table if not exists planner_seen(n bigint primary key, sort text, bitmap text)");
    Map<Long, String> seen = new ConcurrentHashMap<>();
    ChannelDefinition channel =
        plain("planner_settings", Ping.class, true, plainListener("Planner#seen", (t, inv) -> {
          long n = inv.newValue(Ping.class).n();
          Connection c = inv.resource(Connection.class);
          try (Statement s = c.createStatement();
              ResultSet rs =
                  s.executeQuery("select current_setting('enable_sort'), current_setting('enable_bitmapscan')")) {
            rs.next();
            seen.put(n, rs.getString(1) + "/" + rs.getString(2));
          }
          try (Statement s = c.createStatement()) {
            s.execute("insert into planner_seen values (" + n + ", 'x', 'y')");
          }
          if (n == 2 && inv.delivery().attempt() == 1) {
            throw new IllegalStateException("first attempt of 2 fails after its insert");
          }
        }));
    Notifier notifier = Notifier.create("public", List.of(channel));
    try (Listener listener =
        Fixtures.listener(db, channel)
            .workers(1)
            .batchSize(10)
            .retryPolicy(RetryPolicy.exponential(3, Duration.ofMillis(10), Duration.ofMillis(10)))
            .build()
            .start()) {
      Fixtures.inTransaction(db, c -> {
        for (long n = 1; n <= 3; n++) {
          notifier.send(c, new Ping(n));
        }
      });
      Fixtures.await(
          Duration.ofSeconds(30),
          "three pings processed",
          () -> Fixtures.count(db, "select count(*) from planner_seen") == 3
              && Fixtures.count(db, "select count(*) from pgpubsub_notification where channel = 'planner_settings'") == 0);
    }
    assertThat(seen).containsOnlyKeys(1L, 2L, 3L);
    assertThat(seen.values()).as("enable_sort/enable_bitmapscan seen by callbacks").containsOnly("on/on");
  }
}
