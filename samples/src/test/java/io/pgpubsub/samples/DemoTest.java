package io.pgpubsub.samples;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

@PostgresTest
class DemoTest {

  @Test
  void demoRunsEndToEndOnTheGivenDatabase(TestDatabase db) throws Exception {
    PrintStream out = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      Demo.run(new String[] {"--jdbc-url=" + db.jdbcUrlWithCredentials()});
    } finally {
      System.setOut(out);
    }
    String printed = captured.toString(StandardCharsets.UTF_8);
    assertThat(printed)
        .contains("ok: 3 notifications are stored, waiting")
        .contains("ok: successful scan callbacks (1004) = scan results: nothing was processed twice")
        .contains("ok: the dead letter keeps its attempts and error")
        .contains("demo finished")
        .doesNotContain("DEMO FAILED");
  }
}
