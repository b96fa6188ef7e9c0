package io.pgpubsub.hibernate;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.pgpubsub.Listener;
import io.pgpubsub.RetryPolicy;
import io.pgpubsub.hibernate.Recorder.Event;
import io.pgpubsub.hibernate.model.Dimensions;
import io.pgpubsub.hibernate.model.Invoice;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.PostgresServer;
import io.pgpubsub.testing.TestDatabase;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import org.hibernate.SessionFactory;
import org.hibernate.cfg.AvailableSettings;
import org.hibernate.cfg.Configuration;
import org.hibernate.type.format.jackson.JacksonJsonFormatMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * numeric keeps its scale: what a callback receives as old and new equals, scale included, what {@code
 * session.find} loads for the same row, in numeric columns and in decimals inside JSON columns. Through the
 * real trigger and the real listener, as an application uses them.
 */
@PostgresTest
@Timeout(120)
class DecimalScaleTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  /**
   * Insert, then two updates, with the values a decoder that drops the scale gets wrong (5.00, 100.00, 0.10,
   * -3.1400, big values); {@code number} makes the numbers of the JSON Map (see {@link #figures}).
   */
  private static List<Consumer<Invoice>> changes(Function<String, Object> number) {
    return List.of(
          i -> {
            i.amount = new BigDecimal("5.00");
            i.rate = new BigDecimal("-3.1400");
            i.balance = new BigDecimal("1234567890123456789012345678.9000000000");
            i.totals =
                new Invoice.Totals(
                    new BigDecimal("100.00"),
                    new BigDecimal("0.10"),
                    List.of(new BigDecimal("5.00"), new BigDecimal("-3.1400"), new BigDecimal("0.0000001")));
            i.figures = figures(number, "5.00", "100.00", "0.10", "-3.1400");
            i.rawJson = "{\"amount\": 100.00, \"tiny\": 0.00000010, \"list\": [1.10, 2, -3.1400], \"s\": \"a\\u0001\\n\"}";
            i.dimensions =
                new Dimensions(new BigDecimal("21.0"), new BigDecimal("29.70"), "cm", LocalDate.parse("2026-01-31"));
          },
          i -> {
            i.amount = new BigDecimal("100.00");
            i.rate = new BigDecimal("100.0000");
            i.balance = new BigDecimal("-9999999999999999999999999999.0000000000");
            i.totals = new Invoice.Totals(new BigDecimal("0.10"), new BigDecimal("5.00"), List.of());
            i.figures = figures(number, "100.00", "0.10", "-3.1400", "99999999.9999");
            i.rawJson = "[100.00, {\"x\": 5.00}]";
            i.dimensions = new Dimensions(new BigDecimal("100.00"), new BigDecimal("0.10"), "m", null);
          },
          i -> {
            i.amount = new BigDecimal("0.10");
            i.rate = new BigDecimal("99999999.9999");
            i.balance = new BigDecimal("0E-10");
            i.totals = null;
            i.figures = figures(number, "-3.14", "0.00", "5", "1E+2");
            i.rawJson = "5.00";
            i.dimensions = null;
          });
  }

  /**
   * A Map for a JSON column. Its values are of the class Hibernate's FormatMapper reads back (Double with
   * Hibernate's default mapper, BigDecimal with USE_BIG_DECIMAL_FOR_FLOATS): with any other class Hibernate's
   * dirty check, which compares the Map with a copy made through JSON, sees a change and issues a second UPDATE.
   */
  private static Map<String, Object> figures(Function<String, Object> number, String... values) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int k = 0; k < values.length; k++) {
      m.put("f" + k, number.apply(values[k]));
    }
    m.put("nested", Map.of("price", number.apply("12.50")));
    return m;
  }

  @Test
  void decodedDecimalsEqualWhatSessionFindLoads(TestDatabase db) throws Exception {
    try (SessionFactory sf = TestHibernate.build(db, Map.of(), Invoice.class)) {
      writeAndCompare(sf, HibernatePubSub.listener(sf), 1L, Double::valueOf);
    }
  }

  /**
   * An application that keeps money in JSON as BigDecimal configures Hibernate's JSON FormatMapper with
   * USE_BIG_DECIMAL_FOR_FLOATS, and hands the listener its own ObjectMapper (one without that feature).
   */
  @Test
  void withTheApplicationsOwnJsonMappers() throws Exception {
    try (TestDatabase db = PostgresServer.get().createDatabase("decimal_mappers")) {
      Configuration cfg = TestHibernate.configuration(db, Invoice.class);
      cfg.getProperties()
          .put(
              AvailableSettings.JSON_FORMAT_MAPPER,
              new JacksonJsonFormatMapper(
                  JsonMapper.builder()
                      .findAndAddModules()
                      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                      .build()));
      try (SessionFactory sf = cfg.buildSessionFactory()) {
        writeAndCompare(sf, HibernatePubSub.listener(sf).objectMapper(new ObjectMapper()), 2L, BigDecimal::new);
      }
    }
  }

  private void writeAndCompare(
      SessionFactory sf, Listener.Builder builder, long id, Function<String, Object> jsonNumber) throws Exception {
    List<Consumer<Invoice>> changes = changes(jsonNumber);
    InvoiceRecorder recorder = new InvoiceRecorder();
    try (Listener listener =
        builder
            .name("decimals")
            .listenerFactory(type -> recorder)
            .pollInterval(Duration.ofMillis(200))
            .retryPolicy(RetryPolicy.noRetries())
            .build()
            .start()) {
      Invoice before = null;
      for (int change = 0; change < changes.size(); change++) {
        Consumer<Invoice> apply = changes.get(change);
        if (change == 0) {
          sf.inTransaction(
              s -> {
                Invoice i = new Invoice();
                i.id = id;
                apply.accept(i);
                s.persist(i);
              });
        } else {
          sf.inTransaction(s -> apply.accept(s.find(Invoice.class, id)));
        }
        Invoice loaded = load(sf, id);
        Event event = recorder.next(WAIT);
        if (before == null) {
          assertThat(event.old()).isNull();
          // the premise: PostgreSQL and Hibernate keep the scale
          assertThat(loaded.amount.scale()).isEqualTo(2);
          assertThat(loaded.rate).isEqualTo(new BigDecimal("-3.1400"));
          assertThat(loaded.totals.net()).isEqualTo(new BigDecimal("100.00"));
        } else {
          assertSameDecimals("old after change " + change, (Invoice) event.old(), before);
        }
        assertSameDecimals("new after change " + change, (Invoice) event.current(), loaded);
        before = loaded;
      }
    }
  }

  private static Invoice load(SessionFactory sf, long id) {
    return sf.fromTransaction(
        s -> {
          s.setDefaultReadOnly(true);
          return s.find(Invoice.class, id);
        });
  }

  private static void assertSameDecimals(String what, Invoice decoded, Invoice loaded) {
    assertThat(decoded).as(what).isNotNull();
    assertThat(decoded.id).isEqualTo(loaded.id);
    decimal(what + ": amount", decoded.amount, loaded.amount);
    decimal(what + ": rate", decoded.rate, loaded.rate);
    decimal(what + ": balance", decoded.balance, loaded.balance);
    if (loaded.totals == null) {
      assertThat(decoded.totals).as(what + ": totals").isNull();
    } else {
      decimal(what + ": totals.net", decoded.totals.net(), loaded.totals.net());
      decimal(what + ": totals.tax", decoded.totals.tax(), loaded.totals.tax());
      assertThat(decoded.totals.lines()).as(what + ": totals.lines").hasSameSizeAs(loaded.totals.lines());
      for (int k = 0; k < loaded.totals.lines().size(); k++) {
        decimal(what + ": totals.lines[" + k + "]", decoded.totals.lines().get(k), loaded.totals.lines().get(k));
      }
      assertThat(decoded.totals).as(what + ": totals").isEqualTo(loaded.totals);
    }
    // Map values: whatever Hibernate's FormatMapper makes of the column's JSON (Double, or BigDecimal with scale)
    assertThat(decoded.figures).as(what + ": figures").isEqualTo(loaded.figures);
    assertThat(decoded.rawJson).as(what + ": JSON read as text").isEqualTo(loaded.rawJson);
    if (loaded.dimensions == null) {
      assertThat(decoded.dimensions).as(what + ": dimensions").isNull();
    } else {
      decimal(what + ": dimensions.width", decoded.dimensions.width, loaded.dimensions.width);
      decimal(what + ": dimensions.height", decoded.dimensions.height, loaded.dimensions.height);
      assertThat(decoded.dimensions.unit).isEqualTo(loaded.dimensions.unit);
      assertThat(decoded.dimensions.measuredOn).isEqualTo(loaded.dimensions.measuredOn);
    }
  }

  private static void decimal(String what, BigDecimal decoded, BigDecimal loaded) {
    if (loaded == null) {
      assertThat(decoded).as(what).isNull();
      return;
    }
    assertThat(decoded).as(what).isNotNull();
    assertThat(decoded.compareTo(loaded)).as(what + ": %s compared to %s", decoded, loaded).isZero();
    assertThat(decoded.scale()).as(what + ": scale of %s, loaded %s", decoded, loaded).isEqualTo(loaded.scale());
    assertThat(decoded.equals(loaded)).as(what + ": %s equals %s", decoded, loaded).isTrue();
  }
}
