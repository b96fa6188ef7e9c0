package io.pgpubsub.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Compiles Java sources inside a test, as a user's build would: for a tiny application that a test runs with
 * the CLI, or classes compiled without the annotation processor ({@code -proc:none}).
 */
public final class JavaSources {

  private JavaSources() {}

  /**
   * Writes {@code sources} (qualified class name to source text) under {@code dir/src}, compiles them against
   * the test's own class path into {@code dir/classes} (with {@code options}, for example {@code -proc:none}),
   * and returns that output folder.
   *
   * @throws AssertionError with javac's messages when the compilation fails
   */
  public static Path compile(Path dir, Map<String, String> sources, String... options) {
    try {
      Path src = Files.createDirectories(dir.resolve("src"));
      Path classes = Files.createDirectories(dir.resolve("classes"));
      List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "-cp", System.getProperty("java.class.path")));
      args.addAll(List.of("--release", "17"));
      args.addAll(List.of(options));
      for (Map.Entry<String, String> e : sources.entrySet()) {
        Path file = src.resolve(e.getKey().replace('.', '/') + ".java");
        Files.createDirectories(file.getParent());
        Files.writeString(file, e.getValue());
        args.add(file.toString());
      }
      JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
      if (javac == null) {
        throw new IllegalStateException("no Java compiler: run the tests on a JDK");
      }
      java.io.ByteArrayOutputStream messages = new java.io.ByteArrayOutputStream();
      int rc = javac.run(null, messages, messages, args.toArray(new String[0]));
      if (rc != 0) {
        throw new AssertionError("javac failed for " + sources.keySet() + ":\n" + messages);
      }
      return classes;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
