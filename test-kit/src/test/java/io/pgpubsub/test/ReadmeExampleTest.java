package io.pgpubsub.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every code block of the README and of {@code docs/} that is marked {@code <!-- path/of/a/File -->} is that
 * file of the repository, character for character, so what users copy is what the build compiles and runs.
 * Lines between {@code reactor-only:start} and {@code reactor-only:end} comments are this project's build only
 * (a fixture's ordering dependency on the processor) and are left out of the comparison.
 */
class ReadmeExampleTest {

  private static final Pattern MARKER =
      Pattern.compile("(?m)^( *)<!-- ([\\w./-]+\\.(?:java|xml|yaml|yml|properties)) -->\\n\\1```[a-z]*\\n");

  static final Path ROOT = Path.of("").toAbsolutePath().getParent(); // surefire runs in the module's folder

  @Test
  void everyMarkedSnippetIsTheFileItNames() throws IOException {
    List<Path> pages = pages();
    int checked = 0;
    for (Path page : pages) {
      String text = Files.readString(page);
      Matcher m = MARKER.matcher(text);
      while (m.find()) {
        String indent = m.group(1);
        String file = m.group(2);
        int end = text.indexOf("\n" + indent + "```\n", m.end() - 1);
        assertTrue(end >= 0, page.getFileName() + ": the block of " + file + " is not closed");
        String block = text.substring(m.end(), end + 1);
        if (!indent.isEmpty()) {
          block = block.lines().map(l -> l.startsWith(indent) ? l.substring(indent.length()) : l)
              .reduce("", (a, b) -> a + b + "\n");
        }
        assertEquals(withoutReactorOnly(Files.readString(ROOT.resolve(file))), block,
            ROOT.relativize(page) + " shows " + file);
        checked++;
      }
    }
    assertTrue(checked >= 7, "the README and docs/ show the tested files (found " + checked + " marked blocks)");
  }

  @Test
  void theReadmeAndTheTestingGuideShowTheExampleBuildsThatTheBuildRuns() throws IOException {
    assertTrue(Files.readString(ROOT.resolve("docs/testing.md"))
        .contains("<!-- test-kit/src/test/java/com/example/orders/OrderEventsTest.java -->"));
    assertTrue(Files.readString(ROOT.resolve("README.md")).contains("<!-- fixtures/boot-minimal/pom.xml -->"));
  }

  /**
   * A public type of a published module that the README names (as a word) has its package in the README: in the
   * tour's table of packages or in an import line.
   */
  @Test
  void everyPublicTypeTheReadmeNamesHasItsPackageShown() throws IOException {
    String readme = Files.readString(ROOT.resolve("README.md"));
    List<String> missing = new ArrayList<>();
    for (String module : List.of("core", "hibernate-integration", "spring-boot-starter", "test-kit", "dashboard")) {
      Path sources = ROOT.resolve(module).resolve("src/main/java");
      try (Stream<Path> files = Files.walk(sources)) {
        for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
          String relative = sources.relativize(f).toString().replace('\\', '/');
          if (relative.contains("/internal/")) {
            continue;
          }
          String name = f.getFileName().toString().replace(".java", "");
          String pkg = relative.substring(0, relative.lastIndexOf('/')).replace('/', '.');
          String source = Files.readString(f);
          boolean isPublic = Pattern.compile("(?m)^public .*\\b(class|interface|@interface|record|enum) " + name + "\\b")
              .matcher(source).find();
          if (!isPublic || !Pattern.compile("\\b" + name + "\\b").matcher(readme).find()) {
            continue;
          }
          boolean shown = readme.contains(pkg + "." + name)
              || Pattern.compile("`" + Pattern.quote(pkg) + "`[^|\\n]*\\|[^\\n]*`" + name + "`").matcher(readme).find();
          if (!shown) {
            missing.add(pkg + "." + name);
          }
        }
      }
    }
    assertTrue(missing.isEmpty(), "the README names these types without their package: " + missing);
  }

  private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");

  /** Every relative link of the README and docs/ reaches a file, and its #anchor a heading of that file. */
  @Test
  void noRelativeLinkIsBroken() throws IOException {
    List<Path> pages = pages();
    List<String> broken = new ArrayList<>();
    int links = 0;
    for (Path page : pages) {
      String text = withoutFences(Files.readString(page));
      Matcher m = LINK.matcher(text);
      while (m.find()) {
        String target = m.group(1);
        if (target.matches("^[a-z]+:.*")) {
          continue; // https:, mailto:
        }
        links++;
        String file = target.contains("#") ? target.substring(0, target.indexOf('#')) : target;
        String anchor = target.contains("#") ? target.substring(target.indexOf('#') + 1) : null;
        Path resolved = file.isEmpty() ? page : page.getParent().resolve(file).normalize();
        if (!Files.exists(resolved)) {
          broken.add(ROOT.relativize(page) + ": " + target + " (no such file)");
        } else if (anchor != null && !anchors(resolved).contains(anchor)) {
          broken.add(ROOT.relativize(page) + ": " + target + " (no such heading)");
        }
      }
    }
    assertTrue(links > 20, "found only " + links + " relative links");
    assertTrue(broken.isEmpty(), "broken links: " + broken);
  }

  /** GitHub's anchors of a Markdown file's headings. */
  static List<String> anchors(Path file) throws IOException {
    if (!file.toString().endsWith(".md")) {
      return List.of();
    }
    return withoutFences(Files.readString(file)).lines()
        .filter(l -> l.startsWith("#"))
        .map(l -> l.replaceFirst("^#+\\s*", "").toLowerCase(java.util.Locale.ROOT)
            .replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-'))
        .toList();
  }

  private static String withoutFences(String text) {
    return text.replaceAll("(?s)```.*?```", "");
  }

  /** README.md and every page of docs/. */
  static List<Path> pages() throws IOException {
    List<Path> pages = new ArrayList<>(List.of(ROOT.resolve("README.md")));
    try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
    }
    return pages;
  }

  static String withoutReactorOnly(String text) {
    StringBuilder out = new StringBuilder();
    boolean skip = false;
    for (String line : text.split("\n", -1)) {
      if (line.contains("reactor-only:start")) {
        skip = true;
      } else if (line.contains("reactor-only:end")) {
        skip = false;
      } else if (!skip) {
        out.append(line).append('\n');
      }
    }
    return out.substring(0, out.length() - 1);
  }
}
