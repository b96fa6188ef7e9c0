package io.pgpubsub.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Finds the classes a persistence unit would list in some packages (and their subpackages): {@code @Entity},
 * {@code @Embeddable}, {@code @MappedSuperclass} and {@code @Converter} classes, from class folders and jars.
 */
final class EntityScan {

  private static final String[] MANAGED = {
    "jakarta.persistence.Entity",
    "jakarta.persistence.Embeddable",
    "jakarta.persistence.MappedSuperclass",
    "jakarta.persistence.Converter"
  };

  private EntityScan() {}

  /** Qualified names of the managed classes in {@code packages}, sorted. */
  static Set<Class<?>> scan(ClassLoader loader, Set<String> packages) {
    Set<String> names = new TreeSet<>();
    for (String pkg : packages) {
      String path = pkg.replace('.', '/');
      try {
        Enumeration<URL> roots = loader.getResources(path.isEmpty() ? "" : path + "/");
        while (roots.hasMoreElements()) {
          URL root = roots.nextElement();
          if (root.getProtocol().equals("file")) {
            Path dir = Path.of(root.toURI());
            try (Stream<Path> files = Files.walk(dir)) {
              files
                  .filter(f -> f.toString().endsWith(".class"))
                  .forEach(f -> names.add(className(path, dir.relativize(f).toString().replace('\\', '/'))));
            }
          } else if (root.getProtocol().equals("jar")) {
            JarURLConnection jar = (JarURLConnection) root.openConnection();
            jar.setUseCaches(false);
            try (JarFile file = jar.getJarFile()) {
              for (Enumeration<JarEntry> e = file.entries(); e.hasMoreElements(); ) {
                String entry = e.nextElement().getName();
                if (entry.startsWith(path + "/") && entry.endsWith(".class")) {
                  names.add(entry.substring(0, entry.length() - 6).replace('/', '.'));
                }
              }
            }
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (URISyntaxException e) {
        throw new IllegalStateException(e);
      }
    }
    Set<Class<?>> managed = new java.util.LinkedHashSet<>();
    for (String name : names) {
      if (name.endsWith("module-info") || name.endsWith("package-info")) {
        continue;
      }
      Class<?> type;
      try {
        type = Class.forName(name, false, loader);
      } catch (ClassNotFoundException | LinkageError e) {
        continue; // a class whose dependencies are missing cannot be an entity we could map anyway
      }
      for (java.lang.annotation.Annotation a : type.getDeclaredAnnotations()) {
        String n = a.annotationType().getName();
        for (String m : MANAGED) {
          if (n.equals(m)) {
            managed.add(type);
          }
        }
      }
    }
    return managed;
  }

  private static String className(String pkgPath, String relative) {
    String full = (pkgPath.isEmpty() ? "" : pkgPath + "/") + relative;
    return full.substring(0, full.length() - 6).replace('/', '.');
  }
}
