package io.pgpubsub.processor;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.testing.compile.Compilation;
import io.pgpubsub.Delivery;
import io.pgpubsub.Operation;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.Invocation;
import io.pgpubsub.spi.ListenerDefinition;
import io.pgpubsub.spi.ListenerKind;
import io.pgpubsub.spi.Registries;
import java.lang.reflect.Field;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generated registry, compiled and loaded the way the runtime loads it (ServiceLoader), and its invokers
 * called: each listener method receives the right arguments.
 */
class GeneratedRegistryTest {

  @TempDir Path classes;

  @Test
  void aPgNotifyFalseChannelSaysSoInTheRegistry() throws Exception {
    Compilation c = Fixtures.compileOk("good/polled");
    Fixtures.writeClassOutput(c, classes);
    try (URLClassLoader loader =
        new URLClassLoader(new java.net.URL[] {classes.toUri().toURL()}, getClass().getClassLoader())) {
      List<ChannelDefinition> channels = Registries.channels(loader);
      assertThat(channels).extracting(ChannelDefinition::name).containsExactly("reading");
      assertThat(channels.get(0).lockable()).isTrue();
      assertThat(channels.get(0).pgNotify()).as("pgNotify of the reading channel").isFalse();
    }
  }

  @Test
  void theRegistryIsFoundByServiceLoaderAndItsInvokersCallTheListenerMethods() throws Exception {
    Compilation c = Fixtures.compileOk("good/plain");
    Fixtures.writeClassOutput(c, classes);
    try (URLClassLoader loader =
        new URLClassLoader(new java.net.URL[] {classes.toUri().toURL()}, getClass().getClassLoader())) {
      List<ChannelDefinition> channels = Registries.channels(loader);
      assertThat(channels).hasSize(1);
      ChannelDefinition media = channels.get(0);
      Class<?> mediaType = loader.loadClass("com.example.media.Media");
      assertThat(media.name()).isEqualTo("media");
      assertThat(media.payloadType()).isSameAs(mediaType);
      assertThat(media.trigger()).isTrue();
      assertThat(media.lockable()).isTrue();
      assertThat(media.pgNotify()).isTrue();
      assertThat(media.schema()).isNull();
      assertThat(media.table()).isEqualTo("media");
      assertThat(media.operations()).isEqualTo(Set.of(Operation.INSERT, Operation.UPDATE, Operation.DELETE));
      assertThat(media.mappingVersion()).matches("[0-9a-f]{8}");
      assertThat(loader.getResource(media.ddlResource())).isNotNull();
      assertThat(media.listeners())
          .extracting(ListenerDefinition::kind)
          .containsExactly(ListenerKind.POST_DELETE, ListenerKind.POST_INSERT, ListenerKind.POST_SAVE, ListenerKind.POST_UPDATE);

      Class<?> listenersType = loader.loadClass("com.example.media.MediaListeners");
      @SuppressWarnings("unchecked")
      List<String> calls = (List<String>) listenersType.getField("CALLS").get(null);
      Object target = listenersType.getConstructor().newInstance();
      Object old = media(mediaType, "old");
      Object current = media(mediaType, "new");
      Delivery delivery = new Delivery(42, "media", Operation.UPDATE, 1, Instant.EPOCH, Map.of());
      Invocation invocation =
          new Invocation() {
            @Override
            public <T> T oldValue(Class<T> type) {
              return type.cast(old);
            }

            @Override
            public <T> T newValue(Class<T> type) {
              return type.cast(current);
            }

            @Override
            public Delivery delivery() {
              return delivery;
            }

            @Override
            public <T> T resource(Class<T> type) {
              if (type == Connection.class || type.getName().equals("org.hibernate.Session")) {
                return null;
              }
              throw new IllegalStateException("no " + type.getName());
            }
          };
      for (ListenerDefinition l : media.listeners()) {
        l.invoker().invoke(l.staticMethod() ? null : target, invocation);
      }
      assertThat(calls)
          .containsExactly(
              "delete old with null", "insert new #42", "save old -> new", "update old -> new with null");
      assertThat(media.listeners().get(3).staticMethod()).isTrue();
      assertThat(media.listeners().get(2).id()).isEqualTo("com.example.media.MediaListeners#onSave(Media,Media)");
    }
  }

  private static Object media(Class<?> type, String title) throws ReflectiveOperationException {
    Object m = type.getConstructor().newInstance();
    Field f = type.getField("title");
    f.set(m, title);
    return m;
  }

}
