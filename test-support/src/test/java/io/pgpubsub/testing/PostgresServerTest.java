package io.pgpubsub.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.PostgresServer.Source;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

@PostgresTest
class PostgresServerTest {

  @Test
  void explicitUrlWinsOverDockerAndEmbedded() {
    Map<String, String> env = Map.of(PostgresServer.JDBC_URL_ENV, "jdbc:postgresql://db:5432/postgres");
    assertThat(PostgresServer.choose(env, () -> true)).isEqualTo(Source.ENVIRONMENT);
    assertThat(PostgresServer.choose(env, () -> false)).isEqualTo(Source.ENVIRONMENT);
    assertThat(PostgresServer.choose(Map.of(), () -> true)).isEqualTo(Source.TESTCONTAINERS);
    assertThat(PostgresServer.choose(Map.of(), () -> false)).isEqualTo(Source.EMBEDDED);
    assertThat(PostgresServer.choose(Map.of(PostgresServer.JDBC_URL_ENV, " "), () -> false))
        .isEqualTo(Source.EMBEDDED);
  }

  /** .ci/run runs the suite twice: once with the variable set (system server), once without (embedded). */
  @Test
  void theServerInUseIsTheOneTheEnvironmentNames(TestDatabase db) throws SQLException {
    String url = System.getenv(PostgresServer.JDBC_URL_ENV);
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "select current_setting('port')::int, current_database(),"
                    + " current_setting('server_version_num')::int")) {
      assertThat(rs.next()).isTrue();
      int port = rs.getInt(1);
      assertThat(rs.getString(2)).isEqualTo(db.name());
      if (url != null && !url.isBlank()) {
        assertThat(db.server().source()).isEqualTo(Source.ENVIRONMENT);
        Matcher m = Pattern.compile("^jdbc:postgresql://[^/:?]+(?::(\\d+))?").matcher(url);
        assertThat(m.find()).isTrue();
        int expected = m.group(1) == null ? 5432 : Integer.parseInt(m.group(1));
        assertThat(port).isEqualTo(expected);
      } else {
        assertThat(db.server().source()).isNotEqualTo(Source.ENVIRONMENT);
        assertThat(rs.getInt(3)).as("embedded and container servers are PostgreSQL 17").isBetween(170000, 179999);
      }
    }
  }

  @Test
  void eachDatabaseIsFreshAndDroppedOnClose() throws SQLException {
    PostgresServer server = PostgresServer.get();
    TestDatabase a = server.createDatabase("isolation");
    TestDatabase b = server.createDatabase("isolation");
    assertThat(a.name()).isNotEqualTo(b.name());
    a.execute("create table t(x int); insert into t values (1)");
    try (Connection c = b.connect();
        ResultSet rs = c.createStatement().executeQuery("select count(*) from pg_class where relname = 't'")) {
      rs.next();
      assertThat(rs.getInt(1)).as("b does not see a's table").isZero();
    }
    a.close();
    b.close();
    try (Connection c = server.connectAdmin();
        ResultSet rs =
            c.createStatement()
                .executeQuery(
                    "select count(*) from pg_database where datname in ('" + a.name() + "','" + b.name() + "')")) {
      rs.next();
      assertThat(rs.getInt(1)).isZero();
    }
  }

  @Test
  void longHintsStillGiveValidUniqueNames() {
    TestDatabase a = PostgresServer.get().createDatabase("x".repeat(100));
    TestDatabase b = PostgresServer.get().createDatabase("x".repeat(100));
    try {
      assertThat(a.name()).hasSizeLessThanOrEqualTo(63).isNotEqualTo(b.name());
    } finally {
      a.close();
      b.close();
    }
  }
}
