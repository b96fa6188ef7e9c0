package io.pgpubsub.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What a release publishes stays in step with the modules (CONTRIBUTING.md, "Release"): every module of the root
 * POM that is deployed is listed in the BOM, and nothing else is; each of them names its Automatic-Module-Name;
 * the BOM manages pgpubsub's own artifacts only and has no parent, so importing it brings no third-party version.
 */
class ReleaseMetadataTest {

  private static final Path ROOT = ReadmeExampleTest.ROOT;
  private static final Pattern MODULE = Pattern.compile("<module>([^<]+)</module>");
  private static final Pattern PARENT = Pattern.compile("(?s)<parent>.*?</parent>");
  private static final Pattern ARTIFACT_ID = Pattern.compile("<artifactId>([^<]+)</artifactId>");
  private static final Pattern MODULE_NAME = Pattern.compile("<module.name>([^<]*)</module.name>");
  private static final Pattern JAVA_MODULE_NAME = Pattern.compile("[a-z][a-z0-9]*(\\.[a-z][a-z0-9]*)*");

  @Test
  void theBomListsEveryPublishedModuleAndEachNamesItsJavaModule() throws IOException {
    String rootPom = Files.readString(ROOT.resolve("pom.xml"));
    Set<String> published = new TreeSet<>();
    Set<String> javaModules = new HashSet<>();
    List<String> problems = new ArrayList<>();
    Matcher modules = MODULE.matcher(rootPom);
    while (modules.find()) {
      String folder = modules.group(1);
      String pom = Files.readString(ROOT.resolve(folder).resolve("pom.xml"));
      if (folder.equals("bom") || pom.contains("<maven.deploy.skip>true</maven.deploy.skip>")) {
        continue;
      }
      Matcher artifactId = ARTIFACT_ID.matcher(PARENT.matcher(pom).replaceFirst(""));
      assertTrue(artifactId.find(), folder + "/pom.xml has no artifactId");
      published.add(artifactId.group(1));
      Matcher name = MODULE_NAME.matcher(pom);
      if (!name.find() || !JAVA_MODULE_NAME.matcher(name.group(1)).matches()) {
        problems.add(folder + " sets no valid module.name (its jar's Automatic-Module-Name)");
      } else if (!javaModules.add(name.group(1))) {
        problems.add(folder + " reuses the module.name " + name.group(1));
      }
    }
    assertTrue(problems.isEmpty(), String.join("; ", problems));
    assertTrue(published.contains("pgpubsub-core"), "published modules found: " + published);

    String bom = Files.readString(ROOT.resolve("bom/pom.xml"));
    assertFalse(bom.contains("<parent>"), "the BOM inherits nothing, so it leaks no third-party version");
    String managed = bom.substring(bom.indexOf("<dependencyManagement>"), bom.indexOf("</dependencyManagement>"));
    Set<String> listed = new TreeSet<>();
    Matcher listedIds = ARTIFACT_ID.matcher(managed);
    while (listedIds.find()) {
      listed.add(listedIds.group(1));
    }
    assertEquals(published, listed, "bom/pom.xml manages exactly the published artifacts");
    assertFalse(Pattern.compile("<groupId>(?!io\\.pgpubsub<)").matcher(managed).find(),
        "the BOM manages pgpubsub's own artifacts only");
    assertEquals(version(rootPom), version(bom), "the BOM's version is the root POM's");
  }

  private static String version(String pom) {
    Matcher m = Pattern.compile("<version>([^<]+)</version>").matcher(PARENT.matcher(pom).replaceFirst(""));
    assertTrue(m.find());
    return m.group(1);
  }
}
