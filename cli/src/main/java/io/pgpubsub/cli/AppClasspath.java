package io.pgpubsub.cli;

import java.io.File;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine.Option;

/**
 * {@code --classpath}: the application's classes (its generated channel registry, entities and listener
 * classes), loaded by a class loader that becomes the thread's context class loader while the command runs,
 * so that ServiceLoader (the registries, Hibernate's integrator) and Hibernate find them.
 */
final class AppClasspath {

  @Option(
      names = {"--classpath", "--cp"},
      paramLabel = "PATH",
      defaultValue = "${env:PGPUBSUB_CLASSPATH}",
      description =
          "Your application's classes: jars and class folders separated by '${sys:path.separator}', 'dir/*' for"
              + " every jar in dir (env PGPUBSUB_CLASSPATH).")
  String classpath;

  /** Opens the class loader and makes it the context class loader; close the result to restore the old one. */
  Scope open() {
    ClassLoader previous = Thread.currentThread().getContextClassLoader();
    if (classpath == null || classpath.isBlank()) {
      return new Scope(previous, null);
    }
    List<URL> urls = new ArrayList<>();
    for (String entry : classpath.split(File.pathSeparator)) {
      if (entry.isBlank()) {
        continue;
      }
      try {
        if (entry.endsWith("/*") || entry.endsWith(File.separator + "*")) {
          Path dir = Path.of(entry.substring(0, entry.length() - 2));
          if (!Files.isDirectory(dir)) {
            throw new CliException(ExitCode.USAGE, "--classpath: no such folder: " + dir);
          }
          try (Stream<Path> jars = Files.list(dir)) {
            for (Path jar : jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
              urls.add(jar.toUri().toURL());
            }
          }
        } else {
          Path p = Path.of(entry);
          if (!Files.exists(p)) {
            throw new CliException(ExitCode.USAGE, "--classpath: no such file or folder: " + p);
          }
          urls.add(p.toUri().toURL());
        }
      } catch (MalformedURLException e) {
        throw new CliException(ExitCode.USAGE, "--classpath: not a path: " + entry);
      } catch (IOException e) {
        throw new CliException(ExitCode.USAGE, "--classpath: cannot read " + entry + ": " + e.getMessage());
      }
    }
    URLClassLoader loader =
        new URLClassLoader("pgpubsub-app", urls.toArray(new URL[0]), AppClasspath.class.getClassLoader());
    Thread.currentThread().setContextClassLoader(loader);
    return new Scope(previous, loader);
  }

  /** The application's class loader while a command runs. */
  static final class Scope implements AutoCloseable {
    private final ClassLoader previous;
    private final URLClassLoader loader;

    Scope(ClassLoader previous, URLClassLoader loader) {
      this.previous = previous;
      this.loader = loader;
    }

    @Override
    public void close() {
      Thread.currentThread().setContextClassLoader(previous);
      if (loader != null) {
        try {
          loader.close();
        } catch (IOException e) {
          // nothing to do: the jars are closed as far as possible
        }
      }
    }
  }
}
