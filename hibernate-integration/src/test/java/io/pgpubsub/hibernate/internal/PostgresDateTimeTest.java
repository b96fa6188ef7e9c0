package io.pgpubsub.hibernate.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.OffsetDateTime;
import org.junit.jupiter.api.Test;

/**
 * The hand-written timestamptz parser against PostgreSQL itself: every value is written by {@code to_jsonb}
 * in several session time zones (whole-hour, half-hour, negative, and a 19th-century local mean time whose
 * offset has seconds) with 0 to 6 fraction digits, and must decode to what the driver reads for the same
 * value. Shapes it does not take return null and go through {@code DateTimeFormatter} unchanged.
 */
@PostgresTest
class PostgresDateTimeTest {

  private static final String[] ZONES = {"UTC", "Asia/Kolkata", "America/St_Johns", "Europe/Amsterdam"};
  private static final String[] VALUES = {
    "2026-11-23 20:07:17.123456+00",
    "2026-11-23 20:07:17.5+00",
    "2026-11-23 20:07:17+00",
    "2026-06-30 23:59:59.000001+00",
    "1900-01-01 00:00:00.25+00", // Amsterdam then: +00:19:32 (local mean time)
    "0099-03-15 12:00:00+00",
    "9999-12-30 23:59:59.999999+00"
  };

  @Test
  void decodesEveryValueAsTheDriverReadsIt(TestDatabase db) throws Exception {
    int checked = 0;
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      for (String zone : ZONES) {
        s.execute("SET TIME ZONE '" + zone + "'");
        for (String value : VALUES) {
          try (ResultSet rs =
              s.executeQuery("SELECT to_jsonb(v) #>> '{}', v FROM (SELECT '" + value + "'::timestamptz AS v) t")) {
            rs.next();
            String json = rs.getString(1);
            OffsetDateTime expected = rs.getObject(2, OffsetDateTime.class);
            OffsetDateTime fast = JdbcValues.postgresDateTime(json);
            assertThat(fast).as("%s in %s, written as %s", value, zone, json).isNotNull();
            assertThat(fast.toInstant()).as("%s in %s, written as %s", value, zone, json).isEqualTo(expected.toInstant());
            assertThat(fast.getOffset())
                .as("the offset PostgreSQL wrote in %s", json)
                .isEqualTo(JdbcValues.dateTime(json.replace('T', ' ')).getOffset());
            checked++;
          }
        }
      }
    }
    assertThat(checked).isEqualTo(ZONES.length * VALUES.length);
  }

  @Test
  void leavesOtherShapesToTheFormatter() {
    assertThat(JdbcValues.postgresDateTime("2026-11-23T20:07:17Z")).isNull();
    assertThat(JdbcValues.postgresDateTime("2026-11-23 20:07:17+00:00")).isNull();
    assertThat(JdbcValues.postgresDateTime("12026-11-23T20:07:17+00:00")).isNull();
    assertThat(JdbcValues.postgresDateTime("2026-11-23T20:07:17.+00:00")).isNull();
    assertThat(JdbcValues.postgresDateTime("2026-11-23T20:07:17+0x:00")).isNull();
    assertThat(JdbcValues.postgresDateTime("2026-11-23T20:07:17+05:3")).isNull();
    assertThat(JdbcValues.postgresDateTime("2026-13-23T20:07:17+00:00")).isNull();
    assertThat(JdbcValues.dateTime("2026-11-23T20:07:17Z")).isEqualTo(OffsetDateTime.parse("2026-11-23T20:07:17Z"));
  }
}
