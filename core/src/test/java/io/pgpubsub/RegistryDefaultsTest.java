package io.pgpubsub;

import static io.pgpubsub.Fixtures.await;
import static io.pgpubsub.Fixtures.inTransaction;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.ChannelRegistry;
import io.pgpubsub.spi.ListenerDefinition;
import io.pgpubsub.spi.ListenerKind;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The defaults that use the generated registries (found through META-INF/services, as in an application). */
@PostgresTest
@Timeout(60)
class RegistryDefaultsTest {

  public record Greeting(String text) {}

  public record Unregistered(int n) {}

  /** An instance listener class with a public no-arg constructor: the default listener factory creates it. */
  public static final class Greeter {
    static final List<String> SEEN = new CopyOnWriteArrayList<>();

    public void on(Greeting g) {
      SEEN.add(g.text());
    }
  }

  /** What the annotation processor generates for a module with one @Channel record and one listener. */
  public static final class GeneratedRegistry implements ChannelRegistry {
    @Override
    public List<ChannelDefinition> channels() {
      return List.of(
          new ChannelDefinition(
              "greeting", Greeting.class, false, true, true, null, null, Set.of(), Greeting.class.getName(), null,
              List.of(new ListenerDefinition(
                  "io.pgpubsub.RegistryDefaultsTest.Greeter#on(Greeting)", ListenerKind.PLAIN, Greeter.class, false,
                  (target, inv) -> ((Greeter) target).on(inv.newValue(Greeting.class))))));
    }
  }

  @Test
  void staticNotifyAndTheDefaultListenerUseTheGeneratedRegistries(TestDatabase db) throws Exception {
    Fixtures.install(db);
    try (Listener l = Listener.builder().jdbcUrl(db.jdbcUrlWithCredentials()).build().start()) {
      assertThat(l.channels()).containsExactly("greeting");
      inTransaction(db, c -> Notifier.notify(c, new Greeting("hello 'world'")));
      await(Duration.ofSeconds(20), "greeting", () -> Greeter.SEEN.contains("hello 'world'"));
      inTransaction(db, c ->
          assertThatThrownBy(() -> Notifier.notify(c, new Unregistered(1)))
              .isInstanceOf(IllegalArgumentException.class)
              .hasMessageContaining(Unregistered.class.getName())
              .hasMessageContaining("not a @Channel record"));
    }
  }

  @Test
  void withoutAnyGeneratedRegistryBuildNamesTheMissingProcessorAndShowsTheFix() throws Exception {
    ClassLoader previous = Thread.currentThread().getContextClassLoader();
    try (java.net.URLClassLoader empty = new java.net.URLClassLoader(new java.net.URL[0], null)) {
      Thread.currentThread().setContextClassLoader(empty); // a class path without META-INF/services registries
      assertThatThrownBy(() -> Listener.builder().jdbcUrl("jdbc:postgresql://127.0.0.1/app").build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("there is no generated channel registry on the class path")
          .hasMessageContaining("pgpubsub-processor did not run")
          .hasMessageContaining("<annotationProcessorPaths><path><groupId>io.pgpubsub</groupId>");
    } finally {
      Thread.currentThread().setContextClassLoader(previous);
    }
  }
}
