package io.pgpubsub.processor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.Set;
import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.Processor;
import javax.annotation.processing.RoundEnvironment;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.TypeElement;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, item 9: an IDE recompiles only the changed sources, with the previous class output on the class
 * path and as the class output. The processor then sees only those sources; the registry, the install script
 * and the index must still hold the channels of the classes that were not recompiled (re-derived from their
 * class files, so their DDL is the full build's), and drop the ones whose classes were deleted.
 */
class PartialRecompileTest {

  private static final String PKG = "com/example/partial/";
  private static final String REGISTRY = "com/example/partial/PgPubSubChannels.java";

  private static final Map<String, String> SOURCES =
      Map.of(
          "Album.java",
          """
          package com.example.partial;

          import io.pgpubsub.TriggerChannel;
          import jakarta.persistence.Entity;
          import jakarta.persistence.Id;

          @Entity
          @TriggerChannel
          public class Album {
            @Id public Long id;
            public String name;
          }
          """,
          "Book.java",
          """
          package com.example.partial;

          import io.pgpubsub.TriggerChannel;
          import jakarta.persistence.Column;
          import jakarta.persistence.Embeddable;
          import jakarta.persistence.Embedded;
          import jakarta.persistence.Entity;
          import jakarta.persistence.Id;
          import jakarta.persistence.Table;
          import jakarta.persistence.Transient;

          @Entity
          @Table(name = "books", schema = "library")
          @TriggerChannel(name = "book-events", watchColumns = {"title", "isbn_code"}, excludeColumns = "blurb")
          public class Book {
            @Id public Long id;
            public String title;
            @Column(name = "isbn_code") public String isbn;
            public String blurb;
            @Embedded public Shelf shelf;
            @Transient public String cached;
            public transient String alsoCached;

            @Embeddable
            public static class Shelf {
              public String room;
              public int position;
            }
          }
          """,
          "BookListeners.java",
          """
          package com.example.partial;

          import io.pgpubsub.Delivery;
          import io.pgpubsub.PostDeleteListener;
          import io.pgpubsub.PostUpdateListener;

          public class BookListeners {
            @PostUpdateListener
            public void onUpdate(Book old, Book current, Delivery delivery) {}

            @PostDeleteListener
            public static void onDelete(Book old) {}
          }
          """);

  @TempDir Path dir;
  private Path src;
  private Path out;
  private Path gen;

  @BeforeEach
  void writeSources() throws IOException {
    src = Files.createDirectories(dir.resolve("src/" + PKG));
    out = Files.createDirectories(dir.resolve("classes"));
    gen = Files.createDirectories(dir.resolve("generated"));
    for (Map.Entry<String, String> e : SOURCES.entrySet()) {
      Files.writeString(src.resolve(e.getKey()), e.getValue());
    }
  }

  @Test
  void recompilingOnlyOneEntityKeepsTheOtherChannelsWithTheirDdl() throws IOException {
    compile(List.of("Album.java", "Book.java", "BookListeners.java"));
    Map<String, String> full = outputs();
    assertThat(full.get("install")).contains("pgpubsub_notify_album", "pgpubsub_notify_book-events");
    assertThat(full.get("index"))
        .contains("type com.example.partial.Album\n", "type com.example.partial.Book\n",
            "type com.example.partial.BookListeners\n");

    compile(List.of("Album.java")); // as an IDE does after an edit of Album only

    Map<String, String> partial = outputs();
    assertThat(partial.get("registry")).contains("\"book-events\"", "BookListeners.onDelete(");
    assertThat(partial).as("outputs after recompiling Album only").isEqualTo(full);
  }

  @Test
  void recompilingOnlyAListenerClassKeepsItsChannel() throws IOException {
    compile(List.of("Album.java", "Book.java", "BookListeners.java"));
    Map<String, String> full = outputs();

    compile(List.of("BookListeners.java"));

    assertThat(outputs()).isEqualTo(full);
  }

  @Test
  void aDeletedEntityDropsOutOnThePartialRecompile() throws IOException {
    compile(List.of("Album.java", "Book.java", "BookListeners.java"));
    // the user deletes Book and its listeners; the IDE deletes their class files and recompiles the rest
    for (String f : List.of("Book.java", "BookListeners.java")) {
      Files.delete(src.resolve(f));
    }
    for (String c : List.of("Book.class", "Book$Shelf.class", "BookListeners.class")) {
      Files.delete(out.resolve(PKG + c));
    }

    compile(List.of("Album.java"));

    Map<String, String> partial = outputs();
    assertThat(partial.get("registry")).contains("\"album\"").doesNotContain("book");
    assertThat(partial.get("install")).contains("pgpubsub_notify_album").doesNotContain("book");
    assertThat(partial.get("index"))
        .contains("type com.example.partial.Album\n")
        .doesNotContain("com.example.partial.Book");
  }

  /** Generates the @TriggerChannel entity com.example.partial.Generated in its first round. */
  static final class EntityGenerator extends AbstractProcessor {
    private boolean done;

    @Override
    public Set<String> getSupportedAnnotationTypes() {
      return Set.of("*");
    }

    @Override
    public SourceVersion getSupportedSourceVersion() {
      return SourceVersion.latestSupported();
    }

    @Override
    public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
      if (!done) {
        done = true;
        try (Writer w = processingEnv.getFiler().createSourceFile("com.example.partial.Generated").openWriter()) {
          w.write(
              "package com.example.partial;\n@jakarta.persistence.Entity @io.pgpubsub.TriggerChannel\n"
                  + "public class Generated { @jakarta.persistence.Id public Long id; public String what; }\n");
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      return false;
    }
  }

  @Test
  void aChannelTakenFromItsClassFileAndGeneratedAgainInALaterRoundIsNoLateRoundError() throws IOException {
    // a clean build: GeneratedListeners' parameter type appears in round 2, so the listener is deferred
    // (PGPUBSUB-026's deferral) and the registry, merged with the (empty) index, is written in round 2
    Files.writeString(
        src.resolve("GeneratedListeners.java"),
        """
        package com.example.partial;

        public class GeneratedListeners {
          @io.pgpubsub.PostInsertListener
          public void onGenerated(Generated current) {}
        }
        """);
    compile(List.of("Album.java", "Book.java", "BookListeners.java", "GeneratedListeners.java"), new EntityGenerator());
    Map<String, String> full = outputs();
    assertThat(full.get("install")).contains("pgpubsub_notify_generated");
    assertThat(full.get("registry")).contains("GeneratedListeners) target).onGenerated(");

    // Generated comes from its class file in round 1, where the registry is written, and its regenerated
    // source appears in round 2: the previous build's output of the same processor, not PGPUBSUB-023
    compile(List.of("Album.java"), new EntityGenerator());

    assertThat(outputs()).isEqualTo(full);
  }

  /** Registry source, install script, Book's channel script and index, as text. */
  private Map<String, String> outputs() throws IOException {
    Map<String, String> texts = new TreeMap<>();
    texts.put("registry", Files.readString(gen.resolve(REGISTRY)));
    texts.put("install", Files.readString(out.resolve("META-INF/pgpubsub.sql")));
    texts.put("index", Files.readString(out.resolve(PgPubSubProcessor.INDEX)));
    Path book = out.resolve("META-INF/pgpubsub/book-events.sql");
    if (Files.exists(book)) {
      texts.put("book-events.sql", Files.readString(book));
    }
    texts.put("services", Files.readString(out.resolve("META-INF/services/io.pgpubsub.spi.ChannelRegistry")));
    return texts;
  }

  /**
   * Compiles {@code files} of the fixture with the processor into the one output folder, with that folder on
   * the class path, as IntelliJ and Eclipse do; {@code -Werror}, so a warning fails it too.
   */
  private void compile(List<String> files, Processor... others) throws IOException {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    try (StandardJavaFileManager fm = javac.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
      List<File> sources = new ArrayList<>();
      files.forEach(f -> sources.add(src.resolve(f).toFile()));
      List<String> options =
          List.of(
              "-d", out.toString(),
              "-s", gen.toString(),
              "-cp", System.getProperty("java.class.path") + File.pathSeparator + out,
              "-Werror");
      JavaCompiler.CompilationTask task =
          javac.getTask(null, fm, diagnostics, options, null, fm.getJavaFileObjectsFromFiles(sources));
      List<Processor> processors = new ArrayList<>(List.of(others));
      processors.add(0, new PgPubSubProcessor());
      task.setProcessors(processors);
      boolean ok = task.call();
      List<String> messages = new ArrayList<>();
      for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
        if (d.getKind() != Diagnostic.Kind.NOTE) {
          messages.add(d.getKind() + ": " + d.getMessage(null));
        }
      }
      assertThat(messages).as("javac messages compiling %s", files).isEmpty();
      assertThat(ok).as("javac result compiling %s: %s", files, diagnostics.getDiagnostics()).isTrue();
    }
  }
}
