package io.pgpubsub.relay;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** A {@link RelayChild} in a child JVM, with its output collected. */
final class ChildRelay implements AutoCloseable {

  final Process process;
  final List<String> lines = new CopyOnWriteArrayList<>();

  private ChildRelay(Process process, String name) {
    this.process = process;
    Thread reader =
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

  static ChildRelay start(String name, List<String> jvmArgs, String... args) throws Exception {
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> cmd = new ArrayList<>();
    cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    cmd.add("-Xmx256m");
    cmd.addAll(jvmArgs);
    cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    cmd.add("-Dorg.slf4j.simpleLogger.log.io.pgpubsub=info");
    cmd.add("-cp");
    cmd.add(cp);
    cmd.add(RelayChild.class.getName());
    cmd.addAll(List.of(args));
    return new ChildRelay(new ProcessBuilder(cmd).redirectErrorStream(true).start(), name);
  }

  boolean started() {
    return lines.contains("started");
  }

  /** SIGKILL: no shutdown hook, no rollback from the JVM. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }
}
