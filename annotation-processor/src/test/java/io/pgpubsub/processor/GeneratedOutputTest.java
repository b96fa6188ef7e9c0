package io.pgpubsub.processor;

import static io.pgpubsub.processor.Fixtures.assertMatchesExpected;
import static io.pgpubsub.processor.Fixtures.compileOk;
import static io.pgpubsub.processor.Fixtures.generated;
import static io.pgpubsub.processor.Fixtures.generatedSource;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.testing.compile.Compilation;
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
  void outputIsReproducible() {
    assertThat(generated(compileOk("good/plain"), "META-INF/pgpubsub.sql"))
        .isEqualTo(generated(compileOk("good/plain"), "META-INF/pgpubsub.sql"));
  }
}
