package io.pgpubsub.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgpubsub.NotificationTable;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The claim statement's cost must not grow with the backlog. The statistics are taken while the table is
 * empty (what a freshly installed or usually drained table has), then 30,000 rows wait on one channel while
 * another channel of the same listener has none: under both the plan PostgreSQL makes for given values and the
 * generic plan it caches for a prepared statement, a claim of 200 (with the planner settings the worker pins
 * for it) must read only the rows it takes: no sort,
 * no sequential scan, no index walk that filters out other rows. Earlier forms of the statement read the
 * whole backlog on every claim here.
 */
@PostgresTest
class ClaimPlanTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aClaimReadsOnlyTheRowsItTakesWhateverTheBacklog(TestDatabase db) throws Exception {
    Sql sql = new Sql("public", false);
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      NotificationTable.install(c, "public");
      s.execute("ANALYZE public.pgpubsub_notification");
      s.execute(
          "INSERT INTO public.pgpubsub_notification (channel, payload)"
              + " SELECT 'busy', jsonb_build_object('n', i) FROM generate_series(1, 30000) i");
      s.execute("PREPARE claim(text[], bigint, int, int) AS " + numbered(sql.claimDelete));
      for (String mode : new String[] {"force_custom_plan", "force_generic_plan"}) {
        for (String channels : new String[] {"{idle,busy}", "{busy,idle}"}) {
          s.execute("SET plan_cache_mode = " + mode);
          s.execute("BEGIN");
          s.execute(Sql.PIN_CLAIM_PLAN); // as the worker does, in the claim's transaction
          JsonNode plan;
          try (ResultSet rs =
              s.executeQuery(
                  "EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE claim('" + channels + "', 0, 200, 200)")) {
            rs.next();
            plan = JSON.readTree(rs.getString(1)).get(0).get("Plan");
          }
          s.execute("ROLLBACK");
          String what = mode + ", channels " + channels;
          assertThat(plan.get("Actual Rows").asLong()).as("rows claimed, " + what).isEqualTo(200);
          List<String> nodes = new ArrayList<>();
          long[] removed = new long[1];
          walk(plan, nodes, removed);
          assertThat(nodes).as("plan nodes, " + what).doesNotContain("Sort", "Seq Scan", "Hash Join");
          assertThat(removed[0]).as("rows read and thrown away, " + what).isLessThanOrEqualTo(200);
        }
      }
    }
  }

  /** The statement with its {@code ?} parameters numbered, for PREPARE. */
  private static String numbered(String statement) {
    StringBuilder b = new StringBuilder();
    int n = 0;
    for (char ch : statement.toCharArray()) {
      if (ch == '?') {
        b.append('$').append(++n);
      } else {
        b.append(ch);
      }
    }
    assertThat(n).as("parameters of the claim statement").isEqualTo(4);
    return b.toString();
  }

  private static void walk(JsonNode node, List<String> nodes, long[] removed) {
    nodes.add(node.get("Node Type").asText());
    for (String key : new String[] {"Rows Removed by Filter", "Rows Removed by Index Recheck"}) {
      if (node.has(key)) {
        removed[0] += node.get(key).asLong() * Math.max(1, node.path("Actual Loops").asLong());
      }
    }
    for (JsonNode child : node.path("Plans")) {
      walk(child, nodes, removed);
    }
  }
}
