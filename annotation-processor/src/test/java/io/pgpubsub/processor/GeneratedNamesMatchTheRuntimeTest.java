package io.pgpubsub.processor;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.internal.ChannelNames;
import io.pgpubsub.internal.SchemaNames;
import io.pgpubsub.processor.internal.SqlNames;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The generated triggers NOTIFY and lock under names and keys the processor computes ({@link SqlNames}); the
 * listener LISTENs and locks under the ones core computes ({@link ChannelNames}). The two rules are written
 * once per module (the processor never loads core at compile time); this test pins them together.
 */
class GeneratedNamesMatchTheRuntimeTest {

  private static final List<String> SCHEMAS =
      List.of(
          "public", "s1", "app_two", "tenant_0042", "s".repeat(40), "x".repeat(63),
          // names that need quotes in SQL: NOTIFY names and lock keys use the raw name all the same
          "My-Schema", "évents", "Sch\"éma x", "O'Brien", "a:b", "select", "Public", "é".repeat(31));
  private static final List<String> CHANNELS =
      List.of("media", "order.lines-v2", "a", "c".repeat(20), "order_lines_with_a_channel_name_that_is_exactly_63_bytes_long_x");

  @Test
  void notifyNamesAndLockKeysAreTheSameInTheTriggerAndTheListener() {
    for (String schema : SCHEMAS) {
      for (String channel : CHANNELS) {
        String generated = SqlNames.notifyName(schema, channel);
        assertThat(generated).as("NOTIFY name of %s in %s", channel, schema).isEqualTo(ChannelNames.notifyName(schema, channel));
        assertThat(generated.getBytes(StandardCharsets.UTF_8).length).as("bytes of %s", generated).isLessThanOrEqualTo(63);
        assertThat(SqlNames.lockKey(schema, channel)).as("lock key of %s in %s", channel, schema).isEqualTo(ChannelNames.lockKey(schema, channel));
      }
    }
  }

  /** A stream trigger's NOTIFY name is the one core's stream readers LISTEN to (Streams.notifyName). */
  @Test
  void streamNotifyNamesAreTheSameInTheTriggerAndTheReader() {
    for (String schema : SCHEMAS) {
      for (String channel : CHANNELS) {
        String generated = SqlNames.streamNotifyName(schema, channel);
        assertThat(generated)
            .as("stream NOTIFY name of %s in %s", channel, schema)
            .isEqualTo(io.pgpubsub.Streams.create(schema).notifyName(channel));
        assertThat(generated.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(63);
      }
    }
  }

  @Test
  void namesAreScopedBySchemaAndDistinct() {
    Set<String> names = new HashSet<>();
    Set<Integer> keys = new HashSet<>();
    for (String schema : SCHEMAS) {
      for (String channel : CHANNELS) {
        assertThat(names.add(ChannelNames.notifyName(schema, channel))).as("distinct name for %s in %s", channel, schema).isTrue();
        assertThat(keys.add(ChannelNames.lockKey(schema, channel))).as("distinct key for %s in %s", channel, schema).isTrue();
      }
    }
    assertThat(ChannelNames.notifyName("public", "media")).as("the default schema keeps the channel name").isEqualTo("media");
    assertThat(ChannelNames.notifyName("s1", "media")).isEqualTo("s1:media");
    String longName = ChannelNames.notifyName("x".repeat(63), "media");
    assertThat(longName).hasSize(63).startsWith("x".repeat(54) + "#").matches(".*#[0-9a-f]{8}");
  }

  @Test
  void theSchemaIsQuotedInSqlExactlyAsTheRuntimeQuotesIt() {
    for (String schema : SCHEMAS) {
      assertThat(SqlNames.schema(schema)).as("SQL form of %s", schema).isEqualTo(SchemaNames.sql(schema));
    }
    assertThat(SqlNames.schema("public")).isEqualTo("public");
    assertThat(SqlNames.schema("My-Schema")).isEqualTo("\"My-Schema\"");
  }

  @Test
  void aSchemaThatNeedsQuotesIsAQuotedIdentifierInTheScriptAndRawInNamesAndKeys() {
    String schema = "My-Schema";
    String script =
        Fixtures.generated(Fixtures.compileOk("good/plain", Map.of("pgpubsub.schema", schema)), "META-INF/pgpubsub.sql");
    String key = Integer.toString(ChannelNames.lockKey(schema, "media"));
    assertThat(script)
        .contains("CREATE TABLE IF NOT EXISTS \"My-Schema\".pgpubsub_notification (")
        .contains("INSERT INTO \"My-Schema\".pgpubsub_notification (channel, payload)")
        .contains("CREATE OR REPLACE FUNCTION \"My-Schema\".")
        .contains("pg_notify('My-Schema:media', '')")
        .contains("pg_try_advisory_xact_lock_shared(" + ChannelNames.CHECK_LOCK + ", " + key + ")")
        .doesNotContain(" My-Schema.");
    String quote = "O'Bri\"en";
    String quoted =
        Fixtures.generated(Fixtures.compileOk("good/broadcast", Map.of("pgpubsub.schema", quote)), "META-INF/pgpubsub.sql");
    assertThat(quoted)
        .contains("INSERT INTO \"O'Bri\"\"en\".pgpubsub_broadcast (channel, payload)")
        .contains("pg_notify('O''Bri\"en:quotes', v_message)");
  }

  @Test
  void theGeneratedTriggerUsesTheRuntimesNameAndKey() {
    String script =
        Fixtures.generated(Fixtures.compileOk("good/plain", Map.of("pgpubsub.schema", "s1")), "META-INF/pgpubsub.sql");
    String key = Integer.toString(ChannelNames.lockKey("s1", "media"));
    assertThat(script)
        .contains("pg_notify('s1:media', '')")
        .contains("pg_try_advisory_xact_lock_shared(" + ChannelNames.CHECK_LOCK + ", " + key + ")")
        .contains("pg_try_advisory_lock(" + ChannelNames.IDLE_LOCK + ", " + key + ")")
        .doesNotContain("hashtext");
    String broadcast =
        Fixtures.generated(Fixtures.compileOk("good/broadcast", Map.of("pgpubsub.schema", "s1")), "META-INF/pgpubsub.sql");
    assertThat(broadcast).contains("pg_notify('s1:quotes', v_message)").contains("pg_notify('s1:quotes', '{\"ref\":'");
  }
}
