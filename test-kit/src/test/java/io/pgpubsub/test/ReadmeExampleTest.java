package io.pgpubsub.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's example test is this module's OrderEventsTest, character for character, so it compiles and runs. */
class ReadmeExampleTest {

  static final String FILE = "test-kit/src/test/java/com/example/orders/OrderEventsTest.java";

  @Test
  void theReadmeShowsTheExampleTestThatTheBuildRuns() throws Exception {
    Path root = Path.of("").toAbsolutePath().getParent(); // surefire runs in the module's folder
    String readme = Files.readString(root.resolve("README.md"));
    String marker = "<!-- " + FILE + " -->";
    int at = readme.indexOf(marker);
    assertTrue(at >= 0, "README.md has the marker " + marker);
    int start = readme.indexOf("```java\n", at) + "```java\n".length();
    int end = readme.indexOf("```\n", start);
    assertEquals(Files.readString(root.resolve(FILE)), readme.substring(start, end), "README snippet = " + FILE);
  }
}
