package io.pgpubsub.processor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The DDL generated for each entity shape runs on PostgreSQL and captures the right rows and columns. */
@PostgresTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EntityShapesIntegrationTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final TestDatabase db;

  EntityShapesIntegrationTest(TestDatabase db) {
    this.db = db;
  }

  @BeforeAll
  void install() {
    String install = Fixtures.generated(Fixtures.compileOk("good/shapes"), "META-INF/pgpubsub.sql");
    db.execute(
        """
        CREATE SCHEMA billing;
        CREATE TABLE billing.accounts (account_number text PRIMARY KEY, owner text);
        CREATE TABLE article (id bigint PRIMARY KEY, title text, createdat timestamptz, created_by text);
        CREATE TABLE customer (id bigint PRIMARY KEY, street text, city text, zip_code text, work_street text,
            work_city text, work_zip text, account_account_number text REFERENCES billing.accounts);
        CREATE TABLE vehicle (id bigint PRIMARY KEY, kind text NOT NULL, plate text, seats int, payload float8);
        CREATE TABLE payment (paymentid bigint PRIMARY KEY, amountcents bigint);
        CREATE TABLE card_payment (payment_id bigint PRIMARY KEY REFERENCES payment, cardnumber text);
        CREATE TABLE order_line (orderid bigint, lineno int, quantity int, PRIMARY KEY (orderid, lineno));
        """);
    db.execute(install);
  }

  @Test
  void singleTableSubclassChannelSeesOnlyItsRowsAndTheRootChannelSeesAll() throws Exception {
    db.execute("INSERT INTO vehicle VALUES (1, 'car', 'C-1', 5, NULL), (2, 'Truck', 'T-1', NULL, 7.5)");
    db.execute("UPDATE vehicle SET plate = plate || '!'");
    db.execute("DELETE FROM vehicle");
    assertThat(ops("cars")).containsExactly("INSERT 1", "UPDATE 1");
    assertThat(ops("vehicle")).hasSize(6);
  }

  @Test
  void joinedSubclassTriggerIsOnItsOwnTableWithItsOwnColumns() throws Exception {
    db.execute("INSERT INTO payment VALUES (10, 999); INSERT INTO card_payment VALUES (10, '4111')");
    List<JsonNode> cards = rows("card_payments");
    assertThat(cards).hasSize(1);
    assertThat(fieldNames(cards.get(0).get("new"))).containsExactly("cardnumber", "payment_id");
    assertThat(rows("payment")).hasSize(1);
  }

  @Test
  void schemaQualifiedTableWithANonIdPrimaryKeyAndNarrowedOperations() throws Exception {
    db.execute("INSERT INTO billing.accounts VALUES ('A-1', 'ann')");
    db.execute("UPDATE billing.accounts SET owner = 'bob'");
    db.execute("DELETE FROM billing.accounts");
    List<JsonNode> rows = rows("accounts");
    assertThat(rows).extracting(r -> r.get("op").asText()).containsExactly("INSERT", "DELETE");
    assertThat(rows.get(0).get("schema").asText()).isEqualTo("billing");
    assertThat(rows.get(0).get("table").asText()).isEqualTo("accounts");
    assertThat(rows.get(0).get("new").get("account_number").asText()).isEqualTo("A-1");
  }

  @Test
  void embeddedColumnsAreCapturedAndExcludedOnesLeftOut() throws Exception {
    db.execute("INSERT INTO customer (id, street, city, zip_code, work_street, work_city) VALUES (1, 's', 'c', 'z', 'ws', 'wc')");
    JsonNode row = rows("customer").get(0).get("new");
    assertThat(fieldNames(row))
        .containsExactly("account_account_number", "city", "id", "street", "work_city", "work_zip");
  }

  @Test
  void mappedSuperclassColumnCanBeWatched() throws Exception {
    db.execute("INSERT INTO article VALUES (1, 't', now(), 'ann')");
    db.execute("UPDATE article SET title = 'other'");
    db.execute("UPDATE article SET created_by = 'bob'");
    assertThat(ops("article")).containsExactly("INSERT 1", "UPDATE 1");
  }

  @Test
  void compositeKeyAndLongChannelName() throws Exception {
    db.execute("INSERT INTO order_line VALUES (7, 1, 3)");
    List<JsonNode> rows = rows("order_lines_with_a_channel_name_that_is_exactly_63_bytes_long_x");
    assertThat(rows).hasSize(1);
    assertThat(fieldNames(rows.get(0).get("new"))).containsExactly("lineno", "orderid", "quantity");
  }

  private List<String> ops(String channel) throws Exception {
    List<String> out = new ArrayList<>();
    for (JsonNode r : rows(channel)) {
      JsonNode row = r.get("new").isNull() ? r.get("old") : r.get("new");
      out.add(r.get("op").asText() + " " + row.get("id").asText());
    }
    return out;
  }

  private List<JsonNode> rows(String channel) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT payload FROM pgpubsub_notification WHERE channel = '" + channel + "' ORDER BY id")) {
      while (rs.next()) {
        out.add(JSON.readTree(rs.getString(1)));
      }
    }
    return out;
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    names.sort(null);
    return names;
  }
}
