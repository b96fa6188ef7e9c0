package io.pgpubsub.processor;

import static io.pgpubsub.processor.Fixtures.assertMatchesExpected;
import static io.pgpubsub.processor.Fixtures.compileOk;
import static io.pgpubsub.processor.Fixtures.generated;
import static io.pgpubsub.processor.Fixtures.generatedSource;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.testing.compile.Compilation;
import java.util.List;
import java.util.Map;
import javax.tools.StandardLocation;
import org.junit.jupiter.api.Test;

/** Generated DDL and registry source, compared byte for byte with the files under expected/. */
class GeneratedOutputTest {

  @Test
  void plainEntity() {
    Compilation c = compileOk("good/plain");
    assertMatchesExpected(generated(c, "META-INF/pgpubsub/media.sql"), "expected/plain/media.sql");
    assertMatchesExpected(generated(c, "META-INF/pgpubsub.sql"), "expected/plain/pgpubsub.sql");
    assertMatchesExpected(
        generatedSource(c, "com.example.media.PgPubSubChannels"), "expected/plain/PgPubSubChannels.java.txt");
    assertThat(generated(c, "META-INF/services/io.pgpubsub.spi.ChannelRegistry"))
        .isEqualTo("com.example.media.PgPubSubChannels\n");
  }

  @Test
  void entityShapes() {
    Compilation c = compileOk("good/shapes");
    for (String channel :
        List.of(
            "accounts",
            "article",
            "card_payments",
            "cars",
            "customer",
            "order_lines_with_a_channel_name_that_is_exactly_63_bytes_long_x",
            "payment",
            "vehicle")) {
      assertMatchesExpected(
          generated(c, "META-INF/pgpubsub/" + channel + ".sql"), "expected/shapes/" + channel + ".sql");
    }
    assertThat(c.generatedFile(StandardLocation.CLASS_OUTPUT, "META-INF/pgpubsub/cache_invalidated.sql"))
        .as("plain channels have no DDL")
        .isEmpty();
    assertMatchesExpected(
        generatedSource(c, "com.example.shapes.PgPubSubChannels"), "expected/shapes/PgPubSubChannels.java.txt");
  }

  @Test
  void orderedChannels() {
    Compilation c = compileOk("good/ordered");
    assertMatchesExpected(generated(c, "META-INF/pgpubsub/purchase.sql"), "expected/ordered/purchase.sql");
    assertMatchesExpected(generated(c, "META-INF/pgpubsub/ticket.sql"), "expected/ordered/ticket.sql");
    assertMatchesExpected(
        generatedSource(c, "com.example.ordered.PgPubSubChannels"), "expected/ordered/PgPubSubChannels.java.txt");
  }

  /** Stream channels: the trigger appends to the stream table; the install script carries the stream tables. */
  @Test
  void streamChannels() {
    Compilation c = compileOk("good/stream");
    assertMatchesExpected(generated(c, "META-INF/pgpubsub/shipment.sql"), "expected/stream/shipment.sql");
    assertMatchesExpected(generated(c, "META-INF/pgpubsub/audit-log.sql"), "expected/stream/audit-log.sql");
    assertMatchesExpected(
        generatedSource(c, "com.example.stream.PgPubSubChannels"), "expected/stream/PgPubSubChannels.java.txt");
    String install = generated(c, "META-INF/pgpubsub.sql");
    assertThat(install).contains("CREATE TABLE IF NOT EXISTS public.pgpubsub_stream_event");
    assertThat(generated(compileOk("good/ordered"), "META-INF/pgpubsub.sql"))
        .as("no stream channel: no stream tables")
        .doesNotContain("pgpubsub_stream_event");
  }

  @Test
  void snakeCaseNamingAndOtherSchema() {
    Compilation c =
        compileOk(
            "good/plain",
            Map.of(
                "pgpubsub.naming", "snake_case",
                "pgpubsub.schema", "events",
                "pgpubsub.registry", "com.example.media.Channels",
                "pgpubsub.installScript", "db/pgpubsub-install.sql"));
    String ddl = generated(c, "META-INF/pgpubsub/media.sql");
    assertThat(ddl)
        .contains("Columns (mapping version ")
        .contains("): content, created_at, id, status_code, title\n")
        .contains("INSERT INTO events.pgpubsub_notification")
        .contains("\"events\".\"pgpubsub_notify_media\"()");
    assertThat(generated(c, "db/pgpubsub-install.sql"))
        .contains("CREATE TABLE IF NOT EXISTS events.pgpubsub_notification");
    assertThat(generatedSource(c, "com.example.media.Channels")).contains("public final class Channels");
    assertThat(generated(c, "META-INF/services/io.pgpubsub.spi.ChannelRegistry"))
        .isEqualTo("com.example.media.Channels\n");
  }

  @Test
  void outputIsReproducible() {
    assertThat(generated(compileOk("good/plain"), "META-INF/pgpubsub.sql"))
        .isEqualTo(generated(compileOk("good/plain"), "META-INF/pgpubsub.sql"));
  }
}
