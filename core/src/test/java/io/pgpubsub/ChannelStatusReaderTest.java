package io.pgpubsub;

import static io.pgpubsub.Fixtures.await;
import static io.pgpubsub.Fixtures.inTransaction;
import static io.pgpubsub.Fixtures.plain;
import static io.pgpubsub.Fixtures.plainListener;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@SuppressWarnings("try")
@PostgresTest
@Timeout(60)
class ChannelStatusReaderTest {

  public record Order(int n) {}

  @Test
  void orderedChannelsShowKeysHeldBackByARetryOrADeadNotificationAndTheOldestWaitingKey(TestDatabase db)
      throws Exception {
    db.execute("create schema keyed");
    try (var c = db.connect()) {
      NotificationTable.install(c, "keyed");
    }
    db.execute(
        "insert into keyed.pgpubsub_notification(channel, payload, created_at, attempts, next_attempt_at, dead_at,"
            + " order_key) values"
            // a: its head failed and waits for a retry, a second one waits behind it
            + " ('orders', '{}', now() - interval '30 seconds', 1, now() + interval '1 minute', null, 'a'),"
            + " ('orders', '{}', now() - interval '20 seconds', 0, null, null, 'a'),"
            // b: a dead notification, then one waiting (held back with BLOCK, moved on with MOVE_ON)
            + " ('orders', '{}', now() - interval '1 hour', 5, null, now(), 'b'),"
            + " ('orders', '{}', now() - interval '40 seconds', 0, null, null, 'b'),"
            // c: one ready, nothing wrong
            + " ('orders', '{}', now() - interval '10 seconds', 0, null, null, 'c'),"
            + " ('mail', '{}', now() - interval '10 seconds', 0, null, null, null)");
    List<ChannelStatus> all = ChannelStatusReader.of(db.dataSource(), "keyed").read();
    assertThat(all).extracting(ChannelStatus::channel).containsExactly("mail", "orders");
    assertThat(all.get(0).keys()).as("a channel without keys").isNull();
    ChannelStatus.Keys keys = all.get(1).keys();
    assertThat(keys.waiting()).isEqualTo(3);
    assertThat(keys.retrying()).as("keys whose next notification waits for a retry").isEqualTo(1);
    assertThat(keys.dead()).as("keys with a dead notification").isEqualTo(1);
    assertThat(keys.oldestKey()).as("the key of the oldest pending notification").isEqualTo("b");
    assertThat(keys.oldestKeyAge()).isBetween(Duration.ofSeconds(39), Duration.ofSeconds(70));
  }

  @Test
  void countsPendingRetryingDeadAndTheOldestPendingAgePerChannel(TestDatabase db) throws Exception {
    db.execute("create schema ops");
    try (var c = db.connect()) {
      NotificationTable.install(c, "ops");
    }
    db.execute(
        "insert into ops.pgpubsub_notification(channel, payload, created_at, attempts, next_attempt_at, dead_at)"
            + " values ('orders', '{}', now() - interval '90 seconds', 0, null, null),"
            + " ('orders', '{}', now() - interval '5 seconds', 2, now() + interval '1 minute', null),"
            + " ('orders', '{}', now() - interval '2 hours', 5, null, now()),"
            + " ('mail', '{}', now() - interval '1 hour', 5, null, now())");
    List<ChannelStatus> all = ChannelStatusReader.of(db.dataSource(), "ops").read(List.of("idle", "orders"));

    assertThat(all).extracting(ChannelStatus::channel).containsExactly("idle", "mail", "orders");
    ChannelStatus orders = all.get(2);
    assertThat(orders.pending()).isEqualTo(2);
    assertThat(orders.retrying()).isEqualTo(1);
    assertThat(orders.dead()).isEqualTo(1);
    assertThat(orders.oldestPending())
        .as("the dead row of 2 hours does not count as pending")
        .isBetween(Duration.ofSeconds(89), Duration.ofSeconds(120));
    ChannelStatus mail = all.get(1);
    assertThat(mail.pending()).isZero();
    assertThat(mail.dead()).isEqualTo(1);
    assertThat(mail.oldestPending()).isNull();
    assertThat(all.get(0)).isEqualTo(new ChannelStatus("idle", 0, 0, 0, null, List.of()));
    assertThat(ChannelStatusReader.of(db.dataSource(), "ops").read())
        .extracting(ChannelStatus::channel)
        .as("without known channels, only those with rows")
        .containsExactly("mail", "orders");
  }

  @Test
  // the default poll interval (1 s): an idle listener publishes its heartbeat when it polls
  void liveListenersComeFromTheirHeartbeatsAndStaleOnesAreLeftOut(TestDatabase db) throws Exception {
    Fixtures.install(db);
    db.execute(
        "insert into pgpubsub_listener_stats(listener, channel, processed, rate_per_second, heartbeat_at)"
            + " values ('gone@1@host', 'status_orders', 10, 3.5, now() - interval '5 minutes')");
    CountDownLatch processed = new CountDownLatch(3);
    ChannelDefinition orders =
        plain("status_orders", Order.class, true, plainListener("Orders#on", (t, inv) -> processed.countDown()));
    Notifier notifier = Notifier.create("public", List.of(orders));
    try (Listener l = Fixtures.listener(db, orders).name("status-test").pollInterval(Duration.ofSeconds(1)).build().start()) {
      inTransaction(db, c -> {
        for (int i = 0; i < 3; i++) {
          notifier.send(c, new Order(i));
        }
      });
      assertThat(processed.await(20, TimeUnit.SECONDS)).isTrue();
      ChannelStatusReader reader = ChannelStatusReader.of(db.dataSource());
      // the heartbeat is written at start and then every 10 s: wait for the one that counts the 3
      await(
          Duration.ofSeconds(40),
          "a heartbeat counting 3 processed",
          () -> reader.read().stream()
              .anyMatch(s -> s.channel().equals("status_orders")
                  && s.listeners().stream().anyMatch(p -> p.processed() == 3)));
      ChannelStatus status = reader.read(List.of("status_orders")).get(0);
      assertThat(status.listeners()).hasSize(1);
      ChannelStatus.ListenerProcess live = status.listeners().get(0);
      assertThat(live.name()).startsWith("status-test@");
      assertThat(live.ratePerSecond()).isGreaterThanOrEqualTo(0);
      assertThat(status.ratePerSecond()).isEqualTo(live.ratePerSecond());
      assertThat(status.pending()).isZero();
      // the same heartbeats append the dashboard's history: the 3 processed, and the lag seen (nothing pending)
      assertThat(Fixtures.count(db,
              "select sum(processed) from pgpubsub_stats_history where channel = 'status_orders'"
                  + " and listener like 'status-test@%'"))
          .isEqualTo(3);
      assertThat(Fixtures.count(db,
              "select count(*) from pgpubsub_stats_history where channel = 'status_orders' and lag_seconds is not null"
                  + " and at > (select max(at) from pgpubsub_stats_history) - interval '1 second'"))
          .as("the latest heartbeat saw no pending row: no lag")
          .isZero();
    }
  }

  @Test
  void aMissingTableIsNamedAndHostileNamesAreRejected(TestDatabase db) {
    db.execute("create schema empty");
    assertThatThrownBy(() -> ChannelStatusReader.of(db.dataSource(), "empty").read())
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("empty.pgpubsub_notification does not exist");
    // a hostile name is just the name of a schema (quoted in SQL): here one without the tables
    assertThatThrownBy(() -> ChannelStatusReader.of(db.dataSource(), "x\"; drop table t; --").read())
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("table \"x\"\"; drop table t; --\".pgpubsub_notification does not exist");
    assertThatThrownBy(() -> ChannelStatusReader.of(db.dataSource(), "x".repeat(64)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invalid schema '" + "x".repeat(64) + "': it is 64 bytes long");
    assertThatThrownBy(() -> ChannelStatusReader.of(db.dataSource()).read(List.of("a'b")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invalid channel name 'a'b'");
  }
}
