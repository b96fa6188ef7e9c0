package io.pgpubsub.spring;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * The test's class path minus some libraries, as a fresh class loader: an application that truly lacks them,
 * where a type named in a signature fails with {@code NoClassDefFoundError} exactly as in a user's application
 * (a {@code FilteredClassLoader} only hides classes from condition checks, not from reflection on the starter's
 * own classes).
 */
final class ClassPathWithout {

  private ClassPathWithout() {}

  /** Runs {@code IsolatedBoot.run(args)} in a class loader without the entries whose path contains any part. */
  static String boot(List<String> pathParts, String... args) throws Exception {
    List<URL> kept = new ArrayList<>();
    List<String> dropped = new ArrayList<>();
    for (URL url : classPath()) {
      String path = url.getPath();
      if (pathParts.stream().anyMatch(path::contains)) {
        dropped.add(path);
      } else {
        kept.add(url);
      }
    }
    if (dropped.isEmpty()) {
      throw new IllegalStateException("nothing on the class path matches " + pathParts);
    }
    try (URLClassLoader loader =
        new URLClassLoader(kept.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
      ClassLoader before = Thread.currentThread().getContextClassLoader();
      try {
        Class<?> boot = Class.forName("io.pgpubsub.spring.app.IsolatedBoot", true, loader);
        return (String) boot.getMethod("run", String[].class).invoke(null, (Object) args);
      } catch (InvocationTargetException e) {
        throw e.getCause() instanceof Exception ex ? ex : e;
      } finally {
        Thread.currentThread().setContextClassLoader(before);
      }
    }
  }

  /** java.class.path, or the Class-Path of surefire's manifest-only jar. */
  private static List<URL> classPath() {
    List<URL> urls = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      try {
        if (entry.endsWith(".jar") && new File(entry).getName().startsWith("surefirebooter")) {
          try (JarFile jar = new JarFile(entry)) {
            Manifest manifest = jar.getManifest();
            for (String u : manifest.getMainAttributes().getValue("Class-Path").split(" ")) {
              if (!u.isBlank()) {
                urls.add(URI.create(entry.startsWith("/") ? "file:" + entry : entry).toURL().toURI().resolve(u).toURL());
              }
            }
          }
        } else {
          urls.add(new File(entry).toURI().toURL());
        }
      } catch (MalformedURLException e) {
        throw new IllegalStateException(e);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (java.net.URISyntaxException e) {
        throw new IllegalStateException(e);
      }
    }
    return urls;
  }
}
