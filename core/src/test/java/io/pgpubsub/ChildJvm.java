package io.pgpubsub;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** A {@link ListenerProcess} in a child JVM, with its output collected. */
final class ChildJvm implements AutoCloseable {

  final Process process;
  final List<String> lines = new CopyOnWriteArrayList<>();
  private final Thread reader;

  private ChildJvm(Process process, String name) {
    this.process = process;
    this.reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  lines.add(line);
                  System.out.println("[" + name + "] " + line);
                }
              } catch (Exception e) {
                // process gone
              }
            },
            "child-output-" + name);
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Starts {@link ListenerProcess} with the test class path.
   *
   * @param withoutMicrometer leave Micrometer off the child's class path (core must work without it)
   */
  static ChildJvm start(String name, List<String> jvmArgs, boolean withoutMicrometer, String... args)
      throws Exception {
    return start(ListenerProcess.class, name, jvmArgs, withoutMicrometer, args);
  }

  /** As {@link #start(String, List, boolean, String...)}, with another main class. */
  static ChildJvm start(Class<?> main, String name, List<String> jvmArgs, boolean withoutMicrometer, String... args)
      throws Exception {
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    if (withoutMicrometer) {
      cp =
          Arrays.stream(cp.split(File.pathSeparator))
              .filter(e -> !e.contains("micrometer"))
              .collect(Collectors.joining(File.pathSeparator));
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    cmd.addAll(jvmArgs);
    cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=info");
    cmd.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
    cmd.add("-Dorg.slf4j.simpleLogger.log.com.zaxxer.hikari=warn");
    cmd.add("-cp");
    cmd.add(cp);
    cmd.add(main.getName());
    cmd.addAll(Arrays.asList(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    return new ChildJvm(pb.start(), name);
  }

  boolean printed(String prefix) {
    return lines.stream().anyMatch(l -> l.startsWith(prefix));
  }

  String line(String prefix) {
    return lines.stream().filter(l -> l.startsWith(prefix)).findFirst().orElse(null);
  }

  @Override
  public void close() {
    try {
      if (process.isAlive()) {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(10, TimeUnit.SECONDS);
        }
      }
      reader.join(5_000);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
