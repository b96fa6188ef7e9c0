package io.pgpubsub.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM running one of the benchmark's {@code main} classes, and the line protocol it speaks on its
 * stdin/stdout: the child prints {@code READY}, waits for {@code GO}, prints {@code PROGRESS <count>} while it
 * works, and on {@code STOP} (or when its work is done) prints {@code RESULT key=value ...} and exits. Its
 * stderr (log lines) goes to ours.
 */
final class Child implements AutoCloseable {

  private final String name;
  private final Process process;
  private final PrintWriter stdin;
  private final CountDownLatch ready = new CountDownLatch(1);
  private final CountDownLatch finished = new CountDownLatch(1);
  private volatile long progress;
  private volatile Map<String, String> result;

  private Child(String name, Process process) {
    this.name = name;
    this.process = process;
    this.stdin = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
    Thread reader = new Thread(this::read, "bench-child-" + name);
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Starts {@code mainClass} in a new JVM on our class path.
   *
   * @param jvmOptions e.g. {@code -Xmx256m}
   * @param jfr where to write a flight recording, or null for none
   */
  static Child start(String name, List<String> jvmOptions, Path jfr, Class<?> mainClass, List<String> args)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.add("-XX:+ExitOnOutOfMemoryError");
    cmd.add("-Dorg.jboss.logging.provider=slf4j"); // Hibernate's log lines through slf4j-simple (warnings only)
    if (jfr != null) {
      cmd.add("-XX:StartFlightRecording=settings=profile,filename=" + jfr);
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass.getName());
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    return new Child(name, p);
  }

  private void read() {
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        if (line.equals("READY")) {
          ready.countDown();
        } else if (line.startsWith("PROGRESS ")) {
          progress = Long.parseLong(line.substring("PROGRESS ".length()).trim());
        } else if (line.startsWith("RESULT ")) {
          result = Args.keyValues(line.substring("RESULT ".length()));
        } else {
          System.out.println("  [" + name + "] " + line);
        }
      }
    } catch (IOException e) {
      // the process is gone; exitCode() tells
    } finally {
      ready.countDown();
      finished.countDown();
    }
  }

  String name() {
    return name;
  }

  void awaitReady(long timeout, TimeUnit unit) throws InterruptedException {
    if (!ready.await(timeout, unit) || !process.isAlive()) {
      throw new IllegalStateException("child " + name + " did not get ready (exit code " + exitCode() + ")");
    }
  }

  void send(String line) {
    stdin.println(line);
  }

  long progress() {
    return progress;
  }

  boolean alive() {
    return process.isAlive();
  }

  /** Waits for the child's RESULT and exit; throws when it failed or gave none. */
  Map<String, String> awaitResult(long timeout, TimeUnit unit) throws InterruptedException {
    if (!finished.await(timeout, unit) || !process.waitFor(timeout, unit)) {
      process.destroyForcibly();
      throw new IllegalStateException("child " + name + " did not finish within " + timeout + " " + unit);
    }
    if (process.exitValue() != 0 || result == null) {
      throw new IllegalStateException(
          "child " + name + " failed (exit code " + process.exitValue() + (result == null ? ", no RESULT" : "") + ")");
    }
    return result;
  }

  private String exitCode() {
    return process.isAlive() ? "running" : String.valueOf(process.exitValue());
  }

  @Override
  public void close() {
    stdin.close();
    if (process.isAlive()) {
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
