package io.pgpubsub.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgpubsub.NotificationTable;
import org.junit.jupiter.api.Test;

/** The schema name in SQL: quoted only when it needs quotes, embedded quotes doubled, PostgreSQL's limits. */
class SchemaNamesTest {

  @Test
  void plainLowerCaseNamesAreWrittenAsTheyAre() {
    assertThat(SchemaNames.sql("public")).isEqualTo("public");
    assertThat(SchemaNames.sql("events")).isEqualTo("events");
    assertThat(SchemaNames.sql("_tenant_0042$x")).isEqualTo("_tenant_0042$x");
    assertThat(SchemaNames.table("public", "pgpubsub_notification")).isEqualTo("public.pgpubsub_notification");
  }

  @Test
  void everythingElseIsAQuotedIdentifierWithEmbeddedQuotesDoubled() {
    assertThat(SchemaNames.sql("My-Schema")).isEqualTo("\"My-Schema\"");
    assertThat(SchemaNames.sql("Public")).isEqualTo("\"Public\"");
    assertThat(SchemaNames.sql("évents")).isEqualTo("\"évents\"");
    assertThat(SchemaNames.sql("a b")).isEqualTo("\"a b\"");
    assertThat(SchemaNames.sql("1st")).isEqualTo("\"1st\"");
    assertThat(SchemaNames.sql("say \"hi\"")).isEqualTo("\"say \"\"hi\"\"\"");
    assertThat(SchemaNames.sql("\"")).isEqualTo("\"\"\"\"");
    assertThat(SchemaNames.sql("it's")).isEqualTo("\"it's\"");
    assertThat(SchemaNames.sql("line\nbreak")).isEqualTo("\"line\nbreak\"");
    assertThat(SchemaNames.table("My-Schema", "pgpubsub_broadcast")).isEqualTo("\"My-Schema\".pgpubsub_broadcast");
  }

  @Test
  void reservedWordsAreQuotedOtherKeyWordsNeedNot() {
    assertThat(SchemaNames.sql("select")).isEqualTo("\"select\"");
    assertThat(SchemaNames.sql("user")).isEqualTo("\"user\"");
    assertThat(SchemaNames.sql("table")).isEqualTo("\"table\"");
    assertThat(SchemaNames.sql("current_schema")).isEqualTo("\"current_schema\"");
    assertThat(SchemaNames.sql("schema")).isEqualTo("schema"); // unreserved: a valid unquoted schema name
  }

  @Test
  void onlyWhatPostgresRejectsIsRejectedWithTheSettingNamed() {
    assertThatThrownBy(() -> SchemaNames.validate("", "hibernate.pgpubsub.schema"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("invalid hibernate.pgpubsub.schema '': it is empty");
    assertThatThrownBy(() -> SchemaNames.validate(null, "--schema")).hasMessage("invalid --schema 'null': it is missing");
    assertThatThrownBy(() -> SchemaNames.validate("a\0b", "schema"))
        .hasMessage("invalid schema 'a\\u0000b': it contains a NUL character, which PostgreSQL does not allow in names");
    assertThatThrownBy(() -> SchemaNames.sql("x".repeat(64)))
        .hasMessageContaining("it is 64 bytes long in UTF-8 (PostgreSQL names have at most 63)");
    // 63 bytes is fine, counted in UTF-8: 31 two-byte letters and one more byte is 63, one more letter is 65
    assertThat(SchemaNames.validate("x".repeat(63))).hasSize(63);
    assertThat(SchemaNames.validate("é".repeat(31) + "x")).hasSize(32);
    assertThatThrownBy(() -> SchemaNames.validate("é".repeat(32) + "x")).hasMessageContaining("65 bytes");
  }

  @Test
  void theNotificationTableDdlQuotesTheSchemaAndKeepsItsCommentsOnOneLine() {
    String plain = NotificationTable.ddl("public");
    assertThat(plain).contains("CREATE TABLE IF NOT EXISTS public.pgpubsub_notification (").doesNotContain("{{schema}}");
    String odd = NotificationTable.ddl("x\nDROP TABLE t; --\"");
    assertThat(odd)
        .contains("CREATE TABLE IF NOT EXISTS \"x\nDROP TABLE t; --\"\"\".pgpubsub_notification (")
        .doesNotContain("{{schema}}");
    // in the template's comment line a line break in the name is escaped: it cannot end the comment early
    assertThat(odd.lines().findFirst().orElseThrow()).startsWith("--").contains("\\u000aDROP TABLE");
    assertThat(odd.lines().filter(l -> l.startsWith("DROP TABLE"))).allMatch(l -> l.startsWith("DROP TABLE t; --\"\"\".pgpubsub_"));
  }

  @Test
  void runtimeStatementsUseTheQuotedForm() {
    Sql sql = new Sql("My-Schema", false);
    assertThat(sql.table).isEqualTo("\"My-Schema\".pgpubsub_notification");
    assertThat(sql.claimDelete).contains("DELETE FROM \"My-Schema\".pgpubsub_notification WHERE");
    assertThat(new Sql("public", false).table).isEqualTo("public.pgpubsub_notification");
  }
}
