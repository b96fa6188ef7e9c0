package io.pgpubsub.hibernate;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgpubsub.hibernate.model.Author;
import io.pgpubsub.testing.PostgresServer;
import io.pgpubsub.testing.TestDatabase;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Issue 11, item 9: a misspelt {@code hibernate.pgpubsub.*} name fails the boot instead of being ignored. */
@Timeout(60)
class UnknownSettingTest {

  @Test
  void aMisspeltSettingFailsTheBootWithTheKnownNamesAndTheClosestOne() throws Exception {
    try (TestDatabase db = PostgresServer.get().createDatabase("boot_unknown")) {
      assertThatThrownBy(
              () -> TestHibernate.build(db, Map.of("hibernate.pgpubsub.schema-management", "validate"), Author.class))
          .hasStackTraceContaining("unknown setting hibernate.pgpubsub.schema-management")
          .hasStackTraceContaining("did you mean hibernate.pgpubsub.schema_management?")
          .hasStackTraceContaining("Known settings: ")
          .hasStackTraceContaining(PubSubSettings.ENABLED)
          .hasStackTraceContaining(PubSubSettings.LOCK_TIMEOUT);
      // the right names boot (and install)
      TestHibernate.build(db, Map.of(PubSubSettings.SCHEMA_MANAGEMENT, "create"), Author.class).close();
    }
  }
}
