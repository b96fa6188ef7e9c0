package io.pgpubsub.relay;

import java.util.List;

/**
 * A real broker for the relay scenarios ({@link AbstractRelayTest}): each relay module implements it for its
 * broker. Implementations have a public no-argument constructor (the child relay process, {@link RelayChild},
 * builds one from its class name) and find the broker from system properties or fixed local addresses.
 */
public interface TestBroker {

  /**
   * Skips the calling test (saying why) unless {@code what} answers, starting it with {@code start} when it does
   * not and waiting up to {@code wait} for it: the brokers' test classes call this once per JVM.
   */
  static void ensureAnswering(
      String what, java.util.function.BooleanSupplier answers, java.time.Duration wait, String... start) {
    if (answers.getAsBoolean()) {
      return;
    }
    String error = null;
    try {
      new ProcessBuilder(start).inheritIO().start().waitFor();
    } catch (java.io.IOException e) {
      error = e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    long deadline = System.nanoTime() + wait.toNanos();
    while (!answers.getAsBoolean() && System.nanoTime() < deadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(300_000_000L);
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(answers.getAsBoolean(), what + " does not answer and `"
        + String.join(" ", start) + "` did not start it" + (error != null ? " (" + error + ")" : ""));
  }

  /** A new, empty target (topic, exchange + queue, stream) for one test; its name. */
  String newTarget() throws Exception;

  /** A publisher to {@code target}. */
  RelayPublisher publisher(String target) throws Exception;

  /**
   * A publisher to {@code target} that connects through {@code host:port} (a proxy the test can cut), or null
   * when this broker cannot be reached through a plain TCP proxy.
   */
  RelayPublisher publisherVia(String target, String host, int port) throws Exception;

  /** The broker's own address, for a proxy in front of it. */
  String host();

  int port();

  /** Starts reading {@code target} from its beginning. */
  TestConsumer consumer(String target) throws Exception;

  /** True when the broker itself drops re-sends of one id (JetStream's duplicate window). */
  boolean dropsDuplicates();

  /**
   * A key whose message this broker refuses when it is as large as the test's poison message (100 KB), for
   * example because its routing key routes nowhere; other keys' messages are small.
   */
  String refusedKey();

  /** True when the broker refuses the poison message for its size (then the key's next, small message flows). */
  boolean refusesBySize();

  /** Text the broker's refusal holds (checked in the dead notification's error). */
  String refusalText();

  /** JVM options a child relay process needs to reach the broker (system properties). */
  List<String> childJvmArgs();

  /** One received message. */
  record Received(long id, String key, int version) {}

  /** The {@link Received} of a relayed {@code AbstractRelayTest.Change}'s message body. */
  static Received parse(byte[] body) {
    try {
      com.fasterxml.jackson.databind.JsonNode n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(body);
      return new Received(n.get("id").asLong(), n.get("key").asText(), n.path("new").path("version").asInt());
    } catch (java.io.IOException e) {
      throw new IllegalStateException("not a relayed message: " + new String(body, java.nio.charset.StandardCharsets.UTF_8), e);
    }
  }

  /** Reads a target; {@link #received()} is every message so far, in the order the broker delivered them. */
  interface TestConsumer extends AutoCloseable {
    List<Received> received() throws Exception;

    @Override
    void close() throws Exception;
  }
}
