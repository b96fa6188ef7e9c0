package io.pgpubsub.processor;

import static com.google.testing.compile.CompilationSubject.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.testing.compile.Compilation;
import com.google.testing.compile.Compiler;
import com.google.testing.compile.JavaFileObjects;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.tools.JavaFileObject;
import javax.tools.StandardLocation;

/** Compiles test sources (resources under good/ and bad/) with the processor, in memory. */
final class Fixtures {

  private Fixtures() {}

  /** Every .java file under the resource folder {@code folder}, e.g. {@code good/plain}. */
  static List<JavaFileObject> sources(String folder) {
    URL url = Fixtures.class.getClassLoader().getResource(folder);
    if (url == null) {
      throw new IllegalArgumentException("no test resource folder " + folder);
    }
    try (Stream<Path> files = Files.walk(Path.of(url.toURI()))) {
      List<JavaFileObject> out = new ArrayList<>();
      Path root = Path.of(url.toURI());
      files
          .filter(p -> p.toString().endsWith(".java"))
          .sorted()
          .forEach(p -> out.add(JavaFileObjects.forResource(folder + "/" + root.relativize(p).toString().replace('\\', '/'))));
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** One source of a fixture folder, for {@code inFile(...)}. */
  static JavaFileObject source(String folder, String path) {
    return JavaFileObjects.forResource(folder + "/" + path);
  }

  static Compilation compile(String folder, Map<String, String> options) {
    List<String> args = new ArrayList<>();
    options.forEach((k, v) -> args.add("-A" + k + "=" + v));
    return Compiler.javac()
        .withProcessors(new PgPubSubProcessor())
        .withOptions(args)
        .compile(sources(folder));
  }

  static Compilation compileOk(String folder) {
    return compileOk(folder, Map.of());
  }

  static Compilation compileOk(String folder, Map<String, String> options) {
    Compilation c = compile(folder, options);
    assertThat(c).succeededWithoutWarnings();
    return c;
  }

  /** A generated resource or class output file, as text. */
  static String generated(Compilation c, String path) {
    JavaFileObject file =
        c.generatedFile(StandardLocation.CLASS_OUTPUT, path)
            .orElseThrow(() -> new AssertionError("not generated: " + path + "; generated: " + c.generatedFiles()));
    try {
      return file.getCharContent(true).toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String generatedSource(Compilation c, String qualifiedName) {
    JavaFileObject file =
        c.generatedSourceFile(qualifiedName)
            .orElseThrow(() -> new AssertionError("not generated: " + qualifiedName));
    try {
      return file.getCharContent(true).toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes a compilation's class output (classes and resources) under {@code dir}. */
  static void writeClassOutput(Compilation c, Path dir) throws IOException {
    for (JavaFileObject f : c.generatedFiles()) {
      String path = f.toUri().getPath();
      int at = path.indexOf("/CLASS_OUTPUT/");
      if (at >= 0) {
        Path target = dir.resolve(path.substring(at + "/CLASS_OUTPUT/".length()));
        Files.createDirectories(target.getParent());
        try (InputStream in = f.openInputStream()) {
          Files.copy(in, target);
        }
      }
    }
  }

  /** The test class path plus {@code extra}, for a second compilation that sees a first one's classes. */
  static List<java.io.File> classPathWith(Path extra) {
    List<java.io.File> files = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      files.add(new java.io.File(entry));
    }
    files.add(extra.toFile());
    return files;
  }

  /** A test resource as text. */
  static String resource(String path) {
    try (InputStream in = Fixtures.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalArgumentException("no test resource " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Compares {@code actual} with the expected file byte for byte. With -Dpgpubsub.updateExpected=true the
   * expected file in src/test/resources is rewritten instead (then review the diff).
   */
  static void assertMatchesExpected(String actual, String expectedPath) {
    if (Boolean.getBoolean("pgpubsub.updateExpected")) {
      try {
        Path p = Path.of("src/test/resources", expectedPath);
        Files.createDirectories(p.getParent());
        Files.writeString(p, actual, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return;
    }
    assertThat(actual).as("generated %s", expectedPath).isEqualTo(resource(expectedPath));
  }
}
