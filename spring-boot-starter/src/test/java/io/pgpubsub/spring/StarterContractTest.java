package io.pgpubsub.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.Listener;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.URL;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Pins the starter's promises that no run of the application shows: every public {@code Listener.Builder}
 * option is reachable from Spring Boot (a property, or a bean named here with the reason), so an option added
 * to the builder cannot be forgotten; and the properties table of docs/spring-boot.md is the generated metadata.
 */
class StarterContractTest {

  /** Builder option -> the property that sets it, or "bean: ..." when the application context supplies it. */
  static final Map<String, String> OPTIONS = new LinkedHashMap<>();

  static {
    OPTIONS.put("name", "pgpubsub.listener.name");
    OPTIONS.put("dataSource", "bean: the application's DataSource");
    OPTIONS.put("jdbcUrl", "pgpubsub.listener.jdbc-url");
    OPTIONS.put("user", "pgpubsub.listener.user");
    OPTIONS.put("password", "pgpubsub.listener.password");
    OPTIONS.put("listenUrl", "pgpubsub.listener.listen-url");
    OPTIONS.put("channels", "pgpubsub.listener.channels");
    OPTIONS.put("channelDefinitions", "bean: the generated registries of the EntityManagerFactory's entities");
    OPTIONS.put("workers", "pgpubsub.listener.workers");
    OPTIONS.put("batchSize", "pgpubsub.listener.batch-size");
    OPTIONS.put("pollInterval", "pgpubsub.listener.poll-interval");
    OPTIONS.put("retryPolicy", "pgpubsub.listener.retry.max-attempts");
    OPTIONS.put("recoverOnStart", "pgpubsub.listener.recover-on-start");
    OPTIONS.put("rowDecoder", "bean: the EntityManagerFactory's Hibernate mapping");
    OPTIONS.put("transactionResources", "bean: Spring's transaction binding around the Hibernate Session");
    OPTIONS.put("listenerFactory", "bean: the application context's AutowireCapableBeanFactory");
    OPTIONS.put("payloadFilter", "pgpubsub.listener.payload-filter");
    OPTIONS.put("schema", "pgpubsub.schema");
    OPTIONS.put("installSchema", "pgpubsub.listener.install-schema");
    OPTIONS.put("gracePeriod", "pgpubsub.listener.grace-period");
    OPTIONS.put("callbackTimeout", "pgpubsub.listener.callback-timeout");
    OPTIONS.put("reconnectDelay", "pgpubsub.listener.reconnect.initial-delay");
    OPTIONS.put("objectMapper", "bean: none by default (Boot's mapper is Jackson 3); a PubSubListenerCustomizer");
    OPTIONS.put("meterRegistry", "bean: Boot's MeterRegistry");
    OPTIONS.put("transport", "pgpubsub.listener.transport");
    OPTIONS.put("walSlot", "pgpubsub.listener.wal-slot");
  }

  @Test
  void everyBuilderOptionHasAPropertyOrAnApplicationContextSource() throws Exception {
    Map<String, Map<String, Object>> metadata = metadata();
    TreeSet<String> options = new TreeSet<>();
    for (Method m : Listener.Builder.class.getDeclaredMethods()) {
      if (Modifier.isPublic(m.getModifiers()) && !Modifier.isStatic(m.getModifiers()) && !m.getName().equals("build")) {
        options.add(m.getName());
      }
    }
    assertThat(options)
        .as("Listener.Builder options; a new one needs a pgpubsub.* property (PgPubSubProperties) and an entry here")
        .isEqualTo(new TreeSet<>(OPTIONS.keySet()));
    OPTIONS.forEach(
        (option, source) -> {
          if (!source.startsWith("bean: ")) {
            assertThat(metadata).as("the property for " + option).containsKey(source);
          }
        });
  }

  @Test
  void theGuidesPropertiesTableIsTheGeneratedMetadata() throws Exception {
    Map<String, String> expected = new TreeMap<>();
    metadata().forEach(
        (name, p) -> {
          if (name.startsWith("pgpubsub.")) {
            Object d = p.get("defaultValue");
            expected.put(name, (d == null ? "—" : "`" + d + "`") + " | " + p.get("description"));
          }
        });
    String section = Files.readString(Path.of("..", "docs", "spring-boot.md"));
    Map<String, String> documented = new TreeMap<>();
    Matcher m = Pattern.compile("(?m)^\\| `(pgpubsub\\.[a-z.-]+)` \\| (.*) \\|$").matcher(section);
    while (m.find()) {
      documented.put(m.group(1), m.group(2));
    }
    assertThat(documented).isEqualTo(expected);
  }

  /**
   * The listener's defaults are written once, as constants of {@code Listener} and {@code RetryPolicy}, which the
   * properties' fields refer to; the metadata states them for IDEs and the guide's table (the configuration
   * processor cannot read a constant of another class), and this pins the metadata to the constants.
   */
  @Test
  void theMetadataDefaultsAreTheLibrarysConstants() throws Exception {
    Map<String, Map<String, Object>> metadata = metadata();
    PgPubSubProperties.Listener l = new PgPubSubProperties().getListener();
    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("pgpubsub.listener.workers", Listener.DEFAULT_WORKERS);
    expected.put("pgpubsub.listener.batch-size", Listener.DEFAULT_BATCH_SIZE);
    expected.put("pgpubsub.listener.poll-interval", Listener.DEFAULT_POLL_INTERVAL);
    expected.put("pgpubsub.listener.recover-on-start", Listener.DEFAULT_RECOVER_ON_START);
    expected.put("pgpubsub.listener.grace-period", Listener.DEFAULT_GRACE_PERIOD);
    expected.put("pgpubsub.listener.callback-timeout", Listener.DEFAULT_CALLBACK_TIMEOUT);
    expected.put("pgpubsub.listener.retry.max-attempts", io.pgpubsub.RetryPolicy.DEFAULT_MAX_ATTEMPTS);
    expected.put("pgpubsub.listener.retry.initial-delay", io.pgpubsub.RetryPolicy.DEFAULT_INITIAL_DELAY);
    expected.put("pgpubsub.listener.retry.max-delay", io.pgpubsub.RetryPolicy.DEFAULT_MAX_DELAY);
    expected.put("pgpubsub.listener.reconnect.initial-delay", Listener.DEFAULT_RECONNECT_INITIAL_DELAY);
    expected.put("pgpubsub.listener.reconnect.max-delay", Listener.DEFAULT_RECONNECT_MAX_DELAY);
    expected.forEach((name, value) -> {
      String stated = (String) metadata.get(name).get("defaultValue");
      Object parsed = value instanceof java.time.Duration
          ? org.springframework.boot.convert.DurationStyle.detectAndParse(stated)
          : value instanceof Integer ? (Object) Integer.valueOf(stated) : (Object) Boolean.valueOf(stated);
      assertThat(parsed).as(name + " in the metadata").isEqualTo(value);
    });
    // and the bound defaults are those constants
    assertThat(l.getWorkers()).isEqualTo(Listener.DEFAULT_WORKERS);
    assertThat(l.getPollInterval()).isEqualTo(Listener.DEFAULT_POLL_INTERVAL);
    assertThat(l.getRetry().getMaxDelay()).isEqualTo(io.pgpubsub.RetryPolicy.DEFAULT_MAX_DELAY);
  }

  @Test
  void schemaManagementOffersItsValuesAsHints() throws Exception {
    JsonMapper json = JsonMapper.builder().build();
    JsonNode root;
    try (InputStream in = PgPubSubProperties.class.getClassLoader()
        .getResourceAsStream("META-INF/spring-configuration-metadata.json")) {
      root = json.readTree(in);
    }
    TreeSet<String> values = new TreeSet<>();
    for (JsonNode hint : root.path("hints")) {
      if (hint.path("name").asString().equals("pgpubsub.schema-management")) {
        hint.path("values").forEach(v -> values.add(v.path("value").asString()));
      }
    }
    assertThat(values).containsExactly("create", "none", "validate");
  }

  /** The {@code pgpubsub.*} properties of the generated configuration metadata on the class path, by name. */
  static Map<String, Map<String, Object>> metadata() throws Exception {
    Map<String, Map<String, Object>> out = new TreeMap<>();
    JsonMapper json = JsonMapper.builder().build();
    for (URL url : Collections.list(
        Listener.class.getClassLoader().getResources("META-INF/spring-configuration-metadata.json"))) {
      JsonNode root;
      try (InputStream in = url.openStream()) {
        root = json.readTree(in);
      }
      for (JsonNode p : root.path("properties")) {
        String name = p.get("name").asString();
        if (name.startsWith("pgpubsub.")) {
          Map<String, Object> entry = new LinkedHashMap<>();
          JsonNode d = p.get("defaultValue");
          entry.put("defaultValue", d == null || d.isNull() ? null : d.asString());
          entry.put("description", p.get("description").asString());
          out.put(name, entry);
        }
      }
    }
    assertThat(out).as("the starter's metadata (spring-boot-configuration-processor)").isNotEmpty();
    return out;
  }
}
